#include "tcplab/scenario.hpp"

#include "tcplab/run.hpp"

#include <cmath>
#include <map>
#include <set>

namespace tcplab {

namespace {

using nlohmann::json;

// A JSON value with its pointer, so every check can say where it failed.
class Node {
public:
    Node(const json& v, std::string ptr, const std::string& file)
        : v_(v), ptr_(std::move(ptr)), file_(file) {}

    [[noreturn]] void fail(const std::string& what) const {
        throw InputError(file_ + ": " + (ptr_.empty() ? std::string("(root)") : ptr_) + ": " +
                         what);
    }
    const json& value() const { return v_; }
    const std::string& ptr() const { return ptr_; }
    bool has(const char* key) const { return v_.is_object() && v_.contains(key); }
    Node at(const char* key) const {
        return Node(v_.at(key), ptr_ + "/" + json_pointer_token(key), file_);
    }
    Node at(std::size_t i) const { return Node(v_.at(i), ptr_ + "/" + std::to_string(i), file_); }
    Node missing(const char* key) const {
        static const json null_value;
        return Node(null_value, ptr_ + "/" + json_pointer_token(key), file_);
    }

    const Node& object() const {
        if (!v_.is_object()) fail("expected an object");
        return *this;
    }
    const Node& array() const {
        if (!v_.is_array()) fail("expected an array");
        return *this;
    }
    void only(std::initializer_list<const char*> keys) const {
        std::set<std::string> allowed(keys.begin(), keys.end());
        for (auto& [k, _] : v_.items()) {
            if (allowed.count(k) || (!k.empty() && (k[0] == '$' || k[0] == '_'))) continue;
            std::string list;
            for (auto* a : keys) list += (list.empty() ? "" : ", ") + std::string(a);
            Node(v_.at(k), ptr_ + "/" + json_pointer_token(k), file_)
                .fail("unexpected member \"" + k + "\" (expected one of: " + list + ")");
        }
    }
    std::string str() const {
        if (v_.is_object() && v_.contains("$param"))
            fail("unresolved lesson parameter \"" + v_["$param"].dump() + "\"");
        if (!v_.is_string()) fail("expected a string");
        return v_.get<std::string>();
    }
    std::string str(const char* key) const {
        if (!has(key)) missing(key).fail("expected a string (required)");
        return at(key).str();
    }
    long long integer(long long lo, long long hi) const {
        if (v_.is_object() && v_.contains("$param"))
            fail("unresolved lesson parameter \"" + v_["$param"].dump() + "\"");
        const std::string range = " from " + std::to_string(lo) + " to " + std::to_string(hi);
        if (v_.is_number_integer()) {
            const long long n = v_.get<long long>();
            if (n < lo || n > hi) fail("expected an integer" + range);
            return n;
        }
        if (v_.is_number_unsigned()) {
            const auto n = v_.get<unsigned long long>();
            if (n > static_cast<unsigned long long>(hi)) fail("expected an integer" + range);
            return static_cast<long long>(n);
        }
        if (v_.is_number_float()) {
            const double d = v_.get<double>();
            if (std::floor(d) == d && d >= static_cast<double>(lo) && d <= static_cast<double>(hi))
                return static_cast<long long>(d);
        }
        fail("expected an integer" + range);
    }
    double number(double lo, double hi) const {
        if (v_.is_object() && v_.contains("$param"))
            fail("unresolved lesson parameter \"" + v_["$param"].dump() + "\"");
        if (!v_.is_number()) fail("expected a number");
        const double d = v_.get<double>();
        if (!(d >= lo && d <= hi)) fail("expected a number from " + fmt(lo) + " to " + fmt(hi));
        return d;
    }
    bool boolean() const {
        if (!v_.is_boolean()) fail("expected true or false");
        return v_.get<bool>();
    }
    // Milliseconds (may be fractional) to microseconds.
    Time millis() const {
        const double d = number(0, 1e12);
        return static_cast<Time>(std::llround(d * 1000.0));
    }

private:
    static std::string fmt(double d) {
        if (std::floor(d) == d && std::fabs(d) < 1e15)
            return std::to_string(static_cast<long long>(d));
        return std::to_string(d);
    }
    const json& v_;
    std::string ptr_;
    const std::string& file_;
};

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

std::string generated_bytes(std::size_t n) {
    // Payload for {"bytes": N}: printable and recognisable in a capture.
    static const char kPattern[] = "abcdefghijklmnopqrstuvwxyz0123456789";
    std::string s(n, ' ');
    for (std::size_t i = 0; i < n; ++i) s[i] = kPattern[i % (sizeof kPattern - 1)];
    return s;
}

const std::map<std::string, unsigned>& poll_names() {
    static const std::map<std::string, unsigned> m = {
        {"in", kPollIn}, {"out", kPollOut}, {"err", kPollErr}, {"hup", kPollHup}};
    return m;
}

struct Loader {
    const std::string& file;
    Scenario sc;
    std::map<std::string, int> host_index;
    std::map<std::string, int> app_index;
    std::vector<std::set<std::string>> handles;  // per host: names some step creates

