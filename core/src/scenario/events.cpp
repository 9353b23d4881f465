// Faults on the link (matched against every sent segment) and timed host events (crash,
// reboot, unplug, plug, and injected segments).
#include "loader.hpp"

namespace tcplab::scenario {

void Loader::faults(const Node& root) {
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
        if (!b.has("from")) b.missing("from").fail("expected the sending host's name (required)");
        spec.from_host = host_ref(b.at("from"));
        if (b.has("flags")) {
            const std::string text = b.at("flags").str();
            auto flags = parse_flags(text);
            if (!flags || *flags == 0)
                b.at("flags").fail(
                    "expected flag names joined by commas, like \"FIN,ACK\", found " + quote(text));
            spec.flags = *flags;
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

namespace {

// An injected segment: {"seg": {...}, "src_ip", "to"} of event `e` from host `ev.host`.
void read_inject(Loader& L, const Node& e, EventSpec& ev) {
    const auto& hosts = L.sc.hosts;
    e.only({"at_ms", "action", "host", "seg", "src_ip", "to"});
    if (!e.has("seg")) e.missing("seg").fail("expected the segment to inject (required)");
    const Node s = e.at("seg");
    s.object();
    s.only({"sport", "dport", "flags", "seq", "ack", "len", "win", "mss", "rel"});
    Segment seg;
    seg.src.ip = hosts[static_cast<std::size_t>(ev.host)].ip;
    if (e.has("src_ip")) {
        auto ip = parse_ip(e.at("src_ip").str());
        if (!ip) e.at("src_ip").fail("expected an IPv4 address");
        seg.src.ip = *ip;
    }
    int to = -1;
    if (e.has("to")) {
        to = L.host_ref(e.at("to"));
    } else {
        if (hosts.size() != 2)
            e.missing("to").fail(
                "expected the destination host (required with more than two hosts)");
        to = ev.host == 0 ? 1 : 0;
    }
    seg.dst.ip = hosts[static_cast<std::size_t>(to)].ip;
    if (!s.has("sport")) s.missing("sport").fail("expected the source port (required)");
    if (!s.has("dport")) s.missing("dport").fail("expected the destination port (required)");
    seg.src.port = static_cast<std::uint16_t>(s.at("sport").integer(1, 65535));
    seg.dst.port = static_cast<std::uint16_t>(s.at("dport").integer(1, 65535));
    if (!s.has("flags")) s.missing("flags").fail("expected flag names like \"SYN\" (required)");
    const std::string flag_text = s.at("flags").str();
    auto flags = parse_flags(flag_text);
    if (!flags)
        s.at("flags").fail("expected flag names joined by commas, like \"SYN,ACK\", found " +
                           quote(flag_text));
    seg.flags = *flags;
    if (s.has("seq")) seg.seq = static_cast<Seq>(s.at("seq").integer(0, 4294967295LL));
    if (s.has("ack")) seg.ack = static_cast<Seq>(s.at("ack").integer(0, 4294967295LL));
    if (s.has("len")) {
        const auto len = static_cast<std::size_t>(s.at("len").integer(0, 65495));
        L.count_payload(s.at("len"), len);
        seg.payload = generated_bytes(len);
    }
    seg.window = static_cast<std::uint16_t>(s.has("win") ? s.at("win").integer(0, 65535) : 64240);
    // A raw socket sends exactly what it is given: no options unless named.
    if (s.has("mss")) seg.opts.mss = static_cast<std::uint16_t>(s.at("mss").integer(1, 65535));
    if (s.has("rel")) {
        // Relative to the sender's ISS and the peer's ISN on the connection with this 4-tuple
        // (the trace's "rel" convention), resolved when it is sent.
        const Node r = s.at("rel");
        r.object();
        r.only({"seq", "ack"});
        if (r.has("seq")) ev.rel_seq = r.at("seq").integer(-4294967295LL, 4294967295LL);
        if (r.has("ack")) ev.rel_ack = r.at("ack").integer(-4294967295LL, 4294967295LL);
    }
    ev.seg = seg;
}

}  // namespace

void Loader::events(const Node& root) {
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
            read_inject(*this, e, ev);
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

}  // namespace tcplab::scenario
