// Embind bindings for the engine's front door (core/include/tcplab/run.hpp).
// Other parts of the module live in their own files (lesson_bindings.cpp, capture_bindings.cpp);
// the JS-facing types of all of them are in tcplab.d.mts.
#include "js_error.hpp"

#include "tcplab/catalog.hpp"
#include "tcplab/churn.hpp"
#include "tcplab/run.hpp"

#include <emscripten/bind.h>

#include <string>

namespace {

// Runs a scenario (or a lesson's "scenario" member) given as JSON text; `file` names the input
// in error messages. Returns the trace as compact JSON text, the same bytes as
// `tcplab run --json`. Invalid input throws a JS Error whose message is the engine's: the text
// goes through tcplab::parse_json and the scenario loader, the same checks and limits as the
// CLI's, and running out of wasm memory is reported as such (an InputError), not as a crash.
std::string run_scenario(const std::string& text, const std::string& file) {
    return tcplab::wasm::js_errors([&] { return tcplab::run_scenario_text(text, file); });
}

std::string version() { return TCPLAB_VERSION; }

// The engine's message catalogue (states, timers, errno meanings, note templates; en + zh-CN).
std::string catalog() {
    return tcplab::wasm::js_errors([] { return tcplab::catalog().dump(); });
}

// The benchmark workload (bench/WORKLOAD.md) for wasm/bench/churn.mjs; returns its counters as
// JSON text. The caller measures the wall-clock time.
std::string bench_churn(int n) {
    return tcplab::wasm::js_errors([n] {
        const tcplab::ChurnResult r = tcplab::run_churn(static_cast<std::size_t>(n < 1 ? 1 : n));
        nlohmann::ordered_json j;
        j["n"] = r.n;
        j["completed"] = r.completed;
        j["events"] = r.events;
        j["segments"] = r.segments;
        j["peak_time_wait"] = r.peak_time_wait;
        j["simulated_s"] = r.simulated_seconds;
        return j.dump();
    });
}

}  // namespace

EMSCRIPTEN_BINDINGS(tcplab_core) {
    emscripten::function("benchChurn", &bench_churn);
    emscripten::function("runScenario", &run_scenario);
    emscripten::function("version", &version);
    emscripten::function("catalog", &catalog);
}
