// The scenario loader's state while it reads one document, shared by the files that read its
// parts: load.cpp (the document, hosts and link), events.cpp (faults and timed events),
// apps.cpp (apps and what every step has in common) and calls.cpp (each call's own members).
#pragma once

#include "json_node.hpp"

#include "tcplab/scenario.hpp"

#include <cstddef>
#include <string>
#include <unordered_map>
#include <vector>

namespace tcplab::scenario {

// Who creates a handle on one host: the first app that does (and at which step), and whether
// another app does too. Threads of one process share descriptors, so a handle another app
// creates may be used at any step; one only this app creates must come from an earlier step.
struct HandleOrigin {
    std::size_t app = 0;
    std::size_t first_step = 0;
    bool other_apps = false;
};

struct Loader {
    const std::string& file;
    Scenario sc;
    std::unordered_map<std::string, int> host_index;
    std::unordered_map<std::string, int> app_index;
    std::vector<std::unordered_map<std::string, HandleOrigin>> handles;  // per host
    std::size_t payload = 0;  // bytes of send data and injected payloads so far

    explicit Loader(const std::string& f) : file(f) {}

    // Adds `bytes` to the scenario's payload; fails at `n` when the total passes the limit.
    void count_payload(const Node& n, std::size_t bytes);
    // The index of the host `n` names.
    int host_ref(const Node& n);
    // "server:80" or "10.0.0.2:80".
    Addr endpoint(const Node& n);

    // load.cpp
    void hosts(const Node& root);
    void link(const Node& root);
    // events.cpp
    void faults(const Node& root);
    void events(const Node& root);
    // apps.cpp
    void apps(const Node& root);

private:
    void survey_apps(const Node& apps);
    void step(const Node& s, AppSpec& app, std::size_t app_no, std::size_t index);
    void timing(const Node& s, StepSpec& st);
};

// What a call's reader works with: the step's members, the step being built (its handles and
// the arguments the trace echoes) and the loader (host names, the payload limit).
struct StepReader {
    Loader& loader;
    const Node& s;
    StepSpec& st;
    // Echoes member `key`, if present, in the call's trace events.
    void echo(const char* key) const {
        if (s.has(key)) st.args[key] = s.at(key).value();
    }
};

// One row of the call table (calls.cpp): a call's name, every member a step making it may have,
// and its reader. "sock" (the handle it works on) and "as" (the handle it creates) are
// required wherever a call takes them, and read before the call's own members.
struct CallRow {
    const char* name = nullptr;
    std::vector<const char*> members;
    bool uses_sock = false;
    bool creates_handle = false;
    StepCall (*read)(const StepReader&) = nullptr;
};

// The row of the call that step `s` names in "call"; fails when it is missing or unknown.
const CallRow& call_row(const Node& s);

// Payload for {"bytes": N} and injected "len": printable and recognisable in a capture.
std::string generated_bytes(std::size_t n);

}  // namespace tcplab::scenario
