// An ASCII ladder (time-sequence) diagram of a trace: one lifeline per host, time flowing
// down, each segment an arrow with its flags and sequence numbers relative to each ISN, each
// side's state after each event, and the application's calls in the right margin.
#pragma once

#include <nlohmann/json.hpp>

#include <ostream>

namespace tcplab_cli {

struct LadderOptions {
    bool absolute = false;  // absolute sequence numbers instead of relative ones
    int column = 34;        // width of one host's column
};

void print_ladder(const nlohmann::ordered_json& trace, std::ostream& out, const LadderOptions& opt);

}  // namespace tcplab_cli