    int host_ref(const Node& n) {
        const std::string name = n.str();
        auto it = host_index.find(name);
        if (it == host_index.end()) {
            std::string known;
            for (auto& [k, _] : host_index) known += (known.empty() ? "" : ", ") + k;
            n.fail("unknown host \"" + name + "\" (hosts: " + known + ")");
        }
        return it->second;
    }

    Addr endpoint(const Node& n) {
        // "server:80" or "10.0.0.2:80"
        const std::string s = n.str();
        const auto colon = s.rfind(':');
        if (colon == std::string::npos || colon == 0 || colon + 1 == s.size())
            n.fail("expected \"host:port\" (a host name or IPv4 address, and a port)");
        const std::string who = s.substr(0, colon), port_text = s.substr(colon + 1);
        long port = 0;
        for (char c : port_text) {
            if (c < '0' || c > '9' || port > 65535)
                n.fail("expected a port number from 1 to 65535 after ':'");
            port = port * 10 + (c - '0');
        }
        if (port < 1 || port > 65535) n.fail("expected a port number from 1 to 65535 after ':'");
        Addr a;
        a.port = static_cast<std::uint16_t>(port);
        if (auto it = host_index.find(who); it != host_index.end()) {
            a.ip = sc.hosts[static_cast<std::size_t>(it->second)].ip;
        } else if (auto ip = parse_ip(who)) {
            a.ip = *ip;
        } else {
            n.fail("unknown host \"" + who +
                   "\" (expected a host name of this scenario or an IPv4 address)");
        }
        return a;
    }

    void hosts(const Node& root) {
        if (!root.has("hosts"))
            root.missing("hosts").fail("expected an object of hosts (required)");
        const Node hs = root.at("hosts");
        hs.object();
        if (hs.value().empty()) hs.fail("expected at least one host");
        int i = 0;
        for (auto& [name, _] : hs.value().items()) {
            const Node h = hs.at(name.c_str());
            h.object();
            h.only({"ip", "profile", "sysctl", "isn"});
            HostSpec spec;
            spec.name = name;
            if (h.has("ip")) {
                auto ip = parse_ip(h.at("ip").str());
                if (!ip) h.at("ip").fail("expected an IPv4 address like \"10.0.0.1\"");
                spec.ip = *ip;
            } else {
                spec.ip = (10u << 24) | static_cast<std::uint32_t>(i + 1);
            }
            for (auto& other : sc.hosts)
                if (other.ip == spec.ip)
                    h.at("ip").fail("address already used by host \"" + other.name + "\"");
            std::string profile = sc.profile;
            if (h.has("profile")) {
                profile = h.at("profile").str();
                if (!is_profile_name(profile))
                    h.at("profile").fail("expected \"linux\", \"rfc\", \"windows\" or \"bsd\"");
            }
            spec.params = profile_params(profile);
            if (profile == "rfc") spec.isn.kind = IsnKind::Rfc6528;
            if (h.has("sysctl")) {
                const Node sys = h.at("sysctl");
                sys.object();
                for (auto& [key, value] : sys.value().items()) {
                    const std::string err = apply_sysctl(spec.params, key, value);
                    if (err == "unknown parameter") {
                        std::string list;
                        for (auto& s : sysctl_names()) list += (list.empty() ? "" : ", ") + s;
                        sys.at(key.c_str())
                            .fail("unknown parameter \"" + key + "\" (known: " + list + ")");
                    }
                    if (!err.empty()) sys.at(key.c_str()).fail(err);
                }
            }
            if (h.has("isn")) spec.isn = parse_isn(h.at("isn"));
            host_index[name] = i++;
            sc.hosts.push_back(std::move(spec));
        }
        handles.resize(sc.hosts.size());
    }

