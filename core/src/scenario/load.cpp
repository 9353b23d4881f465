// The scenario loader: the one validation layer every front door runs a scenario through
// (run.hpp). It checks the shape that core/schema/scenario.schema.json describes, and what a
// schema cannot say: names resolve, handles are created before they are used, numbers fit the
// engine's types, and the limits of limits.hpp hold. This file reads the document, its hosts and
// its link; events.cpp, apps.cpp and calls.cpp read the rest.
#include "loader.hpp"

#include "tcplab/scenario.hpp"

#include <climits>
#include <cmath>

namespace tcplab {

namespace scenario {

namespace {

using nlohmann::json;

IsnSpec parse_isn(const Node& n) {
    IsnSpec spec;
    if (n.value().is_string()) {
        const std::string k = n.str();
        if (k == "rfc793")
            spec.kind = IsnKind::Rfc793;
        else if (k == "rfc6528")
            spec.kind = IsnKind::Rfc6528;
        else if (k == "linux")
            spec.kind = IsnKind::Linux;
        else
            n.fail("expected \"rfc793\", \"rfc6528\", \"linux\" or {\"fixed\": N}");
        return spec;
    }
    if (n.value().is_object() && n.has("fixed")) {
        n.only({"fixed"});
        spec.kind = IsnKind::Fixed;
        spec.fixed = static_cast<std::uint32_t>(n.at("fixed").integer(0, 4294967295LL));
        return spec;
    }
    n.fail("expected \"rfc793\", \"rfc6528\", \"linux\" or {\"fixed\": N}");
}

// A sysctl value as profile.cpp's apply_sysctl can take it safely: integral doubles become
// integers, and numbers outside a 64-bit integer become the nearest end of it (out of every
// sysctl's range, so the range message follows). Converting an out-of-range double to an
// integer is undefined behaviour (C++20 [conv.fpint]); an unsigned above 2^63 would wrap.
json sysctl_value(const json& v) {
    constexpr double two63 = 9223372036854775808.0;
    if (v.is_number_unsigned() &&
        v.get<unsigned long long>() > static_cast<unsigned long long>(LLONG_MAX))
        return LLONG_MAX;
    if (v.is_number_float()) {
        const double d = v.get<double>();
        if (d >= two63) return LLONG_MAX;
        if (d < -two63) return LLONG_MIN;
        if (std::floor(d) == d) return static_cast<long long>(d);
        return v;
    }
    if (v.is_array()) {
        json out = json::array();
        for (const auto& x : v) out.push_back(x.is_number() ? sysctl_value(x) : x);
        return out;
    }
    return v;
}

void read_sysctls(const Node& sys, Params& params) {
    sys.object();
    for (auto s = sys.value().begin(); s != sys.value().end(); ++s) {
        const std::string& key = s.key();
        const Node value = sys.at(key);
        value.unresolved();
        const std::string err = apply_sysctl(params, key, sysctl_value(*s));
        if (err == "unknown parameter") {
            const std::string near = closest(key, sysctl_names());
            value.fail("unknown sysctl " + quote(key) +
                       (near.empty() ? std::string() : " (did you mean " + quote(near) + "?)") +
                       "; the known ones are listed in docs/CONTRACTS.md");
        }
        if (!err.empty()) value.fail(err);
    }
}

std::string title_text(const Node& t) {
    if (t.value().is_string()) return t.str();
    if (t.value().is_object() && t.has("en") && t.at("en").value().is_string())
        return t.at("en").str();
    t.fail("expected a string (or {\"en\": ..., \"zh-CN\": ...})");
}

}  // namespace

std::string generated_bytes(std::size_t n) {
    static const char kPattern[] = "abcdefghijklmnopqrstuvwxyz0123456789";
    std::string s(n, ' ');
    for (std::size_t i = 0; i < n; ++i) s[i] = kPattern[i % (sizeof kPattern - 1)];
    return s;
}

void Loader::count_payload(const Node& n, std::size_t bytes) {
    payload += bytes;
    if (payload > kLimits.payload_bytes)
        n.fail("expected at most " + std::to_string(kLimits.payload_bytes) +
               " bytes of send data and injected payload in one scenario (limit \"payload "
               "bytes\")");
}

int Loader::host_ref(const Node& n) {
    const std::string name = n.str();
    auto it = host_index.find(name);
    if (it == host_index.end()) {
        std::vector<std::string> known(sc.hosts.size());
        for (std::size_t i = 0; i < sc.hosts.size(); ++i) known[i] = sc.hosts[i].name;
        n.fail("unknown host " + quote(name) + " (hosts: " + some_names(known) + ")");
    }
    return it->second;
}

Addr Loader::endpoint(const Node& n) {
    const std::string s = n.str();
    const auto colon = s.rfind(':');
    if (colon == std::string::npos || colon == 0 || colon + 1 == s.size())
        n.fail("expected \"host:port\" (a host name or IPv4 address, and a port), found " +
               quote(s));
    const std::string who = s.substr(0, colon), port_text = s.substr(colon + 1);
    long port = 0;
    for (char c : port_text) {
        if (c < '0' || c > '9' || port > 65535)
            n.fail("expected a port number from 1 to 65535 after ':', found " + quote(s));
        port = port * 10 + (c - '0');
    }
    if (port < 1 || port > 65535)
        n.fail("expected a port number from 1 to 65535 after ':', found " + quote(s));
    Addr a;
    a.port = static_cast<std::uint16_t>(port);
    if (auto it = host_index.find(who); it != host_index.end()) {
        a.ip = sc.hosts[static_cast<std::size_t>(it->second)].ip;
    } else if (auto ip = parse_ip(who)) {
        a.ip = *ip;
    } else {
        n.fail("unknown host " + quote(who) +
               " (expected a host name of this scenario or an IPv4 address)");
    }
    return a;
}

void Loader::hosts(const Node& root) {
    if (!root.has("hosts")) root.missing("hosts").fail("expected an object of hosts (required)");
    const Node hs = root.at("hosts");
    hs.object();
    if (hs.value().empty()) hs.fail("expected at least one host");
    if (hs.value().size() > kLimits.hosts)
        hs.fail("expected at most " + std::to_string(kLimits.hosts) + " hosts, found " +
                std::to_string(hs.value().size()) + " (limit \"hosts\")");
    std::unordered_map<std::uint32_t, std::string> ips;
    int i = 0;
    for (auto it = hs.value().begin(); it != hs.value().end(); ++it) {
        const std::string& name = it.key();
        const Node h = hs.at(name);
        // The member name is the host's name.
        Node(json(name), h.ptr(), file).name();
        h.object();
        h.only({"ip", "profile", "sysctl", "isn"});
        HostSpec spec;
        spec.name = name;
        if (h.has("ip")) {
            auto ip = parse_ip(h.at("ip").str());
            if (!ip)
                h.at("ip").fail("expected an IPv4 address like \"10.0.0.1\", found " +
                                quote(h.at("ip").str()));
            spec.ip = *ip;
        } else {
            spec.ip = (10u << 24) | static_cast<std::uint32_t>(i + 1);
        }
        if (auto used = ips.find(spec.ip); used != ips.end()) {
            if (h.has("ip")) h.at("ip").fail("address already used by host " + quote(used->second));
            h.missing("ip").fail("expected an address: the default " + ip_string(spec.ip) +
                                 " (10.0.0.N for the N-th host) is already used by host " +
                                 quote(used->second));
        }
        ips.emplace(spec.ip, name);
        std::string profile = sc.profile;
        if (h.has("profile")) {
            profile = h.at("profile").str();
            if (!is_profile_name(profile))
                h.at("profile").fail("expected \"linux\", \"rfc\", \"windows\" or \"bsd\", found " +
                                     quote(profile));
        }
        spec.params = profile_params(profile);
        if (profile == "rfc") spec.isn.kind = IsnKind::Rfc6528;
        if (h.has("sysctl")) read_sysctls(h.at("sysctl"), spec.params);
        if (h.has("isn")) spec.isn = parse_isn(h.at("isn"));
        host_index[name] = i++;
        sc.hosts.push_back(std::move(spec));
    }
    handles.resize(sc.hosts.size());
}

void Loader::link(const Node& root) {
    if (!root.has("link")) return;
    const Node l = root.at("link");
    l.object();
    l.only({"delay_ms", "jitter_ms", "loss", "duplicate", "reorder", "bandwidth_mbps"});
    if (l.has("delay_ms")) sc.link.delay = l.at("delay_ms").millis();
    if (l.has("jitter_ms")) sc.link.jitter = l.at("jitter_ms").millis();
    if (l.has("loss")) sc.link.loss = l.at("loss").number(0, 1);
    if (l.has("duplicate")) sc.link.duplicate = l.at("duplicate").number(0, 1);
    if (l.has("reorder")) sc.link.reorder = l.at("reorder").number(0, 1);
    if (l.has("bandwidth_mbps")) sc.link.bandwidth_mbps = l.at("bandwidth_mbps").number(0.001, 1e6);
}

}  // namespace scenario

Scenario load_scenario(const nlohmann::json& doc, const std::string& file) {
    using scenario::Node;
    Node top(doc, "", file);
    top.object();
    // A lesson is accepted wherever a scenario is: its "scenario" member runs.
    const bool lesson = doc.contains("scenario");
    Node root = lesson ? top.at("scenario") : top;
    root.object();
    root.only({"tcplab", "title", "seed", "profile", "hosts", "link", "apps", "events", "faults",
               "until_ms", "max_events", "description", "linux_kernel", "notes"});
    if (root.has("tcplab") && root.at("tcplab").integer(1, 1000) != 1)
        root.at("tcplab").fail("expected format version 1");
    scenario::Loader L(file);
    if (root.has("title")) {
        L.sc.title = scenario::title_text(root.at("title"));
    } else if (lesson && top.has("title")) {
        const Node t = top.at("title");
        if (t.value().is_string() ||
            (t.value().is_object() && t.has("en") && t.at("en").value().is_string()))
            L.sc.title = scenario::title_text(t);
    }
    if (root.has("seed"))
        L.sc.seed = static_cast<std::uint64_t>(root.at("seed").integer(0, 9007199254740991LL));
    if (root.has("profile")) {
        L.sc.profile = root.at("profile").str();
        if (!is_profile_name(L.sc.profile))
            root.at("profile").fail("expected \"linux\", \"rfc\", \"windows\" or \"bsd\", found " +
                                    scenario::quote(L.sc.profile));
    }
    L.hosts(root);
    L.link(root);
    L.faults(root);
    L.events(root);
    L.apps(root);
    if (root.has("until_ms")) {
        const double max_ms = static_cast<double>(kLimits.simulated_time / 1000);
        const Node u = root.at("until_ms");
        if (u.value().is_number() && u.value().get<double>() > max_ms)
            u.fail("expected at most " + std::to_string(kLimits.simulated_time / 1000) +
                   " ms of simulated time (limit \"simulated time\", 7 days)");
        L.sc.until = u.millis(max_ms);
    }
    if (root.has("max_events"))
        L.sc.max_events = static_cast<std::size_t>(root.at("max_events").integer(1, 100'000'000));
    return std::move(L.sc);
}

}  // namespace tcplab
