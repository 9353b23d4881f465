// Parameters and seeds (docs/LESSONS.md "Parameters").
#include "params.hpp"

#include "tcplab/lesson_param.hpp"

#include <cstdint>

namespace tcplab::lesson::detail {

namespace {

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

}  // namespace

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

}  // namespace tcplab::lesson::detail

namespace tcplab {

namespace {

void substitute_below(nlohmann::json& node, const nlohmann::json& values, const std::string& file,
                      std::string& pointer, UnknownParam unknown) {
    const std::size_t length = pointer.size();
    if (node.is_object()) {
        if (node.size() == 1 && node.contains("$param")) {
            const nlohmann::json& name = node["$param"];
            if (name.is_string() && values.contains(name.get<std::string>())) {
                node = values[name.get<std::string>()];
            } else if (unknown == UnknownParam::fail) {
                throw InputError(file + ": " + pointer + "/$param: " +
                                 "expected the name of a parameter declared in /params");
            }
            return;
        }
        for (auto it = node.begin(); it != node.end(); ++it) {
            pointer += "/" + json_pointer_token(it.key());
            substitute_below(*it, values, file, pointer, unknown);
            pointer.resize(length);
        }
    } else if (node.is_array()) {
        for (std::size_t i = 0; i < node.size(); ++i) {
            pointer += "/" + std::to_string(i);
            substitute_below(node[i], values, file, pointer, unknown);
            pointer.resize(length);
        }
    }
}

}  // namespace

void substitute_params(nlohmann::json& node, const nlohmann::json& values, const std::string& file,
                       const std::string& pointer, UnknownParam unknown) {
    std::string at = pointer;
    substitute_below(node, values, file, at, unknown);
}

nlohmann::json param_defaults(const nlohmann::json& params) {
    nlohmann::json values = nlohmann::json::object();
    if (!params.is_object()) return values;
    for (auto it = params.begin(); it != params.end(); ++it)
        if (it->is_object() && it->contains("default")) values[it.key()] = (*it)["default"];
    return values;
}

}  // namespace tcplab
