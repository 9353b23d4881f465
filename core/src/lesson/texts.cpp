// {{name}} interpolation (docs/LESSONS.md "Texts").
#include "texts.hpp"

#include "match.hpp"

namespace tcplab::lesson::detail {

namespace {

// Replaces {{name}} by plain text; nothing in a text is ever markup.
std::string interpolate(const std::string& text, const std::map<std::string, ojson>& values,
                        const std::string& file, const std::string& pointer) {
    std::string out;
    std::size_t pos = 0;
    while (true) {
        std::size_t open = text.find("{{", pos);
        if (open == std::string::npos) {
            out += text.substr(pos);
            return out;
        }
        std::size_t close = text.find("}}", open + 2);
        if (close == std::string::npos) fail(file, pointer, "expected \"}}\" after \"{{\"");
        std::string name = text.substr(open + 2, close - open - 2);
        name.erase(0, name.find_first_not_of(' '));
        name.erase(name.find_last_not_of(' ') + 1);
        auto it = values.find(name);
        if (it == values.end()) {
            std::string known;
            for (const auto& [k, v] : values) known += (known.empty() ? "" : ", ") + k;
            fail(file, pointer,
                 "unknown name {{" + name +
                     "}} (expected one of: " + (known.empty() ? std::string("none") : known) + ")");
        }
        out += text.substr(pos, open - pos) + format_value(it->second);
        pos = close + 2;
        // A number and its unit stay on one line ("60 s", "10 秒"): the space after an inserted
        // number becomes a no-break space (U+00A0).
        if (it->second.is_number() && pos < text.size() && text[pos] == ' ') {
            out += "\xC2\xA0";
            ++pos;
        }
    }
}

}  // namespace

std::string format_value(const ojson& v) {
    if (v.is_string()) return v.get<std::string>();
    if (v.is_object() && v.contains("flags") && v.contains("seq")) {
        // Without the ACK flag the acknowledgment field means nothing (RFC 9293 §3.1).
        const std::string flags = v["flags"].get<std::string>();
        return flags + " seq=" + v["seq"].dump() +
               (parse_flag_set(flags).count("ACK") ? " ack=" + v["ack"].dump() : "");
    }
    if (v.is_array()) {
        std::string out;
        for (const auto& x : v) out += (out.empty() ? "" : ", ") + format_value(x);
        return out;
    }
    return v.dump();
}

ojson resolve_text(const json& text, const std::map<std::string, ojson>& values,
                   const std::string& file, const std::string& pointer) {
    ojson out = ojson::object();
    for (const char* lang : kLanguages)
        out[lang] = interpolate(text[lang].get<std::string>(), values, file, child(pointer, lang));
    return out;
}

}  // namespace tcplab::lesson::detail
