// The engine's front door: scenario JSON in, trace JSON out (see docs/CONTRACTS.md).
//
// Every way in (the CLI, the browser's bindings, the lesson resolver, the fuzzers) reads its
// text with parse_json and runs it with run_scenario, so one set of checks and one set of
// limits applies everywhere, and every problem with the input is an InputError.
#pragma once

#include "tcplab/error.hpp"
#include "tcplab/time.hpp"

#include <nlohmann/json.hpp>

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace tcplab {

// What one input and one run may use (docs/CONTRACTS.md, "Limits"). Each bound keeps memory and
// time proportional to what a scenario asks for and well inside what a browser tab has (a wasm
// heap of at most 2 GiB); each error that reports one names it with its value.
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

// Parses JSON text within the limits above: at most input_bytes, nested at most nesting_depth
// deep, every number within what a double holds. Throws InputError "<file>: byte N: ..."
// naming the 1-based byte where the text went wrong.
nlohmann::json parse_json(std::string_view text, const std::string& file);

// Bounds for one run, tighter than the scenario's own "until_ms" and "max_events" (fuzzers and
// random tests use them to keep each run short). Unset means the scenario's own values.
struct RunBounds {
    std::optional<Time> until;
    std::optional<std::size_t> max_events;
    std::optional<std::size_t> trace_events;  // below kLimits.trace_events (tests use it)
};

// Runs a scenario, or a lesson (its "scenario" member), and returns the trace.
// `file` names the input in error messages. Throws InputError on invalid input, including a
// run that exceeds a limit or cannot get the memory it needs (std::bad_alloc).
nlohmann::ordered_json run_scenario(const nlohmann::json& doc, const std::string& file);
nlohmann::ordered_json run_scenario(const nlohmann::json& doc, const std::string& file,
                                    const RunBounds& bounds);

// The same from text: parses with parse_json, runs, and returns the trace serialised as compact
// JSON. Same input, same bytes, on every platform.
std::string run_scenario_text(std::string_view text, const std::string& file);
std::string run_scenario_text(std::string_view text, const std::string& file,
                              const RunBounds& bounds);

// The message for a run that could not get memory, shared by every front door.
std::string out_of_memory_message(const std::string& file);

}  // namespace tcplab
