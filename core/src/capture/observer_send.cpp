// The capture observer (observer.hpp): a segment leaves its sender. What kind of copy it is
// (new, retransmitted, a keepalive or window probe), and the sender's own transitions: SYN ->
// SYN_SENT, SYN+ACK -> SYN_RECEIVED, FIN -> FIN_WAIT_1 / LAST_ACK, RST -> CLOSED.
#include "observer.hpp"

#include <algorithm>
#include <cmath>
#include <functional>

namespace tcplab::observer {

Conn& Explainer::open(const CapturedSegment& s, const Key& k, int64_t t) {
    auto c = std::make_unique<Conn>();
    c->id = long(conns_.size()) + 1;
    c->first_frame = s.frame;
    c->key = k;
    std::string src = endpoint_string(s.ip_version, s.src, s.sport),
                dst = endpoint_string(s.ip_version, s.dst, s.dport);
    std::string hsrc = host_of_[identity(s.ip_version, s.src, s.sport)],
                hdst = host_of_[identity(s.ip_version, s.dst, s.dport)];
    bool syn = s.flags & SYN, ack = s.flags & ACK;
    bool client_is_src = syn ? !ack : s.sport > s.dport;
    End& cl = c->e[0];
    End& sv = c->e[1];
    cl.addr = client_is_src ? src : dst, cl.host = client_is_src ? hsrc : hdst;
    sv.addr = client_is_src ? dst : src, sv.host = client_is_src ? hdst : hsrc;
    cl.conn = cl.addr + ">" + sv.addr;
    sv.conn = sv.addr + ">" + cl.addr;
    sv.passive = true;
    c->roles = syn ? (ack ? "syn_ack" : "syn") : "guessed";
    size_t idx = conns_.size();
    conns_.push_back(std::move(c));
    live_[k] = idx;
    Conn& r = *conns_[idx];
    if (syn && !ack) {
        r.e[1].state = State::Listen;  // assumed until the server answers
    } else if (syn && ack) {
        r.e[1].state = State::Listen;
        state(r, r.e[0], t, State::SynSent, "capture_start", true);
        r.e[0].iss_known = true;
        r.e[0].iss = r.e[0].base = s.ack - 1;
        r.e[0].snd_nxt = s.ack;
        r.e[0].seen = true;
        // Its SYN (not captured) advanced SND.NXT to what this SYN+ACK acknowledges.
        r.e[0].adv_known = r.e[0].adv_syn = true;
        r.e[0].adv_end = s.ack;
        note(r, t, &r.e[0], "cap_missed_syn");
    } else {
        state(r, r.e[0], t, State::Established, "capture_start", true);
        state(r, r.e[1], t, State::Established, "capture_start", true);
        r.established_once = true;
        note(r, t, nullptr, "cap_mid_connection",
             {{"client", r.e[0].addr}, {"server", r.e[1].addr}});
    }
    return r;
}

// A segment leaves its sender (at time t on the true timeline).
void Explainer::sent(uint32_t idx, int64_t t) {
    const CapturedSegment& s = cap_.segments[idx];
    bool fwd;
    Key k = key_of(s, &fwd);
    auto it = live_.find(k);
    Conn* cp = it == live_.end() ? nullptr : conns_[it->second].get();
    const std::string src = endpoint_string(s.ip_version, s.src, s.sport);
    const bool syn = s.flags & SYN, ackf = s.flags & ACK, fin = s.flags & FIN, rst = s.flags & RST;
    // What this SYN means for an earlier connection on the same 4-tuple, said after the
    // segment itself (it is the cause).
    std::vector<std::function<void()>> after_send;
    if (cp && syn && !ackf) {
        int xi = cp->e[0].addr == src ? 0 : 1;
        End& x = cp->e[xi];
        bool same_syn = x.iss_known && s.seq == x.iss;
        // (An end's first segment is its own connect(), e.g. in a simultaneous open.)
        if (!same_syn && x.seen) {
            auto closed = [](const End& e) {
                return e.state == State::Closed || e.state == State::TimeWait ||
                       e.state == State::Listen;
            };
            if (closed(cp->e[0]) && closed(cp->e[1])) {
                std::string old = cp->e[0].conn;
                const End* tw = cp->e[0].state == State::TimeWait   ? &cp->e[0]
                                : cp->e[1].state == State::TimeWait ? &cp->e[1]
                                                                    : nullptr;
                std::string twhost = tw ? tw->host : "";
                Conn* prev = cp;
                prev->done = true;
                cp = &open(s, k, t);
                Conn* next = cp;
                const std::string cause = "seg:" + std::to_string(seg_id_ + 1);
                after_send.push_back([this, prev, next, t, old, twhost, cause] {
                    note(*next, t, nullptr, "cap_new_incarnation", [&] {
                        return ordered_json{{"conn", old}};
                    });
                    if (twhost.empty()) return;
                    // The old incarnation's TIME_WAIT ends here (RFC 6191 / Linux
                    // tcp_timewait_state_process).
                    note(*next, t, nullptr, "cap_syn_in_time_wait", [&] {
                        return ordered_json{{"host", twhost}};
                    });
                    for (int i = 0; i < 2; ++i)
                        if (prev->e[i].state == State::TimeWait)
                            state(*prev, prev->e[i], t, State::Closed, cause);
                });
            } else {
                Conn* on = cp;
                const std::string conn = x.conn;
                after_send.push_back([this, on, t, conn] {
                    note(*on, t, nullptr, "cap_syn_in_synchronized", [&] {
                        return ordered_json{{"conn", conn}};
                    });
                });
            }
        }
    }
    if (!cp) cp = &open(s, k, t);
    Conn& c = *cp;
    ++c.segments;
    int xi = c.e[0].addr == src ? 0 : 1;
    End& x = c.e[xi];
    End& y = c.e[1 - xi];
    const uint32_t seglen = s.seg_len();
    const uint64_t id = ++seg_id_;
    const std::string cause = "seg:" + std::to_string(id);

    const bool first_segment = !x.seen;
    const bool facts = opt_.events && wanted(c);
    if (x.pending_state != SIZE_MAX) {
        // The next segment after a transition that sends an ACK: that ACK, if it is one.
        if ((s.flags & (SYN | FIN | RST | ACK)) == ACK && s.ack == x.pending_ack && facts)
            events_[x.pending_state]["sent"] = id;
        x.pending_state = SIZE_MAX;
    }
    // Sequence bookkeeping before this segment.
    if (!x.seen) {
        x.seen = true;
        if (syn) {
            x.iss_known = true;
            x.iss = x.base = s.seq;
        } else if (!x.iss_known && !x.base_known)
            x.base = s.seq - 1;
        if (!x.iss_known || !syn) x.snd_nxt = s.seq;
        if (syn) x.snd_nxt = s.seq;
    }
    // Numbers relative to an end that has not sent anything yet (a capture that starts in
    // the middle): its base comes from this ACK, as its own first segment would give it, so
    // the same numbering holds both ways (Wireshark does the same).
    if (ackf && !y.seen && !y.iss_known && !y.base_known) {
        y.base = s.ack - 1;
        y.base_known = true;
    }
    if (syn) {
        x.syn_wscale = s.opts.wscale >= 0 ? std::min(s.opts.wscale, 14) : -1;
        x.syn_sack = s.opts.sack_ok ? 1 : -1;
    }
    if (syn && !x.iss_known) {
        x.iss_known = true;
        x.iss = x.base = s.seq;
        x.snd_nxt = s.seq;
    }

    // The sender's side first (what kind of copy this is), then the segment, then the rest.
    bool retrans = false, keepalive = false, probe = false;
    // In a simultaneous open the SYN+ACK repeats the SYN's number (RFC 9293 Figure 8).
    const bool simultaneous_synack =
        syn && ackf && x.state == State::SynSent && x.iss_known && s.seq == x.iss && s.len == 0;
    if (seglen > 0 && seq_lt(s.seq, x.snd_nxt) && !simultaneous_synack) {
        if (!syn && !fin && s.len <= 1 && s.seq == x.snd_nxt - 1)
            keepalive = true;
        else if (y.zero_win && s.len <= 1)
            probe = true;
        else
            retrans = true;
    } else if (seglen == 0 && !rst && !syn && s.seq == x.snd_nxt - 1 && x.seen && s.len == 0 &&
               c.established_once && t - x.last_us > 1'000'000) {
        keepalive = true;
    } else if (seglen > 0 && y.zero_win && !syn && !fin && s.len <= 1 &&
               !seq_lt(x.snd_nxt, s.seq)) {
        probe = true;
    }

    // The segment itself.
    if (opt_.events && wanted(c)) {
        ordered_json seg = {{"id", id},
                            {"src", src},
                            {"dst", endpoint_string(s.ip_version, s.dst, s.dport)},
                            {"flags", flag_names(s.flags)},
                            {"seq", s.seq},
                            {"ack", s.ack},
                            {"win", s.win},
                            {"len", s.len},
                            {"hlen", s.hlen}};
        if (auto o = options_json(s.opts); !o.empty()) seg["opts"] = std::move(o);
        ordered_json e = {
            {"t_us", t}, {"kind", "send"}, {"host", x.host}, {"conn", x.conn}, {"seg", seg}};
        ordered_json r = {{"seq", uint32_t(s.seq - x.base)}};
        if (ackf) r["ack"] = uint32_t(s.ack - y.base);
        e["rel"] = r;
        // Scaled by the shift both SYNs agreed on (RFC 7323 §2.2-2.3; never on a SYN).
        if (int shift = window_shift(x, y, syn); shift >= 0) e["window"] = uint64_t(s.win) << shift;
        uint64_t rtx_of = 0;
        if (retrans && x.anchored) {
            // The segment that first carried this SEQ, or (re-segmented) the one it began in.
            const uint32_t off = uint32_t(s.seq - x.anchor);
            if (auto b = x.began.upper_bound(off); b != x.began.begin()) {
                --b;
                if (off < b->second.end) rtx_of = b->second.id;
            }
        }
        if (retrans) e["retransmission"] = true;
        if (rtx_of) e["retransmission_of"] = rtx_of;
        if (auto w = why_of(x, y, s, retrans, keepalive, rtx_of); !w.is_null())
            e["why"] = std::move(w);
        e["frame"] = s.frame;
        e["seen_us"] = rel(s.ts_us);
        e["capture_conn"] = c.id;
        push(std::move(e));
    }
    for (auto& f : after_send) f();

    // --- the sender's side ---
    if (seglen > 0 && seq_lt(x.snd_nxt, s.seq) && x.iss_known && !rst) {
        note(c, t, &x, "cap_gap",
             {{"seq", uint32_t(s.seq - x.base)}, {"expected", uint32_t(x.snd_nxt - x.base)}});
    }
    if (keepalive) {
        note(c, t, &x, "cap_keepalive",
             {{"idle_s", std::round(double(t - std::max(x.last_us, y.last_us)) / 1e5) / 10}});
        timer(c, x, t, "keepalive", "fire", -1, true);
    } else if (probe) {
        note(c, t, &x, "cap_zero_window_probe", [&] { return ordered_json{{"len", s.len}}; });
        timer(c, x, t, "persist", "fire", -1, true);
    } else if (retrans) {
        retransmission(c, x, y, s, t, syn, fin);
    }
    if (s.len > 0 && !retrans && !keepalive && !probe) {
        if (x.fin_sent && seq_le(x.fin_seq, s.seq)) note(c, t, &x, "cap_data_after_fin");
        if (y.fin_sent && !x.fin_sent && !x.half_close_noted && y.state != State::Closed) {
            x.half_close_noted = true;
            note(c, t, &x, "cap_half_closed");
        }
    }
    if (s.win == 0 && !rst && !x.zero_win) {
        x.zero_win = true;
        note(c, t, &x, "cap_zero_window");
    } else if (s.win > 0 && x.zero_win && !rst) {
        x.zero_win = false;
        note(c, t, &x, "cap_window_open", [&] {
            return ordered_json{{"win", uint64_t(s.win) << std::max(0, window_shift(x, y, syn))}};
        });
    }

    if (rst) {
        sender_rst(c, x, y, s, t, cause, rst_answers_[idx], id);
    } else if (syn && !ackf) {
        if (x.state == State::Closed || x.state == State::Listen) {
            // A socket that sends a SYN called connect(): it was not the listener assumed
            // for the end that had not sent anything yet.
            if (first_segment) {
                x.state = State::Closed;
                x.passive = false;
            }
            state(c, x, t, State::SynSent, "connect", false, id);
            if (x.iss_known) c.syn_us = t;
            note(c, t, &x, "cap_syn");
            timer(c, x, t, "syn_retransmit", "set", t + p_.rto_initial, true);
        }
        if (y.state == State::SynSent && y.seen) note(c, t, nullptr, "cap_simultaneous_open");
    } else if (syn && ackf) {
        if (x.state == State::Listen || x.state == State::Closed || x.state == State::SynSent) {
            bool simultaneous = x.state == State::SynSent;
            state(c, x, t, State::SynReceived,
                  simultaneous ? cause : "seg:" + std::to_string(id - 1), false, id);
            if (!simultaneous) {
                note(c, t, &x, "cap_syn_ack");
                timer(c, x, t, "synack_retransmit", "set", t + p_.rto_initial, true);
            }
        }
    }
    if (fin && !rst && !(retrans && x.fin_sent)) {
        const uint32_t fseq = s.seq + s.len + (syn ? 1 : 0);
        if (!x.fin_sent) {
            x.fin_sent = true;
            x.fin_seq = fseq;
            State from = x.state, to = from;
            if (from == State::Established || from == State::SynReceived)
                to = State::FinWait1;
            else if (from == State::CloseWait)
                to = State::LastAck;
            state(c, x, t, to, cause, false, id);
            note(c, t, &x, "cap_fin", [&] {
                return ordered_json{{"from", state_name(from)}, {"to", state_name(to)}};
            });
        }
    }
    uint32_t end = s.seq + seglen;
    if (seglen > 0 && seq_lt(x.snd_nxt, end)) {
        if (!retrans) x.sent.push_back({s.seq, end, t});
        if (x.snd_nxt == x.snd_una && x.una_known && !x.rtx_timer && !syn && !keepalive && !probe) {
            x.rtx_timer = true;
            int64_t rtt = c.rtt_us > 0 ? c.rtt_us : 0;
            timer(c, x, t, "retransmit", "set", t + rtt + std::max(2 * rtt, p_.rto_min), true);
        }
        x.snd_nxt = end;
        x.adv_known = true, x.adv_syn = syn, x.adv_end = end, x.adv_id = id;
    }
    if (facts && seglen > 0) {
        x.ends[end] = id;
        if (!x.anchored) x.anchored = true, x.anchor = s.seq;
        if (!retrans && !keepalive)
            x.began.emplace(uint32_t(s.seq - x.anchor), End::Began{uint32_t(end - x.anchor), id});
    }
    if (facts) x.last_tx = {id, s.flags, s.seq, s.ack, seglen};

    x.last_us = t;
    per_seg_[idx] = {&c, xi, id, keepalive};
}

void Explainer::retransmission(Conn& c, End& x, End& y, const CapturedSegment& s, int64_t t,
                               bool syn, bool fin) {
    Sent* orig = nullptr;
    for (auto& p : x.sent)
        if (p.seq == s.seq) {
            orig = &p;
            break;
        }
    int64_t gap = orig ? t - orig->last_us : -1;
    std::string what = syn                 ? (s.flags & ACK ? "SYN+ACK" : "SYN")
                       : fin && s.len == 0 ? "FIN"
                                           : "data";
    const char* tname =
        syn ? (s.flags & ACK ? "synack_retransmit" : "syn_retransmit") : "retransmit";
    const uint32_t end = s.seq + s.seg_len();
    auto ms = [](int64_t us) { return std::round(double(us) / 100) / 10; };
    if (!syn && y.dups >= 3 && y.last_ack == s.seq && (!orig || orig->copies == 1)) {
        note(c, t, &x, "cap_fast_retransmit",
             {{"seq", uint32_t(s.seq - x.base)}, {"dups", y.dups}});
    } else if (!syn && orig && orig->copies == 1 && end == x.snd_nxt && c.rtt_us >= 0 &&
               x.syn_sack != -1 && y.syn_sack != -1 &&
               gap <= 2 * c.rtt_us + p_.rto_min + std::max<int64_t>(20'000, c.rtt_us / 2)) {
        // Linux RACK-TLP (RFC 8985 §7; tcp_schedule_loss_probe, tcp_send_loss_probe): with
        // SACK, the first timeout of the newest segment is a probe, sent after about two
        // round trips (plus TCP_RTO_MIN for a delayed ACK when one segment is in flight, and
        // never later than the retransmission timer). It does not back off: the
        // retransmission timer, restarted when the probe leaves, fires one RTO later.
        timer(c, x, t, "retransmit", "fire", -1, true);
        note(c, t, &x, "cap_tail_loss_probe",
             {{"seq", uint32_t(s.seq - x.base)},
              {"gap_ms", ms(gap)},
              {"rtt_ms", std::round(double(c.rtt_us) / 10) / 100}});
        orig->prev_gap_us = 0;  // the next copy's wait is an RTO, not a backoff of this one
        orig->last_us = t;
        ++orig->copies;
        return;
    } else {
        const int n = orig ? orig->timeouts + 1 : 1;
        timer(c, x, t, tname, "fire", -1, true);
        note(c, t, &x, "cap_retransmission",
             {{"what", what},
              {"seq", uint32_t(s.seq - x.base)},
              {"n", n},
              {"gap_ms", gap >= 0 ? ms(gap) : -1.0}});
        if (orig && orig->prev_gap_us > 0 && gap > 0) {
            // RFC 6298 §5.5: the timer backs off, doubling. Linux 6.5+ keeps the first
            // tcp_syn_linear_timeouts (4) SYN timeouts at the initial RTO.
            double ratio = double(gap) / double(orig->prev_gap_us);
            ordered_json a = {{"prev_ms", ms(orig->prev_gap_us)}, {"gap_ms", ms(gap)}};
            const char* code = ratio > 1.6 && ratio < 2.5 ? "cap_backoff_doubled"
                               : what == "SYN" && ratio > 0.8 && ratio < 1.25
                                   ? "cap_backoff_linear_syn"
                                   : "cap_backoff_unusual";
            note(c, t, &x, code, a);
        }
        if (orig) ++orig->timeouts;
    }
    if (orig) {
        orig->prev_gap_us = gap;
        orig->last_us = t;
        ++orig->copies;
    }
}

void Explainer::sender_rst(Conn& c, End& x, End& y, const CapturedSegment& s, int64_t t,
                           const std::string& cause, bool answer, uint64_t id) {
    const bool synchronized = x.state == State::Established || x.state == State::CloseWait ||
                              x.state == State::FinWait1 || x.state == State::FinWait2 ||
                              x.state == State::Closing || x.state == State::LastAck;
    if (!(s.flags & ACK) && x.seen && synchronized) {
        if (answer) {
            // <SEQ=SEG.ACK><CTL=RST> right after a segment: how TCP refuses an ACK it does
            // not accept (RFC 9293 §3.10.7.1-3). Its sender goes on with the connection, so
            // it did not accept that segment's ACK: it is at another point of the
            // connection than the capture suggests (e.g. in SYN_SENT with another ISN).
            note(c, t, &x, "cap_rst_answer");
            return;
        }
        // Linux resets a live connection with RST+ACK (tcp_send_active_reset); a bare RST
        // that answers nothing did not come from its TCP (injected, spoofed or a middlebox).
        note(c, t, &x, "cap_rst_foreign");
        return;
    }
    if (x.state == State::Listen && !x.fin_sent && y.state == State::SynSent) {
        x.state = State::Closed;  // there never was a listener
        note(c, t, &x, "cap_refused",
             {{"port", x.addr.substr(x.addr.rfind(':') + 1)}, {"peer", y.host}});
        return;
    }
    if (x.state == State::Closed || x.state == State::Listen) {
        note(c, t, &x, "cap_rst_for_closed");
        return;
    }
    if (x.state == State::TimeWait) {  // Linux answers some segments in TIME_WAIT with RST
        note(c, t, &x, "cap_rst_for_closed");
        return;
    }
    if (x.state ==
        State::SynSent) {  // an aborted connect(): RFC 9293 §3.10.5 sends nothing, Linux may
        state(c, x, t, State::Closed, cause, false, id);
        return;
    }
    note(c, t, &x, "cap_abort", [&] { return ordered_json{{"state", state_name(x.state)}}; });
    state(c, x, t, State::Closed, cause, false, id);
}

// Why SEQ and ACK are what they are, as far as the capture shows it (docs/CONTRACTS.md, "Trace").
// Only what the captured segments prove: a rule whose segment the capture does not hold (it
// started mid-connection, a segment was lost before the capture point) is left out, and so is
// the whole object when SEQ has no rule (the schema requires one).
ordered_json Explainer::why_of(const End& x, const End& y, const CapturedSegment& s, bool retrans,
                               bool keepalive, uint64_t retransmission_of) const {
    const bool syn = s.flags & SYN, ackf = s.flags & ACK, rst = s.flags & RST;
    const End::Last& p = y.last_tx;  // the peer's last segment before this one
    ordered_json seq, ack;
    if (rst && !ackf && p.id && (p.flags & ACK) && !(p.flags & RST) && s.seq == p.ack) {
        // <SEQ=SEG.ACK><CTL=RST> (RFC 9293 §3.10.7.1)
        seq = {{"rule", "from_ack"}, {"after", p.id}};
    } else if (rst && ackf && s.seq == 0 && p.id && !(p.flags & (ACK | RST)) &&
               s.ack == p.seq + p.seglen) {
        // <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK> (RFC 9293 §3.10.7.1)
        seq = {{"rule", "zero"}};
        ack = {{"rule", "seg_end"}, {"after", p.id}};
    } else if (retrans) {
        seq = {{"rule", "retransmission"}};
        if (retransmission_of) seq["after"] = retransmission_of;
    } else if (keepalive) {
        seq = {{"rule", "probe"}};
    } else if (syn) {
        seq = {{"rule", "isn"}};
    } else if (s.seg_len() > 0) {
        if (x.adv_known && x.adv_id && s.seq == x.adv_end)
            seq = {{"rule", "next"}, {"after", x.adv_id}};
    } else if (x.adv_known && s.seq == x.adv_end && (x.adv_syn || x.adv_id)) {
        seq = {{"rule", "snd_nxt"}};
        if (!x.adv_syn) seq["after"] = x.adv_id;
    }
    if (seq.is_null()) return nullptr;
    ordered_json w = {{"seq", std::move(seq)}};
    if (ackf && ack.is_null())
        if (auto it = y.ends.find(s.ack); it != y.ends.end())
            ack = {{"rule", "rcv_nxt"}, {"after", it->second}};
    if (ackf && !ack.is_null()) w["ack"] = std::move(ack);
    return w;
}

}  // namespace tcplab::observer
