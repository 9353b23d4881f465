// The lesson resolver (core/include/tcplab/lesson.hpp, docs/LESSONS.md).
//
// Order of work: validate the lesson's shape -> choose parameter values -> substitute them ->
// run the engine -> cut the trace into steps with event matchers -> evaluate every fact query
// (quiz answers, evidence, named facts) -> interpolate {{names}} into the texts.
// Every error names the file, a JSON pointer into the lesson and what was expected there.
#include "tcplab/lesson.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <map>
#include <set>
#include <sstream>
#include <unordered_map>
#include <vector>

namespace tcplab {
namespace lesson {
namespace {

using json = nlohmann::json;
using ojson = nlohmann::ordered_json;

const char* const kLanguages[] = {"zh-CN", "en"};

const std::set<std::string> kEventKinds = {"call",    "return",  "send",  "deliver", "drop",
                                           "discard", "state",   "timer", "queue",   "action",
                                           "note",    "buffers", "signal"};
// Flags in the trace's bit order (FIN, SYN, RST, PSH, ACK, URG).
const std::vector<std::string> kFlagOrder = {"FIN", "SYN", "RST", "PSH", "ACK", "URG"};
const std::set<std::string> kQuizKinds = {"choice", "predict_segment", "predict_state",
                                          "number", "order",           "which_side"};
const std::set<std::string> kLevels = {"basics", "intermediate", "failures"};

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

// ---- trace access --------------------------------------------------------------------------

// The trace's events plus a map from segment id to the send event that carries it, so that
// deliver/drop/discard events can be matched by the segment they concern.
class TraceIndex {
public:
    explicit TraceIndex(const ojson& trace) : trace_(trace) {
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
    std::size_t size() const { return events_->size(); }
    const ojson& event(std::size_t i) const { return (*events_)[i]; }
    const ojson& trace() const { return trace_; }

    // The segment an event concerns: its own "seg" (send), or the sent segment named by seg_id.
    const ojson* segment_of(const ojson& e) const {
        auto seg = e.find("seg");
        if (seg != e.end() && seg->is_object()) return &*seg;
        auto id = e.find("seg_id");
        if (id == e.end() || !id->is_number_integer()) return nullptr;
        auto it = send_of_seg_.find(id->get<std::int64_t>());
        if (it == send_of_seg_.end()) return nullptr;
        return &(*events_)[it->second]["seg"];
    }
    // The rel {seq, ack} of the send event behind an event, if any.
    const ojson* rel_of(const ojson& e) const {
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

private:
    const ojson& trace_;
    const ojson* events_;
    std::unordered_map<std::int64_t, std::size_t> send_of_seg_;
};

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

// "SYN,ACK": the trace's flags written as a comma set in the trace's bit order.
std::string canonical_flags(const std::set<std::string>& flags) {
    std::string out;
    for (const auto& f : kFlagOrder) {
        if (!flags.count(f)) continue;
        if (!out.empty()) out += ",";
        out += f;
    }
    return out;
}

bool flags_equal(const std::string& wanted_text, const ojson& actual) {
    std::set<std::string> wanted = parse_flag_set(wanted_text);
    std::set<std::string> got = event_flag_set(actual);
    // As in the scenario's fault matcher (CONTRACTS.md): PSH is ignored unless named.
    if (!wanted.count("PSH")) got.erase("PSH");
    return wanted == got;
}

bool flags_include(const std::string& wanted_text, const ojson& actual) {
    std::set<std::string> got = event_flag_set(actual);
    for (const auto& f : parse_flag_set(wanted_text))
        if (!got.count(f)) return false;
    return true;
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

// ---- validation ----------------------------------------------------------------------------

void validate_flags_text(const json& v, const std::string& file, const std::string& pointer) {
    if (!v.is_string()) fail(file, pointer, "expected a comma set of flags such as \"SYN,ACK\"");
    auto set = parse_flag_set(v.get<std::string>());
    if (set.empty())
        fail(file, pointer, "expected at least one flag (FIN, SYN, RST, PSH, ACK, URG)");
    for (const auto& f : set)
        if (std::find(kFlagOrder.begin(), kFlagOrder.end(), f) == kFlagOrder.end())
            fail(file, pointer,
                 "unknown flag \"" + f + "\" (expected FIN, SYN, RST, PSH, ACK, URG)");
}

void validate_sub_matcher(const json& m, const std::string& file, const std::string& pointer) {
    for (auto it = m.begin(); it != m.end(); ++it) {
        if (it.key() == "flags" || it.key() == "has_flags")
            validate_flags_text(*it, file, child(pointer, it.key()));
        else if (it->is_object())
            validate_sub_matcher(*it, file, child(pointer, it.key()));
    }
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

void validate_text(const json& parent, const char* key, const std::string& file,
                   const std::string& pointer, bool required = true) {
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

// ---- parameters ----------------------------------------------------------------------------

// splitmix64: a tiny, portable generator so a seed picks the same values everywhere.
std::uint64_t splitmix64(std::uint64_t& state) {
    std::uint64_t z = (state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

void validate_param_value(const json& spec, const json& value, const std::string& file,
                          const std::string& pointer) {
    if (spec.contains("values")) {
        for (const auto& v : spec["values"])
            if (v == value) return;
        fail(file, pointer, "expected one of " + spec["values"].dump());
    }
    if (!value.is_number_integer()) fail(file, pointer, "expected an integer");
    auto v = value.get<std::int64_t>();
    auto lo = spec["min"].get<std::int64_t>();
    auto hi = spec["max"].get<std::int64_t>();
    if (v < lo || v > hi)
        fail(file, pointer,
             "expected an integer from " + std::to_string(lo) + " to " + std::to_string(hi));
}

void validate_params(const json& params, const std::string& file) {
    if (!params.is_object()) fail(file, "/params", "expected an object of parameter specs");
    for (auto it = params.begin(); it != params.end(); ++it) {
        const std::string p = child("/params", it.key());
        const json& spec = *it;
        if (!spec.is_object())
            fail(file, p, "expected {\"min\", \"max\", \"default\"} or {\"values\", \"default\"}");
        validate_text(spec, "label", file, p);
        if (spec.contains("values")) {
            if (!spec["values"].is_array() || spec["values"].empty())
                fail(file, child(p, "values"), "expected a non-empty array of values");
        } else {
            for (const char* k : {"min", "max"}) {
                if (!spec.contains(k) || !spec[k].is_number_integer())
                    fail(file, child(p, k), "expected an integer");
            }
            if (spec["min"].get<std::int64_t>() > spec["max"].get<std::int64_t>())
                fail(file, child(p, "max"), "expected max >= min");
        }
        if (!spec.contains("default"))
            fail(file, child(p, "default"), "missing; expected the default value");
        validate_param_value(spec, spec["default"], file, child(p, "default"));
    }
}

json choose_params(const json& specs, const json& options, const std::string& file) {
    json chosen = json::object();
    const json given = options.value("params", json::object());
    if (!given.is_object()) fail("options", "/params", "expected an object of parameter values");
    for (auto it = given.begin(); it != given.end(); ++it)
        if (!specs.contains(it.key()))
            fail(
                "options", child("/params", it.key()),
                "no such parameter in " + file + " (expected one of " +
                    [&] {
                        std::string names;
                        for (auto s = specs.begin(); s != specs.end(); ++s)
                            names += (names.empty() ? "" : ", ") + s.key();
                        return names.empty() ? std::string("none") : names;
                    }() +
                    ")");
    const bool seeded = options.contains("seed");
    std::uint64_t state = 0;
    if (seeded) {
        if (!options["seed"].is_number_integer())
            fail("options", "/seed", "expected an integer seed");
        state = static_cast<std::uint64_t>(options["seed"].get<std::int64_t>());
    }
    for (auto it = specs.begin(); it != specs.end(); ++it) {
        const json& spec = *it;
        // Draw for every parameter in a fixed order so one seed gives one set of values.
        std::uint64_t draw = seeded ? splitmix64(state) : 0;
        if (given.contains(it.key())) {
            validate_param_value(spec, given[it.key()], "options", child("/params", it.key()));
            chosen[it.key()] = given[it.key()];
        } else if (seeded) {
            if (spec.contains("values")) {
                chosen[it.key()] = spec["values"][draw % spec["values"].size()];
            } else {
                auto lo = spec["min"].get<std::int64_t>();
                auto hi = spec["max"].get<std::int64_t>();
                auto span = static_cast<std::uint64_t>(hi - lo) + 1;
                chosen[it.key()] = lo + static_cast<std::int64_t>(span == 0 ? draw : draw % span);
            }
        } else {
            chosen[it.key()] = spec["default"];
        }
    }
    return chosen;
}

// Replaces every {"$param": "name"} below `node` by the parameter's value.
void substitute(json& node, const json& values, const std::string& file,
                const std::string& pointer) {
    if (node.is_object()) {
        if (node.size() == 1 && node.contains("$param")) {
            const json& name = node["$param"];
            if (!name.is_string() || !values.contains(name.get<std::string>()))
                fail(file, child(pointer, "$param"),
                     "expected the name of a parameter declared in /params");
            node = values[name.get<std::string>()];
            return;
        }
        for (auto it = node.begin(); it != node.end(); ++it)
            substitute(*it, values, file, child(pointer, it.key()));
    } else if (node.is_array()) {
        for (std::size_t i = 0; i < node.size(); ++i)
            substitute(node[i], values, file, child(pointer, i));
    }
}

// ---- facts ---------------------------------------------------------------------------------

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

bool is_listener(const ojson& e) {
    const std::string conn = e.value("conn", "");
    return conn.size() >= 2 && conn.compare(conn.size() - 2, 2, ">*") == 0;
}

struct ConnState {
    std::string state;
    std::size_t index;
};

// Every connection's latest state after event `at` (inclusive), keyed by host then conn.
std::map<std::string, std::map<std::string, ConnState>> states_at(const TraceIndex& ti,
                                                                  std::size_t at,
                                                                  bool with_listeners) {
    std::map<std::string, std::map<std::string, ConnState>> out;
    for (std::size_t i = 0; i <= at && i < ti.size(); ++i) {
        const ojson& e = ti.event(i);
        if (e.value("kind", "") != "state") continue;
        if (!with_listeners && is_listener(e)) continue;
        out[e.value("host", "")][e.value("conn", "")] = {e.value("to", ""), i};
    }
    return out;
}

std::vector<std::string> host_names(const TraceIndex& ti) {
    std::vector<std::string> names;
    auto hosts = ti.trace().find("hosts");
    if (hosts != ti.trace().end() && hosts->is_object())
        for (auto it = hosts->begin(); it != hosts->end(); ++it) names.push_back(it.key());
    return names;
}

// Reads a dotted path ("rel.ack", "seg.flags", "errno") from an event. For an event that
// concerns a segment, paths not found on the event are looked up in the segment.
const ojson* read_path(const ojson& e, const TraceIndex& ti, const std::string& path) {
    auto walk = [&](const ojson* node, const std::string& p) -> const ojson* {
        std::istringstream in(p);
        std::string part;
        while (node && std::getline(in, part, '.')) {
            if (!node->is_object()) return nullptr;
            auto it = node->find(part);
            node = it == node->end() ? nullptr : &*it;
        }
        return node;
    };
    if (path.rfind("seg.", 0) == 0) {
        const ojson* seg = ti.segment_of(e);
        return seg ? walk(seg, path.substr(4)) : nullptr;
    }
    if (path.rfind("rel.", 0) == 0) {
        const ojson* rel = ti.rel_of(e);
        return rel ? walk(rel, path.substr(4)) : nullptr;
    }
    if (const ojson* v = walk(&e, path)) return v;
    if (const ojson* seg = ti.segment_of(e)) return walk(seg, path);
    return nullptr;
}

ojson value_of(const ojson& v, const std::string& path) {
    const bool is_flags =
        path == "flags" || (path.size() > 6 && path.compare(path.size() - 6, 6, ".flags") == 0);
    if (is_flags) return canonical_flags(event_flag_set(v));
    return v;
}

ojson fact_result(ojson value, std::optional<std::size_t> evidence) {
    ojson r = ojson::object();
    r["value"] = std::move(value);
    r["evidence"] = evidence ? ojson(*evidence) : ojson(nullptr);
    return r;
}

ojson evaluate(const json& q, const TraceIndex& ti, std::size_t scope_first, std::size_t scope_last,
               const std::string& file, const std::string& pointer) {
    if (!q.is_object())
        fail(file, pointer, "expected a fact query such as {\"fact\": \"state\", ...}");
    const std::string fact =
        require_string(q, "fact", file, pointer,
                       "a fact name (state, seg, field, errno, segment, count, "
                       "exists, time_between, which_side)");
    const std::string scope = q.value("scope", "step");
    if (scope != "step" && scope != "all")
        fail(file, child(pointer, "scope"), "expected \"step\" or \"all\"");
    const std::size_t start = scope == "all" ? 0 : scope_first;
    auto at_index = [&]() -> std::size_t {
        if (q.contains("at") && q["at"].is_string()) {
            // "shown": the last event already on screen when the quiz stops the playback;
            // "step_end": the step's last event (the default).
            const std::string at = q["at"].get<std::string>();
            if (at == "shown") return scope_first == 0 ? 0 : scope_first - 1;
            if (at != "step_end")
                fail(file, child(pointer, "at"),
                     "expected an event matcher, \"shown\" or \"step_end\"");
        } else if (q.contains("at")) {
            return locate(q["at"], ti, start, file, child(pointer, "at"));
        }
        if (ti.size() == 0) fail(file, pointer, "expected a trace with events");
        return std::min(scope_last, ti.size() - 1);
    };

    if (fact == "state") {
        const std::string host = require_string(q, "host", file, pointer, "a host name");
        const std::size_t at = at_index();
        const bool listeners = q.value("listener", false);
        auto all = states_at(ti, at, listeners);
        const auto& conns = all[host];
        const ConnState* best = nullptr;
        if (q.contains("conn")) {
            auto it = conns.find(q["conn"].get<std::string>());
            if (it != conns.end()) best = &it->second;
        } else {
            // The host's most recently changed connection.
            for (const auto& [conn, st] : conns)
                if (!best || st.index > best->index) best = &st;
        }
        if (!best) return fact_result("CLOSED", at);
        return fact_result(best->state, best->index);
    }
    if (fact == "which_side") {
        const std::string state = require_string(q, "state", file, pointer, "a TCP state name");
        const std::size_t at = at_index();
        auto all = states_at(ti, at, false);
        std::string hosts;
        std::optional<std::size_t> evidence;
        for (const auto& name : host_names(ti)) {
            for (const auto& [conn, st] : all[name]) {
                if (st.state != state) continue;
                hosts += (hosts.empty() ? "" : ",") + name;
                if (!evidence || st.index > *evidence) evidence = st.index;
                break;
            }
        }
        return fact_result(hosts.empty() ? "none" : hosts, evidence ? evidence : at);
    }
    if (fact == "seg" || fact == "field" || fact == "errno") {
        json m = q.contains("match") ? q["match"] : json();
        if (fact == "errno" && m.is_null())
            fail(file, child(pointer, "match"), "expected a matcher for the call's return event");
        if (m.is_null()) fail(file, child(pointer, "match"), "missing; expected an event matcher");
        if (fact == "errno" && !m.contains("kind")) m["kind"] = "return";
        const std::size_t i = locate(m, ti, start, file, child(pointer, "match"));
        const std::string path =
            fact == "errno" ? "errno"
                            : require_string(q, "field", file, pointer,
                                             "a field path such as \"rel.ack\" or \"seg.flags\"");
        const ojson* v = read_path(ti.event(i), ti, path);
        if (!v) {
            if (fact == "errno") return fact_result("none", i);
            fail(file, child(pointer, "field"),
                 "event " + std::to_string(i) + " (" + ti.event(i).dump() + ") has no field \"" +
                     path + "\"");
        }
        return fact_result(value_of(*v, path), i);
    }
    if (fact == "segment") {
        const json& m = require_member(q, "match", file, pointer, "an event matcher");
        const std::size_t i = locate(m, ti, start, file, child(pointer, "match"));
        const ojson* seg = ti.segment_of(ti.event(i));
        if (!seg)
            fail(file, child(pointer, "match"),
                 "expected the matcher to find a segment event, found event " + std::to_string(i));
        const ojson* rel = ti.rel_of(ti.event(i));
        const bool absolute = q.value("absolute", false) || !rel;
        ojson v = ojson::object();
        v["flags"] = canonical_flags(event_flag_set(seg->value("flags", ojson::array())));
        const ojson& nums = absolute ? *seg : *rel;
        v["seq"] = nums.value("seq", ojson(0));
        v["ack"] = nums.value("ack", ojson(0));
        return fact_result(v, i);
    }
    if (fact == "count" || fact == "exists") {
        const json& m = require_member(q, "match", file, pointer, "an event matcher");
        validate_matcher(m, file, child(pointer, "match"));
        std::size_t end = ti.size();
        if (q.contains("until"))
            end = locate(q["until"], ti, start, file, child(pointer, "until")) + 1;
        json plain = m;
        plain.erase("nth");
        std::int64_t count = 0;
        std::optional<std::size_t> last;
        for (std::size_t i = start; i < end; ++i) {
            if (!matches(plain, ti, i)) continue;
            ++count;
            if (!last || fact == "count") last = i;
            if (fact == "exists") break;
        }
        if (fact == "exists") return fact_result(count > 0, last);
        return fact_result(count, last);
    }
    if (fact == "max" || fact == "min") {
        const json& m = require_member(q, "match", file, pointer, "an event matcher");
        validate_matcher(m, file, child(pointer, "match"));
        const std::string path = require_string(q, "field", file, pointer, "a numeric field path");
        std::size_t end = ti.size();
        if (q.contains("until"))
            end = locate(q["until"], ti, start, file, child(pointer, "until")) + 1;
        json plain = m;
        plain.erase("nth");
        std::optional<std::size_t> best;
        double best_value = 0;
        for (std::size_t i = start; i < end; ++i) {
            if (!matches(plain, ti, i)) continue;
            const ojson* v = read_path(ti.event(i), ti, path);
            if (!v || !v->is_number()) continue;
            const double x = v->get<double>();
            if (!best || (fact == "max" ? x > best_value : x < best_value)) {
                best = i;
                best_value = x;
            }
        }
        if (!best)
            fail(file, child(pointer, "match"),
                 "expected events matching " + describe(m) + " with a numeric \"" + path +
                     "\" at or after event " + std::to_string(start));
        return fact_result(*read_path(ti.event(*best), ti, path), best);
    }
    if (fact == "difference") {
        // to - from, e.g. how far one ISN is from another; "modulo" wraps (2^32 for sequence
        // numbers, RFC 9293 §3.4).
        const json& a = require_member(q, "from", file, pointer, "a fact query");
        const json& b = require_member(q, "to", file, pointer, "a fact query");
        ojson ra = evaluate(a, ti, scope_first, scope_last, file, child(pointer, "from"));
        ojson rb = evaluate(b, ti, scope_first, scope_last, file, child(pointer, "to"));
        if (!ra["value"].is_number() || !rb["value"].is_number())
            fail(file, pointer,
                 "expected both facts to be numbers, got " + ra["value"].dump() + " and " +
                     rb["value"].dump());
        if (ra["value"].is_number_integer() && rb["value"].is_number_integer()) {
            std::int64_t d = rb["value"].get<std::int64_t>() - ra["value"].get<std::int64_t>();
            if (q.contains("modulo")) {
                if (!q["modulo"].is_number_integer() || q["modulo"].get<std::int64_t>() <= 0)
                    fail(file, child(pointer, "modulo"), "expected a positive integer");
                const std::int64_t mod = q["modulo"].get<std::int64_t>();
                d = ((d % mod) + mod) % mod;
            }
            return fact_result(d,
                               rb["evidence"].is_null()
                                   ? std::optional<std::size_t>()
                                   : std::optional<std::size_t>(rb["evidence"].get<std::size_t>()));
        }
        const double d = rb["value"].get<double>() - ra["value"].get<double>();
        return fact_result(std::round(d * 1000.0) / 1000.0,
                           rb["evidence"].is_null()
                               ? std::optional<std::size_t>()
                               : std::optional<std::size_t>(rb["evidence"].get<std::size_t>()));
    }
    if (fact == "time_between") {
        const json& from_m = require_member(q, "from", file, pointer, "an event matcher");
        const json& to_m = require_member(q, "to", file, pointer, "an event matcher");
        const std::size_t a = locate(from_m, ti, start, file, child(pointer, "from"));
        const std::size_t b = locate(to_m, ti, a, file, child(pointer, "to"));
        const std::string unit = q.value("unit", "ms");
        double div = unit == "us" ? 1.0 : unit == "ms" ? 1000.0 : unit == "s" ? 1e6 : 0.0;
        if (div == 0.0) fail(file, child(pointer, "unit"), "expected \"us\", \"ms\" or \"s\"");
        const double dt = static_cast<double>(ti.event(b).value("t_us", std::int64_t{0}) -
                                              ti.event(a).value("t_us", std::int64_t{0})) /
                          div;
        // Integral results stay integers; others keep three decimals.
        if (dt == std::floor(dt)) return fact_result(static_cast<std::int64_t>(dt), b);
        return fact_result(std::round(dt * 1000.0) / 1000.0, b);
    }
    fail(file, child(pointer, "fact"),
         "unknown fact \"" + fact +
             "\" (expected state, seg, field, errno, segment, count, exists, max, min, "
             "difference, time_between, which_side)");
}

// ---- texts ---------------------------------------------------------------------------------

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

ojson resolve_text(const json& text, const std::map<std::string, ojson>& values,
                   const std::string& file, const std::string& pointer) {
    ojson out = ojson::object();
    for (const char* lang : kLanguages)
        out[lang] = interpolate(text[lang].get<std::string>(), values, file, child(pointer, lang));
    return out;
}

bool values_equal(const ojson& a, const json& b) {
    if (a.is_object() && b.is_object()) {
        if (a.size() != b.size()) return false;
        for (auto it = b.begin(); it != b.end(); ++it) {
            auto x = a.find(it.key());
            if (x == a.end()) return false;
            if (it.key() == "flags" && it->is_string() && x->is_string()) {
                if (parse_flag_set(it->get<std::string>()) != parse_flag_set(x->get<std::string>()))
                    return false;
            } else if (!scalar_equal(*it, *x)) {
                return false;
            }
        }
        return true;
    }
    if (a.is_string() && b.is_string() && a.get<std::string>().find(',') != std::string::npos)
        return parse_flag_set(a.get<std::string>()) == parse_flag_set(b.get<std::string>());
    return scalar_equal(b, a);
}

// Inclusive event indices of one step.
struct StepRange {
    std::size_t first;
    std::size_t last;
};

// ---- constants and checks -------------------------------------------------------------------

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

// A step's or a quiz's "checks": claims its texts make about this run, each a fact query with
// the value the text states ("equals") or a bound ("at_least", "at_most"). A text that says
// "the client sends four segments" carries a check that counts them, so the sentence cannot
// silently become false when the engine or the scenario changes.
void verify_checks(const json& owner, const TraceIndex& ti, std::size_t first, std::size_t last,
                   const std::string& file, const std::string& pointer) {
    auto it = owner.find("checks");
    if (it == owner.end()) return;
    const std::string cp = child(pointer, "checks");
    if (!it->is_array()) fail(file, cp, "expected an array of checks (fact queries with equals)");
    for (std::size_t i = 0; i < it->size(); ++i) {
        const std::string p = child(cp, i);
        const json& check = (*it)[i];
        if (!check.is_object()) fail(file, p, "expected a fact query with \"equals\"");
        json query = check;
        std::string about;
        if (query.contains("about")) {
            if (!query["about"].is_string())
                fail(file, child(p, "about"), "expected a short description of the claim");
            about = query["about"].get<std::string>();
            query.erase("about");
        }
        const bool has_eq = query.contains("equals");
        const bool has_lo = query.contains("at_least");
        const bool has_hi = query.contains("at_most");
        if (!has_eq && !has_lo && !has_hi)
            fail(file, p,
                 "expected \"equals\" (or \"at_least\"/\"at_most\"): the value the text states");
        if (has_eq && (has_lo || has_hi))
            fail(file, p, "expected either \"equals\" or bounds, not both");
        for (const char* k : {"at_least", "at_most"})
            if (query.contains(k) && !query[k].is_number())
                fail(file, child(p, k), "expected a number");
        const json equals = has_eq ? query["equals"] : json();
        const json lo = has_lo ? query["at_least"] : json();
        const json hi = has_hi ? query["at_most"] : json();
        query.erase("equals");
        query.erase("at_least");
        query.erase("at_most");
        ojson r = evaluate(query, ti, first, last, file, p);
        const ojson& v = r["value"];
        bool ok = true;
        std::string claim;
        if (has_eq) {
            ok = values_equal(v, equals);
            claim = equals.dump();
        } else {
            if (!v.is_number())
                fail(file, p, "expected a numeric fact for a bound, got " + v.dump());
            const double x = v.get<double>();
            if (has_lo && x < lo.get<double>()) ok = false;
            if (has_hi && x > hi.get<double>()) ok = false;
            claim = has_lo && has_hi ? "from " + lo.dump() + " to " + hi.dump()
                    : has_lo         ? "at least " + lo.dump()
                                     : "at most " + hi.dump();
        }
        if (!ok)
            fail(file, p,
                 (about.empty() ? std::string("the text") : "the claim \"" + about + "\"") +
                     " expects " + claim + ", but the trace gives " + format_value(v) +
                     (r["evidence"].is_null() ? std::string()
                                              : " (event " + r["evidence"].dump() + ")"));
    }
}

// ---- a quiz the learner can answer without seeing its answer ---------------------------------

// The flag boxes and the state list the player offers (web/src/ui/quiz.ts, web/src/types.ts).
const std::set<std::string> kAnswerableFlags = {"FIN", "SYN", "RST", "PSH", "ACK"};
const std::set<std::string> kStateNames = {
    "CLOSED",     "LISTEN",     "SYN_SENT", "SYN_RECEIVED", "ESTABLISHED", "FIN_WAIT_1",
    "FIN_WAIT_2", "CLOSE_WAIT", "CLOSING",  "LAST_ACK",     "TIME_WAIT"};

void check_answerable(const std::string& kind, const ojson& answer, const std::string& file,
                      const std::string& p) {
    if (!answer.contains("value")) return;
    const ojson& v = answer["value"];
    if (kind == "predict_segment" && v.is_object()) {
        for (const auto& f : parse_flag_set(v.value("flags", "")))
            if (!kAnswerableFlags.count(f))
                fail(file, child(p, "answer"),
                     "expected a segment whose flags the player offers (FIN, SYN, RST, PSH, "
                     "ACK), but the answer has " +
                         f);
    }
    if (kind == "predict_state" && !(v.is_string() && kStateNames.count(v.get<std::string>())))
        fail(file, child(p, "answer"), "expected one of the eleven TCP states, got " + v.dump());
    if (kind == "number" && !(v.is_number() && std::isfinite(v.get<double>())))
        fail(file, child(p, "answer"), "expected a finite number, got " + v.dump());
}

// `needle` occurs in `text` as a word of its own: no letter, digit or '_' touches it, and a
// number is not part of a longer decimal ("5" is not in "1.5").
bool contains_token(const std::string& text, const std::string& needle) {
    if (needle.empty()) return false;
    auto word = [](char c) {
        const auto u = static_cast<unsigned char>(c);
        return u < 0x80 && (std::isalnum(u) || c == '_');
    };
    auto digit = [](char c) { return c >= '0' && c <= '9'; };
    for (std::size_t pos = text.find(needle); pos != std::string::npos;
         pos = text.find(needle, pos + 1)) {
        const std::size_t end = pos + needle.size();
        bool ok = (pos == 0 || !word(text[pos - 1])) && (end >= text.size() || !word(text[end]));
        if (ok && pos >= 2 && text[pos - 1] == '.' && digit(text[pos - 2])) ok = false;
        if (ok && end + 1 < text.size() && text[end] == '.' && digit(text[end + 1])) ok = false;
        if (ok) return true;
    }
    return false;
}

std::string brief(const ojson& e, std::size_t index) {
    std::string s = "event " + std::to_string(index) + " (" + e.value("kind", "?");
    if (e.contains("host")) s += " " + e.value("host", "");
    if (e.contains("to") && e["to"].is_string()) s += " -> " + e["to"].get<std::string>();
    if (e.contains("call") && e["call"].is_string()) s += " " + e["call"].get<std::string>();
    if (e.contains("errno") && e["errno"].is_string()) s += " " + e["errno"].get<std::string>();
    if (e.contains("seg") && e["seg"].contains("flags"))
        s += " " + canonical_flags(event_flag_set(e["seg"]["flags"]));
    return s + ")";
}

// What the page shows while a quiz is open is the world *before* the quiz's step: every event
// up to the previous step's last one, that step's title and narration, the prompt, and any
// quiz asked just before at the same moment. None of it may give the answer away
// (docs/LESSONS.md "Quizzes").
void check_answer_hidden(const json& quiz, const ojson& out, const ojson& answer,
                         const std::optional<std::size_t>& evidence, const TraceIndex& ti,
                         const std::vector<StepRange>& ranges, std::size_t step,
                         const ojson& out_steps, const ojson& earlier_quizzes,
                         const ojson& lesson_texts, const std::string& file, const std::string& p) {
    const std::size_t shown = ranges[step - 1].last;
    const std::string before = out_steps[step].contains("id")
                                   ? "step \"" + out_steps[step]["id"].get<std::string>() + "\""
                                   : "step " + std::to_string(step);
    const std::string on_screen = "is already on screen when the quiz stops before " + before +
                                  " (events 0 to " + std::to_string(shown) + " are shown)";
    const bool is_concept = answer.value("kind", "") == "concept";
    if (!is_concept && evidence && *evidence <= shown)
        fail(file, p,
             "expected the answer to happen after the quiz, but its evidence, " +
                 brief(ti.event(*evidence), *evidence) + ", " + on_screen +
                 "; ask it before an earlier step, or about a later event");
    if (out.contains("items"))
        for (const auto& item : out["items"]) {
            const std::size_t idx = item["event"].get<std::size_t>();
            if (idx <= shown)
                fail(file, child(p, "items"),
                     "expected every item to happen after the quiz, but item \"" +
                         item["id"].get<std::string>() + "\", " + brief(ti.event(idx), idx) + ", " +
                         on_screen);
        }
    // A state that does not change during the step is on the lane header and the state diagram.
    const std::string kind = out["kind"].get<std::string>();
    if (!is_concept && (kind == "predict_state" || kind == "which_side")) {
        json now = quiz["answer"];
        now["at"] = "shown";
        ojson r =
            evaluate(now, ti, ranges[step].first, ranges[step].last, file, child(p, "answer"));
        if (values_equal(r["value"], json::parse(answer["value"].dump())))
            fail(file, child(p, "answer"),
                 "expected an answer that is not on screen yet, but " +
                     format_value(answer["value"]) + " " + on_screen +
                     " (the lane headers and the state diagram show it)");
    }
    // Words that would name the answer in the narration on screen or in the prompt itself.
    std::vector<std::string> needles;
    if (is_concept) {
        const std::string correct = answer.value("choice", "");
        for (const auto& c : out["choices"])
            if (c["id"] == correct)
                for (const char* lang : kLanguages) {
                    // A short label ("Yes", "A") is an ordinary word; a sentence is the answer.
                    const std::string text = c["text"][lang];
                    if (text.size() >= 12) needles.push_back(text);
                }
    } else if (answer.contains("value")) {
        const ojson& v = answer["value"];
        if (v.is_number()) {
            needles.push_back(format_value(v));
        } else if (v.is_string() && kind != "which_side") {
            const std::string s = v.get<std::string>();
            // A state or an errno names itself; a flag set or a host name is too common a word.
            if (kStateNames.count(s) ||
                (s.size() > 2 && s[0] == 'E' &&
                 s.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZ") == std::string::npos))
                needles.push_back(s);
        }
    }
    struct Shown {
        std::string where;
        const ojson* text;
    };
    std::vector<Shown> texts;
    const ojson& prev = out_steps[step - 1];
    const std::string sp = child("/steps", step - 1);
    if (prev.contains("title")) texts.push_back({child(sp, "title"), &prev["title"]});
    texts.push_back({child(sp, "text"), &prev["text"]});
    texts.push_back({child(p, "prompt"), &out["prompt"]});
    // The lesson's title is in the page's header the whole time, and its summary is what the
    // learner read to choose it.
    for (auto it = lesson_texts.begin(); it != lesson_texts.end(); ++it)
        texts.push_back({"/" + it.key(), &*it});
    // Quizzes asked at the same moment come one after another: their prompts and explanations
    // are still on screen.
    for (std::size_t i = 0; i < earlier_quizzes.size(); ++i) {
        const ojson& q = earlier_quizzes[i];
        if (q["step"].get<std::size_t>() != step) continue;
        const std::string qp = child("/quizzes", i);
        texts.push_back({child(qp, "prompt"), &q["prompt"]});
        texts.push_back({child(qp, "explain"), &q["explain"]});
    }
    for (const auto& needle : needles)
        for (const auto& t : texts)
            for (const char* lang : kLanguages)
                if (contains_token((*t.text)[lang].get<std::string>(), needle))
                    fail(file, child(t.where, lang),
                         "expected a text that does not name the answer of quiz \"" +
                             out["id"].get<std::string>() + "\" (" + needle +
                             "), but it is shown while the quiz is open");
}

// ---- the lesson ----------------------------------------------------------------------------

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

std::vector<StepRange> resolve_steps(const json& steps, const TraceIndex& ti,
                                     const std::string& file,
                                     std::map<std::string, std::size_t>& ids) {
    std::vector<StepRange> ranges;
    std::size_t cursor = 0;
    for (std::size_t i = 0; i < steps.size(); ++i) {
        const std::string p = child("/steps", i);
        const json& step = steps[i];
        if (!step.is_object()) fail(file, p, "expected a step object");
        if (step.contains("id")) {
            if (!step["id"].is_string() || step["id"].get<std::string>().empty())
                fail(file, child(p, "id"), "expected a step id string");
            if (!ids.emplace(step["id"].get<std::string>(), i).second)
                fail(file, child(p, "id"), "expected a unique step id");
        }
        validate_text(step, "text", file, p);
        validate_text(step, "title", file, p, false);
        const json& until = require_member(step, "until", file, p, "an event matcher or \"end\"");
        if (cursor >= ti.size())
            fail(file, child(p, "until"),
                 "expected events after event " + std::to_string(cursor == 0 ? 0 : cursor - 1) +
                     ", but the trace has only " + std::to_string(ti.size()) +
                     " events (the previous step already reached its end)");
        std::size_t last;
        if (until.is_string()) {
            if (until.get<std::string>() != "end")
                fail(file, child(p, "until"), "expected an event matcher or \"end\"");
            last = ti.size() - 1;
        } else {
            validate_matcher(until, file, child(p, "until"));
            auto found = find_in(until, ti, cursor, ti.size());
            if (!found)
                fail(file, child(p, "until"),
                     "expected an event matching " + describe(until) +
                         (cursor == 0 ? std::string(" in the trace")
                                      : " after event " + std::to_string(cursor - 1)) +
                         ", but none of the trace's " + std::to_string(ti.size()) +
                         " events from index " + std::to_string(cursor) + " on matches");
            last = *found;
        }
        ranges.push_back({cursor, last});
        cursor = last + 1;
    }
    return ranges;
}

ojson resolve_quiz(const json& quiz, std::size_t qi, const TraceIndex& ti,
                   const std::vector<StepRange>& ranges,
                   const std::map<std::string, std::size_t>& step_ids, const ojson& out_steps,
                   const ojson& earlier_quizzes, const ojson& lesson_texts,
                   const std::map<std::string, ojson>& values_in, const std::string& file) {
    const std::string p = child("/quizzes", qi);
    if (!quiz.is_object()) fail(file, p, "expected a quiz object");
    const std::string id = require_string(quiz, "id", file, p, "a quiz id");
    const std::string kind = require_string(quiz, "kind", file, p,
                                            "choice, predict_segment, predict_state, number, order "
                                            "or which_side");
    if (!kQuizKinds.count(kind))
        fail(file, child(p, "kind"),
             "expected choice, predict_segment, predict_state, number, order or which_side");
    const json& before =
        require_member(quiz, "before", file, p, "the id or index of the step it stops before");
    std::size_t step = 0;
    if (before.is_string()) {
        auto it = step_ids.find(before.get<std::string>());
        if (it == step_ids.end()) fail(file, child(p, "before"), "expected the id of a step");
        step = it->second;
    } else if (before.is_number_integer() && before.get<std::int64_t>() >= 0 &&
               static_cast<std::size_t>(before.get<std::int64_t>()) < ranges.size()) {
        step = before.get<std::size_t>();
    } else {
        fail(file, child(p, "before"), "expected a step id or a step index");
    }
    // The page always shows the first step, so there is no moment "before" it to stop at: such
    // a quiz could never be shown, yet it would still have to be answered.
    if (step == 0)
        fail(file, child(p, "before"),
             "expected a step after the first one: the player shows the first step as soon as "
             "the lesson opens, so a quiz cannot stop the playback before it");
    validate_text(quiz, "prompt", file, p);
    validate_text(quiz, "explain", file, p);
    const std::size_t scope_first = ranges[step].first;
    const std::size_t scope_last = ranges[step].last;

    ojson out = ojson::object();
    out["id"] = id;
    out["kind"] = kind;
    out["step"] = step;

    const bool is_concept = quiz.contains("correct");
    ojson answer = ojson::object();
    std::optional<std::size_t> evidence;
    ojson computed;
    if (is_concept) {
        if (quiz.value("answer_kind", "") != "concept")
            fail(file, child(p, "answer_kind"),
                 "expected \"concept\": a hand-written \"correct\" choice is only for conceptual "
                 "questions; facts of the simulation need an \"answer\" fact query");
        if (kind != "choice")
            fail(file, child(p, "correct"),
                 "expected a fact query in \"answer\": only \"choice\" quizzes may be conceptual");
        if (quiz.contains("answer"))
            fail(file, child(p, "answer"),
                 "expected either \"answer\" (a fact) or \"correct\", not both");
        answer["kind"] = "concept";
    } else {
        if (quiz.contains("answer_kind") && quiz["answer_kind"] != "fact")
            fail(file, child(p, "answer_kind"),
                 "expected \"fact\" (or \"concept\" with \"correct\")");
        if (kind == "order") {
            answer["kind"] = "fact";
        } else {
            const json& q =
                require_member(quiz, "answer", file, p,
                               "a fact query (or \"correct\" with \"answer_kind\": \"concept\")");
            const std::string fact = q.is_object() ? q.value("fact", "") : "";
            if (kind == "predict_state" && fact != "state")
                fail(file, child(p, "answer/fact"), "expected \"state\" for a predict_state quiz");
            if (kind == "which_side" && fact != "which_side")
                fail(file, child(p, "answer/fact"),
                     "expected \"which_side\" for a which_side quiz");
            if (kind == "predict_segment" && fact != "segment")
                fail(file, child(p, "answer/fact"),
                     "expected \"segment\" for a predict_segment quiz");
            ojson r = evaluate(q, ti, scope_first, scope_last, file, child(p, "answer"));
            computed = r["value"];
            if (kind == "number" && !computed.is_number())
                fail(file, child(p, "answer"),
                     "expected a fact with a numeric value for a number quiz, got " +
                         computed.dump());
            if (!r["evidence"].is_null()) evidence = r["evidence"].get<std::size_t>();
            answer["kind"] = "fact";
            answer["value"] = computed;
            // The player labels the seq/ack fields: relative to the ISNs, or as on the wire.
            if (fact == "segment" && evidence)
                out["absolute"] = q.value("absolute", false) || !ti.rel_of(ti.event(*evidence));
        }
    }

    std::map<std::string, ojson> values = values_in;
    if (!computed.is_null()) {
        values["answer"] = computed;
        values["ans"] = computed;  // short alias
    }

    // order: each item's event is found from the step on; the answer lists item ids in trace order.
    if (kind == "order") {
        const json& items =
            require_member(quiz, "items", file, p, "an array of at least two items");
        if (!items.is_array() || items.size() < 2)
            fail(file, child(p, "items"), "expected an array of at least two items");
        std::vector<std::pair<std::size_t, std::string>> found;
        ojson out_items = ojson::array();
        std::set<std::string> item_ids;
        const std::size_t start = quiz.value("scope", "step") == "all" ? 0 : scope_first;
        for (std::size_t i = 0; i < items.size(); ++i) {
            const std::string ip = child(child(p, "items"), i);
            const std::string iid = require_string(items[i], "id", file, ip, "an item id");
            if (!item_ids.insert(iid).second)
                fail(file, child(ip, "id"), "expected a unique item id");
            validate_text(items[i], "text", file, ip);
            const json& m = require_member(items[i], "match", file, ip, "an event matcher");
            std::size_t idx = locate(m, ti, start, file, child(ip, "match"));
            for (const auto& [other, oid] : found)
                if (other == idx)
                    fail(file, child(ip, "match"),
                         "expected a different event than item \"" + oid + "\" (both match event " +
                             std::to_string(idx) + ")");
            found.emplace_back(idx, iid);
            ojson item = ojson::object();
            item["id"] = iid;
            item["text"] = resolve_text(items[i]["text"], values, file, child(ip, "text"));
            item["event"] = idx;
            out_items.push_back(item);
        }
        std::sort(found.begin(), found.end());
        ojson order = ojson::array();
        for (const auto& [idx, iid] : found) order.push_back(iid);
        answer["value"] = order;
        evidence = found.back().first;
        values["answer"] = order;
        values["ans"] = order;
        out["items"] = out_items;
    }

    // Choices: machine values, and for fact answers exactly one must equal the computed value.
    const bool needs_choices = kind == "choice" || kind == "predict_state" || kind == "which_side";
    if (quiz.contains("choices") || needs_choices) {
        const json& choices =
            require_member(quiz, "choices", file, p, "an array of at least two choices");
        if (!choices.is_array() || choices.size() < 2)
            fail(file, child(p, "choices"), "expected an array of at least two choices");
        ojson out_choices = ojson::array();
        std::set<std::string> choice_ids;
        std::vector<std::string> hits;
        for (std::size_t i = 0; i < choices.size(); ++i) {
            const std::string cp = child(child(p, "choices"), i);
            const json& c = choices[i];
            const std::string cid = require_string(c, "id", file, cp, "a choice id");
            if (!choice_ids.insert(cid).second)
                fail(file, child(cp, "id"), "expected a unique choice id");
            ojson oc = ojson::object();
            oc["id"] = cid;
            if (c.contains("text")) {
                validate_text(c, "text", file, cp);
                oc["text"] = resolve_text(c["text"], values, file, child(cp, "text"));
            } else if (c.contains("value") && (c["value"].is_string() || c["value"].is_number())) {
                // A language-neutral label: a state name, a flag set, a number.
                std::string label =
                    c["value"].is_string() ? c["value"].get<std::string>() : c["value"].dump();
                oc["text"] = ojson{{"zh-CN", label}, {"en", label}};
            } else {
                fail(file, child(cp, "text"),
                     "missing; expected a text (or a string/number value as its label)");
            }
            if (!is_concept) {
                const json& v = require_member(c, "value", file, cp,
                                               "the machine value this choice stands for");
                oc["value"] = v;
                if (values_equal(computed, v)) hits.push_back(cid);
            } else if (c.contains("value")) {
                oc["value"] = c["value"];
            }
            out_choices.push_back(oc);
        }
        if (is_concept) {
            const std::string correct =
                quiz["correct"].is_string() ? quiz["correct"].get<std::string>() : "";
            if (!choice_ids.count(correct))
                fail(file, child(p, "correct"), "expected the id of one of the choices");
            answer["choice"] = correct;
        } else if (kind != "order") {
            if (hits.empty())
                fail(file, child(p, "choices"),
                     "expected exactly one choice whose value equals the computed answer " +
                         computed.dump() + ", but none does");
            if (hits.size() > 1)
                fail(file, child(p, "choices"),
                     "expected exactly one choice whose value equals the computed answer " +
                         computed.dump() + ", but \"" + hits[0] + "\" and \"" + hits[1] +
                         "\" both do");
            answer["choice"] = hits[0];
        }
        out["choices"] = out_choices;
    }
    if (quiz.contains("tolerance")) {
        if (kind != "number" || !quiz["tolerance"].is_number() ||
            quiz["tolerance"].get<double>() < 0)
            fail(file, child(p, "tolerance"), "expected a number >= 0 (number quizzes only)");
        out["tolerance"] = quiz["tolerance"];
    }
    if (quiz.contains("unit")) {
        validate_text(quiz, "unit", file, p);
        out["unit"] = resolve_text(quiz["unit"], values, file, child(p, "unit"));
    }
    if (quiz.contains("evidence")) {
        const std::size_t start = quiz.value("scope", "step") == "all" ? 0 : scope_first;
        evidence = locate(quiz["evidence"], ti, start, file, child(p, "evidence"));
    }
    if (!is_concept && !evidence)
        fail(file, p,
             "expected an \"evidence\" matcher: the answer's fact query points at no event");

    out["prompt"] = resolve_text(quiz["prompt"], values, file, child(p, "prompt"));
    check_answerable(kind, answer, file, p);
    check_answer_hidden(quiz, out, answer, evidence, ti, ranges, step, out_steps, earlier_quizzes,
                        lesson_texts, file, p);
    verify_checks(quiz, ti, scope_first, scope_last, file, p);
    out["answer"] = answer;
    out["evidence"] = evidence ? ojson(*evidence) : ojson(nullptr);
    out["explain"] = resolve_text(quiz["explain"], values, file, child(p, "explain"));
    return out;
}

}  // namespace

namespace {

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

bool event_matches(const nlohmann::json& matcher, const nlohmann::ordered_json& trace,
                   std::size_t index) {
    TraceIndex ti(trace);
    if (index >= ti.size() || !matcher.is_object()) return false;
    return matches(matcher, ti, index);
}

std::optional<std::size_t> find_event(const nlohmann::json& matcher,
                                      const nlohmann::ordered_json& trace, std::size_t from) {
    TraceIndex ti(trace);
    if (!matcher.is_object()) return std::nullopt;
    return find_in(matcher, ti, from, ti.size());
}

nlohmann::ordered_json evaluate_fact(const nlohmann::json& query,
                                     const nlohmann::ordered_json& trace, std::size_t scope_first,
                                     std::size_t scope_last, const std::string& file,
                                     const std::string& pointer) {
    TraceIndex ti(trace);
    return evaluate(query, ti, scope_first, scope_last, file, pointer);
}

nlohmann::ordered_json resolve_lesson_with(const nlohmann::json& lesson_in, const std::string& file,
                                           const nlohmann::json& options, const Runner& run) {
    validate_top(lesson_in, file);
    if (!options.is_null() && !options.is_object())
        fail("options", "", "expected an options object ({\"params\": {...}, \"seed\": n})");
    const json opts = options.is_null() ? json::object() : options;
    const json specs = lesson_in.value("params", json::object());
    const json chosen = choose_params(specs, opts, file);

    json lesson = lesson_in;
    lesson.erase("params");
    substitute(lesson, chosen, file, "");

    ojson trace = run(lesson, file);
    TraceIndex ti(trace);

    std::map<std::string, ojson> values;
    for (auto it = chosen.begin(); it != chosen.end(); ++it)
        values[it.key()] = ojson::parse(it->dump());
    if (lesson.contains("constants")) {
        const json& constants = lesson["constants"];
        for (auto it = constants.begin(); it != constants.end(); ++it) {
            if (values.count(it.key()))
                fail(file, child("/constants", it.key()),
                     "expected a name not already used by a parameter");
            values[it.key()] = ojson::parse((*it)["value"].dump());
        }
    }
    ojson facts_out = ojson::object();
    if (lesson.contains("facts")) {
        const json& facts = lesson["facts"];
        for (auto it = facts.begin(); it != facts.end(); ++it) {
            if (values.count(it.key()))
                fail(file, child("/facts", it.key()),
                     "expected a name not already used by a parameter or a constant");
            ojson r = evaluate(*it, ti, 0, ti.size() == 0 ? 0 : ti.size() - 1, file,
                               child("/facts", it.key()));
            values[it.key()] = r["value"];
            facts_out[it.key()] = r;
        }
    }

    std::map<std::string, std::size_t> step_ids;
    const json& steps = lesson["steps"];
    std::vector<StepRange> ranges = resolve_steps(steps, ti, file, step_ids);

    ojson out_steps = ojson::array();
    for (std::size_t i = 0; i < steps.size(); ++i) {
        const std::string p = child("/steps", i);
        const json& step = steps[i];
        ojson s = ojson::object();
        if (step.contains("id")) s["id"] = step["id"];
        s["first"] = ranges[i].first;
        s["last"] = ranges[i].last;
        if (step.contains("title"))
            s["title"] = resolve_text(step["title"], values, file, child(p, "title"));
        s["text"] = resolve_text(step["text"], values, file, child(p, "text"));
        if (step.contains("focus")) {
            validate_matcher(step["focus"], file, child(p, "focus"));
            auto f = find_in(step["focus"], ti, ranges[i].first, ranges[i].last + 1);
            if (!f)
                fail(file, child(p, "focus"),
                     "expected an event matching " + describe(step["focus"]) +
                         " inside the step (events " + std::to_string(ranges[i].first) + " to " +
                         std::to_string(ranges[i].last) + ")");
            s["focus"] = *f;
        }
        verify_checks(step, ti, ranges[i].first, ranges[i].last, file, p);
        out_steps.push_back(s);
    }

    ojson lesson_texts = ojson::object();
    lesson_texts["title"] = resolve_text(lesson["title"], values, file, "/title");
    lesson_texts["summary"] = resolve_text(lesson["summary"], values, file, "/summary");
    ojson out_quizzes = ojson::array();
    std::set<std::string> quiz_ids;
    if (lesson.contains("quizzes")) {
        const json& quizzes = lesson["quizzes"];
        for (std::size_t i = 0; i < quizzes.size(); ++i) {
            ojson q = resolve_quiz(quizzes[i], i, ti, ranges, step_ids, out_steps, out_quizzes,
                                   lesson_texts, values, file);
            if (!quiz_ids.insert(q["id"].get<std::string>()).second)
                fail(file, child(child("/quizzes", i), "id"), "expected a unique quiz id");
            out_quizzes.push_back(q);
        }
    }

    ojson meta = ojson::object();
    meta["id"] = lesson["id"];
    meta["title"] = lesson_texts["title"];
    meta["summary"] = lesson_texts["summary"];
    meta["minutes"] = lesson["minutes"];
    meta["level"] = lesson["level"];
    meta["topics"] = ojson::parse(lesson.value("topics", json::array()).dump());
    meta["draft"] = lesson.value("draft", false);
    if (meta["draft"].get<bool>())
        meta["draft_reason"] = ojson::parse(lesson["draft_reason"].dump());
    if (!specs.empty()) {
        ojson ps = ojson::object();
        for (auto it = specs.begin(); it != specs.end(); ++it) {
            ojson sp = ojson::object();
            sp["label"] = ojson::parse((*it)["label"].dump());
            if (it->contains("values")) {
                sp["values"] = ojson::parse((*it)["values"].dump());
            } else {
                sp["min"] = (*it)["min"];
                sp["max"] = (*it)["max"];
            }
            sp["default"] = ojson::parse((*it)["default"].dump());
            ps[it.key()] = sp;
        }
        meta["params"] = ps;
    }

    ojson out = ojson::object();
    out["tcplab_lesson"] = 1;
    out["lesson"] = meta;
    out["params"] = ojson::parse(chosen.dump());
    out["facts"] = facts_out;
    out["steps"] = out_steps;
    out["quizzes"] = out_quizzes;
    out["trace"] = std::move(trace);
    return out;
}

}  // namespace lesson

nlohmann::ordered_json resolve_lesson(const nlohmann::json& lesson, const std::string& file,
                                      const nlohmann::json& options) {
    // The engine runs the scenario member alone; its error pointers are then relative to the
    // scenario, so they are re-rooted at /scenario to point into the lesson file.
    return lesson::resolve_lesson_with(
        lesson, file, options, [](const nlohmann::json& doc, const std::string& f) {
            try {
                return run_scenario(doc.at("scenario"), f);
            } catch (const InputError& e) {
                const std::string msg = e.what();
                const std::string prefix = f + ": ";
                if (msg.rfind(prefix, 0) == 0 && msg.size() > prefix.size() &&
                    (msg[prefix.size()] == '/' || msg[prefix.size()] == ':'))
                    throw InputError(prefix + "/scenario" + msg.substr(prefix.size()));
                throw;
            }
        });
}

std::string resolve_lesson_text(std::string_view lesson_text, const std::string& file,
                                std::string_view options_text) {
    nlohmann::json lesson;
    nlohmann::json options = nlohmann::json::object();
    try {
        lesson = nlohmann::json::parse(lesson_text);
    } catch (const nlohmann::json::parse_error& e) {
        throw InputError(file + ": byte " + std::to_string(e.byte) + ": invalid JSON");
    }
    if (options_text.find_first_not_of(" \t\r\n") != std::string_view::npos) {
        try {
            options = nlohmann::json::parse(options_text);
        } catch (const nlohmann::json::parse_error& e) {
            throw InputError("options: byte " + std::to_string(e.byte) + ": invalid JSON");
        }
    }
    return resolve_lesson(lesson, file, options).dump();
}

}  // namespace tcplab
