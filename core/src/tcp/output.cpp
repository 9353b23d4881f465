// Sending (RFC 9293 §3.10.2 SEND, §3.8.6 windows): segments, the send loop (window, congestion
// window, Nagle), ACKs (immediate and delayed), SYN and SYN,ACK, an active RST; and, for the
// trace, why each segment's numbers are what they are.
#include "tcplab/tcp/connection.hpp"

#include <algorithm>
#include <iterator>

namespace tcplab::tcp {

std::uint32_t Connection::ts_now() const {
    const Tcb& c = *this;
    // Linux TCP timestamps tick in milliseconds (tcp_time_stamp_ms) plus the per-pair offset.
    return static_cast<std::uint32_t>(now_ / 1000) + c.ts_offset;
}

std::uint16_t Connection::window_field(bool syn) const {
    const Tcb& c = *this;
    const std::uint32_t used = static_cast<std::uint32_t>(c.rcvbuf.size());
    const std::uint32_t space = c.rcv_wnd > used ? c.rcv_wnd - used : 0;
    // RFC 7323 §2.2: the window in a SYN is never scaled.
    if (syn) return static_cast<std::uint16_t>(std::min<std::uint32_t>(space, 65535));
    return static_cast<std::uint16_t>(std::min<std::uint32_t>(space >> c.rcv_wscale, 65535));
}

Segment Connection::make_segment(std::uint8_t flags, Seq seq) {
    Tcb& c = *this;
    Segment s;
    s.src = c.tuple.local();
    s.dst = c.tuple.remote();
    s.seq = seq;
    s.flags = flags;
    if (flags & ACK) s.ack = c.rcv_nxt;
    s.window = window_field((flags & SYN) != 0);
    if (c.ts_ok) {
        s.opts.ts_val = ts_now();
        s.opts.ts_ecr = c.ts_recent;
    }
    return s;
}

void Connection::transmit(Segment&& seg, bool retransmission) {
    Tcb& c = *this;
    const Time now = now_;
    if (seg.flags & ACK) {
        // Linux tcp_event_ack_sent(): any segment carrying the ACK settles a pending delayed ACK.
        c.ack_pending = false;
        c.rcv_wup = c.rcv_nxt;
        if (c.timer_token[static_cast<std::size_t>(TimerKind::DelayedAck)])
            disarm(TimerKind::DelayedAck, now_);
    }
    const std::uint32_t len = seg.seg_len();
    if (len > 0) {
        if (c.snd_una == c.snd_max || seq_le(seg.seq, c.snd_una)) {
            if (!retransmission) c.head_sent_at = now;
        }
        // RTT measurement on one segment at a time, never on a retransmission (Karn's rule,
        // RFC 6298 §3).
        if (!retransmission && c.rtt_sent_at < 0) {
            c.rtt_seq = seg.seq + len;
            c.rtt_sent_at = now;
        }
        if (seg.len() > 0) {
            // Linux tcp_event_data_sent(): replying within the ACK timeout of the last receive
            // means an interactive exchange: enter ping-pong (delayed ACK) mode.
            if (c.ato_set && now - c.last_rcv < p_.delack_min) c.pingpong = true;
        }
    }
    const bool tracing = io_.tracing();
    std::uint32_t first = 0;
    const SendWhy why = tracing ? why_for(seg, retransmission, &first) : SendWhy{};
    const Seq seq = seg.seq;
    const std::uint32_t id = io_.transmit(*this, std::move(seg), retransmission, why, first);
    if (len > 0 && !retransmission) {
        if (tracing) c.first_sent.emplace(seq - c.iss, id);
        if (seq + len == c.snd_max) {
            c.snd_adv_id = id;
            c.snd_adv_syn = seq == c.iss;
        }
    }
    if (len > 0 && !c.timer_token[static_cast<std::size_t>(TimerKind::Retransmit)])
        arm_retransmit();
}

SendWhy Connection::why_for(const Segment& seg, bool retransmission,
                            std::uint32_t* retransmission_of) const {
    const Tcb& c = *this;
    SendWhy w;
    *retransmission_of = 0;
    if (retransmission) {
        // The first segment that carried this SEQ, or (re-segmented) the one it began in.
        w.seq = SendWhy::SeqRule::Retransmission;
        auto it = c.first_sent.upper_bound(seg.seq - c.iss);
        if (it != c.first_sent.begin()) *retransmission_of = w.seq_after = std::prev(it)->second;
    } else if (seg.flags & SYN) {
        w.seq = SendWhy::SeqRule::Isn;
    } else if (seg.seg_len() > 0) {
        w.seq = SendWhy::SeqRule::Next;
        w.seq_after = c.snd_adv_id;
    } else if (seg.seq == c.snd_max) {
        w.seq = SendWhy::SeqRule::SndNxt;
        if (!c.snd_adv_syn) w.seq_after = c.snd_adv_id;
    } else {
        w.seq = SendWhy::SeqRule::Probe;
    }
    if (seg.flags & ACK) {
        w.ack = SendWhy::AckRule::RcvNxt;
        w.ack_after = c.rcv_adv_id;
    }
    return w;
}

void Connection::send_syn(bool with_ack, bool retransmission, Time now) {
    Tcb& c = *this;
    now_ = now;
    Segment s = make_segment(with_ack ? SYN | ACK : SYN, c.iss);
    // Linux tcp_syn_options(): MSS, SACK-permitted, timestamps, window scale, in this order.
    s.opts.mss = static_cast<std::uint16_t>(p_.mtu - 40);
    if (!with_ack || c.sack_ok) s.opts.sack_ok = p_.sack != 0;
    const bool ts = with_ack ? c.ts_ok : p_.timestamps != 0;
    if (ts) {
        s.opts.ts_val = ts_now();
        s.opts.ts_ecr = with_ack ? c.ts_recent : 0;
    } else {
        s.opts.ts_val.reset();
    }
    if (with_ack ? c.wscale_ok : p_.window_scaling != 0) s.opts.wscale = c.rcv_wscale;
    c.snd_nxt = c.iss + 1;
    c.snd_max = c.iss + 1;
    transmit(std::move(s), retransmission);
}

void Connection::send_ack() { transmit(make_segment(ACK, snd_max)); }

void Connection::ack_now(Time now) {
    now_ = now;
    send_ack();
}

void Connection::send_rst(Time now) {
    now_ = now;
    // Linux tcp_send_active_reset(): <SEQ=SND.NXT><CTL=RST,ACK>.
    transmit(make_segment(RST | ACK, snd_max));
}

void Connection::ack_received_data(bool force_now) {
    Tcb& c = *this;
    // Linux __tcp_ack_snd_check(): ACK at once when more than one full segment is unacked, in
    // quick-ACK mode (connection start, not ping-pong), or when the event demands it (out of
    // order, a FIN that changes state); otherwise delay the ACK (TCP_DELACK_MIN, 40 ms).
    const bool two_segments = seq_diff(c.rcv_nxt, c.rcv_wup) > c.mss;
    const bool quick = p_.quickack && c.quick > 0 && !c.pingpong;
    if (force_now || two_segments || quick) {
        if (quick) --c.quick;
        send_ack();
        return;
    }
    c.ack_pending = true;
    // tcp_send_delayed_ack(): the timeout is icsk_ack.ato, which becomes TCP_ATO_MIN (40 ms)
    // only once data has been received; before that it is 0 and the ACK leaves on the next
    // timer tick.
    const Time delay = c.ato_set ? p_.delack_min : p_.tick;
    if (!c.timer_token[static_cast<std::size_t>(TimerKind::DelayedAck)])
        arm(TimerKind::DelayedAck, now_ + delay);
}

void Connection::output() {
    Tcb& c = *this;
    switch (c.state) {
        case State::Established:
        case State::CloseWait:
        case State::FinWait1:
        case State::Closing:
        case State::LastAck: break;
        default: return;
    }
    for (;;) {
        const Seq base = data_base();
        const std::uint32_t off = seq_diff(c.snd_nxt, base);
        const std::uint32_t queued = static_cast<std::uint32_t>(c.sndbuf.size());
        const std::uint32_t unsent = queued > off ? queued - off : 0;
        const std::uint32_t flight = seq_diff(c.snd_nxt, c.snd_una);
        const std::uint32_t cwnd_bytes = c.cwnd * c.mss;
        const std::uint32_t limit = std::min<std::uint32_t>(c.snd_wnd, cwnd_bytes);
        const std::uint32_t usable = limit > flight ? limit - flight : 0;
        const Seq fin_at = base + queued;

        if (unsent > 0) {
            std::uint32_t len = std::min<std::uint32_t>({unsent, c.mss, usable});
            if (len == 0) break;  // window closed: wait for an ACK (or the retransmit timer)
            const bool last = len == unsent;
            // Nagle (RFC 896; Linux uses Minshall's variant): hold a small segment while an
            // earlier small segment is unacknowledged. Closing sends everything at once.
            const bool retrans = seq_lt(c.snd_nxt, c.snd_max);
            if (!retrans && len < c.mss && !c.nodelay && !c.fin_pending &&
                seq_gt(c.snd_sml, c.snd_una))
                break;
            std::uint8_t flags = ACK;
            if (last) flags |= PSH;
            const bool with_fin =
                last && c.fin_pending && (!c.fin_sent || c.fin_seq == c.snd_nxt + len);
            if (with_fin) flags |= FIN;
            Segment s = make_segment(flags, c.snd_nxt);
            s.payload = c.sndbuf.substr(off, len);
            if (!retrans) c.last_seg_seq = c.snd_nxt;
            c.snd_nxt += len;
            if (with_fin) {
                c.fin_sent = true;
                c.fin_seq = c.snd_nxt;
                c.snd_nxt += 1;
            }
            c.snd_max = seq_max(c.snd_max, c.snd_nxt);
            if (len < c.mss) c.snd_sml = c.snd_nxt;
            transmit(std::move(s), retrans);
            if (with_fin) break;
            continue;
        }
        if (c.fin_pending && c.snd_nxt == fin_at) {
            const bool retrans = seq_lt(c.snd_nxt, c.snd_max);  // sent before, then backed off
            Segment s = make_segment(FIN | ACK, c.snd_nxt);
            if (!retrans) c.last_seg_seq = c.snd_nxt;
            c.fin_sent = true;
            c.fin_seq = c.snd_nxt;
            c.snd_nxt += 1;
            c.snd_max = seq_max(c.snd_max, c.snd_nxt);
            transmit(std::move(s), retrans);
        }
        break;
    }
}

}  // namespace tcplab::tcp
