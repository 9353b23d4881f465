// The engine's front door: scenario JSON in, trace JSON out (see docs/CONTRACTS.md).
//
// Every way in (the CLI, the browser's bindings, the lesson resolver, the fuzzers) reads its
// text with parse_json and runs it with run_scenario, so one set of checks and one set of
// limits applies everywhere, and every problem with the input is an InputError.
#pragma once

#include "tcplab/error.hpp"
#include "tcplab/limits.hpp"
#include "tcplab/time.hpp"

#include <nlohmann/json.hpp>

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace tcplab {

// Parses JSON text within the limits of limits.hpp: at most input_bytes, nested at most
// nesting_depth deep, every number within what a double holds. Throws InputError "<file>: byte N:
// ..." naming the 1-based byte where the text went wrong.
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
