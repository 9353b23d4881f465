// The trace index and event matchers (docs/LESSONS.md "Matchers").
#include "match.hpp"

#include "tcplab/flag_match.hpp"
#include "tcplab/lesson.hpp"
#include "tcplab/segment.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <optional>
#include <sstream>
#include <vector>

namespace tcplab::lesson {
namespace detail {

namespace {

const std::set<std::string> kEventKinds = {"call",    "return",  "send",  "deliver", "drop",
                                           "discard", "state",   "timer", "queue",   "action",
                                           "note",    "buffers", "signal"};
// The flags a lesson may name, in the trace's bit order (tcplab/segment.hpp): every header flag
// but ECE and CWR, which the engine never sets (it does not negotiate ECN, RFC 3168).
const std::vector<std::string>& lesson_flags() {
    static const std::vector<std::string> names = flag_names(FIN | SYN | RST | PSH | ACK | URG);
    return names;
}

// "FIN, SYN, RST, PSH, ACK, URG", for the messages that list them.
std::string lesson_flag_list() {
    std::string out;
    for (const auto& f : lesson_flags()) out += (out.empty() ? "" : ", ") + f;
    return out;
}

// A set of flag names as header bits; nullopt if a name is not a flag.
std::optional<std::uint8_t> flag_bits(const std::set<std::string>& names) {
    std::uint8_t bits = 0;
    for (const auto& n : names) {
        const auto b = parse_flags(n);
        if (!b) return std::nullopt;
        bits |= *b;
    }
    return bits;
}

// The fault matcher's rule (tcplab/flag_match.hpp): exact, PSH aside unless named.
bool flags_equal(const std::string& wanted_text, const ojson& actual) {
    const auto wanted = flag_bits(parse_flag_set(wanted_text));
    const auto got = flag_bits(event_flag_set(actual));
    return wanted && got && flags_match(*wanted, *got);
}

bool flags_include(const std::string& wanted_text, const ojson& actual) {
    std::set<std::string> got = event_flag_set(actual);
    for (const auto& f : parse_flag_set(wanted_text))
        if (!got.count(f)) return false;
    return true;
}

// Subset comparison of an object matcher against an object (a segment, "rel", "args", ...).
bool object_matches(const json& wanted, const ojson& actual) {
    if (!actual.is_object()) return false;
    for (auto it = wanted.begin(); it != wanted.end(); ++it) {
        const std::string& key = it.key();
        if (key == "has_flags") {
            auto f = actual.find("flags");
            if (f == actual.end() || !flags_include(it->get<std::string>(), *f)) return false;
            continue;
        }
        auto a = actual.find(key);
        if (a == actual.end()) return false;
        if (key == "flags" && it->is_string()) {
            if (!flags_equal(it->get<std::string>(), *a)) return false;
        } else if (it->is_object()) {
            if (!object_matches(*it, *a)) return false;
        } else if (!scalar_equal(*it, *a)) {
            return false;
        }
    }
    return true;
}

void validate_flags_text(const json& v, const std::string& file, const std::string& pointer) {
    if (!v.is_string()) fail(file, pointer, "expected a comma set of flags such as \"SYN,ACK\"");
    auto set = parse_flag_set(v.get<std::string>());
    if (set.empty()) fail(file, pointer, "expected at least one flag (" + lesson_flag_list() + ")");
    const auto& known = lesson_flags();
    for (const auto& f : set)
        if (std::find(known.begin(), known.end(), f) == known.end())
            fail(file, pointer, "unknown flag \"" + f + "\" (expected " + lesson_flag_list() + ")");
}

void validate_sub_matcher(const json& m, const std::string& file, const std::string& pointer) {
    for (auto it = m.begin(); it != m.end(); ++it) {
        if (it.key() == "flags" || it.key() == "has_flags")
            validate_flags_text(*it, file, child(pointer, it.key()));
        else if (it->is_object())
            validate_sub_matcher(*it, file, child(pointer, it.key()));
    }
}

}  // namespace

TraceIndex::TraceIndex(const ojson& trace) : trace_(trace) {
    static const ojson kEmpty = ojson::array();
    auto it = trace.find("events");
    events_ = (it != trace.end() && it->is_array()) ? &*it : &kEmpty;
    for (std::size_t i = 0; i < events_->size(); ++i) {
        const ojson& e = (*events_)[i];
        if (e.value("kind", "") != "send") continue;
        auto seg = e.find("seg");
        if (seg == e.end() || !seg->is_object()) continue;
        auto id = seg->find("id");
        if (id != seg->end() && id->is_number_integer())
            send_of_seg_.emplace(id->get<std::int64_t>(), i);
    }
}

const ojson* TraceIndex::segment_of(const ojson& e) const {
    auto seg = e.find("seg");
    if (seg != e.end() && seg->is_object()) return &*seg;
    auto id = e.find("seg_id");
    if (id == e.end() || !id->is_number_integer()) return nullptr;
    auto it = send_of_seg_.find(id->get<std::int64_t>());
    if (it == send_of_seg_.end()) return nullptr;
    return &(*events_)[it->second]["seg"];
}

const ojson* TraceIndex::rel_of(const ojson& e) const {
    auto rel = e.find("rel");
    if (rel != e.end() && rel->is_object()) return &*rel;
    auto id = e.find("seg_id");
    if (id == e.end() || !id->is_number_integer()) return nullptr;
    auto it = send_of_seg_.find(id->get<std::int64_t>());
    if (it == send_of_seg_.end()) return nullptr;
    const ojson& send = (*events_)[it->second];
    auto r = send.find("rel");
    return (r != send.end() && r->is_object()) ? &*r : nullptr;
}

std::set<std::string> parse_flag_set(const std::string& text) {
    std::set<std::string> out;
    std::string token;
    std::istringstream in(text);
    while (std::getline(in, token, ',')) {
        token.erase(0, token.find_first_not_of(" \t"));
        token.erase(token.find_last_not_of(" \t") + 1);
        for (char& c : token) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
        if (!token.empty()) out.insert(token);
    }
    return out;
}

std::set<std::string> event_flag_set(const ojson& flags) {
    std::set<std::string> out;
    if (flags.is_array()) {
        for (const auto& f : flags)
            if (f.is_string()) out.insert(f.get<std::string>());
    } else if (flags.is_string()) {
        out = parse_flag_set(flags.get<std::string>());
    }
    return out;
}

std::string canonical_flags(const std::set<std::string>& flags) {
    std::string out;
    for (const auto& f : lesson_flags()) {
        if (!flags.count(f)) continue;
        if (!out.empty()) out += ",";
        out += f;
    }
    return out;
}

bool scalar_equal(const json& wanted, const ojson& actual) {
    if (wanted.is_number() && actual.is_number())
        return wanted.get<double>() == actual.get<double>();
    if (wanted.is_string() && actual.is_string())
        return wanted.get<std::string>() == actual.get<std::string>();
    if (wanted.is_boolean() && actual.is_boolean()) return wanted.get<bool>() == actual.get<bool>();
    if (wanted.is_null()) return actual.is_null();
    if (wanted.is_array() && actual.is_array()) {
        if (wanted.size() != actual.size()) return false;
        for (std::size_t i = 0; i < wanted.size(); ++i)
            if (!scalar_equal(wanted[i], actual[i])) return false;
        return true;
    }
    return false;
}

bool matches(const json& matcher, const TraceIndex& ti, std::size_t index) {
    const ojson& e = ti.event(index);
    for (auto it = matcher.begin(); it != matcher.end(); ++it) {
        const std::string& key = it.key();
        if (key == "nth") continue;
        if (key == "after_ms") {
            if (e.value("t_us", std::int64_t{0}) < std::llround(it->get<double>() * 1000.0))
                return false;
            continue;
        }
        if (key == "before_ms") {
            if (e.value("t_us", std::int64_t{0}) >= std::llround(it->get<double>() * 1000.0))
                return false;
            continue;
        }
        if (key == "with_data") {
            // As in the scenario's fault matcher: does the segment carry payload bytes?
            const ojson* seg = ti.segment_of(e);
            if (!seg) return false;
            const bool has_data = seg->value("len", std::int64_t{0}) > 0;
            if (has_data != it->get<bool>()) return false;
            continue;
        }
        if (key == "seg") {
            const ojson* seg = ti.segment_of(e);
            if (!seg || !object_matches(*it, *seg)) return false;
            continue;
        }
        if (key == "rel") {
            const ojson* rel = ti.rel_of(e);
            if (!rel || !object_matches(*it, *rel)) return false;
            continue;
        }
        if (key == "has_flags" || key == "flags") {
            // A shorthand at the top level: the flags of the event's segment.
            const ojson* seg = ti.segment_of(e);
            if (!seg) return false;
            auto f = seg->find("flags");
            if (f == seg->end()) return false;
            bool ok = key == "flags" ? flags_equal(it->get<std::string>(), *f)
                                     : flags_include(it->get<std::string>(), *f);
            if (!ok) return false;
            continue;
        }
        auto a = e.find(key);
        if (a == e.end()) return false;
        if (it->is_object()) {
            if (!object_matches(*it, *a)) return false;
        } else if (!scalar_equal(*it, *a)) {
            return false;
        }
    }
    return true;
}

std::optional<std::size_t> find_in(const json& matcher, const TraceIndex& ti, std::size_t from,
                                   std::size_t end) {
    int nth = matcher.value("nth", 1);
    for (std::size_t i = from; i < end && i < ti.size(); ++i) {
        if (matches(matcher, ti, i) && --nth == 0) return i;
    }
    return std::nullopt;
}

void validate_matcher(const json& m, const std::string& file, const std::string& pointer) {
    if (!m.is_object())
        fail(file, pointer, "expected an event matcher object such as {\"kind\": \"state\", ...}");
    std::size_t fields = 0;
    for (auto it = m.begin(); it != m.end(); ++it) {
        const std::string& key = it.key();
        const std::string p = child(pointer, key);
        if (key == "nth") {
            if (!it->is_number_integer() || it->get<std::int64_t>() < 1)
                fail(file, p, "expected a positive integer (1 = first match)");
            continue;
        }
        ++fields;
        if (key == "kind") {
            if (!it->is_string() || !kEventKinds.count(it->get<std::string>()))
                fail(file, p,
                     "expected an event kind (call, return, send, deliver, drop, discard, state, "
                     "timer, queue, action, note, buffers, signal)");
        } else if (key == "after_ms" || key == "before_ms") {
            if (!it->is_number() || it->get<double>() < 0)
                fail(file, p, "expected a time in milliseconds (a number >= 0)");
        } else if (key == "flags" || key == "has_flags") {
            validate_flags_text(*it, file, p);
        } else if (key == "with_data") {
            if (!it->is_boolean()) fail(file, p, "expected true or false");
        } else if (it->is_object()) {
            validate_sub_matcher(*it, file, p);
        }
    }
    if (fields == 0) fail(file, pointer, "expected at least one field to match besides \"nth\"");
}

std::string describe(const json& matcher) { return matcher.dump(); }

std::size_t locate(const json& matcher, const TraceIndex& ti, std::size_t from,
                   const std::string& file, const std::string& pointer) {
    validate_matcher(matcher, file, pointer);
    auto found = find_in(matcher, ti, from, ti.size());
    if (!found)
        fail(file, pointer,
             "expected an event matching " + describe(matcher) + " at or after event " +
                 std::to_string(from) + ", but the trace's " + std::to_string(ti.size()) +
                 " events have none");
    return *found;
}

}  // namespace detail

bool event_matches(const nlohmann::json& matcher, const nlohmann::ordered_json& trace,
                   std::size_t index) {
    detail::TraceIndex ti(trace);
    if (index >= ti.size() || !matcher.is_object()) return false;
    return detail::matches(matcher, ti, index);
}

std::optional<std::size_t> find_event(const nlohmann::json& matcher,
                                      const nlohmann::ordered_json& trace, std::size_t from) {
    detail::TraceIndex ti(trace);
    if (!matcher.is_object()) return std::nullopt;
    return detail::find_in(matcher, ti, from, ti.size());
}

}  // namespace tcplab::lesson
