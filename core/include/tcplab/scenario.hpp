// A scenario as JSON (CONTRACTS.md, "Scenario"), loaded and validated into plain structs.
// Every error names the file, the JSON pointer of the bad member and what was expected.
#pragma once

#include "tcplab/error.hpp"
#include "tcplab/isn.hpp"
#include "tcplab/limits.hpp"
#include "tcplab/profile.hpp"
#include "tcplab/segment.hpp"
#include "tcplab/simulator.hpp"
#include "tcplab/step.hpp"
#include "tcplab/time.hpp"

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <vector>

namespace tcplab {

struct HostSpec {
    std::string name;
    std::uint32_t ip = 0;
    Params params;
    IsnSpec isn;
};

struct StepSpec {
    StepCall call;                         // what the step does, with its arguments (step.hpp)
    std::string sock;                      // handle the call works on
    std::string as;                        // handle the call creates (socket, accept)
    std::optional<Time> at;                // not before this absolute time
    std::optional<Time> after;             // this long after the previous step returned
    int after_app = -1, after_index = -1;  // wait for step after_index of app after_app
    enum class Repeat : std::uint8_t { Count, UntilEof, UntilError } repeat_mode = Repeat::Count;
    long repeat = 1;
    nlohmann::ordered_json args = nlohmann::ordered_json::object();  // echoed in the trace
};

struct AppSpec {
    std::string name;
    int host = 0;
    bool sigpipe_ignored = false;  // "sigpipe": "ignore" — otherwise SIGPIPE ends the process
    std::vector<StepSpec> steps;
};

struct EventSpec {
    Time at = 0;
    std::string action;  // crash reboot unplug plug inject
    int host = 0;
    Segment seg;                                   // inject
    std::optional<std::int64_t> rel_seq, rel_ack;  // inject: relative to the connection's ISNs
    std::string ptr;
};

struct Scenario {
    std::string title;
    std::uint64_t seed = 1;
    std::string profile = "linux";
    std::vector<HostSpec> hosts;
    LinkSpec link;
    std::vector<FaultSpec> faults;
    std::vector<AppSpec> apps;
    std::vector<EventSpec> events;
    std::optional<Time> until;
    std::size_t max_events = 5'000'000;
    std::size_t max_trace_events = kLimits.trace_events;  // a run recording more is refused
};

// Loads and validates a scenario, or a lesson's "scenario" member: its shape (what
// core/schema/scenario.schema.json describes), its meaning (every host, app and handle named
// exists, a handle is created before it is used, profiles and sysctls are known, numbers are
// in range, names carry no control characters) and the limits of limits.hpp. Throws InputError
// "<file>: <JSON pointer>: <what was expected>", quoting at most a few dozen characters of a
// bad value and a few names of a long list.
Scenario load_scenario(const nlohmann::json& doc, const std::string& file);

// The JSON pointer of step `step` of app `app`, for messages about a step.
std::string step_pointer(std::size_t app, std::size_t step);

}  // namespace tcplab
