#include "tcplab/run.hpp"

#include "tcplab/lesson_param.hpp"
#include "tcplab/runner.hpp"
#include "tcplab/scenario.hpp"

#include <iterator>
#include <new>

namespace tcplab {

std::string out_of_memory_message(const std::string& file) {
    return file +
           ": (root): the run needs more memory than it could get (std::bad_alloc); make the "
           "scenario smaller (docs/CONTRACTS.md, \"Limits\")";
}

namespace {

using nlohmann::json;

// At most `n` characters of `s`, with "..." when cut: messages quote offending text, and a
// 100,000-digit number must not become a 100 KB message.
std::string clip(const std::string& s, std::size_t n) {
    return s.size() <= n ? s : s.substr(0, n) + "...";
}

// An input iterator over the text that counts the bytes the parser has taken. nlohmann/json's
// SAX events carry no position (only its parse errors do), so this is how a nesting error can
// name its byte.
class CountingIterator {
public:
    using iterator_category = std::input_iterator_tag;
    using value_type = char;
    using difference_type = std::ptrdiff_t;
    using pointer = const char*;
    using reference = const char&;

    CountingIterator(const char* p, std::size_t* taken) : p_(p), taken_(taken) {}
    reference operator*() const { return *p_; }
    CountingIterator& operator++() {
        ++p_;
        ++*taken_;
        return *this;
    }
    CountingIterator operator++(int) {
        CountingIterator old = *this;
        ++*this;
        return old;
    }
    bool operator==(const CountingIterator& o) const { return p_ == o.p_; }

private:
    const char* p_;
    std::size_t* taken_;
};

// nlohmann/json's DOM builder behind a depth check (its own parser is iterative, but copying,
// dumping and walking a document recurse, so the depth must be bounded where it is read), and
// with errors kept instead of thrown, so they become InputErrors with a short message.
class BoundedSax {
public:
    BoundedSax(json& out, const std::size_t* taken, std::size_t max_depth)
        : dom_(out, true), taken_(taken), max_depth_(max_depth) {}

    bool null() { return dom_.null(); }
    bool boolean(bool v) { return dom_.boolean(v); }
    bool number_integer(json::number_integer_t v) { return dom_.number_integer(v); }
    bool number_unsigned(json::number_unsigned_t v) { return dom_.number_unsigned(v); }
    bool number_float(json::number_float_t v, const json::string_t& s) {
        return dom_.number_float(v, s);
    }
    bool string(json::string_t& v) { return dom_.string(v); }
    bool binary(json::binary_t& v) { return dom_.binary(v); }
    bool key(json::string_t& k) { return dom_.key(k); }
    bool start_object(std::size_t n) { return enter() && dom_.start_object(n); }
    bool end_object() {
        --depth_;
        return dom_.end_object();
    }
    bool start_array(std::size_t n) { return enter() && dom_.start_array(n); }
    bool end_array() {
        --depth_;
        return dom_.end_array();
    }
    bool parse_error(std::size_t byte, const std::string& token,
                     const nlohmann::detail::exception& e) {
        error_byte_ = byte;
        if (e.id == 406) {
            // out_of_range.406: a number a double cannot hold (RFC 8259 §6 leaves the range to
            // the implementation; nlohmann/json stores numbers as 64-bit integers or doubles).
            error_ = "expected a number a double can hold (at most about 1.8e308), found " +
                     clip(token, 40);
        } else {
            // "[json.exception.parse_error.101] parse error at line 1, column 2: syntax error
            // while parsing value - ...; last read: '...'": keep the part from "syntax error".
            std::string what = e.what();
            const auto at = what.find("syntax error");
            if (at != std::string::npos) what = what.substr(at);
            error_ = "invalid JSON (" + clip(what, 160) + ")";
        }
        return false;
    }

    std::size_t too_deep_at() const { return too_deep_at_; }
    std::size_t error_byte() const { return error_byte_; }
    const std::string& error() const { return error_; }

private:
    bool enter() {
        if (++depth_ <= max_depth_) return true;
        too_deep_at_ = *taken_;  // the parser has just taken the '[' or '{' that went too deep
        return false;
    }

