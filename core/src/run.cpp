#include "tcplab/run.hpp"

#include "tcplab/runner.hpp"
#include "tcplab/scenario.hpp"

namespace tcplab {

nlohmann::ordered_json run_scenario(const nlohmann::json& doc, const std::string& file) {
    const Scenario sc = load_scenario(doc, file);
    Runner runner(sc, true, file);
    if (!runner.run())
        throw InputError(file + ": " + (doc.contains("scenario") ? "/scenario" : std::string("(root)")) +
                         ": the scenario did not finish within " + std::to_string(sc.max_events) +
                         " events (set \"until_ms\" or \"max_events\")");
    return runner.trace_json();
}

std::string run_scenario_text(std::string_view text, const std::string& file) {
    nlohmann::json doc;
    try {
        doc = nlohmann::json::parse(text);
    } catch (const nlohmann::json::parse_error& e) {
        // nlohmann reports the byte where parsing stopped (1-based).
        throw InputError(file + ": byte " + std::to_string(e.byte) + ": invalid JSON (" +
                         std::string(e.what()).substr(std::string(e.what()).find("syntax error") == std::string::npos
                                                          ? 0
                                                          : std::string(e.what()).find("syntax error")) +
                         ")");
    }
    return run_scenario(doc, file).dump();
}

}  // namespace tcplab
