// A lesson's parameters (docs/LESSONS.md "Parameters"): their specs, the values a run uses
// (explicit, drawn from a seed, or the defaults) and their substitution into the lesson.
#pragma once

#include "document.hpp"

namespace tcplab::lesson::detail {

// /params: each spec is {"label", "min", "max", "default"} or {"label", "values", "default"}.
void validate_params(const json& params, const std::string& file);

// The value of every parameter for this run: options.params where given (checked against the
// spec), else drawn with options.seed, else the default. One seed gives one set of values.
json choose_params(const json& specs, const json& options, const std::string& file);

// Replaces every {"$param": "name"} below `node` by the parameter's value.
void substitute(json& node, const json& values, const std::string& file,
                const std::string& pointer);

}  // namespace tcplab::lesson::detail
