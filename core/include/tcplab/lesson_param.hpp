// {"$param": "name"} placeholders (docs/LESSONS.md "Parameters"): a lesson's scenario, steps,
// quizzes and facts may stand for a parameter's value. One substitution serves the lesson
// resolver (the chosen values) and a lesson run as a plain scenario (the defaults).
#pragma once

#include "tcplab/error.hpp"

#include <nlohmann/json.hpp>

#include <string>

namespace tcplab {

// What a placeholder whose name has no value becomes.
enum class UnknownParam {
    fail,  // an InputError "<file>: <pointer>/$param: expected the name of a parameter ..."
    keep,  // left as it is, for the scenario's own checks to report where a value was expected
};

// Replaces every {"$param": "name"} (an object with that one member) below `node` by
// values["name"]; a replaced value is not searched again. `pointer` is node's JSON pointer in
// `file`, for the error a placeholder without a value raises.
void substitute_params(nlohmann::json& node, const nlohmann::json& values, const std::string& file,
                       const std::string& pointer, UnknownParam unknown = UnknownParam::fail);

// {"name": default} for every parameter spec in `params` that is an object with a "default".
nlohmann::json param_defaults(const nlohmann::json& params);

}  // namespace tcplab
