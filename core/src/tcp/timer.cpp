// Timeouts (RFC 9293 §3.10.8), all of a connection's in one place: retransmission with
// exponential backoff (RFC 6298), SYN and SYN,ACK retry limits, the tail loss probe, delayed
// ACK, keepalive (§3.8.4), the user timeout and the orphan's FIN-WAIT-2 timeout. TIME-WAIT
// expires in the host's compact record (timewait.cpp), on timer kind TimeWait.
#include "tcplab/tcp/connection.hpp"

#include <algorithm>

namespace tcplab::tcp {

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

TimerName Connection::retransmit_timer() const {
    if (state == State::SynSent) return TimerName::SynRetransmit;
    if (state == State::SynReceived) return TimerName::SynackRetransmit;
    return TimerName::Retransmit;
}

TimerName Connection::timer_name_of(TimerKind k) const {
    switch (k) {
        case TimerKind::Retransmit: return retransmit_timer();
        case TimerKind::DelayedAck: return TimerName::DelayedAck;
        case TimerKind::Keepalive: return TimerName::Keepalive;
        case TimerKind::FinWait2: return TimerName::FinWait2;
        case TimerKind::TimeWait:
        case TimerKind::Count: break;
    }
    return TimerName::TimeWait;
}

void Connection::arm(TimerKind k, Time at) {
    const auto i = static_cast<std::size_t>(k);
    timer_token[i] = io_.schedule(*this, k, at);
    timer_at[i] = at;
    timer_label[i] = timer_name_of(k);
    io_.record(*this, ev::Timer{timer_label[i], ev::Timer::Action::Set, at});
}

void Connection::disarm(TimerKind k, Time now) {
    now_ = now;
    const auto i = static_cast<std::size_t>(k);
    if (!timer_token[i]) return;
    timer_token[i] = 0;
    io_.record(*this, ev::Timer{timer_label[i], ev::Timer::Action::Cancel});
}

void Connection::disarm_all(Time now) {
    for (std::size_t k = 0; k < kTimerKinds; ++k)
        if (timer_token[k]) disarm(static_cast<TimerKind>(k), now);
}

void Connection::timer_fires(TimerKind k, std::uint32_t token, Time now) {
    now_ = now;
    const auto i = static_cast<std::size_t>(k);
    if (timer_token[i] != token) return;  // cancelled or re-armed since
    timer_token[i] = 0;
    io_.record(*this, ev::Timer{timer_label[i], ev::Timer::Action::Fire});
    switch (k) {
        case TimerKind::Retransmit: return retransmit_timeout();
        case TimerKind::DelayedAck: return delayed_ack_timeout();
        case TimerKind::Keepalive: return keepalive_timeout();
        case TimerKind::FinWait2: return fin_wait_2_timeout();
        case TimerKind::TimeWait:
        case TimerKind::Count: return;
    }
}

bool Connection::orphan_fin_wait_2(const std::string& cause) {
    Tcb& c = *this;
    // FIN-WAIT-2 with a socket still open never times out (RFC 9293); Linux limits orphans
    // (tcp_close() and tcp_rcv_state_process(), net/ipv4/tcp.c and tcp_input.c): TCP_LINGER2
    // < 0 resets at once, else the orphan waits TCP_LINGER2 seconds or tcp_fin_timeout.
    if (c.linger2 < 0) {
        send_rst(now_);
        connection_reset(Errno::econnreset, cause);
        return false;
    }
    disarm_all(now_);
    if (!io_.take_tw_bucket(*this)) {
        // tcp_time_wait() found no bucket: the orphan is destroyed at once.
        set_state(State::Closed, cause, now_);
        done();
        return false;
    }
    arm(TimerKind::FinWait2, now_ + (c.linger2 > 0 ? sec(c.linger2) : p_.fin_timeout));
    return true;
}

void Connection::fin_wait_2_timeout() {
    // The orphan's timewait socket expires silently (inet_twsk_kill(): nothing is sent).
    set_state(State::Closed, "timer:fin_wait_2", now_);
    done();
}

void Connection::arm_retransmit() {
    Tcb& c = *this;
    Time rto = c.rto;
    // Linux tcp_clamp_rto_to_user_timeout(): never wait past TCP_USER_TIMEOUT.
    if (c.user_timeout > 0 && c.retransmits > 0) {
        const Time left = c.retrans_stamp + c.user_timeout - now_;
        rto = std::max<Time>(1, std::min(rto, left));
    }
    arm(TimerKind::Retransmit, now_ + rto);
}

void Connection::rtt_sample(Time r) {
    Tcb& c = *this;
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

bool Connection::retries_exhausted() const {
    const Tcb& c = *this;
    if (c.state == State::SynSent) {
        // Linux tcp_write_timeout(): SYN retries, extended by tcp_syn_linear_timeouts.
        return c.retransmits >= p_.syn_retries + p_.syn_linear_timeouts;
    }
    if (c.state == State::SynReceived) return c.retransmits >= p_.synack_retries;
    const Time elapsed = now_ - c.retrans_stamp;
    if (c.user_timeout > 0) return c.retransmits > 0 && elapsed >= c.user_timeout;
    int boundary = p_.retries2;
    if (c.orphan) boundary = p_.orphan_retries ? p_.orphan_retries : 8;  // tcp_orphan_retries()
    return c.retransmits >= 1 && elapsed >= model_timeout(boundary, p_.rto_min, p_.rto_max);
}

void Connection::retransmit_timeout() {
    Tcb& c = *this;
    if (c.snd_una == c.snd_max) return;
    if (c.retransmits == 0) c.retrans_stamp = c.head_sent_at;
    if (c.retransmits == 0 && !c.tlp_done && p_.tail_loss_probe &&
        (c.state == State::Established || c.state == State::CloseWait)) {
        // Linux RACK-TLP (RFC 8985 §7): the first timeout of a flight sends a tail loss probe,
        // the newest segment again, without backing off; the real RTO follows one RTO later.
        // (Linux arms the probe timer separately at about the same moment for a lone segment.)
        c.tlp_done = true;
        note("tail_loss_probe");
        const Seq keep = c.snd_nxt;
        const bool fin_was_sent = c.fin_sent;
        c.snd_nxt = seq_lt(c.last_seg_seq, c.snd_una) ? c.snd_una : c.last_seg_seq;
        if (c.fin_sent && seq_le(c.snd_nxt, c.fin_seq)) c.fin_sent = false;
        const std::uint32_t cwnd = c.cwnd;
        c.cwnd = std::max<std::uint32_t>(c.cwnd, 1);
        output();
        c.cwnd = cwnd;
        if (seq_lt(c.snd_nxt, keep)) c.snd_nxt = keep;
        c.fin_sent = c.fin_sent || fin_was_sent;
        if (!c.timer_token[static_cast<std::size_t>(TimerKind::Retransmit)]) arm_retransmit();
        return;
    }
    if (retries_exhausted()) {
        if (c.state == State::SynReceived && c.passive) {
            // Linux reqsk_timer_handler(): the request is dropped silently, no RST.
            io_.detach(*this);
            note("synack_retries_exhausted", {{"retries", c.retransmits}});
            set_state(State::Closed, "timer:synack_retransmit", now_);
            io_.free(*this);
            return;
        }
        // Linux tcp_write_err(): sk_err = ETIMEDOUT and tcp_done(); nothing is sent.
        note("retries_exhausted", {{"retries", c.retransmits}});
        connection_reset(Errno::etimedout, std::string("timer:") + timer_name(retransmit_timer()));
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
        send_syn(false, true, now_);
    } else if (c.state == State::SynReceived) {
        send_syn(true, true, now_);
    } else {
        // Go back to the oldest unacknowledged byte and send from there as the window allows.
        c.snd_nxt = c.snd_una;
        if (c.fin_sent && seq_le(c.snd_nxt, c.fin_seq)) c.fin_sent = false;
        output();
    }
    if (!c.timer_token[static_cast<std::size_t>(TimerKind::Retransmit)]) arm_retransmit();
}

void Connection::delayed_ack_timeout() {
    Tcb& c = *this;
    if (c.ack_pending) send_ack();
}

void Connection::arm_keepalive(Time after) {
    Tcb& c = *this;
    if (!c.keepalive) return;
    arm(TimerKind::Keepalive, now_ + after);
}

void Connection::keepalive_timeout() {
    Tcb& c = *this;
    // Linux tcp_keepalive_timer(): probes only when nothing is outstanding; idle time counts
    // from the last segment received. After keepcnt unanswered probes (or TCP_USER_TIMEOUT),
    // send a RST and report ETIMEDOUT.
    if (!c.keepalive || c.state == State::SynSent || c.state == State::Closed) return;
    const Time idle = sec(c.keepidle ? c.keepidle : p_.keepalive_time);
    const Time intvl = sec(c.keepintvl ? c.keepintvl : p_.keepalive_intvl);
    const int cnt = c.keepcnt ? c.keepcnt : p_.keepalive_probes;
    if (c.snd_una != c.snd_max || !c.sndbuf.empty()) {
        arm_keepalive(idle);
        return;
    }
    const Time elapsed = now_ - c.last_rcv;
    if (elapsed >= idle) {
        const bool dead = c.user_timeout > 0 ? (elapsed >= c.user_timeout && c.probes_out > 0)
                                             : c.probes_out >= cnt;
        if (dead) {
            note("keepalive_dead", {{"probes", c.probes_out}});
            send_rst(now_);
            connection_reset(Errno::etimedout, "timer:keepalive");
            return;
        }
        // tcp_xmit_probe_skb(): an ACK with SEQ = SND.UNA - 1, so the peer must answer.
        Segment probe = make_segment(ACK, c.snd_una - 1);
        ++c.probes_out;
        note("keepalive_probe", {{"n", c.probes_out}});
        transmit(std::move(probe));
        arm_keepalive(intvl);
    } else {
        arm_keepalive(idle - elapsed);
    }
}

}  // namespace tcplab::tcp