    nlohmann::detail::json_sax_dom_parser<json> dom_;
    const std::size_t* taken_;
    std::size_t max_depth_;
    std::size_t depth_ = 0;
    std::size_t too_deep_at_ = 0;
    std::size_t error_byte_ = 0;
    std::string error_;
};

// The depth of a document, without recursion: documents that did not come through parse_json
// (a caller's own json) are held to the same nesting limit before anything recurses into them.
std::size_t depth_of(const json& doc, std::size_t stop_at) {
    struct Frame {
        const json* v;
        std::size_t depth;
    };
    std::vector<Frame> stack{{&doc, 1}};
    std::size_t deepest = 0;
    while (!stack.empty()) {
        const Frame f = stack.back();
        stack.pop_back();
        if (!f.v->is_structured()) continue;
        deepest = std::max(deepest, f.depth);
        if (deepest > stop_at) return deepest;
        for (const auto& child : *f.v) stack.push_back({&child, f.depth + 1});
    }
    return deepest;
}

nlohmann::ordered_json run_checked(const json& doc_in, const std::string& file,
                                   const RunBounds& bounds) {
    if (depth_of(doc_in, kLimits.nesting_depth) > kLimits.nesting_depth)
        throw InputError(file + ": (root): expected arrays and objects nested at most " +
                         std::to_string(kLimits.nesting_depth) + " deep (limit \"nesting depth\")");
    const json* docp = &doc_in;
    json substituted;
    if (doc_in.is_object() && doc_in.contains("scenario") && doc_in.contains("params") &&
        doc_in["params"].is_object()) {
        substituted = doc_in;
        // A lesson run as a scenario runs with its parameters' defaults (the lesson resolver
        // substitutes the values it chose before it calls run_scenario).
        substitute_params(substituted["scenario"], param_defaults(doc_in["params"]), file,
                          "/scenario", UnknownParam::keep);
        docp = &substituted;
    }
    const json& doc = *docp;
    Scenario sc = load_scenario(doc, file);
    if (bounds.until && (!sc.until || *sc.until > *bounds.until)) sc.until = bounds.until;
    if (bounds.max_events && sc.max_events > *bounds.max_events) sc.max_events = *bounds.max_events;
    if (bounds.trace_events && sc.max_trace_events > *bounds.trace_events)
        sc.max_trace_events = *bounds.trace_events;
    Runner runner(sc, true, file);
    if (!runner.run())
        throw InputError(file + ": " +
                         (doc.contains("scenario") ? "/scenario" : std::string("(root)")) +
                         ": the scenario did not finish within " + std::to_string(sc.max_events) +
                         " events (set \"until_ms\" or \"max_events\")");
    return runner.trace_json();
}

}  // namespace

json parse_json(std::string_view text, const std::string& file) {
    if (text.size() > kLimits.input_bytes)
        throw InputError(file + ": byte " + std::to_string(kLimits.input_bytes + 1) +
                         ": expected at most " + std::to_string(kLimits.input_bytes) +
                         " bytes of JSON (limit \"input size\")");
    json out;
    std::size_t taken = 0;
    BoundedSax sax(out, &taken, kLimits.nesting_depth);
    const char* begin = text.data();
    const bool ok = json::sax_parse(CountingIterator(begin, &taken),
                                    CountingIterator(begin + text.size(), &taken), &sax);
    if (sax.too_deep_at() != 0)
        throw InputError(file + ": byte " + std::to_string(sax.too_deep_at()) +
                         ": expected arrays and objects nested at most " +
                         std::to_string(kLimits.nesting_depth) + " deep (limit \"nesting depth\")");
    if (!ok)
        throw InputError(file + ": byte " + std::to_string(sax.error_byte()) + ": " + sax.error());
    return out;
}

nlohmann::ordered_json run_scenario(const json& doc, const std::string& file) {
    return run_scenario(doc, file, RunBounds{});
}

nlohmann::ordered_json run_scenario(const json& doc, const std::string& file,
                                    const RunBounds& bounds) {
    try {
        return run_checked(doc, file, bounds);
    } catch (const std::bad_alloc&) {
        // Everything the run held is released by now, so the message can be built.
        throw InputError(out_of_memory_message(file));
    }
}

std::string run_scenario_text(std::string_view text, const std::string& file) {
    return run_scenario_text(text, file, RunBounds{});
}

std::string run_scenario_text(std::string_view text, const std::string& file,
                              const RunBounds& bounds) {
    try {
        return run_checked(parse_json(text, file), file, bounds).dump();
    } catch (const std::bad_alloc&) {
        throw InputError(out_of_memory_message(file));
    }
}

}  // namespace tcplab
