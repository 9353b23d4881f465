#include "tcplab/run.hpp"

#include "tcplab/runner.hpp"
#include "tcplab/scenario.hpp"

namespace tcplab {

std::string json_pointer_token(const std::string& key) {
    std::string out;
    for (char c : key) {
        if (c == '~')
            out += "~0";
        else if (c == '/')
            out += "~1";
        else
            out += c;
    }
    return out;
}

namespace {
// A lesson with parameters runs with their default values when it is run as a scenario (the
// lesson resolver substitutes chosen values itself before it calls run_scenario).
void substitute_defaults(nlohmann::json& node, const nlohmann::json& params) {
    if (node.is_object()) {
        if (node.size() == 1 && node.contains("$param") && node["$param"].is_string()) {
            const std::string name = node["$param"].get<std::string>();
            if (params.contains(name) && params[name].is_object() &&
                params[name].contains("default"))
                node = params[name]["default"];
            return;
        }
        for (auto& [_, v] : node.items()) substitute_defaults(v, params);
    } else if (node.is_array()) {
        for (auto& v : node) substitute_defaults(v, params);
    }
}
}  // namespace

nlohmann::ordered_json run_scenario(const nlohmann::json& doc_in, const std::string& file) {
    const nlohmann::json* docp = &doc_in;
    nlohmann::json substituted;
    if (doc_in.is_object() && doc_in.contains("scenario") && doc_in.contains("params") &&
        doc_in["params"].is_object()) {
        substituted = doc_in;
        substitute_defaults(substituted["scenario"], doc_in["params"]);
        docp = &substituted;
    }
    const nlohmann::json& doc = *docp;
    const Scenario sc = load_scenario(doc, file);
    Runner runner(sc, true, file);
    if (!runner.run())
        throw InputError(file + ": " +
                         (doc.contains("scenario") ? "/scenario" : std::string("(root)")) +
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
                         std::string(e.what()).substr(
                             std::string(e.what()).find("syntax error") == std::string::npos
                                 ? 0
                                 : std::string(e.what()).find("syntax error")) +
                         ")");
    }
    return run_scenario(doc, file).dump();
}

}  // namespace tcplab
