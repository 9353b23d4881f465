// The scenario loader: the one validation layer every front door runs a scenario through
// (run.hpp). It checks the shape that core/schema/scenario.schema.json describes, and what a
// schema cannot say: names resolve, handles are created before they are used, numbers fit the
// engine's types, and the limits of run.hpp hold. No nlohmann/json accessor here can throw:
// every value is type-checked before it is read.
#include "tcplab/scenario.hpp"

#include "tcplab/run.hpp"

#include <algorithm>
#include <climits>
#include <cmath>
#include <cstdint>
#include <limits>
#include <map>
#include <set>
#include <unordered_map>

namespace tcplab {

const char* call_name(Call c) {
    switch (c) {
        case Call::Socket: return "socket";
        case Call::Setsockopt: return "setsockopt";
        case Call::Getsockopt: return "getsockopt";
        case Call::Bind: return "bind";
        case Call::Listen: return "listen";
        case Call::Accept: return "accept";
        case Call::Connect: return "connect";
        case Call::Send: return "send";
        case Call::Recv: return "recv";
        case Call::Shutdown: return "shutdown";
        case Call::Close: return "close";
        case Call::Poll: return "poll";
        case Call::Sleep: return "sleep";
    }
    return "?";
}

std::string step_pointer(std::size_t app, std::size_t step) {
    return "/apps/" + std::to_string(app) + "/steps/" + std::to_string(step);
}

namespace {

using nlohmann::json;

// Names (hosts, apps, handles) are repeated in every trace event about them, so their length
// multiplies the trace's size; 64 bytes is far more than any lesson uses.
constexpr std::size_t kMaxNameBytes = 64;
// How many characters of a bad value, and how many names of a long list, a message quotes.
constexpr std::size_t kQuoteChars = 40;
constexpr std::size_t kListNames = 5;

bool is_control(unsigned char c) { return c < 0x20 || c == 0x7f; }

// A value quoted for a message: JSON-style escapes for quotes, backslashes and control
// characters, cut after kQuoteChars bytes (at a UTF-8 character boundary).
std::string quote(const std::string& s) {
    std::string out = "\"";
    std::size_t i = 0;
    // The limit is on what is shown: an escape takes six characters.
    for (; i < s.size() && out.size() <= kQuoteChars; ++i) {
        const auto c = static_cast<unsigned char>(s[i]);
        if (c == '"' || c == '\\') {
            out += '\\';
            out += static_cast<char>(c);
        } else if (is_control(c)) {
            static const char hex[] = "0123456789abcdef";
            out += "\\u00";
            out += hex[c >> 4];
            out += hex[c & 15];
        } else {
            out += static_cast<char>(c);
        }
    }
    if (i < s.size()) {
        // Do not end inside a multi-byte UTF-8 sequence.
        while (i > 0 && (static_cast<unsigned char>(s[i]) & 0xC0) == 0x80) {
            --i;
            out.pop_back();
        }
        out += "...\" (" + std::to_string(s.size()) + " bytes)";
        return out;
    }
    return out + "\"";
}

// "a, b, c" for at most kListNames names, then "and N more".
template <class Names>
std::string some_names(const Names& names) {
    std::string out;
    std::size_t n = 0;
    for (const auto& name : names) {
        if (n == kListNames) {
            out += " and " + std::to_string(names.size() - n) + " more";
            break;
        }
        out += (n++ ? ", " : "") + quote(name);
    }
    return out;
}

// A pointer as a message shows it: control characters escaped, long tokens cut.
std::string shown_pointer(const std::string& ptr) {
    std::string out;
    std::size_t start = 0;
    while (start < ptr.size()) {
        std::size_t end = ptr.find('/', start + 1);
        if (end == std::string::npos) end = ptr.size();
        std::string token = ptr.substr(start + 1, end - start - 1);
        const bool plain =
            token.size() <= kQuoteChars && std::none_of(token.begin(), token.end(), [](char c) {
                return is_control(static_cast<unsigned char>(c));
            });
        if (plain) {
            out += "/" + token;
        } else {
            std::string q = quote(token);  // "\"...\"" with escapes; drop the quotes
            const auto close = q.rfind('"');
            out += "/" + q.substr(1, close - 1);
        }
        start = end;
    }
    return out;
}

// The longest common-prefix-and-edit-distance match in `known`, for "did you mean".
std::string closest(const std::string& word, const std::vector<std::string>& known) {
    std::string best;
    std::size_t best_d = std::numeric_limits<std::size_t>::max();
    for (const auto& k : known) {
        // Levenshtein distance, two rows.
        std::vector<std::size_t> prev(k.size() + 1), cur(k.size() + 1);
        for (std::size_t j = 0; j <= k.size(); ++j) prev[j] = j;
        for (std::size_t i = 1; i <= word.size() && i <= 64; ++i) {
            cur[0] = i;
            for (std::size_t j = 1; j <= k.size(); ++j)
                cur[j] = std::min(
                    {prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (word[i - 1] == k[j - 1] ? 0 : 1)});
            std::swap(prev, cur);
        }
        const std::size_t d = prev[k.size()];
        if (d < best_d) {
            best_d = d;
            best = k;
        }
    }
    return best_d <= 3 ? best : std::string();
}

// A JSON value with its pointer, so every check can say where it failed.
class Node {
public:
    Node(const json& v, std::string ptr, const std::string& file)
        : v_(v), ptr_(std::move(ptr)), file_(file) {}

