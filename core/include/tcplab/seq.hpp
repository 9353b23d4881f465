// 32-bit sequence numbers compared modulo 2^32 (RFC 9293 §3.4).
//
// Sequence space wraps: 0xFFFFFFF0 comes *before* 0x10. Every comparison in the engine goes
// through these helpers; a plain `<` on sequence numbers is a bug.
#pragma once

#include <cstdint>

namespace tcplab {

using Seq = std::uint32_t;

// a < b in sequence space (RFC 9293 §3.4: "=<" and "<" are modulo 2**32).
constexpr bool seq_lt(Seq a, Seq b) { return static_cast<std::int32_t>(a - b) < 0; }
constexpr bool seq_le(Seq a, Seq b) { return static_cast<std::int32_t>(a - b) <= 0; }
constexpr bool seq_gt(Seq a, Seq b) { return seq_lt(b, a); }
constexpr bool seq_ge(Seq a, Seq b) { return seq_le(b, a); }
// lo <= x < hi, the window test of RFC 9293 §3.10.7.4 (Table 6).
constexpr bool seq_in(Seq x, Seq lo, Seq hi) { return seq_le(lo, x) && seq_lt(x, hi); }
constexpr Seq seq_max(Seq a, Seq b) { return seq_lt(a, b) ? b : a; }
// Distance from a to b going forward (b - a mod 2^32).
constexpr std::uint32_t seq_diff(Seq b, Seq a) { return b - a; }

}  // namespace tcplab
