#include "tcplab/run.hpp"

namespace tcplab {

nlohmann::ordered_json run_scenario(const nlohmann::json& doc, const std::string& file) {
    if (!doc.is_object()) throw InputError(file + ": : expected a JSON object");
    nlohmann::ordered_json trace;
    trace["tcplab"] = 1;
    trace["title"] = doc.value("title", "");
    trace["events"] = nlohmann::ordered_json::array();
    return trace;
}

std::string run_scenario_text(std::string_view text, const std::string& file) {
    nlohmann::json doc;
    try {
        doc = nlohmann::json::parse(text);
    } catch (const nlohmann::json::parse_error& e) {
        throw InputError(file + ": byte " + std::to_string(e.byte) + ": invalid JSON");
    }
    return run_scenario(doc, file).dump();
}

}  // namespace tcplab
