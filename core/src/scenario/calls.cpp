// The call table: every socket call a step can make, with the members it takes and how they are
// read into its typed value (tcplab/step.hpp). A new call is a row here.
#include "loader.hpp"

#include "tcplab/host.hpp"

#include <map>
#include <set>

namespace tcplab::scenario {

namespace {

using StepRead = StepCall (*)(const StepReader&);

calls::Setsockopt read_setsockopt(const StepReader& r) {
    const Node& s = r.s;
    calls::Setsockopt c;
    c.option = s.str_required("name", "an option name");
    r.st.args["name"] = c.option;
    if (c.option == "SO_LINGER") {
        if (!s.has("value"))
            s.missing("value").fail("expected {\"onoff\": 0|1, \"linger\": seconds}");
        const Node v = s.at("value");
        v.object();
        v.only({"onoff", "linger"});
        if (!v.has("onoff")) v.missing("onoff").fail("expected 0 or 1 (required)");
        c.value = static_cast<long>(v.at("onoff").integer(0, 1));
        c.value2 = v.has("linger") ? static_cast<long>(v.at("linger").integer(0, 65535)) : 0;
        // Echo the two fields only: "$..."/"_..." members would ride along with every call of
        // the step.
        nlohmann::ordered_json echo = nlohmann::ordered_json::object();
        for (auto it = v.value().begin(); it != v.value().end(); ++it)
            if (it.key() == "onoff" || it.key() == "linger") echo[it.key()] = *it;
        r.st.args["value"] = std::move(echo);
        return c;
    }
    static const std::set<std::string> int_opts = {
        "SO_REUSEADDR",     "SO_KEEPALIVE", "TCP_KEEPIDLE", "TCP_KEEPINTVL", "TCP_KEEPCNT",
        "TCP_USER_TIMEOUT", "TCP_LINGER2",  "O_NONBLOCK",   "TCP_NODELAY"};
    if (!int_opts.count(c.option))
        s.at("name").fail(
            "expected SO_LINGER, SO_REUSEADDR, SO_KEEPALIVE, TCP_KEEPIDLE, TCP_KEEPINTVL, "
            "TCP_KEEPCNT, TCP_USER_TIMEOUT, TCP_LINGER2, TCP_NODELAY or O_NONBLOCK; found " +
            quote(c.option));
    if (!s.has("value")) s.missing("value").fail("expected an integer (required)");
    const long long lo = c.option == "TCP_LINGER2" ? -1 : 0;
    c.value = static_cast<long>(s.at("value").integer(lo, 2147483647LL));
    if ((c.option == "TCP_KEEPIDLE" || c.option == "TCP_KEEPINTVL" || c.option == "TCP_KEEPCNT") &&
        c.value < 1)
        s.at("value").fail("expected an integer from 1 to 32767");
    r.echo("value");
    return c;
}

calls::Getsockopt read_getsockopt(const StepReader& r) {
    const Node& s = r.s;
    const std::string option = s.str_required("name", "an option name");
    r.st.args["name"] = option;
    if (option != "SO_ERROR")
        s.at("name").fail("expected \"SO_ERROR\" (the only option getsockopt reads), found " +
                          quote(option));
    if (s.has("value"))
        s.at("value").fail(
            "unexpected member \"value\" for call \"getsockopt\" (it returns the value)");
    return {};
}

calls::Bind read_bind(const StepReader& r) {
    const Node& s = r.s;
    calls::Bind c;
    if (!s.has("port")) s.missing("port").fail("expected a port number (required; 0 picks one)");
    c.port = static_cast<std::uint16_t>(s.at("port").integer(0, 65535));
    if (s.has("ip")) {
        auto ip = parse_ip(s.at("ip").str());
        if (!ip) s.at("ip").fail("expected an IPv4 address");
        c.ip = *ip;
    }
    r.echo("port");
    r.echo("ip");
    return c;
}

calls::Listen read_listen(const StepReader& r) {
    calls::Listen c;
    if (r.s.has("backlog")) c.backlog = static_cast<int>(r.s.at("backlog").integer(-1, 65535));
    r.st.args["backlog"] = c.backlog;
    return c;
}

calls::Connect read_connect(const StepReader& r) {
    if (!r.s.has("to")) r.s.missing("to").fail("expected \"host:port\" (required)");
    calls::Connect c;
    c.to = r.loader.endpoint(r.s.at("to"));
    r.echo("to");
    return c;
}

calls::Send read_send(const StepReader& r) {
    const Node& s = r.s;
    calls::Send c;
    if (s.has("text") == s.has("bytes"))
        s.fail("expected exactly one of \"bytes\" (a count) or \"text\"");
    if (s.has("text")) {
        c.data = s.at("text").str(kLimits.payload_bytes, true);
        c.text_bytes = c.data.size();
        r.loader.count_payload(s.at("text"), c.data.size());
    } else {
        const auto n = static_cast<std::size_t>(s.at("bytes").integer(0, 64 * 1024 * 1024));
        r.loader.count_payload(s.at("bytes"), n);
        c.data = generated_bytes(n);
    }
    if (s.has("nosignal")) c.nosignal = s.at("nosignal").boolean();
    r.echo("bytes");
    r.echo("text");
    r.echo("nosignal");
    return c;
}

calls::Recv read_recv(const StepReader& r) {
    calls::Recv c;
    if (r.s.has("max"))
        c.max = static_cast<std::size_t>(r.s.at("max").integer(0, 64 * 1024 * 1024));
    r.st.args["max"] = c.max;
    return c;
}

calls::Shutdown read_shutdown(const StepReader& r) {
    calls::Shutdown c;
    const std::string how = r.s.has("how") ? r.s.at("how").str() : "wr";
    if (how == "rd")
        c.rd = true;
    else if (how == "wr")
        c.wr = true;
    else if (how == "rdwr")
        c.rd = c.wr = true;
    else
        r.s.at("how").fail("expected \"rd\", \"wr\" or \"rdwr\", found " + quote(how));
    r.st.args["how"] = how;
    return c;
}

calls::Poll read_poll(const StepReader& r) {
    static const std::map<std::string, unsigned> names = {
        {"in", kPollIn}, {"out", kPollOut}, {"err", kPollErr}, {"hup", kPollHup}};
    const Node& s = r.s;
    calls::Poll c;
    if (!s.has("events"))
        s.missing("events").fail("expected a list like [\"in\", \"out\"] (required)");
    const Node evs = s.at("events");
    evs.array();
    for (std::size_t i = 0; i < evs.value().size(); ++i) {
        const std::string ev = evs.at(i).str();
        auto it = names.find(ev);
        if (it == names.end())
            evs.at(i).fail("expected \"in\", \"out\", \"err\" or \"hup\", found " + quote(ev));
        // The list is echoed with every call; each name once keeps it short.
        if (c.events & it->second)
            evs.at(i).fail("expected each event once, found " + quote(ev) + " again");
        c.events |= it->second;
    }
    if (s.has("timeout_ms")) {
        const auto& tv = s.at("timeout_ms").value();
        if (tv.is_number() && tv.get<double>() < 0)
            c.timeout = -1;
        else
            c.timeout = s.at("timeout_ms").millis();
    }
    r.echo("events");
    r.echo("timeout_ms");
    return c;
}

// A call with no members of its own.
template <class Call>
Call read_nothing(const StepReader&) {
    return {};
}

// A row for call C: its members besides those of every step, and its reader.
template <class C, C (*Read)(const StepReader&)>
CallRow row(std::initializer_list<const char*> own) {
    CallRow r;
    r.name = C::kName;
    r.members = {"call", "at_ms", "after_ms", "after_step", "repeat"};
    r.members.insert(r.members.end(), own.begin(), own.end());
    for (const char* m : own) {
        r.uses_sock |= std::string_view(m) == "sock";
        r.creates_handle |= std::string_view(m) == "as";
    }
    r.read = [](const StepReader& reader) -> StepCall { return Read(reader); };
    return r;
}

// Every call, in the order messages list them.
const std::vector<CallRow>& call_table() {
    static const std::vector<CallRow> table = {
        row<calls::Socket, read_nothing<calls::Socket>>({"as"}),
        row<calls::Setsockopt, read_setsockopt>({"sock", "name", "value"}),
        row<calls::Getsockopt, read_getsockopt>({"sock", "name", "value"}),
        row<calls::Bind, read_bind>({"sock", "port", "ip"}),
        row<calls::Listen, read_listen>({"sock", "backlog"}),
        row<calls::Accept, read_nothing<calls::Accept>>({"sock", "as"}),
        row<calls::Connect, read_connect>({"sock", "to"}),
        row<calls::Send, read_send>({"sock", "bytes", "text", "nosignal"}),
        row<calls::Recv, read_recv>({"sock", "max"}),
        row<calls::Shutdown, read_shutdown>({"sock", "how"}),
        row<calls::Close, read_nothing<calls::Close>>({"sock"}),
        row<calls::Poll, read_poll>({"sock", "events", "timeout_ms"}),
        row<calls::Sleep, read_nothing<calls::Sleep>>({}),
    };
    return table;
}

}  // namespace

const CallRow& call_row(const Node& s) {
    static const std::map<std::string, const CallRow*, std::less<>> by_name = [] {
        std::map<std::string, const CallRow*, std::less<>> m;
        for (const CallRow& r : call_table()) m.emplace(r.name, &r);
        return m;
    }();
    if (!s.has("call")) s.missing("call").fail("expected the call to make (required)");
    const std::string call = s.at("call").str();
    auto it = by_name.find(call);
    if (it == by_name.end()) {
        std::string names;
        for (const CallRow& r : call_table())
            names += (names.empty() ? "" : ", ") + std::string(r.name);
        s.at("call").fail("expected one of: " + names + "; found " + quote(call));
    }
    return *it->second;
}

}  // namespace tcplab::scenario
