// The capture observer (observer.hpp): a segment reaches its receiver, which checks it in the
// order of RFC 9293 §3.10.7 (RST, SYN, ACK, FIN); or it never did (an inferred loss).
#include "observer.hpp"

#include <algorithm>
#include <cmath>

namespace tcplab::observer {

// The segment reaches its receiver (at time t), unless the receiver's later behaviour shows
// it never did (infer_losses).
void Explainer::arrived(uint32_t idx, int64_t t) {
    const CapturedSegment& s = cap_.segments[idx];
    const SegState& ps = per_seg_[idx];
    Conn& c = *ps.conn;
    End& x = c.e[ps.xi];
    End& y = c.e[1 - ps.xi];
    const uint64_t id = ps.id;
    const bool keepalive = ps.keepalive;
    const bool syn = s.flags & SYN, ackf = s.flags & ACK, fin = s.flags & FIN, rst = s.flags & RST;
    const std::string cause = "seg:" + std::to_string(id);
    if (lost_[idx] != kNotLost) {
        lost(c, x, y, s, t, id, Loss(lost_[idx]));
        return;
    }
    if (opt_.events && wanted(c))
        push({{"t_us", t}, {"kind", "deliver"}, {"host", y.host}, {"seg_id", id}});
    // (In SYN_SENT a SYN+ACK with an unacceptable ACK gets the same RST from the live
    // connection, RFC 9293 §3.10.7.3: that is not a vanished end.)
    const bool bad_ack_in_syn_sent =
        y.state == State::SynSent && y.iss_known && (s.flags & ACK) && s.ack != y.iss + 1;
    if (reset_answer_[idx] && y.state != State::Closed && y.state != State::Listen &&
        y.state != State::TimeWait && !bad_ack_in_syn_sent) {
        // The receiver answers with a bare RST <SEQ=SEG.ACK>: it has no such connection
        // (RFC 9293 §3.10.7.1; Linux tcp_v4_send_reset), so its end was gone before this
        // segment arrived, though nothing on the wire closed it.
        if (y.state == State::FinWait2) {
            // An orphaned FIN_WAIT_2 ends when tcp_fin_timeout runs out (Linux, 60 s by
            // default; RFC 9293 has no such timer): it closed before this segment arrived.
            note(c, t, &y, "cap_fin_wait_2_gone");
            state(c, y, t, State::Closed, "timer:fin_wait_2", true);
        } else if (y.state == State::SynSent) {
            // close() in SYN_SENT deletes the connection and sends nothing (RFC 9293
            // §3.10.4; Linux tcp_close -> tcp_set_state(TCP_CLOSE)), and so does a connect()
            // that gives up: the SYN+ACK finds no socket.
            note(c, t, &y, "cap_gone_in_syn_sent");
            timer(c, y, t, "syn_retransmit", "cancel");
            state(c, y, t, State::Closed, "close", true);
        } else {
            // Nothing on the wire closed it: the host lost its state (a crash or reboot,
            // or the connection was aborted without a RST reaching the capture point).
            note(c, t, &y, "cap_conn_gone", [&] {
                return ordered_json{{"state", state_name(y.state)}};
            });
            state(c, y, t, State::Closed, "crash", true);
        }
        return;  // the segment reached no connection: only the RST answers it
    }
    // --- the receiver's side (RFC 9293 §3.10.7: RST, SYN, ACK, FIN in that order) ---
    if (rst) {
        receiver_rst(c, x, y, s, t, cause);
    } else {
        if (syn && ackf && y.state == State::SynSent) {
            if (s.ack == y.iss + 1 || !y.iss_known) {
                y.snd_una = s.ack, y.una_known = true;
                await_ack(y, state(c, y, t, State::Established, cause), s.seq + s.seg_len());
                c.established_once = true;
                if (c.syn_us >= 0) c.rtt_us = t - c.syn_us;
                timer(c, y, t, "syn_retransmit", "cancel");
                note(c, t, &y, "cap_established_client",
                     {{"rtt_ms", c.rtt_us >= 0 ? std::round(double(c.rtt_us) / 10) / 100 : 0.0}});
            } else {
                note(c, t, &x, "cap_unacceptable_ack", {{"ack", s.ack}, {"snd_nxt", y.snd_nxt}});
            }
        } else if (ackf) {
            receive_ack(c, x, y, s, t, cause, keepalive);
        }
        if (s.len > 0 && (y.state == State::Closed && y.seen) && !rst)
            note(c, t, &y, "cap_data_to_closed", [&] {
                return ordered_json{{"state", state_name(y.state)}};
            });
        if (s.len > 0) y.got_data = true;
        if (fin && !rst) receive_fin(c, x, y, s, t, cause);
    }
    if (ackf && !rst) {
        x.last_ack_valid = true;
        x.last_ack = s.ack;
        x.last_win = s.win;
    }
}

// A segment its receiver behaved as if it never got (infer_losses). Beyond the capture point
// it is an inferred drop: lost in the network, or thrown away by the receiver, which a
// capture elsewhere cannot tell apart. At the receiver's own interface (loopback, or a
// handshake that puts the capture point there) it did arrive: an inferred discard.
void Explainer::lost(Conn& c, End& x, End& y, const CapturedSegment& s, int64_t t, uint64_t id,
                     Loss why) {
    const bool here = receiver_at_capture_point(s);
    if (opt_.events && wanted(c)) {
        if (here) {
            push({{"t_us", t}, {"kind", "deliver"}, {"host", y.host}, {"seg_id", id}});
            push({{"t_us", t},
                  {"kind", "discard"},
                  {"host", y.host},
                  {"seg_id", id},
                  {"reason", "ignored"},
                  {"inferred", true}});
        } else {
            push({{"t_us", t},
                  {"kind", "drop"},
                  {"seg_id", id},
                  {"reason", "loss"},
                  {"inferred", true}});
        }
    }
    static const char* names[] = {"", "retransmitted", "ack_ignored", "unanswered",
                                  "ack_still_ignored"};
    // What it was, for the note: Linux drops a SYN while the accept queue is full
    // (tcp_conn_request) and ignores the ACK of its SYN+ACK then (tcp_check_req,
    // listen_overflow); nothing like that applies to other segments.
    const bool bare_syn = (s.flags & (SYN | ACK)) == SYN;
    const bool ack_of_synack = why == kAckIgnored && y.state == State::SynReceived;
    std::string code = here ? "cap_inferred_discard" : "cap_inferred_loss";
    if (why == kUnanswered)
        code += "_probe";
    else if (why == kAckStillIgnored)
        code += "_synack_ack_assumed";
    else if (why == kAckIgnored)
        code += ack_of_synack ? "_synack_ack" : "_ack";
    else if (bare_syn)
        code += "_syn";
    note(c, t, &y, code, [&] { return ordered_json{{"why", names[why]}, {"from", x.host}}; });
}

void Explainer::receiver_rst(Conn& c, End& x, End& y, const CapturedSegment& s, int64_t t,
                             const std::string& cause) {
    if (y.state == State::SynSent) {
        // RFC 9293 §3.10.7.3: acceptable if the ACK acknowledges our SYN.
        if ((s.flags & ACK) && (!y.iss_known || s.ack == y.iss + 1)) {
            timer(c, y, t, "syn_retransmit", "cancel");
            note(c, t, &y, "cap_reset", [&] {
                return ordered_json{{"state", state_name(y.state)},
                                    {"errno", errno_name(Errno::econnrefused)}};
            });
            state(c, y, t, State::Closed, cause);
        } else {
            note(c, t, &y, "cap_rst_out_of_window");
        }
        return;
    }
    if (y.state == State::Closed || y.state == State::Listen) return;
    if (y.state == State::TimeWait) {
        if (p_.rfc1337) {  // RFC 1337 fix F1: ignore RST in TIME_WAIT
            note(c, t, &y, "cap_rst_time_wait_ignored");
            return;
        }
        note(c, t, &y, "cap_rst_time_wait");
        state(c, y, t, State::Closed, cause);
        return;
    }
    // RFC 5961 §3.2: exact match resets; elsewhere in the window: challenge ACK; outside:
    // ignore. Y's RCV.NXT is what X has sent so far (X.snd_nxt before this RST; a RST takes no
    // space).
    uint32_t rcv_nxt = x.snd_nxt;
    uint64_t wnd = uint64_t(y.last_win) << std::max(0, window_shift(y, x, false));
    if (wnd == 0) wnd = 1;
    bool exact = s.seq == rcv_nxt;
    bool in_window = seq_le(rcv_nxt, s.seq) && uint64_t(uint32_t(s.seq - rcv_nxt)) < wnd;
    if (!exact && !in_window && y.last_ack_valid && s.seq == y.last_ack) exact = true;
    if (exact) {
        // Linux tcp_reset(): SYN_SENT -> ECONNREFUSED, CLOSE_WAIT -> EPIPE, otherwise
        // ECONNRESET.
        std::string err =
            errno_name(y.state == State::CloseWait ? Errno::epipe : Errno::econnreset);
        if (y.state == State::SynReceived && y.passive)
            err = "none (the connection never reached accept())";
        note(c, t, &y, "cap_reset", [&] {
            return ordered_json{{"state", state_name(y.state)}, {"errno", err}};
        });
        state(c, y, t, State::Closed, cause);
    } else if (in_window) {
        note(c, t, &y, "cap_rst_challenge");
    } else {
        note(c, t, &y, "cap_rst_out_of_window");
    }
}

void Explainer::receive_ack(Conn& c, End& x, End& y, const CapturedSegment& s, int64_t t,
                            const std::string& cause, bool keepalive) {
    // Acceptable ACK range (RFC 9293 §3.10.7.4): never beyond what the peer sent.
    if (y.seen && y.iss_known && seq_lt(y.snd_nxt, s.ack)) {
        note(c, t, &x, "cap_unacceptable_ack",
             {{"ack", uint32_t(s.ack - y.base)}, {"snd_nxt", uint32_t(y.snd_nxt - y.base)}});
        return;
    }
    // Duplicate ACKs (RFC 5681 §2): pure ACK, same ack and window, data outstanding.
    bool pure = s.len == 0 && !(s.flags & (SYN | FIN | RST));
    if (pure && !keepalive && x.last_ack_valid && s.ack == x.last_ack && s.win == x.last_win &&
        y.seen && s.ack != y.snd_nxt) {
        ++x.dups;
        if (x.dups == 3 && !x.dup_noted) {
            x.dup_noted = true;
            note(c, t, &x, "cap_dup_ack", [&] {
                return ordered_json{{"ack", uint32_t(s.ack - y.base)}, {"n", x.dups}};
            });
        }
    } else if (!pure || s.ack != x.last_ack) {
        x.dups = 0;
        x.dup_noted = false;
    }
    if (!y.una_known || seq_lt(y.snd_una, s.ack)) {
        y.snd_una = s.ack;
        y.una_known = true;
        while (!y.sent.empty() && seq_le(y.sent.front().end, s.ack)) y.sent.pop_front();
    }
    if (y.rtx_timer && y.snd_una == y.snd_nxt) {
        y.rtx_timer = false;
        timer(c, y, t, "retransmit", "cancel");
    }
    if (y.state == State::SynReceived && (!y.iss_known || seq_le(y.iss + 1, s.ack))) {
        state(c, y, t, State::Established, cause);
        timer(c, y, t, "synack_retransmit", "cancel");
        c.established_once = true;
        if (y.passive) note(c, t, &y, "cap_handshake_done");
    }
    if (y.fin_sent && !y.fin_acked && seq_le(y.fin_seq + 1, s.ack)) {
        y.fin_acked = true;
        State from = y.state, to = from;
        if (from == State::FinWait1)
            to = State::FinWait2;
        else if (from == State::Closing)
            to = State::TimeWait;
        else if (from == State::LastAck)
            to = State::Closed;
        if (to != from) {
            note(c, t, &y, "cap_fin_acked", [&] {
                return ordered_json{{"from", state_name(from)}, {"to", state_name(to)}};
            });
            state(c, y, t, to, cause);
            if (to == State::Closed) note(c, t, &y, "cap_closed");
        }
    }
}

void Explainer::receive_fin(Conn& c, End& x, End& y, const CapturedSegment& s, int64_t t,
                            const std::string& cause) {
    (void)x;
    if (y.fin_received) {
        if (y.state == State::TimeWait) {
            note(c, t, &y, "cap_time_wait_restart");
            int side = &y == &c.e[0] ? 0 : 1;
            c.tw_expires[side] = t + p_.time_wait;
            tw_.push({t + p_.time_wait, index_of(c), side});
            timer(c, y, t, "time_wait", "set", t + p_.time_wait);
        }
        return;
    }
    if (y.state == State::Closed || y.state == State::Listen || y.state == State::SynSent) return;
    y.fin_received = true;
    State from = y.state, to = from;
    if (from == State::Established || from == State::SynReceived)
        to = State::CloseWait;
    else if (from == State::FinWait1)
        to = y.fin_acked ? State::TimeWait : State::Closing;
    else if (from == State::FinWait2)
        to = State::TimeWait;
    note(c, t, &y, "cap_fin_received", [&] {
        return ordered_json{{"from", state_name(from)}, {"to", state_name(to)}};
    });
    // CLOSE_WAIT, CLOSING and TIME_WAIT go with the ACK of this FIN.
    await_ack(y, state(c, y, t, to, cause), s.seq + s.seg_len());
}

}  // namespace tcplab::observer
