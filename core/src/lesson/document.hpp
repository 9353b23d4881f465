// Shared vocabulary of the lesson resolver's files (core/src/lesson/): the JSON types, the error
// every check raises ("<file>: <JSON pointer>: <expected>") and the checks of a lesson
// document's shape that need no trace (docs/LESSONS.md "Format").
#pragma once

#include "tcplab/error.hpp"

#include <nlohmann/json.hpp>

#include <cstddef>
#include <string>

namespace tcplab::lesson::detail {

using json = nlohmann::json;
using ojson = nlohmann::ordered_json;

// Every text is written in these languages, in this order.
inline const char* const kLanguages[] = {"zh-CN", "en"};

[[noreturn]] void fail(const std::string& file, const std::string& pointer,
                       const std::string& expected);

// The pointer of a member or an element below `pointer`.
std::string child(const std::string& pointer, const std::string& key);
std::string child(const std::string& pointer, std::size_t index);

// A text {"zh-CN": "...", "en": "..."} at parent[key], both languages present and non-empty.
void validate_text(const json& parent, const char* key, const std::string& file,
                   const std::string& pointer, bool required = true);

const json& require_member(const json& obj, const char* key, const std::string& file,
                           const std::string& pointer, const std::string& what);
std::string require_string(const json& obj, const char* key, const std::string& file,
                           const std::string& pointer, const std::string& what);

// The lesson's top level: format version, id, texts, minutes, level, topics, draft, and the
// shape of scenario, steps, quizzes, facts, params and constants.
void validate_top(const json& lesson, const std::string& file);

}  // namespace tcplab::lesson::detail
