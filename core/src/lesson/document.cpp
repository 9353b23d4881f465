// The shape of a lesson document (docs/LESSONS.md "Format"): what can be checked before the
// engine runs its scenario.
#include "document.hpp"

#include "params.hpp"

#include <cctype>
#include <set>

namespace tcplab::lesson::detail {

namespace {

const std::set<std::string> kLevels = {"basics", "intermediate", "failures"};

// Named numbers about the real world ("Linux's TIME_WAIT is 60 s"), each with its source, for
// texts to quote as {{name}}: a text then carries no number nobody can trace back.
void validate_constants(const json& constants, const std::string& file) {
    if (!constants.is_object())
        fail(file, "/constants",
             "expected an object of named constants {\"name\": {\"value\": 60, \"source\": "
             "\"...\"}}");
    for (auto it = constants.begin(); it != constants.end(); ++it) {
        const std::string p = child("/constants", it.key());
        const json& c = *it;
        if (!c.is_object() || !c.contains("value") ||
            !(c["value"].is_number() || c["value"].is_string()))
            fail(file, child(p, "value"), "expected a number or a string");
        if (!c.contains("source") || !c["source"].is_string() ||
            c["source"].get<std::string>().find_first_not_of(" \t") == std::string::npos)
            fail(file, child(p, "source"),
                 "expected where the value comes from (an RFC section, a kernel default, ...)");
        for (auto k = c.begin(); k != c.end(); ++k)
            if (k.key() != "value" && k.key() != "source")
                fail(file, child(p, k.key()), "unexpected member (expected value and source)");
    }
}

}  // namespace

[[noreturn]] void fail(const std::string& file, const std::string& pointer,
                       const std::string& expected) {
    throw InputError(file + ": " + pointer + ": " + expected);
}

std::string child(const std::string& pointer, const std::string& key) {
    return pointer + "/" + json_pointer_token(key);
}
std::string child(const std::string& pointer, std::size_t index) {
    return pointer + "/" + std::to_string(index);
}

void validate_text(const json& parent, const char* key, const std::string& file,
                   const std::string& pointer, bool required) {
    auto it = parent.find(key);
    const std::string p = child(pointer, key);
    if (it == parent.end()) {
        if (required) fail(file, p, "expected a text: {\"zh-CN\": \"...\", \"en\": \"...\"}");
        return;
    }
    if (!it->is_object())
        fail(file, p, "expected a text object {\"zh-CN\": \"...\", \"en\": \"...\"}");
    for (const char* lang : kLanguages) {
        auto t = it->find(lang);
        if (t == it->end() || !t->is_string())
            fail(file, child(p, lang), "expected the text in " + std::string(lang));
        std::string s = t->get<std::string>();
        if (s.find_first_not_of(" \t\r\n") == std::string::npos)
            fail(file, child(p, lang), "expected a non-empty text in " + std::string(lang));
    }
}

const json& require_member(const json& obj, const char* key, const std::string& file,
                           const std::string& pointer, const std::string& what) {
    auto it = obj.find(key);
    if (it == obj.end()) fail(file, child(pointer, key), "missing; expected " + what);
    return *it;
}

std::string require_string(const json& obj, const char* key, const std::string& file,
                           const std::string& pointer, const std::string& what) {
    const json& v = require_member(obj, key, file, pointer, what);
    if (!v.is_string() || v.get<std::string>().empty())
        fail(file, child(pointer, key), "expected " + what);
    return v.get<std::string>();
}

void validate_top(const json& lesson, const std::string& file) {
    if (!lesson.is_object()) fail(file, "", "expected a lesson object");
    auto v = lesson.find("tcplab_lesson");
    if (v == lesson.end() || !v->is_number_integer() || v->get<int>() != 1)
        fail(file, "/tcplab_lesson", "expected 1 (lesson format version)");
    const std::string id =
        require_string(lesson, "id", file, "", "a lesson id such as \"handshake-close\"");
    for (char c : id)
        if (!(std::islower(static_cast<unsigned char>(c)) ||
              std::isdigit(static_cast<unsigned char>(c)) || c == '-'))
            fail(file, "/id", "expected lowercase letters, digits and '-'");
    validate_text(lesson, "title", file, "");
    validate_text(lesson, "summary", file, "");
    const json& minutes = require_member(lesson, "minutes", file, "", "an integer from 3 to 10");
    if (!minutes.is_number_integer() || minutes.get<int>() < 3 || minutes.get<int>() > 10)
        fail(file, "/minutes", "expected an integer from 3 to 10");
    const std::string level =
        require_string(lesson, "level", file, "", "basics, intermediate or failures");
    if (!kLevels.count(level)) fail(file, "/level", "expected basics, intermediate or failures");
    if (lesson.contains("topics")) {
        const json& t = lesson["topics"];
        if (!t.is_array())
            fail(file, "/topics", "expected an array of topic codes such as \"S0.1\"");
        for (std::size_t i = 0; i < t.size(); ++i)
            if (!t[i].is_string()) fail(file, child("/topics", i), "expected a topic code string");
    }
    if (lesson.contains("draft")) {
        if (!lesson["draft"].is_boolean()) fail(file, "/draft", "expected true or false");
        if (lesson["draft"].get<bool>()) validate_text(lesson, "draft_reason", file, "");
    }
    const json& scenario =
        require_member(lesson, "scenario", file, "", "the scenario the engine runs");
    if (!scenario.is_object()) fail(file, "/scenario", "expected a scenario object (CONTRACTS.md)");
    const json& steps = require_member(lesson, "steps", file, "", "a non-empty array of steps");
    if (!steps.is_array() || steps.empty())
        fail(file, "/steps", "expected a non-empty array of steps");
    if (lesson.contains("quizzes") && !lesson["quizzes"].is_array())
        fail(file, "/quizzes", "expected an array of quizzes");
    if (lesson.contains("facts") && !lesson["facts"].is_object())
        fail(file, "/facts", "expected an object of named fact queries");
    if (lesson.contains("params")) validate_params(lesson["params"], file);
    if (lesson.contains("constants")) validate_constants(lesson["constants"], file);
}

}  // namespace tcplab::lesson::detail
