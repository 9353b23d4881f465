// Timeouts (RFC 9293 §3.10.8): retransmission with exponential backoff (RFC 6298), SYN and
// SYN,ACK retry limits, delayed ACK, keepalive (§3.8.4) and the user timeout.
#include "tcplab/host.hpp"
#include "tcplab/simulator.hpp"

#include <algorithm>

namespace tcplab {

namespace {
const char* timer_name(TimerKind k) {
    switch (k) {
        case TimerKind::Retransmit: return "retransmit";
        case TimerKind::DelayedAck: return "delayed_ack";
        case TimerKind::Keepalive: return "keepalive";
        case TimerKind::Linger: return "fin_wait_2";
        case TimerKind::Count: break;
    }
    return "timer";
}
}  // namespace

const char* Host::retransmit_timer_name(const Tcb& c) const {
    if (c.state == State::SynSent) return "syn_retransmit";
    if (c.state == State::SynReceived) return "synack_retransmit";
    return "retransmit";
}

void Host::arm(Tcb& c, TimerKind k, Time at) {
    const auto i = static_cast<std::size_t>(k);
    c.timer_token[i] = next_token_++;
    c.timer_at[i] = at;
    c.timer_label[i] = k == TimerKind::Retransmit ? retransmit_timer_name(c) : timer_name(k);
    sim_.schedule_timer(at, index_, c.slot, k, c.timer_token[i]);
    if (sim_.trace().on()) {
        trace_timer(conn_name(c.tuple), c.timer_label[i], "set", at);
    } else {
        sim_.trace().count();
    }
}

void Host::disarm(Tcb& c, TimerKind k) {
    const auto i = static_cast<std::size_t>(k);
    if (!c.timer_token[i]) return;
    c.timer_token[i] = 0;
    if (sim_.trace().on()) {
        trace_timer(conn_name(c.tuple), c.timer_label[i], "cancel", -1);
    } else {
        sim_.trace().count();
    }
}

void Host::on_timer(std::uint32_t slot, TimerKind k, std::uint32_t token) {
    if (slot >= conns_.size() || !conns_[slot]) return;
    Tcb& c = *conns_[slot];
    const auto i = static_cast<std::size_t>(k);
    if (c.timer_token[i] != token) return;  // cancelled or re-armed since
    c.timer_token[i] = 0;
    if (sim_.trace().on()) {
        trace_timer(conn_name(c.tuple), c.timer_label[i], "fire", -1);
    } else {
        sim_.trace().count();
    }
    switch (k) {
        case TimerKind::Retransmit: retransmit_timeout(c); break;
        case TimerKind::DelayedAck: delayed_ack_timeout(c); break;
        case TimerKind::Keepalive: keepalive_timeout(c); break;
        case TimerKind::Linger: linger_timeout(c); break;
        case TimerKind::Count: break;
    }
}

void Host::arm_retransmit(Tcb& c) {
    Time rto = c.rto;
    // Linux tcp_clamp_rto_to_user_timeout(): never wait past TCP_USER_TIMEOUT.
    if (c.user_timeout > 0 && c.retransmits > 0) {
        const Time left = c.retrans_stamp + c.user_timeout - sim_.now();
        rto = std::max<Time>(1, std::min(rto, left));
    }
    arm(c, TimerKind::Retransmit, sim_.now() + rto);
}

void Host::rtt_sample(Tcb& c, Time r) {
    // RFC 6298 §2.2–2.3 with Linux's floor: RTO = SRTT + max(4*RTTVAR, TCP_RTO_MIN)
    // (tcp_rtt_estimator / __tcp_set_rto in net/ipv4/tcp_input.c).
    if (r < 1) r = 1;
    if (!c.rtt_valid) {
        c.srtt = r;
        c.rttvar = r / 2;
        c.rtt_valid = true;
    } else {
        const Time err = c.srtt > r ? c.srtt - r : r - c.srtt;
        c.rttvar = (3 * c.rttvar + err) / 4;
        c.srtt = (7 * c.srtt + r) / 8;
    }
    c.rto = std::min(c.srtt + std::max(4 * c.rttvar, p_.rto_min), p_.rto_max);
}

namespace {
// Linux tcp_model_timeout(): how long `boundary` retransmissions take with exponential
// backoff from rto_base, capped at TCP_RTO_MAX (net/ipv4/tcp_timer.c).
Time model_timeout(int boundary, Time rto_base, Time rto_max) {
    int thresh = 0;
    while ((rto_base << (thresh + 1)) <= rto_max) ++thresh;  // ilog2(rto_max / rto_base)
    if (boundary <= thresh) return ((Time{2} << boundary) - 1) * rto_base;
    return ((Time{2} << thresh) - 1) * rto_base + (boundary - thresh) * rto_max;
}
}  // namespace

bool Host::retries_exhausted(const Tcb& c) const {
    if (c.state == State::SynSent) {
        // Linux tcp_write_timeout(): SYN retries, extended by tcp_syn_linear_timeouts.
        return c.retransmits >= p_.syn_retries + p_.syn_linear_timeouts;
    }
    if (c.state == State::SynReceived) return c.retransmits >= p_.synack_retries;
    const Time elapsed = sim_.now() - c.retrans_stamp;
    if (c.user_timeout > 0) return c.retransmits > 0 && elapsed >= c.user_timeout;
    int boundary = p_.retries2;
    if (c.orphan) boundary = p_.orphan_retries ? p_.orphan_retries : 8;  // tcp_orphan_retries()
    return c.retransmits >= 1 && elapsed >= model_timeout(boundary, p_.rto_min, p_.rto_max);
}

void Host::retransmit_timeout(Tcb& c) {
    if (c.snd_una == c.snd_max) return;
    if (c.retransmits == 0) c.retrans_stamp = c.head_sent_at;
    if (c.retransmits == 0 && !c.tlp_done && p_.tail_loss_probe &&
        (c.state == State::Established || c.state == State::CloseWait)) {
        // Linux RACK-TLP (RFC 8985 §7): the first timeout of a flight sends a tail loss probe,
        // the newest segment again, without backing off; the real RTO follows one RTO later.
        // (Linux arms the probe timer separately at about the same moment for a lone segment.)
        c.tlp_done = true;
        note(conn_name(c.tuple), "tail_loss_probe");
        const Seq keep = c.snd_nxt;
        const bool fin_was_sent = c.fin_sent;
        c.snd_nxt = seq_lt(c.last_seg_seq, c.snd_una) ? c.snd_una : c.last_seg_seq;
        if (c.fin_sent && seq_le(c.snd_nxt, c.fin_seq)) c.fin_sent = false;
        const std::uint32_t cwnd = c.cwnd;
        c.cwnd = std::max<std::uint32_t>(c.cwnd, 1);
        output(c);
        c.cwnd = cwnd;
        if (seq_lt(c.snd_nxt, keep)) c.snd_nxt = keep;
        c.fin_sent = c.fin_sent || fin_was_sent;
        if (!c.timer_token[static_cast<std::size_t>(TimerKind::Retransmit)]) arm_retransmit(c);
        return;
    }
    if (retries_exhausted(c)) {
        if (c.state == State::SynReceived && c.passive) {
            // Linux reqsk_timer_handler(): the request is dropped silently, no RST.
            detach_from_listener(c);
            note(conn_name(c.tuple), "synack_retries_exhausted", {{"retries", c.retransmits}});
            set_state(c, State::Closed, "timer:synack_retransmit");
            free_tcb(c);
            return;
        }
        // Linux tcp_write_err(): sk_err = ETIMEDOUT and tcp_done(); nothing is sent.
        note(conn_name(c.tuple), "retries_exhausted", {{"retries", c.retransmits}});
        connection_reset(c, Errno::etimedout, std::string("timer:") + retransmit_timer_name(c));
        return;
    }
    ++c.retransmits;
    ++c.total_rto;
    // RFC 5681 §3.1 (eq. 4): ssthresh = max(FlightSize / 2, 2*SMSS); cwnd = 1 segment.
    const std::uint32_t flight = seq_diff(c.snd_max, c.snd_una);
    c.ssthresh = std::max<std::uint32_t>(flight / 2 / std::max<std::uint32_t>(c.mss, 1), 2);
    c.cwnd = 1;
    c.dupacks = 0;
    c.rtt_sent_at = -1;  // Karn: no sample from a retransmitted segment
    // Back off (RFC 6298 §5.5). Linux 6.5+: the first tcp_syn_linear_timeouts SYN timeouts keep
    // the initial RTO ("1, 1, 1, 1, 1, 2, 4, ..." in ip-sysctl.rst).
    if (!(c.state == State::SynSent && c.total_rto <= p_.syn_linear_timeouts))
        c.rto = std::min(c.rto * 2, p_.rto_max);
    if (c.state == State::SynSent) {
        send_syn(c, false, true);
    } else if (c.state == State::SynReceived) {
        send_syn(c, true, true);
    } else {
        // Go back to the oldest unacknowledged byte and send from there as the window allows.
        c.snd_nxt = c.snd_una;
        if (c.fin_sent && seq_le(c.snd_nxt, c.fin_seq)) c.fin_sent = false;
        output(c);
    }
    if (!c.timer_token[static_cast<std::size_t>(TimerKind::Retransmit)]) arm_retransmit(c);
}

void Host::delayed_ack_timeout(Tcb& c) {
    if (c.ack_pending) send_ack(c);
}

void Host::arm_keepalive(Tcb& c, Time after) {
    if (!c.keepalive) return;
    arm(c, TimerKind::Keepalive, sim_.now() + after);
}

void Host::keepalive_timeout(Tcb& c) {
    // Linux tcp_keepalive_timer(): probes only when nothing is outstanding; idle time counts
    // from the last segment received. After keepcnt unanswered probes (or TCP_USER_TIMEOUT),
    // send a RST and report ETIMEDOUT.
    if (!c.keepalive || c.state == State::SynSent || c.state == State::Closed) return;
    const Time idle = sec(c.keepidle ? c.keepidle : p_.keepalive_time);
    const Time intvl = sec(c.keepintvl ? c.keepintvl : p_.keepalive_intvl);
    const int cnt = c.keepcnt ? c.keepcnt : p_.keepalive_probes;
    if (c.snd_una != c.snd_max || !c.sndbuf.empty()) {
        arm_keepalive(c, idle);
        return;
    }
    const Time elapsed = sim_.now() - c.last_rcv;
    if (elapsed >= idle) {
        const bool dead = c.user_timeout > 0 ? (elapsed >= c.user_timeout && c.probes_out > 0)
                                             : c.probes_out >= cnt;
        if (dead) {
            note(conn_name(c.tuple), "keepalive_dead", {{"probes", c.probes_out}});
            send_rst(c);
            connection_reset(c, Errno::etimedout, "timer:keepalive");
            return;
        }
        // tcp_xmit_probe_skb(): an ACK with SEQ = SND.UNA - 1, so the peer must answer.
        Segment probe = make_segment(c, ACK, c.snd_una - 1);
        ++c.probes_out;
        note(conn_name(c.tuple), "keepalive_probe", {{"n", c.probes_out}});
        transmit(c, std::move(probe));
        arm_keepalive(c, intvl);
    } else {
        arm_keepalive(c, idle - elapsed);
    }
}

void Host::linger_timeout(Tcb& c) {
    // FIN_WAIT_2 with a socket still open never times out (RFC 9293; Linux only limits orphans).
    (void)c;
}

}  // namespace tcplab
