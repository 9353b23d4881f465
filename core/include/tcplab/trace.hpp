// The trace: everything that happens in a run, as an ordered list of events. It is the one
// contract between the engine and every renderer (CLI ladder, web player, pcap writer).
//
// Event kinds (CONTRACTS.md, "Trace"): call, return, send, deliver, drop, discard, state, timer,
// queue, buffers, action, signal, note. Every event starts with "t_us" and "kind"; events are in
// time order and ties keep the order in which the engine produced them.
#pragma once

#include "tcplab/segment.hpp"
#include "tcplab/time.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>

namespace tcplab {

using ojson = nlohmann::ordered_json;

class Trace {
public:
    explicit Trace(bool enabled = true) : on_(enabled) {}

    bool on() const { return on_; }

    // A new event with "t_us" and "kind" set; fill the rest and then `add` it.
    static ojson event(Time t, const char* kind) {
        ojson e;
        e["t_us"] = t;
        e["kind"] = kind;
        return e;
    }
    void add(ojson&& e) {
        ++count_;
        if (on_) events_.push_back(std::move(e));
    }
    // Counts an event that was not recorded (tracing off) so benchmarks can report totals.
    void count() { ++count_; }

    std::size_t size() const { return count_; }
    // How many events are recorded: the next one added gets this index in events().
    std::size_t recorded() const { return events_.size(); }
    ojson& events() { return events_; }

private:
    bool on_;
    std::size_t count_ = 0;
    ojson events_ = ojson::array();
};

// The "seg" object of a send event.
ojson segment_json(const Segment& s);

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

// {"seq": {"rule", "after"?}, "ack": {"rule", "after"?}?}
ojson why_json(const SendWhy& w);

}  // namespace tcplab
