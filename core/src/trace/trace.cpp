#include "tcplab/trace.hpp"

namespace tcplab {

ojson segment_json(const Segment& s) {
    ojson j;
    j["id"] = s.id;
    j["src"] = addr_string(s.src);
    j["dst"] = addr_string(s.dst);
    j["flags"] = flag_names(s.flags);
    j["seq"] = s.seq;
    j["ack"] = s.ack;
    j["win"] = s.window;
    j["len"] = s.len();
    j["hlen"] = tcp_header_bytes(s);
    ojson o = ojson::object();
    if (s.opts.mss) o["mss"] = *s.opts.mss;
    if (s.opts.sack_ok) o["sack_ok"] = true;
    if (s.opts.ts_val) o["ts"] = ojson::array({*s.opts.ts_val, s.opts.ts_ecr});
    if (s.opts.wscale) o["wscale"] = *s.opts.wscale;
    j["opts"] = std::move(o);
    return j;
}

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
}  // namespace

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

}  // namespace tcplab
