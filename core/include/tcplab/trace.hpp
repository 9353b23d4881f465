// The trace: everything that happens in a run, as an ordered list of events. It is the one
// contract between the engine and every renderer (CLI ladder, web player, pcap writer).
//
// Event kinds (CONTRACTS.md, "Trace"): call, return, send, deliver, drop, discard, state, timer,
// queue, buffers, action, signal, note. Every event starts with "t_us" and "kind"; events are in
// time order and ties keep the order in which the engine produced them.
//
// Events are recorded as typed values (tcplab/trace_event.hpp) and written as JSON in one place,
// core/src/trace/trace_json.cpp, when json() is asked for. Two facts are learnt after their event
// is recorded, and are set on it by index: a state event's "sent" (the segment that goes with the
// transition may be sent just after it) and a send that the network dropped at once.
#pragma once

#include "tcplab/segment.hpp"
#include "tcplab/time.hpp"
#include "tcplab/trace_event.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <limits>
#include <vector>

namespace tcplab {

using ojson = nlohmann::ordered_json;

class Trace {
public:
    // The index add() returns when tracing is off.
    static constexpr std::size_t kNone = std::numeric_limits<std::size_t>::max();

    explicit Trace(bool enabled = true) : on_(enabled) {}

    bool on() const { return on_; }

    // Records an event; returns its index for the setters below (kNone when tracing is off,
    // when the event is only counted).
    std::size_t add(TraceEvent&& e);
    // Counts an event that was not recorded (tracing off) so benchmarks can report totals.
    void count() { ++count_; }

    // The segment sent with the transition of state event `i` ("sent").
    void set_sent(std::size_t i, std::uint32_t seg_id);
    // The relative numbers of send event `i`, when they are known only after it was recorded.
    void set_rel(std::size_t i, const ev::Send::Rel& rel);
    // The network dropped the segment of send event `i` as it left: a drop event follows it.
    void set_dropped(std::size_t i, const char* reason);

    // Every event, recorded or only counted (a drop set on a send counts as one).
    std::size_t size() const { return count_; }
    const std::vector<TraceEvent>& events() const { return events_; }
    // The "events" array of the trace (trace_json.cpp).
    ojson json() const;

private:
    bool on_;
    std::size_t count_ = 0;
    std::vector<TraceEvent> events_;
};

}  // namespace tcplab
