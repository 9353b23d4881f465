// A step's or a quiz's "checks" (docs/LESSONS.md "Checks"): claims its texts make about the
// run, each verified against the trace.
#pragma once

#include "match.hpp"

namespace tcplab::lesson::detail {

// Does a computed value equal an author's value? Flag sets compare as sets ("ACK,SYN" equals
// "SYN,ACK"), numbers as numbers, segments field by field.
bool values_equal(const ojson& a, const json& b);

// Verifies owner["checks"] (if any) over the events [first, last] of its step.
void verify_checks(const json& owner, const TraceIndex& ti, std::size_t first, std::size_t last,
                   const std::string& file, const std::string& pointer);

}  // namespace tcplab::lesson::detail
