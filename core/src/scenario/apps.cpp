// Apps and their steps: names, hosts and handles first (steps refer to them in any order), then
// each step: its call through the call table (calls.cpp), then what every step has in common
// (when it starts, how often it repeats).
#include "loader.hpp"

#include <algorithm>

namespace tcplab {

std::string step_pointer(std::size_t app, std::size_t step) {
    return "/apps/" + std::to_string(app) + "/steps/" + std::to_string(step);
}

namespace scenario {

void Loader::apps(const Node& root) {
    if (!root.has("apps")) return;
    const Node as = root.at("apps");
    as.array(kLimits.apps, "apps");
    survey_apps(as);
    sc.apps.reserve(as.value().size());
    for (std::size_t i = 0; i < as.value().size(); ++i) {
        const Node a = as.at(i);
        a.only({"name", "host", "steps", "sigpipe"});
        AppSpec app;
        app.name = a.at("name").str();
        app.host = host_ref(a.at("host"));
        if (a.has("sigpipe")) {
            const std::string v = a.at("sigpipe").str();
            if (v != "ignore" && v != "default")
                a.at("sigpipe").fail("expected \"ignore\" or \"default\", found " + quote(v));
            app.sigpipe_ignored = v == "ignore";
        }
        const Node steps = a.at("steps");
        app.steps.reserve(steps.value().size());
        for (std::size_t k = 0; k < steps.value().size(); ++k) step(steps.at(k), app, i, k);
        sc.apps.push_back(std::move(app));
    }
    for (std::size_t i = 0; i < sc.apps.size(); ++i)
        for (std::size_t k = 0; k < sc.apps[i].steps.size(); ++k) {
            const StepSpec& st = sc.apps[i].steps[k];
            if (st.after_app < 0) continue;
            const AppSpec& dep = sc.apps[static_cast<std::size_t>(st.after_app)];
            if (st.after_index >= static_cast<int>(dep.steps.size()))
                throw InputError(file + ": " + step_pointer(i, k) + "/after_step: app " +
                                 quote(dep.name) + " has only " + std::to_string(dep.steps.size()) +
                                 " steps");
        }
}

// The host of every app, the handles each step creates, and the app names, before any step is
// read: steps refer to apps and handles by name, in any order.
void Loader::survey_apps(const Node& apps) {
    std::size_t steps = 0;
    for (std::size_t i = 0; i < apps.value().size(); ++i) {
        const Node a = apps.at(i);
        a.object();
        if (!a.has("name")) a.missing("name").fail("expected the app's name (required)");
        const std::string name = a.at("name").name();
        if (app_index.count(name)) a.at("name").fail("duplicate app name " + quote(name));
        app_index[name] = static_cast<int>(i);
        if (!a.has("host")) a.missing("host").fail("expected a host name (required)");
        const int h = host_ref(a.at("host"));
        if (!a.has("steps")) a.missing("steps").fail("expected an array of steps (required)");
        const Node st = a.at("steps");
        st.array();
        steps += st.value().size();
        if (steps > kLimits.steps)
            st.fail("expected at most " + std::to_string(kLimits.steps) +
                    " steps in all apps together (limit \"steps\")");
        auto& created = handles[static_cast<std::size_t>(h)];
        for (std::size_t k = 0; k < st.value().size(); ++k) {
            const auto& sv = st.value()[k];
            if (!sv.is_object()) continue;
            auto as = sv.find("as");
            if (as == sv.end() || !as->is_string()) continue;
            const std::string& handle = as->get_ref<const std::string&>();
            auto [it, fresh] = created.try_emplace(handle, HandleOrigin{i, k, false});
            if (!fresh && it->second.app != i) it->second.other_apps = true;
        }
    }
}

void Loader::step(const Node& s, AppSpec& app, std::size_t app_no, std::size_t index) {
    s.object();
    const CallRow& call = call_row(s);
    StepSpec st;
    s.only(call.members, std::string(" for call \"") + call.name + "\"");
    if (call.uses_sock) {
        if (!s.has("sock")) s.missing("sock").fail("expected the handle of a socket (required)");
        st.sock = s.at("sock").name();
        const auto& created = handles[static_cast<std::size_t>(app.host)];
        auto it = created.find(st.sock);
        if (it == created.end())
            s.at("sock").fail(
                "unknown handle " + quote(st.sock) +
                " (create it first with \"as\" in a socket or accept step on this host)");
        const HandleOrigin& o = it->second;
        if (!o.other_apps && o.app == app_no && o.first_step >= index)
            s.at("sock").fail("handle " + quote(st.sock) +
                              " is used before the step that creates it (" +
                              step_pointer(app_no, o.first_step) + ")");
    }
    if (call.creates_handle) {
        if (!s.has("as")) s.missing("as").fail("expected a name for the new handle (required)");
        st.as = s.at("as").name();
    }
    st.call = call.read(StepReader{*this, s, st});
    if (!st.as.empty()) st.args["as"] = st.as;
    timing(s, st);
    app.steps.push_back(std::move(st));
}

// When the step starts ("at_ms", "after_ms", "after_step") and how often it runs ("repeat").
void Loader::timing(const Node& s, StepSpec& st) {
    if (s.has("at_ms")) st.at = s.at("at_ms").millis();
    if (s.has("after_ms")) st.after = s.at("after_ms").millis();
    if (s.has("after_step")) {
        const Node a = s.at("after_step");
        const std::string ref = a.str();
        const auto colon = ref.rfind(':');
        if (colon == std::string::npos)
            a.fail("expected \"app:step\", like \"srv:3\", found " + quote(ref));
        auto it = app_index.find(ref.substr(0, colon));
        if (it == app_index.end()) a.fail("unknown app " + quote(ref.substr(0, colon)));
        const std::string digits = ref.substr(colon + 1);
        if (digits.empty() || digits.size() > 9 ||
            !std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; }))
            a.fail("expected a step index (0-based) after ':', found " + quote(ref));
        st.after_app = it->second;
        st.after_index = static_cast<int>(std::stol(digits));
    }
    if (s.has("repeat")) {
        const Node r = s.at("repeat");
        if (r.value().is_string()) {
            const std::string m = r.str();
            if (m == "until_eof")
                st.repeat_mode = StepSpec::Repeat::UntilEof;
            else if (m == "until_error")
                st.repeat_mode = StepSpec::Repeat::UntilError;
            else
                r.fail("expected a count, \"until_eof\" or \"until_error\", found " + quote(m));
            st.repeat = 100000;
        } else {
            st.repeat = static_cast<long>(r.integer(1, 1000000));
        }
    }
}

}  // namespace scenario
}  // namespace tcplab
