// Fact queries over a trace (docs/LESSONS.md "Fact queries"): one table, one entry per fact,
// each a check of its arguments (before the trace is read) and an evaluator.
#include "facts.hpp"

#include "tcplab/lesson.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <sstream>
#include <vector>

namespace tcplab::lesson {
namespace detail {

namespace {

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

// One fact query being evaluated, and where it is asked.
struct Query {
    const json& q;
    const TraceIndex& ti;
    std::size_t scope_first;  // where matchers with the default scope start searching
    std::size_t scope_last;   // the default "at" moment (the quiz's or the check's step end)
    const std::string& file;
    const std::string& pointer;

    std::string at(const char* member) const { return child(pointer, member); }
    [[noreturn]] void fail_at(const char* member, const std::string& expected) const {
        fail(file, at(member), expected);
    }
    const json& member(const char* key, const std::string& what) const {
        return require_member(q, key, file, pointer, what);
    }
    std::string string(const char* key, const std::string& what) const {
        return require_string(q, key, file, pointer, what);
    }
    void matcher(const char* key) const { validate_matcher(q.at(key), file, at(key)); }

    // Where matchers search from: the step's first event, or the trace's with "scope": "all".
    std::size_t start() const { return q.value("scope", "step") == "all" ? 0 : scope_first; }
    // The event matching member `key`, searching from `from`.
    std::size_t locate(const char* key, std::size_t from) const {
        return detail::locate(q.at(key), ti, from, file, at(key));
    }
    // The end (exclusive) of a count: the "until" event included, else the trace's end.
    std::size_t until_end() const {
        return q.contains("until") ? locate("until", start()) + 1 : ti.size();
    }
    // The moment "at" names: a matcher's event, "shown" (the last event already on screen when
    // the quiz stops the playback) or "step_end" (the step's last event, the default).
    std::size_t moment() const {
        auto it = q.find("at");
        if (it != q.end() && it->is_string()) {
            if (*it == "shown") return scope_first == 0 ? 0 : scope_first - 1;
        } else if (it != q.end()) {
            return locate("at", start());
        }
        if (ti.size() == 0) fail(file, pointer, "expected a trace with events");
        return std::min(scope_last, ti.size() - 1);
    }
};

// A fact: the shape its arguments must have, and its value over the trace.
struct Fact {
    const char* name;
    void (*check)(const Query&);  // throws InputError before the trace is read
    ojson (*value)(const Query&);
};

const Fact& check_query(const Query& x);

// A member that is true or false, if present.
void check_boolean(const Query& x, const char* key) {
    auto it = x.q.find(key);
    if (it != x.q.end() && !it->is_boolean()) x.fail_at(key, "expected true or false");
}

void check_at(const Query& x) {
    auto it = x.q.find("at");
    if (it == x.q.end()) return;
    if (!it->is_string()) return validate_matcher(*it, x.file, x.at("at"));
    if (*it != "shown" && *it != "step_end")
        x.fail_at("at", "expected an event matcher, \"shown\" or \"step_end\"");
}

// state: the state of a host's connection ("conn", else the one that changed last) at "at".
void check_state(const Query& x) {
    x.string("host", "a host name");
    check_at(x);
    check_boolean(x, "listener");
    auto conn = x.q.find("conn");
    if (conn != x.q.end() && !conn->is_string())
        x.fail_at("conn", "expected a connection such as \"10.0.0.1:40000>10.0.0.2:80\"");
}
ojson eval_state(const Query& x) {
    const std::string host = x.q["host"].get<std::string>();
    const std::size_t at = x.moment();
    const bool listeners = x.q.value("listener", false);
    auto all = states_at(x.ti, at, listeners);
    const auto& conns = all[host];
    const ConnState* best = nullptr;
    if (x.q.contains("conn")) {
        auto it = conns.find(x.q["conn"].get<std::string>());
        if (it != conns.end()) best = &it->second;
    } else {
        // The host's most recently changed connection.
        for (const auto& [conn, st] : conns)
            if (!best || st.index > best->index) best = &st;
    }
    if (!best) return fact_result("CLOSED", at);
    return fact_result(best->state, best->index);
}

// which_side: the hosts ("client,server", or "none") with a connection in "state" at "at".
void check_which_side(const Query& x) {
    x.string("state", "a TCP state name");
    check_at(x);
}
ojson eval_which_side(const Query& x) {
    const std::string state = x.q["state"].get<std::string>();
    const std::size_t at = x.moment();
    auto all = states_at(x.ti, at, false);
    std::string hosts;
    std::optional<std::size_t> evidence;
    for (const auto& name : host_names(x.ti)) {
        for (const auto& [conn, st] : all[name]) {
            if (st.state != state) continue;
            hosts += (hosts.empty() ? "" : ",") + name;
            if (!evidence || st.index > *evidence) evidence = st.index;
            break;
        }
    }
    return fact_result(hosts.empty() ? "none" : hosts, evidence ? evidence : at);
}

// seg, field: a field ("rel.ack", "seg.flags", "len") of the event "match" finds.
void check_field(const Query& x) {
    if (!x.q.contains("match") || x.q["match"].is_null())
        x.fail_at("match", "missing; expected an event matcher");
    x.matcher("match");
    x.string("field", "a field path such as \"rel.ack\" or \"seg.flags\"");
}
ojson eval_field(const Query& x) {
    const std::size_t i = x.locate("match", x.start());
    const std::string path = x.q["field"].get<std::string>();
    const ojson* v = read_path(x.ti.event(i), x.ti, path);
    if (!v)
        x.fail_at("field", "event " + std::to_string(i) + " (" + x.ti.event(i).dump() +
                               ") has no field \"" + path + "\"");
    return fact_result(value_of(*v, path), i);
}

// errno: the errno of the event "match" finds (a call's return unless it names a kind), or
// "none".
json errno_matcher(const Query& x) {
    json m = x.q.contains("match") ? x.q["match"] : json();
    if (m.is_null()) x.fail_at("match", "expected a matcher for the call's return event");
    if (m.is_object() && !m.contains("kind")) m["kind"] = "return";
    return m;
}
void check_errno(const Query& x) { validate_matcher(errno_matcher(x), x.file, x.at("match")); }
ojson eval_errno(const Query& x) {
    const std::size_t i = locate(errno_matcher(x), x.ti, x.start(), x.file, x.at("match"));
    const ojson* v = read_path(x.ti.event(i), x.ti, "errno");
    if (!v) return fact_result("none", i);
    return fact_result(value_of(*v, "errno"), i);
}

// segment: {flags, seq, ack} of the segment "match" finds, relative to the ISNs unless
// "absolute".
void check_segment(const Query& x) {
    x.member("match", "an event matcher");
    x.matcher("match");
    check_boolean(x, "absolute");
}
ojson eval_segment(const Query& x) {
    const std::size_t i = x.locate("match", x.start());
    const ojson* seg = x.ti.segment_of(x.ti.event(i));
    if (!seg)
        x.fail_at("match",
                  "expected the matcher to find a segment event, found event " + std::to_string(i));
    const ojson* rel = x.ti.rel_of(x.ti.event(i));
    const bool absolute = x.q.value("absolute", false) || !rel;
    ojson v = ojson::object();
    v["flags"] = canonical_flags(event_flag_set(seg->value("flags", ojson::array())));
    const ojson& nums = absolute ? *seg : *rel;
    v["seq"] = nums.value("seq", ojson(0));
    v["ack"] = nums.value("ack", ojson(0));
    return fact_result(v, i);
}

// count, exists: how many events "match" finds (up to "until"); whether there is one.
void check_count(const Query& x) {
    x.member("match", "an event matcher");
    x.matcher("match");
    if (x.q.contains("until")) x.matcher("until");
}
ojson eval_count_matches(const Query& x, bool exists) {
    const std::size_t end = x.until_end();
    json plain = x.q["match"];
    plain.erase("nth");
    std::int64_t count = 0;
    std::optional<std::size_t> last;
    for (std::size_t i = x.start(); i < end; ++i) {
        if (!matches(plain, x.ti, i)) continue;
        ++count;
        last = i;
        if (exists) break;
    }
    if (exists) return fact_result(count > 0, last);
    return fact_result(count, last);
}
ojson eval_count(const Query& x) { return eval_count_matches(x, false); }
ojson eval_exists(const Query& x) { return eval_count_matches(x, true); }

// max, min: the largest or smallest numeric "field" among the events "match" finds.
void check_extreme(const Query& x) {
    x.member("match", "an event matcher");
    x.matcher("match");
    x.string("field", "a numeric field path");
    if (x.q.contains("until")) x.matcher("until");
}
ojson eval_extreme(const Query& x, bool largest) {
    const std::string path = x.q["field"].get<std::string>();
    const std::size_t end = x.until_end();
    json plain = x.q["match"];
    plain.erase("nth");
    std::optional<std::size_t> best;
    double best_value = 0;
    for (std::size_t i = x.start(); i < end; ++i) {
        if (!matches(plain, x.ti, i)) continue;
        const ojson* v = read_path(x.ti.event(i), x.ti, path);
        if (!v || !v->is_number()) continue;
        const double v_num = v->get<double>();
        if (!best || (largest ? v_num > best_value : v_num < best_value)) {
            best = i;
            best_value = v_num;
        }
    }
    if (!best)
        x.fail_at("match", "expected events matching " + describe(x.q["match"]) +
                               " with a numeric \"" + path + "\" at or after event " +
                               std::to_string(x.start()));
    return fact_result(*read_path(x.ti.event(*best), x.ti, path), best);
}
ojson eval_max(const Query& x) { return eval_extreme(x, true); }
ojson eval_min(const Query& x) { return eval_extreme(x, false); }

// difference: "to" - "from" of two numeric facts, e.g. how far one ISN is from another;
// "modulo" wraps (2^32 for sequence numbers, RFC 9293 §3.4).
void check_difference(const Query& x) {
    x.member("from", "a fact query");
    x.member("to", "a fact query");
    for (const char* side : {"from", "to"}) {
        const std::string p = x.at(side);
        check_query({x.q[side], x.ti, x.scope_first, x.scope_last, x.file, p});
    }
}
ojson eval_difference(const Query& x) {
    ojson ra = evaluate(x.q["from"], x.ti, x.scope_first, x.scope_last, x.file, x.at("from"));
    ojson rb = evaluate(x.q["to"], x.ti, x.scope_first, x.scope_last, x.file, x.at("to"));
    if (!ra["value"].is_number() || !rb["value"].is_number())
        fail(x.file, x.pointer,
             "expected both facts to be numbers, got " + ra["value"].dump() + " and " +
                 rb["value"].dump());
    const std::optional<std::size_t> evidence =
        rb["evidence"].is_null() ? std::optional<std::size_t>()
                                 : std::optional<std::size_t>(rb["evidence"].get<std::size_t>());
    if (ra["value"].is_number_integer() && rb["value"].is_number_integer()) {
        std::int64_t d = rb["value"].get<std::int64_t>() - ra["value"].get<std::int64_t>();
        if (x.q.contains("modulo")) {
            if (!x.q["modulo"].is_number_integer() || x.q["modulo"].get<std::int64_t>() <= 0)
                x.fail_at("modulo", "expected a positive integer");
            const std::int64_t mod = x.q["modulo"].get<std::int64_t>();
            d = ((d % mod) + mod) % mod;
        }
        return fact_result(d, evidence);
    }
    const double d = rb["value"].get<double>() - ra["value"].get<double>();
    return fact_result(std::round(d * 1000.0) / 1000.0, evidence);
}

// time_between: the time from the event "from" finds to the next one "to" finds, in "unit"
// (us, ms or s; ms by default).
double unit_divisor(const Query& x) {
    auto it = x.q.find("unit");
    if (it == x.q.end()) return 1000.0;
    const std::string unit = it->is_string() ? it->get<std::string>() : "";
    return unit == "us" ? 1.0 : unit == "ms" ? 1000.0 : unit == "s" ? 1e6 : 0.0;
}
void check_time_between(const Query& x) {
    x.member("from", "an event matcher");
    x.member("to", "an event matcher");
    x.matcher("from");
    x.matcher("to");
    if (unit_divisor(x) == 0.0) x.fail_at("unit", "expected \"us\", \"ms\" or \"s\"");
}
ojson eval_time_between(const Query& x) {
    const std::size_t a = x.locate("from", x.start());
    const std::size_t b = x.locate("to", a);
    const double dt = static_cast<double>(x.ti.event(b).value("t_us", std::int64_t{0}) -
                                          x.ti.event(a).value("t_us", std::int64_t{0})) /
                      unit_divisor(x);
    // Integral results stay integers; others keep three decimals.
    if (dt == std::floor(dt)) return fact_result(static_cast<std::int64_t>(dt), b);
    return fact_result(std::round(dt * 1000.0) / 1000.0, b);
}

// Every fact, in the order the error for an unknown one lists them.
const Fact kFacts[] = {
    {"state", check_state, eval_state},
    {"seg", check_field, eval_field},
    {"field", check_field, eval_field},
    {"errno", check_errno, eval_errno},
    {"segment", check_segment, eval_segment},
    {"count", check_count, eval_count},
    {"exists", check_count, eval_exists},
    {"max", check_extreme, eval_max},
    {"min", check_extreme, eval_min},
    {"difference", check_difference, eval_difference},
    {"time_between", check_time_between, eval_time_between},
    {"which_side", check_which_side, eval_which_side},
};

// What every query has ("fact", "scope") and what its fact needs; returns the fact.
const Fact& check_query(const Query& x) {
    if (!x.q.is_object())
        fail(x.file, x.pointer, "expected a fact query such as {\"fact\": \"state\", ...}");
    const std::string name = x.string("fact",
                                      "a fact name (state, seg, field, errno, segment, count, "
                                      "exists, time_between, which_side)");
    auto scope = x.q.find("scope");
    if (scope != x.q.end() && *scope != "step" && *scope != "all")
        x.fail_at("scope", "expected \"step\" or \"all\"");
    for (const Fact& fact : kFacts) {
        if (name != fact.name) continue;
        fact.check(x);
        return fact;
    }
    std::string names;
    for (const Fact& fact : kFacts) names += (names.empty() ? "" : ", ") + std::string(fact.name);
    x.fail_at("fact", "unknown fact \"" + name + "\" (expected " + names + ")");
}

}  // namespace

ojson evaluate(const json& q, const TraceIndex& ti, std::size_t scope_first, std::size_t scope_last,
               const std::string& file, const std::string& pointer) {
    const Query x{q, ti, scope_first, scope_last, file, pointer};
    return check_query(x).value(x);
}

}  // namespace detail

nlohmann::ordered_json evaluate_fact(const nlohmann::json& query,
                                     const nlohmann::ordered_json& trace, std::size_t scope_first,
                                     std::size_t scope_last, const std::string& file,
                                     const std::string& pointer) {
    detail::TraceIndex ti(trace);
    return detail::evaluate(query, ti, scope_first, scope_last, file, pointer);
}

}  // namespace tcplab::lesson
