// The texts of a resolved lesson: {{name}} replaced by a parameter's, a constant's or a fact's
// value, as plain text (docs/LESSONS.md "Texts").
#pragma once

#include "document.hpp"

#include <map>
#include <string>

namespace tcplab::lesson::detail {

// A value as a text shows it: a string as is, a segment as "SYN,ACK seq=0 ack=1", a list
// separated by ", ", anything else as JSON.
std::string format_value(const ojson& v);

// The text {"zh-CN", "en"} with every {{name}} replaced by values[name].
ojson resolve_text(const json& text, const std::map<std::string, ojson>& values,
                   const std::string& file, const std::string& pointer);

}  // namespace tcplab::lesson::detail
