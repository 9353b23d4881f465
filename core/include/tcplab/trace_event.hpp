// Typed trace events: every kind of CONTRACTS.md ("Trace") as a C++ value. Whoever acts records
// one of these; core/src/trace/trace_json.cpp alone turns them into the trace's JSON.
//
// A connection reports five of them (ConnEvent: state, timer, note, discard, buffers) through
// tcp::Io::record, without a time or names; the host that owns it adds the time, its own name and
// the connection's, and records a TraceEvent. The host records queue, note, discard, state and
// send events of its own; the simulator deliver and drop; the scenario runner call, return,
// signal, action, note and the send of an injected segment.
#pragma once

#include "tcplab/segment.hpp"
#include "tcplab/state.hpp"
#include "tcplab/time.hpp"
#include "tcplab/timers.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace tcplab {

// Why a sent segment's numbers are what they are, as the sender knew it: a send event's "why"
// (CONTRACTS.md, "Trace"). `*_after` are segment ids, 0 = absent.
struct SendWhy {
    enum class SeqRule : std::uint8_t {
        Isn,             // a SYN carries the ISS
        Next,            // SND.NXT after segment `seq_after`
        Retransmission,  // repeats segment `seq_after`
        SndNxt,          // nothing new: SND.NXT (`seq_after` advanced it, if not the SYN)
        Probe,           // keepalive probe: SND.UNA - 1
        FromAck,         // RST for a segment with ACK: its SEG.ACK (RFC 9293 §3.10.7.1)
        Zero,            // RST,ACK for a segment without ACK: 0
        Cookie,          // a SYN cookie (RFC 4987 §3.6)
    };
    enum class AckRule : std::uint8_t {
        None,    // no ACK flag
        RcvNxt,  // RCV.NXT, advanced by the peer's segment `ack_after`
        SegEnd,  // SEG.SEQ + SEG.LEN of segment `ack_after` (RST,ACK for a segment without ACK)
    };
    SeqRule seq = SeqRule::SndNxt;
    std::uint32_t seq_after = 0;
    AckRule ack = AckRule::None;
    std::uint32_t ack_after = 0;
};

namespace ev {

// ---- what a connection reports (and the host, for its own records)

// A connection changes state ("state").
struct StateChange {
    State from, to;
    std::string cause;
    std::uint32_t sent = 0;  // the segment sent with the transition; 0 = none (set by the host)
};
// A timer is set, fires or is cancelled ("timer").
struct Timer {
    enum class Action : std::uint8_t { Set, Fire, Cancel };
    TimerName timer;
    Action action;
    Time expires = -1;  // with Set
};
// An explanation in the engine's catalogue ("note").
struct Note {
    const char* code;
    nlohmann::ordered_json args = nlohmann::ordered_json::object();
};
// An arrived segment thrown away ("discard"); names no connection.
struct Discard {
    std::uint32_t seg_id;
    const char* reason;
};
// Send-Q and Recv-Q as `ss` shows them ("buffers").
struct Buffers {
    std::size_t recv_q, send_q;
};

// ---- the host's, the network's and the applications' events

// A listener's queues ("queue"), as `ss -ltn` and Linux's limits see them.
struct Queue {
    std::string listener;
    std::uint32_t syn_queue = 0;
    int backlog = 0;
    int syn_max = 0;
    std::size_t accept_queue = 0;
    int accept_max = 0;
};

// A segment put on the wire ("send"): its header as sent (no payload bytes), and what the
// sender knew about its numbers.
struct Send {
    struct Header {
        std::uint32_t id = 0;
        Addr src, dst;
        std::uint8_t flags = 0;
        Seq seq = 0, ack = 0;
        std::uint16_t window = 0;
        std::uint32_t len = 0, hlen = 0;
        TcpOptions opts;
    };
    // Relative numbers: "seq" from the sender's ISS, "ack" (with the ACK flag) from the peer's.
    struct Rel {
        Seq seq = 0;
        std::optional<Seq> ack;
    };
    Header seg;
    std::optional<Rel> rel;
    bool retransmission = false;
    std::uint32_t retransmission_of = 0;  // with retransmission; 0 = absent
    std::optional<SendWhy> why;           // absent on an injected segment
    bool injected = false;
    // The network lost the segment as it left: a "drop" event with this reason follows the
    // send event at once.
    const char* dropped = nullptr;

    static Header header(const Segment& s);
    // The relative numbers of `s` counted from `iss` and `irs`.
    static Rel rel_of(const Segment& s, Seq iss, Seq irs);
};

// A segment arrives at a host ("deliver").
struct Deliver {
    std::uint32_t seg_id = 0;
    bool duplicate = false;
};
// A segment lost in the network ("drop"); names no host.
struct Drop {
    std::uint32_t seg_id = 0;
    const char* reason = "";
};

// An application calls the socket API ("call"). `iteration` 0 = not a repeated step.
struct Call {
    std::string app;
    const char* call = "";
    std::string sock;  // empty = none
    nlohmann::ordered_json args;
    long iteration = 0;
};
// The call returns ("return"), with what each call adds.
struct Return {
    std::string app;
    const char* call = "";
    std::string sock;  // empty = none
    long result = 0;
    Errno err = Errno::ok;
    std::optional<std::string> new_sock, peer;        // accept
    std::optional<std::string> local;                 // connect
    std::optional<std::string> data;                  // recv, when printable
    std::optional<std::vector<const char*>> revents;  // poll
    std::optional<Errno> value;                       // getsockopt(SO_ERROR): 0 or its name
    long iteration = 0;
};
// A signal delivered to an application ("signal").
struct Signal {
    std::string app;
    const char* signal = "";
    const char* action = "";  // "ignored", "terminate"
};
// A scenario's host event ("action"): crash, reboot, unplug, plug.
struct Action {
    std::string action;
};

}  // namespace ev

using ConnEvent = std::variant<ev::StateChange, ev::Timer, ev::Note, ev::Discard, ev::Buffers>;

// One event of the trace: when, where, and what. `host` is written for every kind but drop;
// `conn` for state, timer and buffers, and for note and send when it is not empty.
struct TraceEvent {
    using What = std::variant<ev::Call, ev::Return, ev::Send, ev::Deliver, ev::Drop, ev::Discard,
                              ev::StateChange, ev::Timer, ev::Queue, ev::Buffers, ev::Action,
                              ev::Signal, ev::Note>;
    Time t = 0;
    std::string host;
    std::string conn;
    What what;
};

}  // namespace tcplab