    void link(const Node& root) {
        if (!root.has("link")) return;
        const Node l = root.at("link");
        l.object();
        l.only({"delay_ms", "jitter_ms", "loss", "duplicate", "reorder", "bandwidth_mbps"});
        if (l.has("delay_ms")) sc.link.delay = l.at("delay_ms").millis();
        if (l.has("jitter_ms")) sc.link.jitter = l.at("jitter_ms").millis();
        if (l.has("loss")) sc.link.loss = l.at("loss").number(0, 1);
        if (l.has("duplicate")) sc.link.duplicate = l.at("duplicate").number(0, 1);
        if (l.has("reorder")) sc.link.reorder = l.at("reorder").number(0, 1);
        if (l.has("bandwidth_mbps"))
            sc.link.bandwidth_mbps = l.at("bandwidth_mbps").number(0.001, 1e6);
    }

    void faults(const Node& root) {
        if (!root.has("faults")) return;
        const Node fs = root.at("faults");
        fs.array();
        for (std::size_t i = 0; i < fs.value().size(); ++i) {
            const Node f = fs.at(i);
            f.object();
            f.only({"drop", "duplicate", "delay"});
            if (f.value().size() != 1)
                f.fail("expected exactly one of \"drop\", \"duplicate\", \"delay\"");
            const std::string kind = f.value().begin().key();
            const Node b = f.at(kind.c_str());
            b.object();
            b.only({"from", "flags", "with_data", "nth", "from_ms", "until_ms", "extra_ms"});
            FaultSpec spec;
            spec.type = kind == "drop"        ? FaultSpec::Type::Drop
                        : kind == "duplicate" ? FaultSpec::Type::Duplicate
                                              : FaultSpec::Type::Delay;
            if (!b.has("from"))
                b.missing("from").fail("expected the sending host's name (required)");
            spec.from_host = host_ref(b.at("from"));
            if (b.has("flags")) {
                const std::string text = b.at("flags").str();
                auto flags = parse_flags(text);
                if (!flags || *flags == 0)
                    b.at("flags").fail("expected flag names joined by commas, like \"FIN,ACK\"");
                spec.flags = *flags;
                spec.flags_name_psh = (*flags & PSH) != 0;
            }
            if (b.has("with_data")) spec.with_data = b.at("with_data").boolean();
            if (b.has("nth")) spec.nth = static_cast<int>(b.at("nth").integer(1, 1000000));
            if (b.has("from_ms")) spec.from = b.at("from_ms").millis();
            if (b.has("until_ms")) spec.until = b.at("until_ms").millis();
            if (b.has("extra_ms")) {
                if (spec.type != FaultSpec::Type::Delay)
                    b.at("extra_ms").fail("only a \"delay\" fault takes extra_ms");
                spec.extra = b.at("extra_ms").millis();
            } else if (spec.type == FaultSpec::Type::Delay) {
                b.missing("extra_ms")
                    .fail("expected the extra delay in milliseconds (required for \"delay\")");
            }
            sc.faults.push_back(spec);
        }
    }

