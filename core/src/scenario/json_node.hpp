// Reading a scenario document: a JSON value with its pointer, so that every check can say where
// it failed, and the quoting rules of every message ("<file>: <JSON pointer>: <what was
// expected>", docs/CONTRACTS.md "Errors"). No nlohmann/json accessor used here can throw: every
// value is type-checked before it is read.
#pragma once

#include "tcplab/error.hpp"
#include "tcplab/time.hpp"

#include <nlohmann/json.hpp>

#include <cstddef>
#include <initializer_list>
#include <limits>
#include <span>
#include <string>
#include <vector>

namespace tcplab::scenario {

// Names (hosts, apps, handles) are repeated in every trace event about them, so their length
// multiplies the trace's size; 64 bytes is far more than any lesson uses.
inline constexpr std::size_t kMaxNameBytes = 64;
// How many characters of a bad value, and how many names of a long list, a message quotes.
inline constexpr std::size_t kQuoteChars = 40;
inline constexpr std::size_t kListNames = 5;

// A value quoted for a message: JSON-style escapes for quotes, backslashes and control
// characters, cut after kQuoteChars bytes (at a UTF-8 character boundary).
std::string quote(const std::string& s);

// "a, b, c" for at most kListNames names, then "and N more".
template <class Names>
std::string some_names(const Names& names) {
    std::string out;
    std::size_t n = 0;
    for (const auto& name : names) {
        if (n == kListNames) {
            out += " and " + std::to_string(names.size() - n) + " more";
            break;
        }
        out += (n++ ? ", " : "") + quote(name);
    }
    return out;
}

// The nearest of `known` to `word` by edit distance (at most 3), for "did you mean"; empty if
// none is that near.
std::string closest(const std::string& word, const std::vector<std::string>& known);

// A JSON value with its pointer.
class Node {
public:
    Node(const nlohmann::json& v, std::string ptr, const std::string& file)
        : v_(v), ptr_(std::move(ptr)), file_(file) {}

    // Throws InputError "<file>: <pointer as shown>: <what>".
    [[noreturn]] void fail(const std::string& what) const;
    const nlohmann::json& value() const { return v_; }
    const std::string& ptr() const { return ptr_; }
    const std::string& file() const { return file_; }
    bool has(const std::string& key) const { return v_.is_object() && v_.contains(key); }
    // Only after has(key).
    Node at(const std::string& key) const {
        return Node(*v_.find(key), ptr_ + "/" + json_pointer_token(key), file_);
    }
    // Only for i < size of an array.
    Node at(std::size_t i) const { return Node(v_[i], ptr_ + "/" + std::to_string(i), file_); }
    // Where a missing member would be, to say that it is missing.
    Node missing(const std::string& key) const;

    const Node& object() const;
    const Node& array() const;
    // An array of at most `limit` items; `what` names them and the limit.
    const Node& array(std::size_t limit, const char* what) const;
    // Members other than `keys` are errors, except "$..." and "_..." (comments, lesson tools).
    void only(std::span<const char* const> keys, const std::string& context = "") const;
    void only(std::initializer_list<const char*> keys, const std::string& context = "") const {
        only(std::span<const char* const>(keys.begin(), keys.size()), context);
    }
    // A string, at most max_bytes long, free of control characters (C0 and DEL) unless
    // `allow_layout` lets tab, line feed and carriage return through.
    std::string str(std::size_t max_bytes = std::numeric_limits<std::size_t>::max(),
                    bool allow_layout = false) const;
    std::string str_required(const std::string& key, const char* what,
                             std::size_t max_bytes = std::numeric_limits<std::size_t>::max()) const;
    // A name: 1 to kMaxNameBytes bytes, no control characters.
    std::string name() const;
    // An integer in [lo, hi]. JSON has one number type (RFC 8259 §6): 3.0 is the integer 3,
    // as in JSON Schema. Every comparison happens before a conversion, so no value can
    // overflow the type it lands in.
    long long integer(long long lo, long long hi) const;
    double number(double lo, double hi) const;
    bool boolean() const;
    // Milliseconds (may be fractional, resolution 1 µs) to microseconds.
    Time millis(double max_ms = 1e12) const;

    // A {"$param": name} left in a scenario: the lesson resolver replaces them before a run.
    void unresolved() const;

private:
    // What was found, briefly: the value of a scalar (a number's text is at most about 25
    // characters), the type of anything else.
    std::string shown_value() const;

    const nlohmann::json& v_;
    std::string ptr_;
    const std::string& file_;
};

}  // namespace tcplab::scenario
