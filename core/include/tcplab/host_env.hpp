// What a host has of the world around it, and how it asks the world for something without
// knowing the simulator. The simulator owns one HostEnv and shares it with all its hosts: the
// clock, the trace, the count of events run, the segment-id counter, an outbox of requests and
// the segments in flight.
//
// A host reads the clock, records trace events and numbers the segments it sends itself; what
// only the simulator can do (put a segment on the wire, schedule a timer, wake a socket's
// waiters) it leaves in the outbox as a request. The simulator carries the requests out in the
// order they were made (Simulator::flush) before it queues anything of its own, draws a random
// number, changes the network or runs the next event, so its event queue and the trace come out
// exactly as if the host had called it at the moment it asked. Two things the simulator learns
// then are set on the events they belong to: a drop on the link on its send event, and the
// relative numbers of a RST from no socket, which count from the peer's ISNs.
//
// A segment waits in `segments` from the moment it is sent until it arrives or is lost.
#pragma once

#include "tcplab/segment.hpp"
#include "tcplab/time.hpp"
#include "tcplab/timers.hpp"
#include "tcplab/trace.hpp"

#include <cstdint>
#include <vector>

namespace tcplab {

struct HostEnv {
    explicit HostEnv(bool trace_on) : trace(trace_on) {}
    HostEnv(const HostEnv&) = delete;
    HostEnv& operator=(const HostEnv&) = delete;

    Time now = 0;
    Trace trace;
    std::size_t executed = 0;   // events the simulator has run (two facts in one step share it)
    std::uint32_t seg_ids = 0;  // the last segment id given out

    std::uint32_t next_segment_id() { return ++seg_ids; }

    // ---- requests
    struct Request {
        enum class Kind : std::uint8_t { Send, Timer, Wake };
        Kind kind;
        std::uint8_t timer = 0;  // Timer: its TimerKind
        bool rst_reply = false;  // Send: a RST answering a segment with SEQ `b` (below)
        bool answered_syn = false;
        int host = 0;
        std::uint32_t a = 0;  // Send: the segment's slot; Timer: the TCB slot; Wake: the fd
        std::uint32_t b = 0;  // Timer: the token; Send, with rst_reply: the answered SEQ
        Time at = 0;          // Timer
        std::size_t event = Trace::kNone;  // Send: its send event in the trace
    };
    std::vector<Request> outbox;

    // Segments from the moment they are sent until they arrive or are lost, by slot; a slot is
    // used again once it is free.
    std::vector<Segment> segments;
    std::vector<std::uint32_t> free_segments;
    std::uint32_t park(Segment&& seg) {
        if (free_segments.empty()) {
            segments.push_back(std::move(seg));
            return static_cast<std::uint32_t>(segments.size() - 1);
        }
        const std::uint32_t slot = free_segments.back();
        free_segments.pop_back();
        segments[slot] = std::move(seg);
        return slot;
    }

    // Host `from` puts a segment on the wire; `event` is its send event (a drop follows it).
    void send(int from, Segment&& seg, std::size_t event) {
        Request r{Request::Kind::Send};
        r.host = from;
        r.a = park(std::move(seg));
        r.event = event;
        outbox.push_back(r);
    }
    // The same for a RST that answers a segment no connection took (RFC 9293 §3.10.7.1): the
    // simulator sets the send event's "rel" from the ISNs of the connection at the peer, which
    // the host cannot see (Host::rst_rel).
    void send_rst_reply(int from, Segment&& rst, std::size_t event, Seq answered_seq,
                        bool answered_syn) {
        send(from, std::move(rst), event);
        Request& r = outbox.back();
        r.rst_reply = true;
        r.b = answered_seq;
        r.answered_syn = answered_syn;
    }
    // Timer `k` of TCB slot `slot` of host `host` fires at `at`, carrying `token`.
    void schedule_timer(Time at, int host, std::uint32_t slot, TimerKind k, std::uint32_t token) {
        Request r{Request::Kind::Timer};
        r.timer = static_cast<std::uint8_t>(k);
        r.host = host;
        r.a = slot;
        r.b = token;
        r.at = at;
        outbox.push_back(r);
    }
    // Socket `fd` of host `host` may have changed: its waiters try again, after the current event.
    void wake(int host, int fd) {
        Request r{Request::Kind::Wake};
        r.host = host;
        r.a = static_cast<std::uint32_t>(fd);
        outbox.push_back(r);
    }
};

}  // namespace tcplab