    [[noreturn]] void fail(const std::string& what) const {
        throw InputError(file_ + ": " +
                         (ptr_.empty() ? std::string("(root)") : shown_pointer(ptr_)) + ": " +
                         what);
    }
    const json& value() const { return v_; }
    const std::string& ptr() const { return ptr_; }
    bool has(const std::string& key) const { return v_.is_object() && v_.contains(key); }
    // Only after has(key).
    Node at(const std::string& key) const {
        return Node(*v_.find(key), ptr_ + "/" + json_pointer_token(key), file_);
    }
    // Only for i < size of an array.
    Node at(std::size_t i) const { return Node(v_[i], ptr_ + "/" + std::to_string(i), file_); }
    Node missing(const std::string& key) const {
        static const json null_value;
        return Node(null_value, ptr_ + "/" + json_pointer_token(key), file_);
    }

    const Node& object() const {
        unresolved();
        if (!v_.is_object()) fail("expected an object");
        return *this;
    }
    const Node& array() const {
        unresolved();
        if (!v_.is_array()) fail("expected an array");
        return *this;
    }
    // An array of at most `limit` items; `what` names them and the limit.
    const Node& array(std::size_t limit, const char* what) const {
        array();
        if (v_.size() > limit)
            fail("expected at most " + std::to_string(limit) + " " + what + ", found " +
                 std::to_string(v_.size()) + " (limit \"" + what + "\")");
        return *this;
    }
    // Members other than `keys` are errors, except "$..." and "_..." (comments, lesson tools).
    void only(std::initializer_list<const char*> keys, const std::string& context = "") const {
        for (auto it = v_.begin(); it != v_.end(); ++it) {
            const std::string& k = it.key();
            if (!k.empty() && (k[0] == '$' || k[0] == '_')) continue;
            if (std::any_of(keys.begin(), keys.end(), [&](const char* a) { return k == a; }))
                continue;
            std::string list;
            for (auto* a : keys) list += (list.empty() ? "" : ", ") + std::string(a);
            at(k).fail("unexpected member " + quote(k) + context + " (expected one of: " + list +
                       ")");
        }
    }
    // A string, at most max_bytes long, free of control characters (C0 and DEL) unless
    // `allow_layout` lets tab, line feed and carriage return through.
    std::string str(std::size_t max_bytes = std::numeric_limits<std::size_t>::max(),
                    bool allow_layout = false) const {
        unresolved();
        if (!v_.is_string()) fail("expected a string");
        const std::string& s = v_.get_ref<const std::string&>();
        if (s.size() > max_bytes)
            fail("expected at most " + std::to_string(max_bytes) + " bytes, found " + quote(s));
        for (std::size_t i = 0; i < s.size(); ++i) {
            const auto c = static_cast<unsigned char>(s[i]);
            if (is_control(c) && !(allow_layout && (c == '\t' || c == '\n' || c == '\r')))
                fail("expected a string without control characters, found " + quote(s));
        }
        return s;
    }
    std::string str_required(
        const std::string& key, const char* what,
        std::size_t max_bytes = std::numeric_limits<std::size_t>::max()) const {
        if (!has(key)) missing(key).fail(std::string("expected ") + what + " (required)");
        return at(key).str(max_bytes);
    }
    // A name: 1 to kMaxNameBytes bytes, no control characters.
    std::string name() const {
        const std::string s = str();
        if (s.empty()) fail("expected a name (an empty string is not one)");
        if (s.size() > kMaxNameBytes)
            fail("expected a name of at most " + std::to_string(kMaxNameBytes) +
                 " bytes (limit \"name length\"), found " + quote(s));
        return s;
    }
    // An integer in [lo, hi]. JSON has one number type (RFC 8259 §6): 3.0 is the integer 3,
    // as in JSON Schema. Every comparison happens before a conversion, so no value can
    // overflow the type it lands in.
    long long integer(long long lo, long long hi) const {
        unresolved();
        const std::string range = " from " + std::to_string(lo) + " to " + std::to_string(hi);
        if (v_.is_number_unsigned()) {  // before is_number_integer(), which is true for both
            const auto n = v_.get<unsigned long long>();
            if (hi >= 0 && n <= static_cast<unsigned long long>(hi) &&
                static_cast<long long>(n) >= lo)
                return static_cast<long long>(n);
        } else if (v_.is_number_integer()) {
            const long long n = v_.get<long long>();
            if (n >= lo && n <= hi) return n;
        } else if (v_.is_number_float()) {
            const double d = v_.get<double>();
            if (std::floor(d) == d && d >= static_cast<double>(lo) && d <= static_cast<double>(hi))
                return static_cast<long long>(d);
        }
        fail("expected an integer" + range + ", found " + shown_value());
    }
    double number(double lo, double hi) const {
        unresolved();
        if (!v_.is_number()) fail("expected a number, found " + shown_value());
        const double d = v_.get<double>();
        if (!(d >= lo && d <= hi))
            fail("expected a number from " + fmt(lo) + " to " + fmt(hi) + ", found " +
                 shown_value());
        return d;
    }
    bool boolean() const {
        unresolved();
        if (!v_.is_boolean()) fail("expected true or false, found " + shown_value());
        return v_.get<bool>();
    }
    // Milliseconds (may be fractional, resolution 1 µs) to microseconds.
    Time millis(double max_ms = 1e12) const {
        const double d = number(0, max_ms);
        return static_cast<Time>(std::llround(d * 1000.0));
    }

