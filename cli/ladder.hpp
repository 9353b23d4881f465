// An ASCII ladder (time-sequence) diagram of a trace: one lifeline per host, time flowing
// down, each segment an arrow with its flags and sequence numbers relative to each ISN, each
// side's state after each event, and the application's calls in the right margin.
#pragma once

#include <nlohmann/json.hpp>

#include <cstddef>
#include <functional>
#include <ostream>
#include <string>

namespace tcplab_cli {

struct LadderOptions {
    bool absolute = false;    // absolute sequence numbers instead of relative ones
    std::string lang = "en";  // language of the notes' words: en or zh-CN
    int column = 34;          // width of one host's column
    // Called before event `index` is drawn, e.g. to print a lesson step's narration there.
    std::function<void(std::size_t index, std::ostream& out)> before_event;
};

void print_ladder(const nlohmann::ordered_json& trace, std::ostream& out, const LadderOptions& opt);

}  // namespace tcplab_cli
