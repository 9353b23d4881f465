// Matching a segment's flags against a named flag set, as faults (docs/CONTRACTS.md, "faults")
// and lesson facts (docs/LESSONS.md, "flags") do: the set must be exact, except that PSH is
// ignored unless it is named. When a sender pushes is its own choice (RFC 9293 §3.9.1.2, SEND;
// Linux sets PSH on the last segment of each write), so "ACK" matches a pure ACK and a data
// segment alike, but not a SYN,ACK or a FIN,ACK.
#pragma once

#include <cstdint>

namespace tcplab {

// True when `actual` (a segment's flag bits) is the set `named`, PSH aside unless `named` has it.
bool flags_match(std::uint8_t named, std::uint8_t actual);

}  // namespace tcplab
