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
    ojson& events() { return events_; }

private:
    bool on_;
    std::size_t count_ = 0;
    ojson events_ = ojson::array();
};

// The "seg" object of a send event.
ojson segment_json(const Segment& s);

}  // namespace tcplab
