// Virtual time. The engine never reads a wall clock: time is microseconds since the start of a run.
#pragma once

#include <cstdint>

namespace tcplab {

using Time = std::int64_t;  // microseconds of virtual time

constexpr Time us(std::int64_t n) { return n; }
constexpr Time ms(std::int64_t n) { return n * 1000; }
constexpr Time sec(std::int64_t n) { return n * 1000 * 1000; }

}  // namespace tcplab