    void events(const Node& root) {
        if (!root.has("events")) return;
        const Node es = root.at("events");
        es.array();
        for (std::size_t i = 0; i < es.value().size(); ++i) {
            const Node e = es.at(i);
            e.object();
            EventSpec ev;
            ev.ptr = e.ptr();
            if (!e.has("at_ms"))
                e.missing("at_ms").fail("expected the time in milliseconds (required)");
            ev.at = e.at("at_ms").millis();
            ev.action = e.str("action");
            if (!e.has("host")) e.missing("host").fail("expected a host name (required)");
            ev.host = host_ref(e.at("host"));
            if (ev.action == "inject") {
                e.only({"at_ms", "action", "host", "seg", "src_ip", "to"});
                if (!e.has("seg"))
                    e.missing("seg").fail("expected the segment to inject (required)");
                const Node s = e.at("seg");
                s.object();
                s.only({"sport", "dport", "flags", "seq", "ack", "len", "win", "mss", "rel"});
                Segment seg;
                seg.src.ip = sc.hosts[static_cast<std::size_t>(ev.host)].ip;
                if (e.has("src_ip")) {
                    auto ip = parse_ip(e.at("src_ip").str());
                    if (!ip) e.at("src_ip").fail("expected an IPv4 address");
                    seg.src.ip = *ip;
                }
                int to = -1;
                if (e.has("to")) {
                    to = host_ref(e.at("to"));
                } else {
                    if (sc.hosts.size() != 2)
                        e.missing("to").fail(
                            "expected the destination host (required with more than two hosts)");
                    to = ev.host == 0 ? 1 : 0;
                }
                seg.dst.ip = sc.hosts[static_cast<std::size_t>(to)].ip;
                if (!s.has("sport")) s.missing("sport").fail("expected the source port (required)");
                if (!s.has("dport"))
                    s.missing("dport").fail("expected the destination port (required)");
                seg.src.port = static_cast<std::uint16_t>(s.at("sport").integer(1, 65535));
                seg.dst.port = static_cast<std::uint16_t>(s.at("dport").integer(1, 65535));
                if (!s.has("flags"))
                    s.missing("flags").fail("expected flag names like \"SYN\" (required)");
                auto flags = parse_flags(s.at("flags").str());
                if (!flags)
                    s.at("flags").fail("expected flag names joined by commas, like \"SYN,ACK\"");
                seg.flags = *flags;
                if (s.has("seq")) seg.seq = static_cast<Seq>(s.at("seq").integer(0, 4294967295LL));
                if (s.has("ack")) seg.ack = static_cast<Seq>(s.at("ack").integer(0, 4294967295LL));
                if (s.has("len"))
                    seg.payload =
                        generated_bytes(static_cast<std::size_t>(s.at("len").integer(0, 65495)));
                seg.window = static_cast<std::uint16_t>(s.has("win") ? s.at("win").integer(0, 65535)
                                                                     : 64240);
                // A raw socket sends exactly what it is given: no options unless named.
                if (s.has("mss"))
                    seg.opts.mss = static_cast<std::uint16_t>(s.at("mss").integer(1, 65535));
                if (s.has("rel")) {
                    // Relative to the sender's ISS and the peer's ISN on the connection with
                    // this 4-tuple (the trace's "rel" convention), resolved when it is sent.
                    const Node r = s.at("rel");
                    r.object();
                    r.only({"seq", "ack"});
                    if (r.has("seq")) ev.rel_seq = r.at("seq").integer(-4294967295LL, 4294967295LL);
                    if (r.has("ack")) ev.rel_ack = r.at("ack").integer(-4294967295LL, 4294967295LL);
                }
                ev.seg = seg;
            } else if (ev.action == "crash" || ev.action == "reboot" || ev.action == "unplug" ||
                       ev.action == "plug") {
                e.only({"at_ms", "action", "host"});
            } else {
                e.at("action").fail(
                    "expected \"crash\", \"reboot\", \"unplug\", \"plug\" or \"inject\"");
            }
            sc.events.push_back(std::move(ev));
        }
    }

    void app_names(const Node& apps) {
        for (std::size_t i = 0; i < apps.value().size(); ++i) {
            const Node a = apps.at(i);
            a.object();
            const std::string name = a.str("name");
            if (app_index.count(name)) a.at("name").fail("duplicate app name \"" + name + "\"");
            app_index[name] = static_cast<int>(i);
        }
    }

