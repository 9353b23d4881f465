#include "json_node.hpp"

#include <algorithm>
#include <cmath>

namespace tcplab::scenario {

namespace {

bool is_control(unsigned char c) { return c < 0x20 || c == 0x7f; }

// A pointer as a message shows it: control characters escaped, long tokens cut.
std::string shown_pointer(const std::string& ptr) {
    std::string out;
    std::size_t start = 0;
    while (start < ptr.size()) {
        std::size_t end = ptr.find('/', start + 1);
        if (end == std::string::npos) end = ptr.size();
        std::string token = ptr.substr(start + 1, end - start - 1);
        const bool plain =
            token.size() <= kQuoteChars && std::none_of(token.begin(), token.end(), [](char c) {
                return is_control(static_cast<unsigned char>(c));
            });
        if (plain) {
            out += "/" + token;
        } else {
            std::string q = quote(token);  // "\"...\"" with escapes; drop the quotes
            const auto close = q.rfind('"');
            out += "/" + q.substr(1, close - 1);
        }
        start = end;
    }
    return out;
}

std::string fmt(double d) {
    if (std::floor(d) == d && std::fabs(d) < 1e15) return std::to_string(static_cast<long long>(d));
    return std::to_string(d);
}

}  // namespace

std::string quote(const std::string& s) {
    std::string out = "\"";
    std::size_t i = 0;
    // The limit is on what is shown: an escape takes six characters.
    for (; i < s.size() && out.size() <= kQuoteChars; ++i) {
        const auto c = static_cast<unsigned char>(s[i]);
        if (c == '"' || c == '\\') {
            out += '\\';
            out += static_cast<char>(c);
        } else if (is_control(c)) {
            static const char hex[] = "0123456789abcdef";
            out += "\\u00";
            out += hex[c >> 4];
            out += hex[c & 15];
        } else {
            out += static_cast<char>(c);
        }
    }
    if (i < s.size()) {
        // Do not end inside a multi-byte UTF-8 sequence.
        while (i > 0 && (static_cast<unsigned char>(s[i]) & 0xC0) == 0x80) {
            --i;
            out.pop_back();
        }
        out += "...\" (" + std::to_string(s.size()) + " bytes)";
        return out;
    }
    return out + "\"";
}

std::string closest(const std::string& word, const std::vector<std::string>& known) {
    std::string best;
    std::size_t best_d = std::numeric_limits<std::size_t>::max();
    for (const auto& k : known) {
        // Levenshtein distance, two rows.
        std::vector<std::size_t> prev(k.size() + 1), cur(k.size() + 1);
        for (std::size_t j = 0; j <= k.size(); ++j) prev[j] = j;
        for (std::size_t i = 1; i <= word.size() && i <= 64; ++i) {
            cur[0] = i;
            for (std::size_t j = 1; j <= k.size(); ++j)
                cur[j] = std::min(
                    {prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (word[i - 1] == k[j - 1] ? 0 : 1)});
            std::swap(prev, cur);
        }
        const std::size_t d = prev[k.size()];
        if (d < best_d) {
            best_d = d;
            best = k;
        }
    }
    return best_d <= 3 ? best : std::string();
}

void Node::fail(const std::string& what) const {
    throw InputError(file_ + ": " + (ptr_.empty() ? std::string("(root)") : shown_pointer(ptr_)) +
                     ": " + what);
}

Node Node::missing(const std::string& key) const {
    static const nlohmann::json null_value;
    return Node(null_value, ptr_ + "/" + json_pointer_token(key), file_);
}

const Node& Node::object() const {
    unresolved();
    if (!v_.is_object()) fail("expected an object");
    return *this;
}

const Node& Node::array() const {
    unresolved();
    if (!v_.is_array()) fail("expected an array");
    return *this;
}

const Node& Node::array(std::size_t limit, const char* what) const {
    array();
    if (v_.size() > limit)
        fail("expected at most " + std::to_string(limit) + " " + what + ", found " +
             std::to_string(v_.size()) + " (limit \"" + what + "\")");
    return *this;
}

void Node::only(std::span<const char* const> keys, const std::string& context) const {
    for (auto it = v_.begin(); it != v_.end(); ++it) {
        const std::string& k = it.key();
        if (!k.empty() && (k[0] == '$' || k[0] == '_')) continue;
        if (std::any_of(keys.begin(), keys.end(), [&](const char* a) { return k == a; })) continue;
        std::string list;
        for (auto* a : keys) list += (list.empty() ? "" : ", ") + std::string(a);
        at(k).fail("unexpected member " + quote(k) + context + " (expected one of: " + list + ")");
    }
}

std::string Node::str(std::size_t max_bytes, bool allow_layout) const {
    unresolved();
    if (!v_.is_string()) fail("expected a string");
    const std::string& s = v_.get_ref<const std::string&>();
    if (s.size() > max_bytes)
        fail("expected at most " + std::to_string(max_bytes) + " bytes, found " + quote(s));
    for (std::size_t i = 0; i < s.size(); ++i) {
        const auto c = static_cast<unsigned char>(s[i]);
        if (is_control(c) && !(allow_layout && (c == '\t' || c == '\n' || c == '\r')))
            fail("expected a string without control characters, found " + quote(s));
    }
    return s;
}

std::string Node::str_required(const std::string& key, const char* what,
                               std::size_t max_bytes) const {
    if (!has(key)) missing(key).fail(std::string("expected ") + what + " (required)");
    return at(key).str(max_bytes);
}

std::string Node::name() const {
    const std::string s = str();
    if (s.empty()) fail("expected a name (an empty string is not one)");
    if (s.size() > kMaxNameBytes)
        fail("expected a name of at most " + std::to_string(kMaxNameBytes) +
             " bytes (limit \"name length\"), found " + quote(s));
    return s;
}

long long Node::integer(long long lo, long long hi) const {
    unresolved();
    const std::string range = " from " + std::to_string(lo) + " to " + std::to_string(hi);
    if (v_.is_number_unsigned()) {  // before is_number_integer(), which is true for both
        const auto n = v_.get<unsigned long long>();
        if (hi >= 0 && n <= static_cast<unsigned long long>(hi) && static_cast<long long>(n) >= lo)
            return static_cast<long long>(n);
    } else if (v_.is_number_integer()) {
        const long long n = v_.get<long long>();
        if (n >= lo && n <= hi) return n;
    } else if (v_.is_number_float()) {
        const double d = v_.get<double>();
        if (std::floor(d) == d && d >= static_cast<double>(lo) && d <= static_cast<double>(hi))
            return static_cast<long long>(d);
    }
    fail("expected an integer" + range + ", found " + shown_value());
}

double Node::number(double lo, double hi) const {
    unresolved();
    if (!v_.is_number()) fail("expected a number, found " + shown_value());
    const double d = v_.get<double>();
    if (!(d >= lo && d <= hi))
        fail("expected a number from " + fmt(lo) + " to " + fmt(hi) + ", found " + shown_value());
    return d;
}

bool Node::boolean() const {
    unresolved();
    if (!v_.is_boolean()) fail("expected true or false, found " + shown_value());
    return v_.get<bool>();
}

Time Node::millis(double max_ms) const {
    const double d = number(0, max_ms);
    return static_cast<Time>(std::llround(d * 1000.0));
}

void Node::unresolved() const {
    if (v_.is_object() && v_.contains("$param"))
        fail("unresolved lesson parameter " + quote(v_["$param"].dump()));
}

std::string Node::shown_value() const {
    if (v_.is_string()) return "the string " + quote(v_.get_ref<const std::string&>());
    if (v_.is_array()) return "an array";
    if (v_.is_object()) return "an object";
    return v_.dump();
}

}  // namespace tcplab::scenario
