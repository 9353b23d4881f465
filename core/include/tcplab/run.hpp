// The engine's front door: scenario JSON in, trace JSON out (see docs/CONTRACTS.md).
#pragma once

#include <nlohmann/json.hpp>

#include <stdexcept>
#include <string>
#include <string_view>

namespace tcplab {

// Invalid input. what() is "<file>: <JSON pointer>: <what was expected>", ready for a user.
class InputError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// A member name as a JSON pointer token (RFC 6901 §3: "~" is "~0", "/" is "~1"), for the
// pointers in InputError messages.
std::string json_pointer_token(const std::string& key);

// Runs a scenario, or a lesson (its "scenario" member), and returns the trace.
// `file` names the input in error messages. Throws InputError on invalid input.
nlohmann::ordered_json run_scenario(const nlohmann::json& doc, const std::string& file);

// The same from text: parses (a parse error is an InputError with the byte offset), runs,
// and returns the trace serialised as compact JSON. Same input, same bytes, on every platform.
std::string run_scenario_text(std::string_view text, const std::string& file);

}  // namespace tcplab