    void step(const Node& s, AppSpec& app, std::size_t index) {
        s.object();
        StepSpec st;
        st.ptr = s.ptr();
        st.call = s.str("call");
        const int h = app.host;
        auto sock_ref = [&](bool required) {
            if (!s.has("sock")) {
                if (required) s.missing("sock").fail("expected the handle of a socket (required)");
                return;
            }
            st.sock = s.at("sock").str();
            if (!handles[static_cast<std::size_t>(h)].count(st.sock))
                s.at("sock").fail(
                    "unknown handle \"" + st.sock +
                    "\" (create it first with \"as\" in a socket or accept step on this host)");
        };
        auto add_arg = [&](const char* key) {
            if (s.has(key)) st.args[key] = s.at(key).value();
        };
        static const std::initializer_list<const char*> common = {"call", "at_ms", "after_ms",
                                                                  "after_step", "repeat"};
        auto allow = [&](std::initializer_list<const char*> extra) {
            std::vector<const char*> keys(common);
            keys.insert(keys.end(), extra);
            // Node::only takes an initializer_list; check by hand for a vector.
            std::set<std::string> allowed(keys.begin(), keys.end());
            for (auto& [k, _] : s.value().items()) {
                if (allowed.count(k) || (!k.empty() && (k[0] == '$' || k[0] == '_'))) continue;
                std::string list;
                for (auto* a : keys) list += (list.empty() ? "" : ", ") + std::string(a);
                s.at(k.c_str()).fail("unexpected member \"" + k + "\" for call \"" + st.call +
                                     "\" (expected one of: " + list + ")");
            }
        };
        if (st.call == "socket") {
            allow({"as"});
            st.as = s.str("as");
        } else if (st.call == "setsockopt" || st.call == "getsockopt") {
            allow({"sock", "name", "value"});
            sock_ref(true);
            st.option = s.str("name");
            add_arg("name");
            add_arg("value");
            if (st.call == "getsockopt") {
                if (st.option != "SO_ERROR")
                    s.at("name").fail("expected \"SO_ERROR\" (the only option getsockopt reads)");
            } else if (st.option == "SO_LINGER") {
                if (!s.has("value"))
                    s.missing("value").fail("expected {\"onoff\": 0|1, \"linger\": seconds}");
                const Node v = s.at("value");
                v.object();
                v.only({"onoff", "linger"});
                if (!v.has("onoff")) v.missing("onoff").fail("expected 0 or 1 (required)");
                st.value = static_cast<long>(v.at("onoff").integer(0, 1));
                st.value2 =
                    v.has("linger") ? static_cast<long>(v.at("linger").integer(0, 65535)) : 0;
            } else {
                static const std::set<std::string> int_opts = {
                    "SO_REUSEADDR",  "SO_KEEPALIVE", "TCP_KEEPIDLE",
                    "TCP_KEEPINTVL", "TCP_KEEPCNT",  "TCP_USER_TIMEOUT",
                    "TCP_LINGER2",   "O_NONBLOCK",   "TCP_NODELAY"};
                if (!int_opts.count(st.option))
                    s.at("name").fail(
                        "expected SO_LINGER, SO_REUSEADDR, SO_KEEPALIVE, TCP_KEEPIDLE, "
                        "TCP_KEEPINTVL, "
                        "TCP_KEEPCNT, TCP_USER_TIMEOUT, TCP_LINGER2, TCP_NODELAY or O_NONBLOCK");
                if (!s.has("value")) s.missing("value").fail("expected an integer (required)");
                const long long lo = st.option == "TCP_LINGER2" ? -1 : 0;
                st.value = static_cast<long>(s.at("value").integer(lo, 2147483647LL));
                if ((st.option == "TCP_KEEPIDLE" || st.option == "TCP_KEEPINTVL" ||
                     st.option == "TCP_KEEPCNT") &&
                    st.value < 1)
                    s.at("value").fail("expected an integer from 1 to 32767");
            }
        } else if (st.call == "bind") {
            allow({"sock", "port", "ip"});
            sock_ref(true);
            if (!s.has("port"))
                s.missing("port").fail("expected a port number (required; 0 picks one)");
            st.port = static_cast<std::uint16_t>(s.at("port").integer(0, 65535));
            if (s.has("ip")) {
                auto ip = parse_ip(s.at("ip").str());
                if (!ip) s.at("ip").fail("expected an IPv4 address");
                st.ip = *ip;
            }
            add_arg("port");
            add_arg("ip");
        } else if (st.call == "listen") {
            allow({"sock", "backlog"});
            sock_ref(true);
            st.backlog =
                s.has("backlog") ? static_cast<int>(s.at("backlog").integer(-1, 65535)) : 128;
            st.args["backlog"] = st.backlog;
        } else if (st.call == "accept") {
            allow({"sock", "as"});
            sock_ref(true);
            st.as = s.str("as");
        } else if (st.call == "connect") {
            allow({"sock", "to"});
            sock_ref(true);
            if (!s.has("to")) s.missing("to").fail("expected \"host:port\" (required)");
            st.to = endpoint(s.at("to"));
            add_arg("to");
        } else if (st.call == "send") {
            allow({"sock", "bytes", "text", "nosignal"});
            sock_ref(true);
            if (s.has("text") == s.has("bytes"))
                s.fail("expected exactly one of \"bytes\" (a count) or \"text\"");
            if (s.has("text"))
                st.data = s.at("text").str();
            else
                st.data = generated_bytes(
                    static_cast<std::size_t>(s.at("bytes").integer(0, 64 * 1024 * 1024)));
            if (s.has("nosignal")) st.nosignal = s.at("nosignal").boolean();
            add_arg("bytes");
            add_arg("text");
            add_arg("nosignal");
        } else if (st.call == "recv") {
            allow({"sock", "max"});
            sock_ref(true);
            st.max = s.has("max")
                         ? static_cast<std::size_t>(s.at("max").integer(0, 64 * 1024 * 1024))
                         : 65536;
            st.args["max"] = st.max;
        } else if (st.call == "shutdown") {
            allow({"sock", "how"});
            sock_ref(true);
            const std::string how = s.has("how") ? s.at("how").str() : "wr";
            if (how == "rd")
                st.shut_rd = true;
            else if (how == "wr")
                st.shut_wr = true;
            else if (how == "rdwr")
                st.shut_rd = st.shut_wr = true;
            else
                s.at("how").fail("expected \"rd\", \"wr\" or \"rdwr\"");
            st.args["how"] = how;
        } else if (st.call == "close") {
            allow({"sock"});
            sock_ref(true);
        } else if (st.call == "poll") {
            allow({"sock", "events", "timeout_ms"});
            sock_ref(true);
            if (!s.has("events"))
                s.missing("events").fail("expected a list like [\"in\", \"out\"] (required)");
            const Node evs = s.at("events");
            evs.array();
            for (std::size_t i = 0; i < evs.value().size(); ++i) {
                auto it = poll_names().find(evs.at(i).str());
                if (it == poll_names().end())
                    evs.at(i).fail("expected \"in\", \"out\", \"err\" or \"hup\"");
                st.poll_events |= it->second;
            }
            if (s.has("timeout_ms")) {
                const auto& tv = s.at("timeout_ms").value();
                if (tv.is_number() && tv.get<double>() < 0)
                    st.timeout = -1;
                else
                    st.timeout = s.at("timeout_ms").millis();
            }
            add_arg("events");
            add_arg("timeout_ms");
        } else if (st.call == "sleep") {
            allow({});
        } else {
            s.at("call").fail(
                "expected one of: socket, setsockopt, getsockopt, bind, listen, accept, connect, "
                "send, recv, shutdown, close, poll, sleep");
        }
        if (!st.as.empty()) st.args["as"] = st.as;
        if (s.has("at_ms")) st.at = s.at("at_ms").millis();
        if (s.has("after_ms")) st.after = s.at("after_ms").millis();
        if (s.has("after_step")) {
            const Node a = s.at("after_step");
            const std::string ref = a.str();
            const auto colon = ref.rfind(':');
            if (colon == std::string::npos) a.fail("expected \"app:step\", like \"srv:3\"");
            auto it = app_index.find(ref.substr(0, colon));
            if (it == app_index.end()) a.fail("unknown app \"" + ref.substr(0, colon) + "\"");
            long idx = -1;
            try {
                idx = std::stol(ref.substr(colon + 1));
            } catch (...) {
                a.fail("expected a step index (0-based) after ':'");
            }
            st.after_app = it->second;
            st.after_index = static_cast<int>(idx);
            if (idx < 0) a.fail("expected a step index (0-based) after ':'");
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
                    r.fail("expected a count, \"until_eof\" or \"until_error\"");
                st.repeat = 100000;
            } else {
                st.repeat = static_cast<long>(r.integer(1, 1000000));
            }
        }
        (void)index;
        app.steps.push_back(std::move(st));
    }

