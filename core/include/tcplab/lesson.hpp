// Lessons: a scenario the engine runs, plus steps and quizzes that point into its trace.
//
// A lesson file carries only narration, highlights and quizzes; every fact it teaches (a state,
// a flag, a seq/ack, a time, an errno) is computed here from the engine's trace. The format is
// documented in docs/LESSONS.md and lessons/schema.json. The same resolver serves the CLI, the
// browser (wasm/lesson_bindings.cpp) and the tests.
#pragma once

#include "tcplab/run.hpp"

#include <nlohmann/json.hpp>

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tcplab {

// Resolves a lesson: picks parameter values, substitutes them into the scenario, runs the
// engine, cuts the trace into steps and computes every quiz answer and its evidence.
//
// options (all optional):
//   {"params": {"name": value, ...}}  explicit parameter values (checked against their ranges)
//   {"seed": n}                       picks every parameter not given explicitly, reproducibly
//
// Returns {"lesson": {...}, "params": {...}, "trace": {...}, "steps": [...], "quizzes": [...]}
// (docs/LESSONS.md "Resolved lesson"). Throws InputError "<file>: <JSON pointer>: <expected>" for
// an invalid lesson, including a step or quiz that does not fit the trace the engine produced.
nlohmann::ordered_json resolve_lesson(const nlohmann::json& lesson, const std::string& file,
                                      const nlohmann::json& options);

// The same from text (lesson JSON and options JSON; empty options text means {}); returns the
// resolved lesson as compact JSON text. Parse errors are InputErrors with the byte offset.
std::string resolve_lesson_text(std::string_view lesson_text, const std::string& file,
                                std::string_view options_text);

namespace lesson {

// Runs a (parameter-substituted) lesson document and returns its trace. resolve_lesson uses
// tcplab::run_scenario; tests pass hand-made traces through resolve_lesson_with.
using Runner =
    std::function<nlohmann::ordered_json(const nlohmann::json& lesson, const std::string& file)>;

nlohmann::ordered_json resolve_lesson_with(const nlohmann::json& lesson, const std::string& file,
                                           const nlohmann::json& options, const Runner& run);

// The event matcher (docs/LESSONS.md "Matchers"): does trace event `index` match `matcher`?
// Keys are compared by subset; "seg" on deliver/drop/discard events compares the segment they
// carry; "flags" is an exact comma set ("SYN,ACK"; PSH ignored unless named); "has_flags" needs
// the named flags; "after_ms"/"before_ms" bound the time. "nth" is not a field (see find_event).
bool event_matches(const nlohmann::json& matcher, const nlohmann::ordered_json& trace,
                   std::size_t index);

// The index of the matcher's nth (default 1st) matching event at or after `from`, if any.
std::optional<std::size_t> find_event(const nlohmann::json& matcher,
                                      const nlohmann::ordered_json& trace, std::size_t from);

// A fact query (docs/LESSONS.md "Fact queries") evaluated over a trace. `scope_first` is where
// matchers with the default scope start searching and `scope_last` the default "at" moment
// (the quiz's step). Returns {"value": v, "evidence": index}. Throws InputError at `pointer`.
nlohmann::ordered_json evaluate_fact(const nlohmann::json& query,
                                     const nlohmann::ordered_json& trace, std::size_t scope_first,
                                     std::size_t scope_last, const std::string& file,
                                     const std::string& pointer);

// Style rules for shipped lessons that the resolver does not enforce: no number is written
// into a text (docs/LESSONS.md "Texts"). Returns one "<file>: <pointer>: ..." line per finding.
std::vector<std::string> lint_lesson(const nlohmann::json& lesson, const std::string& file);

}  // namespace lesson
}  // namespace tcplab
