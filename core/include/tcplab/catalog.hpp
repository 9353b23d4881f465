// The engine's message catalogue: what every state, timer, errno, note code and discard reason
// of the trace means, in English and Chinese. Renderers translate trace codes through it, so
// the engine stays the one source of truth for TCP facts (the web holds no TCP knowledge).
//
// Shape: {"states": {NAME: {"en", "zh-CN"}}, "timers": {...}, "errno": {...},
//         "notes": {code: {"en", "zh-CN"}} (templates with {arg} placeholders), "discard": {...}}
#pragma once

#include <nlohmann/json.hpp>

namespace tcplab {

nlohmann::ordered_json catalog();

}  // namespace tcplab
