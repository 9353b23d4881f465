// Typed trace events: what a connection reports, as C++ values. The host that owns the
// connection turns them into JSON (Host::record in sim/host_io.cpp, with the writers of
// sim/host_trace.cpp), in the shape CONTRACTS.md ("Trace") describes, adding the time, its name
// and the connection's name.
#pragma once

#include "tcplab/state.hpp"
#include "tcplab/time.hpp"
#include "tcplab/timers.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <variant>

namespace tcplab {

namespace ev {

// A connection changes state ("state").
struct StateChange {
    State from, to;
    std::string cause;
};
// A timer is set, fires or is cancelled ("timer").
struct Timer {
    enum class Action : std::uint8_t { Set, Fire, Cancel };
    TimerName timer;
    Action action;
    Time expires = -1;  // with Set
};
// An explanation in the engine's catalogue ("note").
struct Note {
    const char* code;
    nlohmann::ordered_json args = nlohmann::ordered_json::object();
};
// An arrived segment thrown away ("discard"); names no connection.
struct Discard {
    std::uint32_t seg_id;
    const char* reason;
};
// Send-Q and Recv-Q as `ss` shows them ("buffers").
struct Buffers {
    std::size_t recv_q, send_q;
};

}  // namespace ev

using ConnEvent = std::variant<ev::StateChange, ev::Timer, ev::Note, ev::Discard, ev::Buffers>;

}  // namespace tcplab
