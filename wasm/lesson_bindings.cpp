// Embind bindings for the lesson resolver (core/include/tcplab/lesson.hpp).
// The JS-facing type is declared in tcplab.d.mts:
//   resolveLesson(text: string, file: string, optionsJson: string): string
#include "js_error.hpp"

#include "tcplab/lesson.hpp"

#include <emscripten/bind.h>

#include <new>
#include <string>

namespace {

// Resolves a lesson given as JSON text. `file` names it in error messages; `options_json` is
// "" or {"params": {...}} / {"seed": n}. Returns the resolved lesson (docs/LESSONS.md) as
// compact JSON text: lesson metadata, the parameter values used, the engine's trace, the steps
// as event ranges and the quizzes with their computed answers and evidence.
// Invalid input throws a JS Error "<file>: <JSON pointer>: <what was expected>".
// Both texts are read by tcplab::parse_json, the engine's one bounded parser (its size, depth
// and number limits), before the resolver sees them; the lesson's scenario then goes through
// the scenario loader inside the resolver.
std::string resolve_lesson(const std::string& text, const std::string& file,
                           const std::string& options_json) {
    return tcplab::wasm::js_errors([&] {
        try {
            const nlohmann::json lesson = tcplab::parse_json(text, file);
            nlohmann::json options = nlohmann::json::object();
            if (options_json.find_first_not_of(" \t\r\n") != std::string::npos)
                options = tcplab::parse_json(options_json, "options");
            return tcplab::resolve_lesson(lesson, file, options).dump();
        } catch (const std::bad_alloc&) {
            throw tcplab::InputError(tcplab::out_of_memory_message(file));
        }
    });
}

}  // namespace

EMSCRIPTEN_BINDINGS(tcplab_lessons) { emscripten::function("resolveLesson", &resolve_lesson); }
