// Checks: the claims a text makes, verified (docs/LESSONS.md "Checks").
#include "checks.hpp"

#include "facts.hpp"
#include "texts.hpp"

namespace tcplab::lesson::detail {

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

}  // namespace tcplab::lesson::detail
