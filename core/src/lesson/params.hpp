// A lesson's parameters (docs/LESSONS.md "Parameters"): their specs, the values a run uses
// (explicit, drawn from a seed, or the defaults) and their substitution into the lesson.
#pragma once

#include "document.hpp"

namespace tcplab::lesson::detail {

// /params: each spec is {"label", "min", "max", "default"} or {"label", "values", "default"}.
void validate_params(const json& params, const std::string& file);

// The value of every parameter for this run: options.params where given (checked against the
// spec), else drawn with options.seed, else the default. One seed gives one set of values.
// (tcplab/lesson_param.hpp puts them in.)
json choose_params(const json& specs, const json& options, const std::string& file);

}  // namespace tcplab::lesson::detail
