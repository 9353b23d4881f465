// SEGMENT ARRIVES (RFC 9293 §3.10.7) for full sockets: demultiplexing, SYN-SENT (§3.10.7.3),
// and the synchronized states (§3.10.7.4) in the RFC's order: sequence number, RST, SYN, ACK,
// segment text, FIN. LISTEN and SYN-RECEIVED are in listen.cpp, TIME-WAIT in timewait.cpp.
#include "tcplab/host.hpp"
#include "tcplab/simulator.hpp"

#include <algorithm>

namespace tcplab {

void Host::receive(Segment& seg) {
    if (seg.dst.ip != ip_) return;
    const FourTuple t{ip_, seg.src.ip, seg.dst.port, seg.src.port};
    auto it = demux_.find(t);
    if (it != demux_.end()) {
        if (it->second.tw) return rcv_time_wait(tws_[it->second.slot], seg);
        Tcb& c = *conns_[it->second.slot];
        c.last_rcv = sim_.now();
        switch (c.state) {
            case State::SynSent: return rcv_syn_sent(c, seg);
            case State::SynReceived: return rcv_syn_received(c, seg);
            default: return rcv_established_family(c, seg);
        }
    }
    const int lfd = lookup_listener(seg.dst);
    if (lfd >= 0) return rcv_listen(lfd, seg);
    // §3.10.7.1 CLOSED: "all data in the incoming segment is discarded", answered by a RST.
    reply_rst(seg, "rst_no_socket");
}

void Host::process_options(Tcb& c, const Segment& seg) {
    // RFC 9293 §3.7.1: without an MSS option the sender assumes 536 (MUST-15).
    c.peer_mss = seg.opts.mss ? *seg.opts.mss : 536;
    std::uint16_t mss =
        std::min<std::uint16_t>(c.peer_mss, static_cast<std::uint16_t>(p_.mtu - 40));
    const bool we_sent_ts = c.state == State::SynSent ? p_.timestamps != 0 : true;
    c.ts_ok = p_.timestamps && we_sent_ts && seg.opts.ts_val.has_value();
    if (c.ts_ok) {
        c.ts_recent = *seg.opts.ts_val;
        c.ts_recent_stamp = sim_.now();
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

bool Host::acceptable(const Tcb& c, const Segment& seg) const {
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

void Host::established(Tcb& c, const std::string& cause) {
    set_state(c, State::Established, cause);
    if (c.keepalive) arm_keepalive(c, sec(c.keepidle ? c.keepidle : p_.keepalive_time));
    wake_tcb(c);
}

void Host::connection_done(Tcb& c, const std::string& cause) {
    (void)cause;
    for (std::size_t k = 0; k < kTimerKinds; ++k)
        if (c.timer_token[k]) disarm(c, static_cast<TimerKind>(k));
    if (c.listener_fd >= 0 && !c.in_accept_queue) detach_from_listener(c);
    if (c.fd >= 0 || c.in_accept_queue) {
        retire(c);
        wake_tcb(c);
        if (c.in_accept_queue) trace_queue(c.listener_fd);
    } else {
        free_tcb(c);
    }
}

void Host::connection_reset(Tcb& c, Errno err, const std::string& cause) {
    c.error = err;
    c.reset = true;
    c.rcv_shutdown = c.snd_shutdown = true;
    set_state(c, State::Closed, cause);
    connection_done(c, cause);
}

void Host::syn_acked(Tcb& c, const Segment& seg) {
    // Our SYN is acknowledged: the handshake's RTT is a sample unless the SYN was retransmitted
    // (Karn, RFC 6298 §3); the SYN's retransmission timer stops.
    c.snd_una = seg.ack;
    if (c.rtt_sent_at >= 0 && c.retransmits == 0) rtt_sample(c, sim_.now() - c.rtt_sent_at);
    c.rtt_sent_at = -1;
    c.retransmits = 0;
    c.total_rto = 0;
    if (!c.rtt_valid) c.rto = p_.rto_initial;
    disarm(c, TimerKind::Retransmit);
}

void Host::discard_segment(const Segment& seg, const char* reason) {
    if (!sim_.trace().on()) return sim_.trace().count();
    auto e = Trace::event(sim_.now(), "discard");
    e["host"] = name_;
    e["seg_id"] = seg.id;
    e["reason"] = reason;
    sim_.trace().add(std::move(e));
}

// ---- §3.10.7.3 SYN-SENT ---------------------------------------------------------------------

void Host::rcv_syn_sent(Tcb& c, Segment& seg) {
    const std::string cause = "seg:" + std::to_string(seg.id);
    bool ack_ok = false;
    if (seg.flags & ACK) {
        // "If SEG.ACK =< ISS or SEG.ACK > SND.NXT, send a reset (unless the RST bit is set)".
        if (seq_le(seg.ack, c.iss) || seq_gt(seg.ack, c.snd_max)) {
            reply_rst(seg, "rst_bad_ack_syn_sent");
            return;
        }
        ack_ok = seq_le(c.snd_una, seg.ack);
    }
    if (seg.flags & RST) {
        // "If the ACK was acceptable, signal 'connection reset', drop the segment, enter CLOSED";
        // Linux tcp_reset(): ECONNREFUSED in SYN-SENT. A RST without an ACK is dropped.
        if (ack_ok) connection_reset(c, Errno::econnrefused, cause);
        return;
    }
    if (!(seg.flags & SYN)) return;
    c.irs = seg.seq;
    c.rcv_nxt = seg.seq + 1;
    c.rcv_wup = c.rcv_nxt;
    c.rcv_adv_id = seg.id;
    process_options(c, seg);
    if (ack_ok) {
        syn_acked(c, seg);
        established(c, cause);
        // Linux tcp_rcv_synsent_state_process(): the third segment is sent at once.
        send_ack(c);
        output(c);
        return;
    }
    // Simultaneous open (§3.10.7.3, MUST-10): "enter SYN-RECEIVED, form a SYN,ACK segment
    // <SEQ=ISS><ACK=RCV.NXT><CTL=SYN,ACK> and send it" — the same ISS as our SYN.
    set_state(c, State::SynReceived, cause);
    note(conn_name(c.tuple), "simultaneous_open");
    send_syn(c, true);
}

// ---- §3.10.7.4 the synchronized states ----------------------------------------------------

void Host::rcv_rst(Tcb& c, Segment& seg) {
    const std::string cause = "seg:" + std::to_string(seg.id);
    // RFC 5961 §3.2: only a RST with SEG.SEQ = RCV.NXT resets; any other in-window RST gets a
    // challenge ACK (Linux tcp_validate_incoming()).
    if (p_.rfc5961 && seg.seq != c.rcv_nxt) {
        note(conn_name(c.tuple), "challenge_ack", {{"seg_id", seg.id}, {"why", "rst"}});
        send_ack(c);
        return;
    }
    // Linux tcp_reset(): EPIPE in CLOSE-WAIT, ECONNRESET otherwise (ECONNREFUSED in SYN-SENT).
    const Errno err = c.state == State::CloseWait ? Errno::epipe : Errno::econnreset;
    connection_reset(c, err, cause);
}

bool Host::rcv_ack(Tcb& c, Segment& seg) {
    const std::string cause = "seg:" + std::to_string(seg.id);
    // RFC 5961 §5.2: acceptable if SND.UNA - MAX.SND.WND =< SEG.ACK =< SND.NXT; otherwise
    // discard and send an ACK (RFC 9293 §3.10.7.4, "fifth").
    if (seq_gt(seg.ack, c.snd_max) || (p_.rfc5961 && seq_lt(seg.ack, c.snd_una - c.max_snd_wnd))) {
        send_ack(c);
        return false;
    }
    const bool window_update =
        seq_lt(c.snd_wl1, seg.seq) || (c.snd_wl1 == seg.seq && seq_le(c.snd_wl2, seg.ack));
    const std::uint32_t new_wnd = static_cast<std::uint32_t>(seg.window) << c.snd_wscale;
    if (seq_gt(seg.ack, c.snd_una)) {
        const Seq base = data_base(c);
        if (seq_gt(seg.ack, base)) {
            const std::size_t n = std::min<std::size_t>(seq_diff(seg.ack, base), c.sndbuf.size());
            c.sndbuf.erase(0, n);
        }
        c.snd_una = seg.ack;
        if (seq_lt(c.snd_nxt, c.snd_una)) c.snd_nxt = c.snd_una;
        if (c.rtt_sent_at >= 0 && seq_ge(seg.ack, c.rtt_seq)) {
            rtt_sample(c, sim_.now() - c.rtt_sent_at);
            c.rtt_sent_at = -1;
        } else if (c.rtt_valid) {
            c.rto = std::min(c.srtt + std::max(4 * c.rttvar, p_.rto_min), p_.rto_max);
        }
        c.retransmits = 0;
        c.total_rto = 0;
        c.dupacks = 0;
        c.tlp_done = false;
        c.head_sent_at = sim_.now();
        // RFC 5681 §3.1: slow start below ssthresh, then about one segment per RTT.
        if (c.cwnd < c.ssthresh)
            ++c.cwnd;
        else if (c.cwnd < 1000)
            c.cwnd += (c.cwnd > 0 && seg.ack % c.cwnd == 0) ? 1 : 0;
        if (c.snd_una == c.snd_max)
            disarm(c, TimerKind::Retransmit);
        else
            arm_retransmit(c);
        trace_buffers(c);
        wake_tcb(c);
    } else if (seg.ack == c.snd_una && seg.len() == 0 && !(seg.flags & FIN) &&
               c.snd_una != c.snd_max && new_wnd == c.snd_wnd) {
        // RFC 5681 §3.2: the third duplicate ACK triggers a fast retransmit of the oldest segment.
        if (++c.dupacks == 3) {
            c.ssthresh = std::max<std::uint32_t>(c.cwnd / 2, 2);
            c.cwnd = c.ssthresh + 3;
            note(conn_name(c.tuple), "fast_retransmit");
            const Seq keep = c.snd_nxt;
            const bool fin_was_sent = c.fin_sent;
            c.snd_nxt = c.snd_una;
            if (c.fin_sent && seq_le(c.snd_nxt, c.fin_seq)) c.fin_sent = false;
            const std::uint32_t save_cwnd = c.cwnd;
            c.cwnd = 1;
            output(c);
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
            set_state(c, State::FinWait2, cause);
            wake_tcb(c);
            if (c.orphan && data_after_close(c, seg)) {
                reset_on_data_after_close(c, seg);
                return false;
            }
            if (c.orphan && !(seg.flags & FIN)) {
                // Linux tcp_rcv_state_process(): an orphan waits tcp_fin_timeout in a
                // FIN-WAIT-2 timewait socket; TCP_LINGER2 < 0 resets at once.
                if (c.linger2 < 0) {
                    send_rst(c);
                    connection_reset(c, Errno::econnreset, cause);
                    return false;
                }
                const Time tmo = c.linger2 > 0 ? sec(c.linger2) : p_.fin_timeout;
                enter_time_wait(c, State::FinWait2, tmo, cause);
                return false;
            }
            break;
        case State::Closing:
            if (fin_acked) {
                // "If the ACK acknowledges our FIN, then enter the TIME-WAIT state".
                enter_time_wait(c, State::TimeWait, p_.time_wait, cause);
                return false;
            }
            break;
        case State::LastAck:
            if (fin_acked) {
                // "The only thing that can arrive in this state is an acknowledgment of our FIN.
                // If our FIN is now acknowledged, delete the TCB, enter the CLOSED state".
                set_state(c, State::Closed, cause);
                connection_done(c, cause);
                return false;
            }
            break;
        default: break;
    }
    output(c);
    return true;
}

void Host::rcv_text(Tcb& c, Segment& seg) {
    // "seventh, process the segment text" — only ESTABLISHED, FIN-WAIT-1 and FIN-WAIT-2 take
    // data; CLOSE-WAIT, CLOSING and LAST-ACK have seen the FIN and ignore it.
    if (seg.len() == 0) return;
    if (c.state != State::Established && c.state != State::FinWait1 && c.state != State::FinWait2)
        return;
    const Seq seq = seg.seq;
    const Seq end = seq + seg.len();
    if (seq_le(end, c.rcv_nxt)) {
        // An old duplicate: Linux tcp_data_queue() forces an immediate ACK (and a D-SACK).
        send_ack(c);
        return;
    }
    if (seq_gt(seq, c.rcv_nxt)) {
        // Out of order: keep it and send a duplicate ACK at once (RFC 5681 §4.2).
        c.ooo.emplace(seq, seg.payload);
        send_ack(c);
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
    trace_buffers(c);
    wake_tcb(c);
    if (filled_hole) send_ack(c);
}

Host::FinResult Host::rcv_fin(Tcb& c, Segment& seg) {
    const std::string cause = "seg:" + std::to_string(seg.id);
    const bool in_order = seg.seq + seg.len() == c.rcv_nxt;
    if (c.fin_received) {
        // A retransmitted FIN: ACK it again.
        if (seg.seq + seg.len() + 1 == c.rcv_nxt) {
            send_ack(c);
            return FinResult::Acked;
        }
        return FinResult::None;
    }
    if (!in_order) return FinResult::None;  // data before it is missing: wait for it
    // "eighth, check the FIN bit": the FIN consumes one sequence number; signal EOF.
    c.rcv_nxt += 1;
    c.rcv_adv_id = seg.id;
    c.fin_received = true;
    wake_tcb(c);
    switch (c.state) {
        case State::SynReceived:
        case State::Established:
            // "Enter the CLOSE-WAIT state". Linux tcp_fin() enters ping-pong mode, so the ACK is
            // delayed: an application that closes at once sends its FIN with it (3-segment close).
            set_state(c, State::CloseWait, cause);
            c.pingpong = true;
            ack_received_data(c, false);
            return FinResult::Acked;
        case State::FinWait1:
            // "If our FIN has been ACKed ... enter TIME-WAIT ... otherwise, enter CLOSING".
            send_ack(c);
            set_state(c, State::Closing, cause);
            return FinResult::Acked;
        case State::FinWait2:
            // "Enter the TIME-WAIT state. Start the time-wait timer, turn off the other timers."
            send_ack(c);
            enter_time_wait(c, State::TimeWait, p_.time_wait, cause);
            return FinResult::Dead;
        default: return FinResult::None;
    }
}

void Host::rcv_established_family(Tcb& c, Segment& seg) {
    const std::string conn = sim_.trace().on() ? conn_name(c.tuple) : std::string();
    auto discard = [&](const char* reason) { discard_segment(seg, reason); };
    // RFC 7323 §5.3 PAWS: a timestamp older than TS.Recent marks an old duplicate.
    if (c.ts_ok && seg.opts.ts_val && !(seg.flags & RST) &&
        static_cast<std::int32_t>(*seg.opts.ts_val - c.ts_recent) < 0) {
        discard("paws");
        send_ack(c);
        return;
    }
    // first: sequence number check.
    if (!acceptable(c, seg)) {
        // "If an incoming segment is not acceptable, an acknowledgment should be sent in reply
        // (unless the RST bit is set ...)" (§3.10.7.4, MUST-??; RFC 5961 drops RSTs silently).
        discard("out_of_window");
        if (!(seg.flags & RST)) send_ack(c);
        return;
    }
    if (c.ts_ok && seg.opts.ts_val && seq_le(seg.seq, c.rcv_wup)) {
        // RFC 7323 §4.3: remember the peer's timestamp for segments at the left window edge.
        c.ts_recent = *seg.opts.ts_val;
        c.ts_recent_stamp = sim_.now();
    }
    // second: the RST bit.
    if (seg.flags & RST) return rcv_rst(c, seg);
    // fourth: the SYN bit. RFC 5961 §4.2: a challenge ACK, whatever the sequence number.
    if (seg.flags & SYN) {
        discard("syn_in_synchronized_state");
        note(conn, "challenge_ack", {{"seg_id", seg.id}, {"why", "syn"}});
        send_ack(c);
        return;
    }
    // fifth: the ACK field. "If the ACK bit is off, drop the segment and return".
    if (!(seg.flags & ACK)) return discard("no_ack");
    if (!rcv_ack(c, seg)) return;  // the connection ended or the segment was dropped
    // Linux tcp_rcv_state_process(): new data after the receive side was shut down (close())
    // in FIN-WAIT-1/2 is answered with a RST ("RFC 1122 says we MUST send a reset").
    if ((c.state == State::FinWait1 || c.state == State::FinWait2) && data_after_close(c, seg)) {
        reset_on_data_after_close(c, seg);
        return;
    }
    // seventh: segment text.
    const Seq before_text = c.rcv_nxt;
    rcv_text(c, seg);
    const bool data = c.rcv_nxt != before_text;
    // eighth: the FIN bit.
    if (seg.flags & FIN) {
        if (rcv_fin(c, seg) != FinResult::None) return;  // it sent or scheduled the ACK
    }
    if (data) ack_received_data(c, false);
}

bool Host::data_after_close(const Tcb& c, const Segment& seg) const {
    return c.rcv_shutdown && seg.len() > 0 && seq_gt(seg.seq + seg.len(), c.rcv_nxt);
}

void Host::reset_on_data_after_close(Tcb& c, Segment& seg) {
    reply_rst(seg, "rst_data_after_close", conn_name(c.tuple));
    connection_reset(c, Errno::econnreset, "seg:" + std::to_string(seg.id));
}

}  // namespace tcplab
