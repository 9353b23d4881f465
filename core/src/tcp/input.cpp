// SEGMENT ARRIVES (RFC 9293 §3.10.7) for a connection: dispatched by state, then SYN-SENT
// (§3.10.7.3) and the synchronized states (§3.10.7.4) in the RFC's order: sequence number, RST,
// SYN, ACK, segment text, FIN. SYN-RECEIVED is in handshake.cpp; TIME-WAIT in the host's compact
// record (timewait.cpp).
#include "tcplab/tcp/connection.hpp"

#include <algorithm>

namespace tcplab::tcp {

void Connection::segment_arrives(Segment& seg, Time now) {
    now_ = now;
    last_rcv = now;
    switch (state) {
        case State::SynSent: return syn_sent(seg);
        case State::SynReceived: return syn_received(seg);
        case State::Established:
        case State::FinWait1:
        case State::FinWait2:
        case State::CloseWait:
        case State::Closing:
        case State::LastAck: return synchronized_states(seg);
        // The host handles the rest: LISTEN (tcp/listen.cpp), TIME-WAIT (tcp/timewait.cpp), and
        // CLOSED, which no segment reaches (§3.10.7.1: the host answers with a RST).
        case State::Closed:
        case State::Listen:
        case State::TimeWait: return;
    }
}

void Connection::synchronized_segment_arrives(Segment& seg, Time now) {
    now_ = now;
    synchronized_states(seg);
}

void Connection::done() { io_.done(*this); }

void Connection::discard(const Segment& seg, const char* reason) {
    io_.record(*this, ev::Discard{seg.id, reason});
}

void Connection::process_options(const Segment& seg) {
    Tcb& c = *this;
    // RFC 9293 §3.7.1: without an MSS option the sender assumes 536 (MUST-15).
    c.peer_mss = seg.opts.mss ? *seg.opts.mss : 536;
    std::uint16_t mss =
        std::min<std::uint16_t>(c.peer_mss, static_cast<std::uint16_t>(p_.mtu - 40));
    const bool we_sent_ts = c.state == State::SynSent ? p_.timestamps != 0 : true;
    c.ts_ok = p_.timestamps && we_sent_ts && seg.opts.ts_val.has_value();
    if (c.ts_ok) {
        c.ts_recent = *seg.opts.ts_val;
        c.ts_recent_stamp = now_;
        mss = static_cast<std::uint16_t>(mss -
                                         12);  // Linux tcp_current_mss(): TCPOLEN_TSTAMP_ALIGNED
    }
    c.mss = mss;
    c.sack_ok = p_.sack && seg.opts.sack_ok;
    c.wscale_ok = p_.window_scaling && seg.opts.wscale.has_value();
    if (c.wscale_ok) {
        c.snd_wscale = std::min<std::uint8_t>(*seg.opts.wscale, 14);  // RFC 7323 §2.3
        c.rcv_wscale = 7;  // Linux with tcp_rmem max 6 MiB
    } else {
        c.snd_wscale = 0;
        c.rcv_wscale = 0;
    }
    // The peer's SYN window is never scaled (RFC 7323 §2.2).
    c.snd_wnd = seg.window;
    c.max_snd_wnd = c.snd_wnd;
    c.snd_wl1 = seg.seq;
    c.snd_wl2 = seg.ack;
}

bool Connection::acceptable(const Segment& seg) const {
    const Tcb& c = *this;
    // RFC 9293 §3.10.7.4, Table 6: the four cases of segment length and receive window.
    const std::uint32_t used = static_cast<std::uint32_t>(c.rcvbuf.size());
    const std::uint32_t wnd = c.rcv_wnd > used ? c.rcv_wnd - used : 0;
    const std::uint32_t len = seg.seg_len();
    const Seq end = c.rcv_nxt + wnd;
    if (len == 0) {
        if (wnd == 0) return seg.seq == c.rcv_nxt;
        return seq_in(seg.seq, c.rcv_nxt, end);
    }
    if (wnd == 0) return false;
    return seq_in(seg.seq, c.rcv_nxt, end) || seq_in(seg.seq + len - 1, c.rcv_nxt, end);
}

void Connection::established(const std::string& cause, Time now) {
    Tcb& c = *this;
    now_ = now;
    set_state(State::Established, cause, now_);
    if (c.keepalive) arm_keepalive(sec(c.keepidle ? c.keepidle : p_.keepalive_time));
    io_.wake(*this);
}

void Connection::connection_reset(Errno err, const std::string& cause) {
    Tcb& c = *this;
    c.error = err;
    c.reset = true;
    c.rcv_shutdown = c.snd_shutdown = true;
    set_state(State::Closed, cause, now_);
    done();
}

void Connection::syn_acked(const Segment& seg) {
    Tcb& c = *this;
    // Our SYN is acknowledged: the handshake's RTT is a sample unless the SYN was retransmitted
    // (Karn, RFC 6298 §3); the SYN's retransmission timer stops.
    c.snd_una = seg.ack;
    if (c.rtt_sent_at >= 0 && c.retransmits == 0) rtt_sample(now_ - c.rtt_sent_at);
    c.rtt_sent_at = -1;
    c.retransmits = 0;
    c.total_rto = 0;
    if (!c.rtt_valid) c.rto = p_.rto_initial;
    disarm(TimerKind::Retransmit, now_);
}

void Connection::syn_sent(Segment& seg) {
    Tcb& c = *this;
    const std::string cause = "seg:" + std::to_string(seg.id);
    bool ack_ok = false;
    if (seg.flags & ACK) {
        // "If SEG.ACK =< ISS or SEG.ACK > SND.NXT, send a reset (unless the RST bit is set)".
        if (seq_le(seg.ack, c.iss) || seq_gt(seg.ack, c.snd_max)) {
            io_.reply_rst(seg, "rst_bad_ack_syn_sent", nullptr);
            return;
        }
        ack_ok = seq_le(c.snd_una, seg.ack);
    }
    if (seg.flags & RST) {
        // "If the ACK was acceptable, signal 'connection reset', drop the segment, enter CLOSED";
        // Linux tcp_reset(): ECONNREFUSED in SYN-SENT. A RST without an ACK is dropped.
        if (ack_ok) connection_reset(Errno::econnrefused, cause);
        return;
    }
    if (!(seg.flags & SYN)) return;
    c.irs = seg.seq;
    c.rcv_nxt = seg.seq + 1;
    c.rcv_wup = c.rcv_nxt;
    c.rcv_adv_id = seg.id;
    process_options(seg);
    if (ack_ok) {
        syn_acked(seg);
        established(cause, now_);
        // Linux tcp_rcv_synsent_state_process(): the third segment is sent at once.
        send_ack();
        output();
        return;
    }
    // Simultaneous open (§3.10.7.3, MUST-10): "enter SYN-RECEIVED, form a SYN,ACK segment
    // <SEQ=ISS><ACK=RCV.NXT><CTL=SYN,ACK> and send it" — the same ISS as our SYN.
    set_state(State::SynReceived, cause, now_);
    note("simultaneous_open");
    send_syn(true, false, now_);
}

void Connection::rcv_rst(Segment& seg) {
    Tcb& c = *this;
    const std::string cause = "seg:" + std::to_string(seg.id);
    // RFC 5961 §3.2: only a RST with SEG.SEQ = RCV.NXT resets; any other in-window RST gets a
    // challenge ACK (Linux tcp_validate_incoming()).
    if (p_.rfc5961 && seg.seq != c.rcv_nxt) {
        note("challenge_ack", {{"seg_id", seg.id}, {"why", "rst"}});
        send_ack();
        return;
    }
    // Linux tcp_reset(): EPIPE in CLOSE-WAIT, ECONNRESET otherwise (ECONNREFUSED in SYN-SENT).
    const Errno err = c.state == State::CloseWait ? Errno::epipe : Errno::econnreset;
    connection_reset(err, cause);
}

bool Connection::rcv_ack(Segment& seg) {
    Tcb& c = *this;
    const std::string cause = "seg:" + std::to_string(seg.id);
    // RFC 5961 §5.2: acceptable if SND.UNA - MAX.SND.WND =< SEG.ACK =< SND.NXT; otherwise
    // discard and send an ACK (RFC 9293 §3.10.7.4, "fifth").
    if (seq_gt(seg.ack, c.snd_max) || (p_.rfc5961 && seq_lt(seg.ack, c.snd_una - c.max_snd_wnd))) {
        send_ack();
        return false;
    }
    const bool window_update =
        seq_lt(c.snd_wl1, seg.seq) || (c.snd_wl1 == seg.seq && seq_le(c.snd_wl2, seg.ack));
    const std::uint32_t new_wnd = static_cast<std::uint32_t>(seg.window) << c.snd_wscale;
    if (seq_gt(seg.ack, c.snd_una)) {
        const Seq base = data_base();
        if (seq_gt(seg.ack, base)) {
            const std::size_t n = std::min<std::size_t>(seq_diff(seg.ack, base), c.sndbuf.size());
            c.sndbuf.erase(0, n);
        }
        c.snd_una = seg.ack;
        if (seq_lt(c.snd_nxt, c.snd_una)) c.snd_nxt = c.snd_una;
        if (c.rtt_sent_at >= 0 && seq_ge(seg.ack, c.rtt_seq)) {
            rtt_sample(now_ - c.rtt_sent_at);
            c.rtt_sent_at = -1;
        } else if (c.rtt_valid) {
            c.rto = std::min(c.srtt + std::max(4 * c.rttvar, p_.rto_min), p_.rto_max);
        }
        c.retransmits = 0;
        c.total_rto = 0;
        c.dupacks = 0;
        c.tlp_done = false;
        c.head_sent_at = now_;
        // RFC 5681 §3.1: slow start below ssthresh, then about one segment per RTT.
        if (c.cwnd < c.ssthresh)
            ++c.cwnd;
        else if (c.cwnd < 1000)
            c.cwnd += (c.cwnd > 0 && seg.ack % c.cwnd == 0) ? 1 : 0;
        if (c.snd_una == c.snd_max)
            disarm(TimerKind::Retransmit, now_);
        else
            arm_retransmit();
        trace_buffers();
        io_.wake(*this);
    } else if (seg.ack == c.snd_una && seg.len() == 0 && !(seg.flags & FIN) &&
               c.snd_una != c.snd_max && new_wnd == c.snd_wnd) {
        // RFC 5681 §3.2: the third duplicate ACK triggers a fast retransmit of the oldest segment.
        if (++c.dupacks == 3) {
            c.ssthresh = std::max<std::uint32_t>(c.cwnd / 2, 2);
            c.cwnd = c.ssthresh + 3;
            note("fast_retransmit");
            const Seq keep = c.snd_nxt;
            const bool fin_was_sent = c.fin_sent;
            c.snd_nxt = c.snd_una;
            if (c.fin_sent && seq_le(c.snd_nxt, c.fin_seq)) c.fin_sent = false;
            const std::uint32_t save_cwnd = c.cwnd;
            c.cwnd = 1;
            output();
            c.cwnd = save_cwnd;
            if (seq_lt(c.snd_nxt, keep)) c.snd_nxt = keep;
            c.fin_sent = c.fin_sent || fin_was_sent;
        }
    }
    if (window_update) {
        c.snd_wnd = new_wnd;
        c.max_snd_wnd = std::max(c.max_snd_wnd, c.snd_wnd);
        c.snd_wl1 = seg.seq;
        c.snd_wl2 = seg.ack;
    }
    c.probes_out = 0;  // Linux tcp_ack(): any ACK answers the keepalive probes

    const bool fin_acked = c.fin_sent && seq_gt(c.snd_una, c.fin_seq);
    switch (c.state) {
        case State::FinWait1:
            if (!fin_acked) break;
            // "In addition to the processing for the ESTABLISHED state, if the FIN segment is
            // now acknowledged, then enter FIN-WAIT-2 and continue processing".
            set_state(State::FinWait2, cause, now_);
            io_.wake(*this);
            if (c.orphan && data_after_close(seg)) {
                reset_on_data_after_close(seg);
                return false;
            }
            // Linux tcp_rcv_state_process(): an orphan now waits for the peer's FIN at most
            // tcp_fin_timeout (unless this segment brings it).
            if (c.orphan && !(seg.flags & FIN) && !orphan_fin_wait_2(cause)) return false;
            break;
        case State::Closing:
            if (fin_acked) {
                // "If the ACK acknowledges our FIN, then enter the TIME-WAIT state".
                io_.enter_time_wait(*this, p_.time_wait, cause, false);
                return false;
            }
            break;
        case State::LastAck:
            if (fin_acked) {
                // "The only thing that can arrive in this state is an acknowledgment of our FIN.
                // If our FIN is now acknowledged, delete the TCB, enter the CLOSED state".
                set_state(State::Closed, cause, now_);
                done();
                return false;
            }
            break;
        default: break;
    }
    output();
    return true;
}

void Connection::rcv_text(Segment& seg) {
    Tcb& c = *this;
    // "seventh, process the segment text" — only ESTABLISHED, FIN-WAIT-1 and FIN-WAIT-2 take
    // data; CLOSE-WAIT, CLOSING and LAST-ACK have seen the FIN and ignore it.
    if (seg.len() == 0) return;
    if (c.state != State::Established && c.state != State::FinWait1 && c.state != State::FinWait2)
        return;
    const Seq seq = seg.seq;
    const Seq end = seq + seg.len();
    if (seq_le(end, c.rcv_nxt)) {
        // An old duplicate: Linux tcp_data_queue() forces an immediate ACK (and a D-SACK).
        send_ack();
        return;
    }
    if (seq_gt(seq, c.rcv_nxt)) {
        // Out of order: keep it and send a duplicate ACK at once (RFC 5681 §4.2).
        c.ooo.emplace(seq, seg.payload);
        send_ack();
        return;
    }
    const std::uint32_t skip = seq_diff(c.rcv_nxt, seq);
    const std::uint32_t used = static_cast<std::uint32_t>(c.rcvbuf.size());
    const std::uint32_t room = c.rcv_wnd > used ? c.rcv_wnd - used : 0;
    const std::uint32_t n = std::min<std::uint32_t>(seg.len() - skip, room);
    c.rcvbuf.append(seg.payload, skip, n);
    c.rcv_nxt += n;
    bool filled_hole = false;
    while (!c.ooo.empty()) {
        auto it = c.ooo.begin();
        if (seq_gt(it->first, c.rcv_nxt)) break;
        const Seq oend = it->first + static_cast<std::uint32_t>(it->second.size());
        if (seq_gt(oend, c.rcv_nxt)) {
            const std::uint32_t from = seq_diff(c.rcv_nxt, it->first);
            c.rcvbuf.append(it->second, from, std::string::npos);
            c.rcv_nxt = oend;
            filled_hole = true;
        }
        c.ooo.erase(it);
    }
    if (n > 0 || filled_hole) c.rcv_adv_id = seg.id;
    if (!c.ato_set) {
        // Linux tcp_event_data_recv(): the first data starts quick-ACK mode (TCP_MAX_QUICKACKS).
        c.ato_set = true;
        c.quick = p_.max_quickacks;
    }
    trace_buffers();
    io_.wake(*this);
    if (filled_hole) send_ack();
}

Connection::FinResult Connection::rcv_fin(Segment& seg) {
    Tcb& c = *this;
    const std::string cause = "seg:" + std::to_string(seg.id);
    const bool in_order = seg.seq + seg.len() == c.rcv_nxt;
    if (c.fin_received) {
        // A retransmitted FIN: ACK it again.
        if (seg.seq + seg.len() + 1 == c.rcv_nxt) {
            send_ack();
            return FinResult::Acked;
        }
        return FinResult::None;
    }
    if (!in_order) return FinResult::None;  // data before it is missing: wait for it
    // "eighth, check the FIN bit": the FIN consumes one sequence number; signal EOF.
    c.rcv_nxt += 1;
    c.rcv_adv_id = seg.id;
    c.fin_received = true;
    io_.wake(*this);
    switch (c.state) {
        case State::SynReceived:
        case State::Established:
            // "Enter the CLOSE-WAIT state". Linux tcp_fin() enters ping-pong mode, so the ACK is
            // delayed: an application that closes at once sends its FIN with it (3-segment close).
            set_state(State::CloseWait, cause, now_);
            c.pingpong = true;
            ack_received_data(false);
            return FinResult::Acked;
        case State::FinWait1:
            // "If our FIN has been ACKed ... enter TIME-WAIT ... otherwise, enter CLOSING".
            send_ack();
            set_state(State::Closing, cause, now_);
            return FinResult::Acked;
        case State::FinWait2:
            // "Enter the TIME-WAIT state. Start the time-wait timer, turn off the other timers."
            // The same whether a socket still holds the connection (shutdown()) or it is an
            // orphan (close()), whose FIN-WAIT-2 timer this turns off. The TIME-WAIT record
            // sends the ACK of the FIN, as Linux's does (tcp_timewait_state_process(): TCP_TW_ACK).
            io_.enter_time_wait(*this, p_.time_wait, cause, true);
            return FinResult::Dead;
        default: return FinResult::None;
    }
}

void Connection::synchronized_states(Segment& seg) {
    Tcb& c = *this;
    auto drop = [&](const char* reason) { discard(seg, reason); };
    // RFC 7323 §5.3 PAWS: a timestamp older than TS.Recent marks an old duplicate.
    if (c.ts_ok && seg.opts.ts_val && !(seg.flags & RST) &&
        static_cast<std::int32_t>(*seg.opts.ts_val - c.ts_recent) < 0) {
        drop("paws");
        send_ack();
        return;
    }
    // first: sequence number check.
    if (!acceptable(seg)) {
        // "If an incoming segment is not acceptable, an acknowledgment should be sent in reply
        // (unless the RST bit is set ...)" (§3.10.7.4; RFC 5961 drops RSTs silently).
        drop("out_of_window");
        if (!(seg.flags & RST)) send_ack();
        return;
    }
    if (c.ts_ok && seg.opts.ts_val && seq_le(seg.seq, c.rcv_wup)) {
        // RFC 7323 §4.3: remember the peer's timestamp for segments at the left window edge.
        c.ts_recent = *seg.opts.ts_val;
        c.ts_recent_stamp = now_;
    }
    // second: the RST bit.
    if (seg.flags & RST) return rcv_rst(seg);
    // fourth: the SYN bit. RFC 5961 §4.2: a challenge ACK, whatever the sequence number.
    if (seg.flags & SYN) {
        drop("syn_in_synchronized_state");
        note("challenge_ack", {{"seg_id", seg.id}, {"why", "syn"}});
        send_ack();
        return;
    }
    // fifth: the ACK field. "If the ACK bit is off, drop the segment and return".
    if (!(seg.flags & ACK)) return drop("no_ack");
    if (!rcv_ack(seg)) return;  // the connection ended or the segment was dropped
    // Linux tcp_rcv_state_process(): new data after the receive side was shut down (close())
    // in FIN-WAIT-1/2 is answered with a RST ("RFC 1122 says we MUST send a reset").
    if ((c.state == State::FinWait1 || c.state == State::FinWait2) && data_after_close(seg)) {
        reset_on_data_after_close(seg);
        return;
    }
    // seventh: segment text.
    const Seq before_text = c.rcv_nxt;
    rcv_text(seg);
    const bool data = c.rcv_nxt != before_text;
    // eighth: the FIN bit.
    if (seg.flags & FIN) {
        if (rcv_fin(seg) != FinResult::None) return;  // it sent or scheduled the ACK
    }
    if (data) ack_received_data(false);
}

bool Connection::data_after_close(const Segment& seg) const {
    const Tcb& c = *this;
    return c.rcv_shutdown && seg.len() > 0 && seq_gt(seg.seq + seg.len(), c.rcv_nxt);
}

void Connection::reset_on_data_after_close(Segment& seg) {
    io_.reply_rst(seg, "rst_data_after_close", this);
    connection_reset(Errno::econnreset, "seg:" + std::to_string(seg.id));
}

}  // namespace tcplab::tcp