    // A {"$param": name} left in a scenario: the lesson resolver replaces them before a run.
    void unresolved() const {
        if (v_.is_object() && v_.contains("$param"))
            fail("unresolved lesson parameter " + quote(v_["$param"].dump()));
    }

private:
    // What was found, briefly: the value of a scalar (a number's text is at most about 25
    // characters), the type of anything else.
    std::string shown_value() const {
        if (v_.is_string()) return "the string " + quote(v_.get_ref<const std::string&>());
        if (v_.is_array()) return "an array";
        if (v_.is_object()) return "an object";
        return v_.dump();
    }
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

const std::map<std::string, Call>& call_names() {
    static const std::map<std::string, Call> m = {{"socket", Call::Socket},
                                                  {"setsockopt", Call::Setsockopt},
                                                  {"getsockopt", Call::Getsockopt},
                                                  {"bind", Call::Bind},
                                                  {"listen", Call::Listen},
                                                  {"accept", Call::Accept},
                                                  {"connect", Call::Connect},
                                                  {"send", Call::Send},
                                                  {"recv", Call::Recv},
                                                  {"shutdown", Call::Shutdown},
                                                  {"close", Call::Close},
                                                  {"poll", Call::Poll},
                                                  {"sleep", Call::Sleep}};
    return m;
}

// Who creates a handle on one host: the first app that does (and at which step), and whether
// another app does too. Threads of one process share descriptors, so a handle another app
// creates may be used at any step; one only this app creates must come from an earlier step.
struct HandleOrigin {
    std::size_t app = 0;
    std::size_t first_step = 0;
    bool other_apps = false;
};

struct Loader {
    const std::string& file;
    Scenario sc;
    std::unordered_map<std::string, int> host_index;
    std::unordered_map<std::string, int> app_index;
    std::vector<std::unordered_map<std::string, HandleOrigin>> handles;  // per host
    std::size_t payload = 0;  // bytes of send data and injected payloads so far

