// Fact queries over a trace (docs/LESSONS.md "Fact queries").
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

}  // namespace

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

}  // namespace detail

nlohmann::ordered_json evaluate_fact(const nlohmann::json& query,
                                     const nlohmann::ordered_json& trace, std::size_t scope_first,
                                     std::size_t scope_last, const std::string& file,
                                     const std::string& pointer) {
    detail::TraceIndex ti(trace);
    return detail::evaluate(query, ti, scope_first, scope_last, file, pointer);
}

}  // namespace tcplab::lesson
