// The one error type for bad input, shared by every layer: scenarios, lessons, captures and
// traces all report what is wrong with what the user gave them this way.
#pragma once

#include <stdexcept>
#include <string>

namespace tcplab {

// Invalid input. what() is "<file>: <JSON pointer>: <what was expected>" (or "<file>: byte N:
// ..." for bytes that do not parse), ready for a user.
class InputError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// A member name as a JSON pointer token (RFC 6901 §3: "~" is "~0", "/" is "~1"), for the
// pointers in InputError messages.
std::string json_pointer_token(const std::string& key);

}  // namespace tcplab
