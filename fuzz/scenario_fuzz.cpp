// The scenario front door under libFuzzer: any bytes go through tcplab::run_scenario_text, the
// path of `tcplab run` and the browser's runScenario (parse_json, the scenario loader, a run).
// Invalid input must end as tcplab::InputError; anything else that escapes (another exception,
// a sanitizer report, a crash) is a bug, and libFuzzer keeps the input that caused it.
//
// Runs are bounded (RunBounds) so each input takes milliseconds: at most 60 s of simulated time
// and 5,000 engine events (a step repeated at one instant costs one event per call).
#include "tcplab/run.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    tcplab::RunBounds bounds;
    bounds.until = tcplab::sec(60);
    bounds.max_events = 5'000;
    std::string trace;
    try {
        trace = tcplab::run_scenario_text(text, "fuzz.json", bounds);
    } catch (const tcplab::InputError& e) {
        // The contract for a message: it names the file, and it is short.
        const std::string_view what = e.what();
        if (what.rfind("fuzz.json: ", 0) != 0 || what.size() > 600) std::abort();
        return 0;
    }
    // The trace is what the player reads: it must be JSON again.
    if (!nlohmann::json::accept(trace)) std::abort();
    return 0;
}
