// The one place a trace event's JSON is written: each typed event of tcplab/trace_event.hpp as
// the object CONTRACTS.md ("Trace") describes, members in this order (the trace is ordered JSON).
// The trace's outer object (title, hosts, end time) is the runner's (scenario/runner.cpp).
#include "tcplab/trace.hpp"

#include <type_traits>

namespace tcplab {

namespace {

const char* seq_rule_name(SendWhy::SeqRule r) {
    switch (r) {
        case SendWhy::SeqRule::Isn: return "isn";
        case SendWhy::SeqRule::Next: return "next";
        case SendWhy::SeqRule::Retransmission: return "retransmission";
        case SendWhy::SeqRule::SndNxt: return "snd_nxt";
        case SendWhy::SeqRule::Probe: return "probe";
        case SendWhy::SeqRule::FromAck: return "from_ack";
        case SendWhy::SeqRule::Zero: return "zero";
        case SendWhy::SeqRule::Cookie: return "cookie";
    }
    return "snd_nxt";
}

// {"seq": {"rule", "after"?}, "ack": {"rule", "after"?}?}
ojson why_json(const SendWhy& w) {
    ojson j;
    ojson seq;
    seq["rule"] = seq_rule_name(w.seq);
    if (w.seq_after) seq["after"] = w.seq_after;
    j["seq"] = std::move(seq);
    if (w.ack != SendWhy::AckRule::None) {
        ojson ack;
        ack["rule"] = w.ack == SendWhy::AckRule::SegEnd ? "seg_end" : "rcv_nxt";
        if (w.ack_after) ack["after"] = w.ack_after;
        j["ack"] = std::move(ack);
    }
    return j;
}

// The "seg" object of a send event.
ojson segment_json(const ev::Send::Header& s) {
    ojson j;
    j["id"] = s.id;
    j["src"] = addr_string(s.src);
    j["dst"] = addr_string(s.dst);
    j["flags"] = flag_names(s.flags);
    j["seq"] = s.seq;
    j["ack"] = s.ack;
    j["win"] = s.window;
    j["len"] = s.len;
    j["hlen"] = s.hlen;
    ojson o = ojson::object();
    if (s.opts.mss) o["mss"] = *s.opts.mss;
    if (s.opts.sack_ok) o["sack_ok"] = true;
    if (s.opts.ts_val) o["ts"] = ojson::array({*s.opts.ts_val, s.opts.ts_ecr});
    if (s.opts.wscale) o["wscale"] = *s.opts.wscale;
    j["opts"] = std::move(o);
    return j;
}

const char* kind_of(const TraceEvent::What& w) {
    static constexpr const char* kKinds[] = {"call",    "return", "send",  "deliver", "drop",
                                             "discard", "state",  "timer", "queue",   "buffers",
                                             "action",  "signal", "note"};
    static_assert(std::size(kKinds) == std::variant_size_v<TraceEvent::What>);
    return kKinds[w.index()];
}

// The members after "t_us", "kind" and "host".
struct Members {
    const TraceEvent& e;
    ojson& j;

    void conn() { j["conn"] = e.conn; }
    void operator()(const ev::Call& x) {
        j["app"] = x.app;
        j["call"] = x.call;
        if (!x.sock.empty()) j["sock"] = x.sock;
        j["args"] = x.args;
        if (x.iteration) j["iteration"] = x.iteration;
    }
    void operator()(const ev::Return& x) {
        j["app"] = x.app;
        j["call"] = x.call;
        if (!x.sock.empty()) j["sock"] = x.sock;
        j["result"] = x.result;
        if (x.err != Errno::ok) j["errno"] = errno_name(x.err);
        if (x.new_sock) j["new_sock"] = *x.new_sock;
        if (x.peer) j["peer"] = *x.peer;
        if (x.local) j["local"] = *x.local;
        if (x.data) j["data"] = *x.data;
        if (x.revents) {
            ojson a = ojson::array();
            for (const char* r : *x.revents) a.push_back(r);
            j["revents"] = std::move(a);
        }
        if (x.value) j["value"] = *x.value == Errno::ok ? ojson(0) : ojson(errno_name(*x.value));
        if (x.iteration) j["iteration"] = x.iteration;
    }
    void operator()(const ev::Send& x) {
        if (!e.conn.empty()) conn();
        j["seg"] = segment_json(x.seg);
        if (x.rel) {
            ojson rel;
            rel["seq"] = x.rel->seq;
            if (x.rel->ack) rel["ack"] = *x.rel->ack;
            j["rel"] = std::move(rel);
        }
        if (x.retransmission) j["retransmission"] = true;
        if (x.retransmission && x.retransmission_of) j["retransmission_of"] = x.retransmission_of;
        if (x.why) j["why"] = why_json(*x.why);
        if (x.injected) j["injected"] = true;
    }
    void operator()(const ev::Deliver& x) {
        j["seg_id"] = x.seg_id;
        if (x.duplicate) j["duplicate"] = true;
    }
    void operator()(const ev::Drop& x) {
        j["seg_id"] = x.seg_id;
        j["reason"] = x.reason;
    }
    void operator()(const ev::Discard& x) {
        j["seg_id"] = x.seg_id;
        j["reason"] = x.reason;
    }
    void operator()(const ev::StateChange& x) {
        conn();
        j["from"] = state_name(x.from);
        j["to"] = state_name(x.to);
        j["cause"] = x.cause;
        if (x.sent) j["sent"] = x.sent;
    }
    void operator()(const ev::Timer& x) {
        static constexpr const char* kActions[] = {"set", "fire", "cancel"};
        conn();
        j["timer"] = timer_name(x.timer);
        j["action"] = kActions[static_cast<std::size_t>(x.action)];
        if (x.expires >= 0) j["expires_us"] = x.expires;
    }
    void operator()(const ev::Queue& x) {
        j["listener"] = x.listener;
        j["syn_queue"] = x.syn_queue;
        j["backlog"] = x.backlog;  // what `ss -ltn` shows as Send-Q
        j["syn_max"] = x.syn_max;
        j["accept_queue"] = x.accept_queue;
        j["accept_max"] = x.accept_max;
    }
    void operator()(const ev::Buffers& x) {
        conn();
        j["recv_q"] = x.recv_q;
        j["send_q"] = x.send_q;
    }
    void operator()(const ev::Action& x) { j["action"] = x.action; }
    void operator()(const ev::Signal& x) {
        j["app"] = x.app;
        j["signal"] = x.signal;
        j["action"] = x.action;
    }
    void operator()(const ev::Note& x) {
        if (!e.conn.empty()) conn();
        j["code"] = x.code;
        j["args"] = x.args;
    }
};

ojson event_json(const TraceEvent& e) {
    ojson j;
    j["t_us"] = e.t;
    j["kind"] = kind_of(e.what);
    if (!std::holds_alternative<ev::Drop>(e.what)) j["host"] = e.host;
    std::visit(Members{e, j}, e.what);
    return j;
}

}  // namespace

ojson Trace::json() const {
    ojson a = ojson::array();
    a.get_ref<ojson::array_t&>().reserve(events_.size());
    for (const auto& e : events_) {
        a.push_back(event_json(e));
        if (const auto* s = std::get_if<ev::Send>(&e.what); s && s->dropped)
            a.push_back(
                event_json({e.t, std::string(), std::string(), ev::Drop{s->seg.id, s->dropped}}));
    }
    return a;
}

}  // namespace tcplab
