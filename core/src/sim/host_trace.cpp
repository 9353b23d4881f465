// What a host writes into the trace: its own events (queues, notes, discards, the segments it
// sends, RSTs for segments no connection takes) and its connections' typed events
// (sim/host_io.cpp), with the host's name, the connection's name and the time. Segments go to
// the wire as requests in the HostEnv's outbox.
#include "tcplab/host.hpp"

namespace tcplab {

Host::Step Host::step() const { return {env_.executed, now()}; }

bool Host::wanted(Want w, std::uint8_t flags) {
    switch (w) {
        case Want::None: return false;
        case Want::Syn: return (flags & SYN) != 0;
        case Want::Fin: return (flags & FIN) != 0;
        case Want::PureAck: return (flags & (SYN | FIN | RST | ACK)) == ACK;
        case Want::Rst: return (flags & RST) != 0;
    }
    return false;
}

void Host::trace_state(const std::string& conn, State from, State to, const std::string& cause,
                       const FourTuple* t, bool passive) {
    ev::StateChange e{from, to, cause};
    sent_link_.pending = false;
    bool link = false;
    Want want = Want::None;
    const Step here = step();
    if (t) {
        // The segment this side sends as part of the transition: a SYN with SYN-SENT and
        // SYN-RECEIVED, the FIN with FIN-WAIT-1 and LAST-ACK, the handshake's third ACK with
        // ESTABLISHED, the ACK of the peer's FIN with CLOSE-WAIT, CLOSING and TIME-WAIT, a RST
        // with CLOSED. Sent before the state event (ACK of a FIN, RST) or after it.
        bool before = false, after = false;
        switch (to) {
            case State::SynSent:
            case State::SynReceived: want = Want::Syn, after = true; break;
            case State::FinWait1:
            case State::LastAck: want = Want::Fin, after = true; break;
            case State::Established:
                if (from == State::SynSent || (from == State::SynReceived && !passive))
                    want = Want::PureAck, after = true;
                break;
            case State::CloseWait: want = Want::PureAck, after = true; break;
            case State::Closing: want = Want::PureAck, before = true; break;
            case State::TimeWait: want = Want::PureAck, before = after = true; break;
            case State::Closed: want = Want::Rst, before = true; break;
            default: break;
        }
        if (before && last_sent_.id && last_sent_.tuple == *t && last_sent_.step == here &&
            wanted(want, last_sent_.flags)) {
            e.sent = last_sent_.id;
        } else {
            link = after;
        }
    }
    const std::size_t i = trace().add({now(), name_, conn, std::move(e)});
    if (link) sent_link_ = SentLink{*t, i, want, here, true};
}

void Host::trace_timer(const std::string& conn, TimerName timer, ev::Timer::Action action,
                       Time expires) {
    trace().add({now(), name_, conn, ev::Timer{timer, action, expires}});
}

void Host::trace_queue(int lfd) {
    if (!trace().on()) return trace().count();
    const Socket& l = sk(lfd);
    ev::Queue q;
    q.listener = listener_name(l.local.ip ? l.local : Addr{ip_, l.local.port});
    q.syn_queue = l.syn_queue;
    q.backlog = l.backlog;
    q.syn_max = l.backlog + 1;  // inet_csk_reqsk_queue_is_full(): qlen > backlog
    q.accept_queue = l.accept_queue.size();
    // Linux sk_acceptq_is_full(): sk_ack_backlog > sk_max_ack_backlog, so backlog + 1 fit.
    q.accept_max = l.backlog + 1;
    trace().add({now(), name_, std::string(), std::move(q)});
}

void Host::note(const std::string& conn, const char* code, ojson args) {
    if (!trace().on()) return trace().count();
    trace().add({now(), name_, conn, ev::Note{code, std::move(args)}});
}

void Host::discard_segment(std::uint32_t seg_id, const char* reason) {
    if (!trace().on()) return trace().count();
    trace().add({now(), name_, std::string(), ev::Discard{seg_id, reason}});
}

std::size_t Host::trace_send(Segment& seg, const std::string& conn, const Tcb* c,
                             bool retransmission, const SendWhy& why,
                             std::uint32_t retransmission_of) {
    seg.id = env_.next_segment_id();
    Trace& tr = trace();
    if (!tr.on()) {
        tr.count();
        return Trace::kNone;
    }
    ev::Send e;
    e.seg = ev::Send::header(seg);
    if (c) e.rel = ev::Send::rel_of(seg, c->iss, c->irs);
    e.retransmission = retransmission;
    e.retransmission_of = retransmission_of;
    e.why = why;
    const std::size_t event = tr.add({now(), name_, conn, std::move(e)});
    // The state event of a transition this segment goes with (its "sent").
    const FourTuple from{seg.src.ip, seg.dst.ip, seg.src.port, seg.dst.port};
    const Step here = step();
    last_sent_ = LastSent{from, seg.id, seg.flags, here};
    if (sent_link_.pending && sent_link_.tuple == from && sent_link_.step == here &&
        wanted(sent_link_.want, seg.flags)) {
        tr.set_sent(sent_link_.event, seg.id);
        sent_link_.pending = false;
    }
    return event;
}

std::uint32_t Host::emit(Segment&& seg, const std::string& conn, const Tcb* c, bool retransmission,
                         const SendWhy& why, std::uint32_t retransmission_of) {
    std::size_t event = Trace::kNone;
    if (trace().on()) {
        event = trace_send(seg, conn, c, retransmission, why, retransmission_of);
    } else {
        seg.id = env_.next_segment_id();
        trace().count();
    }
    const std::uint32_t id = seg.id;
    env_.send(index_, std::move(seg), event);
    return id;
}

void Host::reply_rst_to(const Segment& seg, const char* why, const std::string& conn) {
    // RFC 9293 §3.10.7.1: never answer a RST; if the segment had an ACK, <SEQ=SEG.ACK><CTL=RST>;
    // otherwise <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>. Linux tcp_v4_send_reset() agrees.
    if (seg.flags & RST) return;
    Segment r;
    r.src = seg.dst;
    r.dst = seg.src;
    if (seg.flags & ACK) {
        r.seq = seg.ack;
        r.flags = RST;
    } else {
        r.seq = 0;
        r.ack = seg.seq + seg.seg_len();
        r.flags = RST | ACK;
    }
    note(conn, why, {{"seg_id", seg.id}});
    SendWhy w;
    if (seg.flags & ACK) {
        w.seq = SendWhy::SeqRule::FromAck;
        w.seq_after = seg.id;
    } else {
        w.seq = SendWhy::SeqRule::Zero;
        w.ack = SendWhy::AckRule::SegEnd;
        w.ack_after = seg.id;
    }
    // The trace's relative numbers count from the peer's ISNs (Host::rst_rel), which only the
    // simulator can look up: it sets them as it puts the RST on the wire.
    const Seq answered_seq = seg.seq;
    const bool answered_syn = (seg.flags & SYN) != 0;
    const std::size_t event = trace_send(r, std::string(), nullptr, false, w, 0);
    env_.send_rst_reply(index_, std::move(r), event, answered_seq, answered_syn);
}

std::optional<ev::Send::Rel> Host::rst_rel(const Segment& rst, Seq answered_seq, bool answered_syn,
                                           bool known, Seq peer_iss, Seq peer_irs) {
    // Counted as the peer's connection counts them (its ISS is this reply's IRS), so a learner
    // reads "RST,ACK seq=0 ack=1" beside "SYN seq=0", not a 32-bit ISN. A RST,ACK's sequence
    // number is a plain 0: it has no sequence space of its own.
    if (rst.flags & ACK) {
        // A SYN answered gives its sender's ISN even when no connection sent it (a forged SYN).
        if (!known && !answered_syn) return std::nullopt;
        return ev::Send::rel_of(rst, 0, known ? peer_iss : answered_seq);
    }
    if (!known) return std::nullopt;
    return ev::Send::rel_of(rst, peer_irs, peer_iss);
}

}  // namespace tcplab
