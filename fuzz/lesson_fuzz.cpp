// The lesson resolver under libFuzzer: any bytes are read by tcplab::parse_json (as the browser's
// resolveLesson reads them) and resolved with tcplab::lesson::resolve_lesson_with, whose
// scenario runs through the same loader as `tcplab run`, bounded so each input is fast.
// Invalid input must end as tcplab::InputError; anything else that escapes is a bug.
#include "tcplab/lesson.hpp"
#include "tcplab/run.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

namespace {

// resolve_lesson()'s runner, with bounds: the scenario member alone, its error pointers
// re-rooted at /scenario.
nlohmann::ordered_json bounded_run(const nlohmann::json& doc, const std::string& file) {
    tcplab::RunBounds bounds;
    bounds.until = tcplab::sec(60);
    bounds.max_events = 5'000;
    auto it = doc.find("scenario");
    if (it == doc.end()) throw tcplab::InputError(file + ": /scenario: expected a scenario");
    try {
        return tcplab::run_scenario(*it, file, bounds);
    } catch (const tcplab::InputError& e) {
        const std::string msg = e.what();
        const std::string prefix = file + ": ";
        if (msg.rfind(prefix, 0) == 0 && msg.size() > prefix.size() &&
            (msg[prefix.size()] == '/' || msg[prefix.size()] == ':'))
            throw tcplab::InputError(prefix + "/scenario" + msg.substr(prefix.size()));
        throw;
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    try {
        const nlohmann::json lesson = tcplab::parse_json(text, "fuzz.json");
        // Odd-sized inputs also try training mode, where parameters are drawn from a seed.
        const nlohmann::json options =
            size % 2 ? nlohmann::json{{"seed", size % 7}} : nlohmann::json::object();
        const nlohmann::ordered_json out =
            tcplab::lesson::resolve_lesson_with(lesson, "fuzz.json", options, bounded_run);
        if (!nlohmann::json::accept(out.dump())) std::abort();
    } catch (const tcplab::InputError&) {}
    return 0;
}
