// The handshake's middle (RFC 9293 §3.10.7.2-§3.10.7.4): the SYN a listener accepted, and
// SEGMENT ARRIVES in SYN-RECEIVED, with what Linux adds (net/ipv4/tcp_minisocks.c
// tcp_check_req()). The listener's queues themselves are the host's (listen.cpp).
#include "tcplab/tcp/connection.hpp"

namespace tcplab::tcp {

void Connection::syn_arrives_in_listen(const Segment& seg, Time now) {
    now_ = now;
    irs = seg.seq;
    rcv_nxt = seg.seq + 1;
    rcv_wup = rcv_nxt;
    rcv_adv_id = seg.id;
    process_options(seg);
    last_rcv = now;
    // "set RCV.NXT to SEG.SEQ+1, IRS is set to SEG.SEQ ... <SEQ=ISS><ACK=RCV.NXT><CTL=SYN,ACK>
    // ... the connection state should be changed to SYN-RECEIVED".
    set_state(State::SynReceived, "seg:" + std::to_string(seg.id), now);
}

void Connection::syn_received(Segment& seg) {
    Tcb& c = *this;
    const std::string cause = "seg:" + std::to_string(seg.id);
    // Linux tcp_check_req(): a retransmitted SYN (same ISN) gets the SYN,ACK again.
    if ((seg.flags & (SYN | ACK | RST)) == SYN && seg.seq == c.irs) {
        Segment s = make_segment(SYN | ACK, c.iss);
        s.opts.mss = static_cast<std::uint16_t>(p_.mtu - 40);
        if (c.sack_ok) s.opts.sack_ok = true;
        if (c.wscale_ok) s.opts.wscale = c.rcv_wscale;
        transmit(std::move(s), true);
        return;
    }
    if (!c.passive && (seg.flags & (SYN | ACK | RST)) == (SYN | ACK) && seg.seq == c.irs &&
        seq_lt(c.snd_una, seg.ack) && seq_le(seg.ack, c.snd_max)) {
        // Simultaneous open, the other side's SYN,ACK (RFC 9293 Figure 8, line 5): it
        // acknowledges our SYN, so ESTABLISHED. Linux lets it through tcp_validate_incoming()
        // and, its SYN being old, answers it with an immediate ACK (tcp_data_queue()).
        syn_acked(seg);
        c.snd_wnd = static_cast<std::uint32_t>(seg.window) << c.snd_wscale;
        c.snd_wl1 = seg.seq;
        c.snd_wl2 = seg.ack;
        established(cause, now_);
        send_ack();
        output();
        return;
    }
    if (!acceptable(seg)) {
        if (!(seg.flags & RST)) send_ack();
        return;
    }
    if (seg.flags & RST) {
        // §3.10.7.4 SYN-RECEIVED: "If this connection was initiated with a passive OPEN, then
        // return this connection to the LISTEN state"; initiated actively: "connection refused".
        if (c.passive) {
            io_.detach(*this);
            set_state(State::Closed, cause, now_);
            io_.free(*this);
        } else {
            connection_reset(Errno::econnrefused, cause);
        }
        return;
    }
    if (seg.flags & SYN) {
        if (c.passive) {
            // Linux tcp_check_req(): a SYN with another sequence number kills the request and
            // is answered with a RST (embryonic_reset).
            io_.reply_rst(seg, "rst_syn_in_syn_received", nullptr);
            io_.detach(*this);
            set_state(State::Closed, cause, now_);
            io_.free(*this);
        } else {
            note("challenge_ack", {{"seg_id", seg.id}, {"why", "syn"}});
            send_ack();
        }
        return;
    }
    if (!(seg.flags & ACK)) return;
    // "If SND.UNA < SEG.ACK =< SND.NXT, then enter ESTABLISHED ... If the segment
    // acknowledgment is not acceptable, form a reset segment <SEQ=SEG.ACK><CTL=RST>".
    if (!(seq_lt(c.snd_una, seg.ack) && seq_le(seg.ack, c.snd_max))) {
        io_.reply_rst(seg, "rst_bad_ack_syn_received", nullptr);
        return;
    }
    if (c.passive) {
        if (io_.accept_queue_full(*this)) {
            if (p_.abort_on_overflow) {
                note("accept_queue_full_abort");
                io_.reply_rst(seg, "rst_accept_queue_full", nullptr);
                io_.detach(*this);
                set_state(State::Closed, cause, now_);
                io_.free(*this);
                return;
            }
            // Linux tcp_check_req() listen_overflow: drop the ACK, remember it (req->acked) and
            // keep retransmitting the SYN,ACK; the client is already ESTABLISHED.
            c.acked_on_overflow = true;
            note("accept_queue_full_ack_dropped");
            discard(seg, "accept_queue_full");
            return;
        }
    }
    syn_acked(seg);
    c.snd_wnd = static_cast<std::uint32_t>(seg.window) << c.snd_wscale;
    c.snd_wl1 = seg.seq;
    c.snd_wl2 = seg.ack;
    if (c.passive)
        io_.child_established(*this, cause);
    else
        established(cause, now_);
    // Data and FIN in the same segment are processed as in ESTABLISHED.
    if (seg.len() > 0 || (seg.flags & FIN))
        synchronized_states(seg);
    else
        output();
}

}  // namespace tcplab::tcp
