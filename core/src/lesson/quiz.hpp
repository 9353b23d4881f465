// Quizzes (docs/LESSONS.md "Quizzes"): each stops the playback before a step and asks about
// what that step will show; its answer is computed from the trace, never written by hand
// (conceptual questions aside), and nothing on screen while it is open may give it away.
#pragma once

#include "match.hpp"

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace tcplab::lesson::detail {

// Inclusive event indices of one step.
struct StepRange {
    std::size_t first;
    std::size_t last;
};

// Resolves quiz `qi` of /quizzes: its step, its computed answer and evidence, its choices or
// items and its texts. `out_steps` and `earlier_quizzes` are what the page shows with it.
ojson resolve_quiz(const json& quiz, std::size_t qi, const TraceIndex& ti,
                   const std::vector<StepRange>& ranges,
                   const std::map<std::string, std::size_t>& step_ids, const ojson& out_steps,
                   const ojson& earlier_quizzes, const ojson& lesson_texts,
                   const std::map<std::string, ojson>& values_in, const std::string& file);

// The answer is one the player's controls can give: flags it offers, one of the eleven
// states, a finite number.
void check_answerable(const std::string& kind, const ojson& answer, const std::string& file,
                      const std::string& p);

// Nothing shown while the quiz is open (events, narration, prompt, earlier quizzes) names or
// shows the answer.
void check_answer_hidden(const json& quiz, const ojson& out, const ojson& answer,
                         const std::optional<std::size_t>& evidence, const TraceIndex& ti,
                         const std::vector<StepRange>& ranges, std::size_t step,
                         const ojson& out_steps, const ojson& earlier_quizzes,
                         const ojson& lesson_texts, const std::string& file, const std::string& p);

}  // namespace tcplab::lesson::detail