    void apps(const Node& root) {
        if (!root.has("apps")) return;
        const Node as = root.at("apps");
        as.array();
        app_names(as);
        // Handles are per host: collect every name a step creates before checking references.
        for (std::size_t i = 0; i < as.value().size(); ++i) {
            const Node a = as.at(i);
            if (!a.has("host")) a.missing("host").fail("expected a host name (required)");
            const int h = host_ref(a.at("host"));
            if (!a.has("steps")) a.missing("steps").fail("expected an array of steps (required)");
            const Node steps = a.at("steps");
            steps.array();
            for (std::size_t k = 0; k < steps.value().size(); ++k) {
                const auto& sv = steps.value()[k];
                if (sv.is_object() && sv.contains("as") && sv["as"].is_string())
                    handles[static_cast<std::size_t>(h)].insert(sv["as"].get<std::string>());
            }
        }
        for (std::size_t i = 0; i < as.value().size(); ++i) {
            const Node a = as.at(i);
            a.only({"name", "host", "steps", "sigpipe"});
            AppSpec app;
            app.name = a.str("name");
            app.host = host_ref(a.at("host"));
            if (a.has("sigpipe")) {
                const std::string v = a.at("sigpipe").str();
                if (v != "ignore" && v != "default")
                    a.at("sigpipe").fail("expected \"ignore\" or \"default\"");
                app.sigpipe_ignored = v == "ignore";
            }
            const Node steps = a.at("steps");
            for (std::size_t k = 0; k < steps.value().size(); ++k) step(steps.at(k), app, k);
            sc.apps.push_back(std::move(app));
        }
        for (auto& app : sc.apps)
            for (auto& st : app.steps)
                if (st.after_app >= 0 &&
                    st.after_index >=
                        static_cast<int>(
                            sc.apps[static_cast<std::size_t>(st.after_app)].steps.size()))
                    throw InputError(
                        file + ": " + st.ptr + "/after_step: app \"" +
                        sc.apps[static_cast<std::size_t>(st.after_app)].name + "\" has only " +
                        std::to_string(
                            sc.apps[static_cast<std::size_t>(st.after_app)].steps.size()) +
                        " steps");
    }
};

}  // namespace

