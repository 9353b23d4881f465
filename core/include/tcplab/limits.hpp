// What one input and one run may use (docs/CONTRACTS.md, "Limits"), shared by the scenario
// loader, the runner and every front door that reads input.
#pragma once

#include "tcplab/time.hpp"

#include <cstddef>

namespace tcplab {

// Each bound keeps memory and time proportional to what a scenario asks for and well inside what
// a browser tab has (a wasm heap of at most 2 GiB); each error that reports one names it with
// its value.
struct Limits {
    std::size_t input_bytes = 16u << 20;  // the JSON text; the largest lesson is under 50 KB
    std::size_t nesting_depth = 64;       // arrays/objects inside each other; lessons need 9
    std::size_t hosts = 1000;             // the simulator finds a segment's host by a linear search
    std::size_t apps = 100'000;           // 100,000 one-connection clients run in a few seconds
    std::size_t steps = 1'000'000;        // all apps' steps together
    std::size_t events = 100'000;         // the scenario's "events" list
    std::size_t faults = 1000;            // each sent segment is compared with every fault
    std::size_t payload_bytes = 64u << 20;  // all "send" data and injected "len" together
    // Linux's fs.nr_open default: the most descriptors one process can have.
    std::size_t sockets_per_host = 1u << 20;
    std::size_t connections = 200'000;          // open TCBs on all hosts at one moment
    std::size_t trace_events = 1'000'000;       // recorded trace events (about 1 KB each in memory)
    std::size_t echoed_text_bytes = 64u << 20;  // "text" the trace repeats with each send call
    Time simulated_time = sec(7 * 86400);       // "until_ms"; without it a run stops after a day
};
inline constexpr Limits kLimits{};

}  // namespace tcplab
