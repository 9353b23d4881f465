// Embind bindings for the lesson resolver (core/include/tcplab/lesson.hpp).
// The JS-facing type is declared in tcplab.d.mts:
//   resolveLesson(text: string, file: string, optionsJson: string): string
#include "js_error.hpp"

#include "tcplab/lesson.hpp"

#include <emscripten/bind.h>

#include <string>

namespace {

// Resolves a lesson given as JSON text. `file` names it in error messages; `options_json` is
// "" or {"params": {...}} / {"seed": n}. Returns the resolved lesson (docs/LESSONS.md) as
// compact JSON text: lesson metadata, the parameter values used, the engine's trace, the steps
// as event ranges and the quizzes with their computed answers and evidence.
// Invalid input throws a JS Error "<file>: <JSON pointer>: <what was expected>".
std::string resolve_lesson(const std::string& text, const std::string& file,
                           const std::string& options_json) {
    return tcplab::wasm::js_errors(
        [&] { return tcplab::resolve_lesson_text(text, file, options_json); });
}

}  // namespace

EMSCRIPTEN_BINDINGS(tcplab_lessons) { emscripten::function("resolveLesson", &resolve_lesson); }