    void count_payload(const Node& n, std::size_t bytes) {
        payload += bytes;
        if (payload > kLimits.payload_bytes)
            n.fail("expected at most " + std::to_string(kLimits.payload_bytes) +
                   " bytes of send data and injected payload in one scenario (limit \"payload "
                   "bytes\")");
    }

    int host_ref(const Node& n) {
        const std::string name = n.str();
        auto it = host_index.find(name);
        if (it == host_index.end()) {
            std::vector<std::string> known(sc.hosts.size());
            for (std::size_t i = 0; i < sc.hosts.size(); ++i) known[i] = sc.hosts[i].name;
            n.fail("unknown host " + quote(name) + " (hosts: " + some_names(known) + ")");
        }
        return it->second;
    }

    Addr endpoint(const Node& n) {
        // "server:80" or "10.0.0.2:80"
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

    void hosts(const Node& root) {
        if (!root.has("hosts"))
            root.missing("hosts").fail("expected an object of hosts (required)");
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
                if (h.has("ip"))
                    h.at("ip").fail("address already used by host " + quote(used->second));
                h.missing("ip").fail("expected an address: the default " + ip_string(spec.ip) +
                                     " (10.0.0.N for the N-th host) is already used by host " +
                                     quote(used->second));
            }
            ips.emplace(spec.ip, name);
            std::string profile = sc.profile;
            if (h.has("profile")) {
                profile = h.at("profile").str();
                if (!is_profile_name(profile))
                    h.at("profile").fail(
                        "expected \"linux\", \"rfc\", \"windows\" or \"bsd\", found " +
                        quote(profile));
            }
            spec.params = profile_params(profile);
            if (profile == "rfc") spec.isn.kind = IsnKind::Rfc6528;
            if (h.has("sysctl")) {
                const Node sys = h.at("sysctl");
                sys.object();
                for (auto s = sys.value().begin(); s != sys.value().end(); ++s) {
                    const std::string& key = s.key();
                    const Node value = sys.at(key);
                    value.unresolved();
                    const std::string err = apply_sysctl(spec.params, key, sysctl_value(*s));
                    if (err == "unknown parameter") {
                        const std::string near = closest(key, sysctl_names());
                        value.fail("unknown sysctl " + quote(key) +
                                   (near.empty() ? std::string()
                                                 : " (did you mean " + quote(near) + "?)") +
                                   "; the known ones are listed in docs/CONTRACTS.md");
                    }
                    if (!err.empty()) value.fail(err);
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
        fs.array(kLimits.faults, "faults");
        for (std::size_t i = 0; i < fs.value().size(); ++i) {
            const Node f = fs.at(i);
            f.object();
            f.only({"drop", "duplicate", "delay"});
            const int kinds = f.has("drop") + f.has("duplicate") + f.has("delay");
            if (kinds != 1) f.fail("expected exactly one of \"drop\", \"duplicate\", \"delay\"");
            const std::string kind = f.has("drop")        ? "drop"
                                     : f.has("duplicate") ? "duplicate"
                                                          : "delay";
            const Node b = f.at(kind);
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
                    b.at("flags").fail(
                        "expected flag names joined by commas, like \"FIN,ACK\", found " +
                        quote(text));
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
        es.array(kLimits.events, "events");
        for (std::size_t i = 0; i < es.value().size(); ++i) {
            const Node e = es.at(i);
            e.object();
            EventSpec ev;
            ev.ptr = e.ptr();
            if (!e.has("at_ms"))
                e.missing("at_ms").fail("expected the time in milliseconds (required)");
            ev.at = e.at("at_ms").millis();
            ev.action = e.str_required("action", "an action");
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
                const std::string flag_text = s.at("flags").str();
                auto flags = parse_flags(flag_text);
                if (!flags)
                    s.at("flags").fail(
                        "expected flag names joined by commas, like \"SYN,ACK\", found " +
                        quote(flag_text));
                seg.flags = *flags;
                if (s.has("seq")) seg.seq = static_cast<Seq>(s.at("seq").integer(0, 4294967295LL));
                if (s.has("ack")) seg.ack = static_cast<Seq>(s.at("ack").integer(0, 4294967295LL));
                if (s.has("len")) {
                    const auto len = static_cast<std::size_t>(s.at("len").integer(0, 65495));
                    count_payload(s.at("len"), len);
                    seg.payload = generated_bytes(len);
                }
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
                    "expected \"crash\", \"reboot\", \"unplug\", \"plug\" or \"inject\", found " +
                    quote(ev.action));
            }
            sc.events.push_back(std::move(ev));
        }
    }

    // The host of every app, the handles each step creates, and the app names, before any step
    // is read: steps refer to apps and handles by name, in any order.
    void survey_apps(const Node& apps) {
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

    void step(const Node& s, AppSpec& app, std::size_t app_no, std::size_t index) {
        s.object();
        StepSpec st;
        if (!s.has("call")) s.missing("call").fail("expected the call to make (required)");
        const std::string call = s.at("call").str();
        auto known_call = call_names().find(call);
        if (known_call == call_names().end())
            s.at("call").fail(
                "expected one of: socket, setsockopt, getsockopt, bind, listen, accept, connect, "
                "send, recv, shutdown, close, poll, sleep; found " +
                quote(call));
        st.call = known_call->second;
        const auto h = static_cast<std::size_t>(app.host);
        auto sock_ref = [&] {
            if (!s.has("sock"))
                s.missing("sock").fail("expected the handle of a socket (required)");
            st.sock = s.at("sock").name();
            auto it = handles[h].find(st.sock);
            if (it == handles[h].end())
                s.at("sock").fail(
                    "unknown handle " + quote(st.sock) +
                    " (create it first with \"as\" in a socket or accept step on this host)");
            const HandleOrigin& o = it->second;
            if (!o.other_apps && o.app == app_no && o.first_step >= index)
                s.at("sock").fail("handle " + quote(st.sock) +
                                  " is used before the step that creates it (" +
                                  step_pointer(app_no, o.first_step) + ")");
        };
        auto add_arg = [&](const char* key) {
            if (s.has(key)) st.args[key] = s.at(key).value();
        };
        auto allow = [&](std::initializer_list<const char*> keys) {
            s.only(keys, " for call \"" + call + "\"");
        };
        switch (st.call) {
            case Call::Socket:
                allow({"call", "at_ms", "after_ms", "after_step", "repeat", "as"});
                if (!s.has("as"))
                    s.missing("as").fail("expected a name for the new handle (required)");
                st.as = s.at("as").name();
                break;
            case Call::Setsockopt:
            case Call::Getsockopt: {
                allow(
                    {"call", "at_ms", "after_ms", "after_step", "repeat", "sock", "name", "value"});
                sock_ref();
                st.option = s.str_required("name", "an option name");
                st.args["name"] = st.option;
                if (st.call == Call::Getsockopt) {
                    if (st.option != "SO_ERROR")
                        s.at("name").fail(
                            "expected \"SO_ERROR\" (the only option getsockopt reads), found " +
                            quote(st.option));
                    if (s.has("value"))
                        s.at("value").fail(
                            "unexpected member \"value\" for call \"getsockopt\" (it returns the "
                            "value)");
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
                    // Echo the two fields only: "$..."/"_..." members would ride along with
                    // every call of the step.
                    nlohmann::ordered_json echo = nlohmann::ordered_json::object();
                    for (auto it = v.value().begin(); it != v.value().end(); ++it)
                        if (it.key() == "onoff" || it.key() == "linger") echo[it.key()] = *it;
                    st.args["value"] = std::move(echo);
                } else {
                    static const std::set<std::string> int_opts = {
                        "SO_REUSEADDR",  "SO_KEEPALIVE", "TCP_KEEPIDLE",
                        "TCP_KEEPINTVL", "TCP_KEEPCNT",  "TCP_USER_TIMEOUT",
                        "TCP_LINGER2",   "O_NONBLOCK",   "TCP_NODELAY"};
                    if (!int_opts.count(st.option))
                        s.at("name").fail(
                            "expected SO_LINGER, SO_REUSEADDR, SO_KEEPALIVE, TCP_KEEPIDLE, "
                            "TCP_KEEPINTVL, TCP_KEEPCNT, TCP_USER_TIMEOUT, TCP_LINGER2, "
                            "TCP_NODELAY or O_NONBLOCK; found " +
                            quote(st.option));
                    if (!s.has("value")) s.missing("value").fail("expected an integer (required)");
                    const long long lo = st.option == "TCP_LINGER2" ? -1 : 0;
                    st.value = static_cast<long>(s.at("value").integer(lo, 2147483647LL));
                    if ((st.option == "TCP_KEEPIDLE" || st.option == "TCP_KEEPINTVL" ||
                         st.option == "TCP_KEEPCNT") &&
                        st.value < 1)
                        s.at("value").fail("expected an integer from 1 to 32767");
                    add_arg("value");
                }
                break;
            }
            case Call::Bind:
                allow({"call", "at_ms", "after_ms", "after_step", "repeat", "sock", "port", "ip"});
                sock_ref();
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
                break;
            case Call::Listen:
                allow({"call", "at_ms", "after_ms", "after_step", "repeat", "sock", "backlog"});
                sock_ref();
                st.backlog =
                    s.has("backlog") ? static_cast<int>(s.at("backlog").integer(-1, 65535)) : 128;
                st.args["backlog"] = st.backlog;
                break;
            case Call::Accept:
                allow({"call", "at_ms", "after_ms", "after_step", "repeat", "sock", "as"});
                sock_ref();
                if (!s.has("as"))
                    s.missing("as").fail("expected a name for the new handle (required)");
                st.as = s.at("as").name();
                break;
            case Call::Connect:
                allow({"call", "at_ms", "after_ms", "after_step", "repeat", "sock", "to"});
                sock_ref();
                if (!s.has("to")) s.missing("to").fail("expected \"host:port\" (required)");
                st.to = endpoint(s.at("to"));
                add_arg("to");
                break;
            case Call::Send:
                allow({"call", "at_ms", "after_ms", "after_step", "repeat", "sock", "bytes", "text",
                       "nosignal"});
                sock_ref();
                if (s.has("text") == s.has("bytes"))
                    s.fail("expected exactly one of \"bytes\" (a count) or \"text\"");
                if (s.has("text")) {
                    st.data = s.at("text").str(kLimits.payload_bytes, true);
                    st.text_bytes = st.data.size();
                    count_payload(s.at("text"), st.data.size());
                } else {
                    const auto n =
                        static_cast<std::size_t>(s.at("bytes").integer(0, 64 * 1024 * 1024));
                    count_payload(s.at("bytes"), n);
                    st.data = generated_bytes(n);
                }
                if (s.has("nosignal")) st.nosignal = s.at("nosignal").boolean();
                add_arg("bytes");
                add_arg("text");
                add_arg("nosignal");
                break;
            case Call::Recv:
                allow({"call", "at_ms", "after_ms", "after_step", "repeat", "sock", "max"});
                sock_ref();
                st.max = s.has("max")
                             ? static_cast<std::size_t>(s.at("max").integer(0, 64 * 1024 * 1024))
                             : 65536;
                st.args["max"] = st.max;
                break;
            case Call::Shutdown: {
                allow({"call", "at_ms", "after_ms", "after_step", "repeat", "sock", "how"});
                sock_ref();
                const std::string how = s.has("how") ? s.at("how").str() : "wr";
                if (how == "rd")
                    st.shut_rd = true;
                else if (how == "wr")
                    st.shut_wr = true;
                else if (how == "rdwr")
                    st.shut_rd = st.shut_wr = true;
                else
                    s.at("how").fail("expected \"rd\", \"wr\" or \"rdwr\", found " + quote(how));
                st.args["how"] = how;
                break;
            }
            case Call::Close:
                allow({"call", "at_ms", "after_ms", "after_step", "repeat", "sock"});
                sock_ref();
                break;
            case Call::Poll: {
                allow({"call", "at_ms", "after_ms", "after_step", "repeat", "sock", "events",
                       "timeout_ms"});
                sock_ref();
                if (!s.has("events"))
                    s.missing("events").fail("expected a list like [\"in\", \"out\"] (required)");
                const Node evs = s.at("events");
                evs.array();
                for (std::size_t i = 0; i < evs.value().size(); ++i) {
                    const std::string ev = evs.at(i).str();
                    auto it = poll_names().find(ev);
                    if (it == poll_names().end())
                        evs.at(i).fail("expected \"in\", \"out\", \"err\" or \"hup\", found " +
                                       quote(ev));
                    // The list is echoed with every call; each name once keeps it short.
                    if (st.poll_events & it->second)
                        evs.at(i).fail("expected each event once, found " + quote(ev) + " again");
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
                break;
            }
            case Call::Sleep: allow({"call", "at_ms", "after_ms", "after_step", "repeat"}); break;
        }
        if (!st.as.empty()) st.args["as"] = st.as;
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
            long idx = 0;
            if (digits.empty() || digits.size() > 9 ||
                !std::all_of(digits.begin(), digits.end(),
                             [](char c) { return c >= '0' && c <= '9'; }))
                a.fail("expected a step index (0-based) after ':', found " + quote(ref));
            idx = std::stol(digits);
            st.after_app = it->second;
            st.after_index = static_cast<int>(idx);
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
        app.steps.push_back(std::move(st));
    }

    void apps(const Node& root) {
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
                                     quote(dep.name) + " has only " +
                                     std::to_string(dep.steps.size()) + " steps");
            }
    }
};

std::string title_text(const Node& t) {
    if (t.value().is_string()) return t.str();
    if (t.value().is_object() && t.has("en") && t.at("en").value().is_string())
        return t.at("en").str();
    t.fail("expected a string (or {\"en\": ..., \"zh-CN\": ...})");
}

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
    Loader L{file, {}, {}, {}, {}, 0};
    if (root.has("title")) {
        L.sc.title = title_text(root.at("title"));
    } else if (lesson && top.has("title")) {
        const Node t = top.at("title");
        if (t.value().is_string() ||
            (t.value().is_object() && t.has("en") && t.at("en").value().is_string()))
            L.sc.title = title_text(t);
    }
    if (root.has("seed"))
        L.sc.seed = static_cast<std::uint64_t>(root.at("seed").integer(0, 9007199254740991LL));
    if (root.has("profile")) {
        L.sc.profile = root.at("profile").str();
        if (!is_profile_name(L.sc.profile))
            root.at("profile").fail("expected \"linux\", \"rfc\", \"windows\" or \"bsd\", found " +
                                    quote(L.sc.profile));
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
