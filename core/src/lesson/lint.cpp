// Style rules for shipped lessons that the resolver does not enforce (docs/LESSONS.md
// "Texts"): no number is written into a text.
#include "tcplab/lesson.hpp"

#include "document.hpp"

namespace tcplab::lesson {

namespace {

using detail::child;
using detail::json;

// Numbers a text may write out: an RFC's number or section ("RFC 9293 §3.10.7.4") and digits
// glued to a name ("IPv4", "S0.1", "FIN_WAIT_2", "2MSL").
bool number_allowed(const std::string& s, std::size_t begin, std::size_t end) {
    auto letter = [](char c) {
        return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
    };
    if (begin > 0 && letter(s[begin - 1])) return true;
    if (end < s.size() && s[end] >= 'A' && s[end] <= 'Z') return true;
    if (begin >= 2 && s.compare(begin - 2, 2, "\xC2\xA7") == 0) return true;  // §
    std::size_t b = begin;
    while (b > 0 && s[b - 1] == ' ') --b;
    return b >= 3 && s.compare(b - 3, 3, "RFC") == 0;
}

void lint_text(const std::string& text, const std::string& file, const std::string& pointer,
               std::vector<std::string>& out) {
    // Interpolations ({{name}}) are where numbers belong; drop them before looking.
    std::string s;
    for (std::size_t i = 0; i < text.size();) {
        if (text.compare(i, 2, "{{") == 0) {
            const std::size_t close = text.find("}}", i + 2);
            if (close == std::string::npos) break;
            s += ' ';
            i = close + 2;
        } else {
            s += text[i++];
        }
    }
    auto digit = [](char c) { return c >= '0' && c <= '9'; };
    for (std::size_t i = 0; i < s.size();) {
        if (!digit(s[i])) {
            ++i;
            continue;
        }
        std::size_t end = i;
        while (end < s.size() && (digit(s[end]) || ((s[end] == '.' || s[end] == ',') &&
                                                    end + 1 < s.size() && digit(s[end + 1]))))
            ++end;
        if (!number_allowed(s, i, end))
            out.push_back(file + ": " + pointer + ": the number \"" + s.substr(i, end - i) +
                          "\" is written into the text; insert it as {{name}} of a fact, a "
                          "parameter or a sourced constant");
        i = end;
    }
}

void lint_node(const json& node, const std::string& file, const std::string& pointer,
               std::vector<std::string>& out) {
    if (node.is_object()) {
        const auto en = node.find("en");
        const auto zh = node.find("zh-CN");
        if (en != node.end() && zh != node.end() && en->is_string() && zh->is_string()) {
            lint_text(en->get<std::string>(), file, child(pointer, "en"), out);
            lint_text(zh->get<std::string>(), file, child(pointer, "zh-CN"), out);
            return;
        }
        for (auto it = node.begin(); it != node.end(); ++it) {
            if (pointer.empty() && (it.key() == "scenario" || it.key() == "constants")) continue;
            lint_node(*it, file, child(pointer, it.key()), out);
        }
    } else if (node.is_array()) {
        for (std::size_t i = 0; i < node.size(); ++i)
            lint_node(node[i], file, child(pointer, i), out);
    }
}

}  // namespace

std::vector<std::string> lint_lesson(const nlohmann::json& lesson, const std::string& file) {
    std::vector<std::string> out;
    lint_node(lesson, file, "", out);
    return out;
}

}  // namespace tcplab::lesson