Scenario load_scenario(const nlohmann::json& doc, const std::string& file) {
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
    Loader L{file, {}, {}, {}, {}};
    if (root.has("title")) {
        const auto& t = root.at("title").value();
        if (t.is_string())
            L.sc.title = t.get<std::string>();
        else if (t.is_object() && t.contains("en") && t["en"].is_string())
            L.sc.title = t["en"].get<std::string>();
        else
            root.at("title").fail("expected a string (or {\"en\": ..., \"zh-CN\": ...})");
    } else if (lesson && top.has("title")) {
        const auto& t = doc["title"];
        if (t.is_string())
            L.sc.title = t.get<std::string>();
        else if (t.is_object() && t.contains("en") && t["en"].is_string())
            L.sc.title = t["en"].get<std::string>();
    }
    if (root.has("seed"))
        L.sc.seed = static_cast<std::uint64_t>(root.at("seed").integer(0, 9007199254740991LL));
    if (root.has("profile")) {
        L.sc.profile = root.at("profile").str();
        if (!is_profile_name(L.sc.profile))
            root.at("profile").fail("expected \"linux\", \"rfc\", \"windows\" or \"bsd\"");
    }
    L.hosts(root);
    L.link(root);
    L.faults(root);
    L.events(root);
    L.apps(root);
    if (root.has("until_ms")) L.sc.until = root.at("until_ms").millis();
    if (root.has("max_events"))
        L.sc.max_events = static_cast<std::size_t>(root.at("max_events").integer(1, 100'000'000));
    return std::move(L.sc);
}

}  // namespace tcplab
