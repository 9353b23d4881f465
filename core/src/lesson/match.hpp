// The trace as the resolver reads it, and event matchers (docs/LESSONS.md "Matchers"):
// {"kind": "send", "host": "server", "flags": "SYN,ACK", "nth": 2} finds an event by subset.
#pragma once

#include "document.hpp"

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>

namespace tcplab::lesson::detail {

// The trace's events plus a map from segment id to the send event that carries it, so that
// deliver/drop/discard events can be matched by the segment they concern.
class TraceIndex {
public:
    explicit TraceIndex(const ojson& trace);
    std::size_t size() const { return events_->size(); }
    const ojson& event(std::size_t i) const { return (*events_)[i]; }
    const ojson& trace() const { return trace_; }

    // The segment an event concerns: its own "seg" (send), or the sent segment named by seg_id.
    const ojson* segment_of(const ojson& e) const;
    // The rel {seq, ack} of the send event behind an event, if any.
    const ojson* rel_of(const ojson& e) const;

private:
    const ojson& trace_;
    const ojson* events_;
    std::unordered_map<std::int64_t, std::size_t> send_of_seg_;
};

// "SYN, ack" -> {"ACK", "SYN"}: names upper-cased, as written (not checked).
std::set<std::string> parse_flag_set(const std::string& text);
// The flags of a trace segment (an array of names, or a comma set).
std::set<std::string> event_flag_set(const ojson& flags);
// "SYN,ACK": the trace's flags written as a comma set in the trace's bit order.
std::string canonical_flags(const std::set<std::string>& flags);

// Numbers, strings, booleans, null and arrays of them; numbers compare as numbers.
bool scalar_equal(const json& wanted, const ojson& actual);

// Does event `index` match? "nth" is ignored here (find_in counts it).
bool matches(const json& matcher, const TraceIndex& ti, std::size_t index);

// The matcher's nth (default 1st) matching event in [from, end).
std::optional<std::size_t> find_in(const json& matcher, const TraceIndex& ti, std::size_t from,
                                   std::size_t end);

// The matcher's shape: an object, known kinds and flags, times >= 0, a field besides "nth".
void validate_matcher(const json& m, const std::string& file, const std::string& pointer);

// A matcher as an error message quotes it.
std::string describe(const json& matcher);

// Validates the matcher and finds its event at or after `from`; an error at `pointer` if none.
std::size_t locate(const json& matcher, const TraceIndex& ti, std::size_t from,
                   const std::string& file, const std::string& pointer);

}  // namespace tcplab::lesson::detail
