// TIME-WAIT (RFC 9293 §3.10.7.4, §3.6.1) in the compact form Linux keeps it
// (net/ipv4/tcp_minisocks.c, tcp_time_wait() and tcp_timewait_state_process()): a connection
// that enters TIME-WAIT hands its few remaining facts to a record here and ends. Every segment
// and the timer of a connection in TIME-WAIT are handled in this file, and only here.
#include "tcplab/host.hpp"

#include <algorithm>

namespace tcplab {

bool Host::take_tw_bucket(Connection& c) {
    // An orphan in FIN-WAIT-2 is a timewait socket in Linux (tw_substate TCP_FIN_WAIT2) and
    // takes a bucket of tcp_max_tw_buckets like one in TIME-WAIT; it gives it back when it ends
    // or enters TIME-WAIT (Host::retire).
    if (static_cast<int>(tw_count_) >= p_.max_tw_buckets) {
        note(conn_name(c.tuple), "tw_bucket_overflow", {{"max", p_.max_tw_buckets}});
        return false;
    }
    c.tw_bucket = true;
    ++tw_count_;
    stats_.peak_time_wait = std::max(stats_.peak_time_wait, tw_count_);
    return true;
}

void Host::enter_time_wait(Connection& c, Time timeout, const std::string& cause, bool ack_fin) {
    c.disarm_all(now());
    if (c.tw_bucket) {        // an orphan leaving FIN-WAIT-2 keeps its bucket (Linux changes the
        c.tw_bucket = false;  // timewait socket's substate in place)
        --tw_count_;
    }
    if (static_cast<int>(tw_count_) >= p_.max_tw_buckets) {
        // tcp_time_wait(): "TCP: time wait bucket table overflow" — the socket is destroyed at
        // once, so no TIME-WAIT protects this 4-tuple. tcp_fin() has ACKed the FIN already.
        if (ack_fin) c.ack_now(now());
        note(conn_name(c.tuple), "tw_bucket_overflow", {{"max", p_.max_tw_buckets}});
        c.set_state(State::Closed, cause, now());
        connection_done(c);
        return;
    }
    if (c.state != State::TimeWait) c.set_state(State::TimeWait, cause, now());
    std::uint32_t slot;
    if (!free_tws_.empty()) {
        slot = free_tws_.back();
        free_tws_.pop_back();
    } else {
        slot = static_cast<std::uint32_t>(tws_.size());
        tws_.emplace_back();
    }
    TimeWaitSock& tw = tws_[slot];
    tw = TimeWaitSock{};
    tw.tuple = c.tuple;
    tw.snd_nxt = c.snd_max;
    tw.rcv_nxt = c.rcv_nxt;
    tw.iss = c.iss;
    tw.irs = c.irs;
    tw.ts_ok = c.ts_ok;
    tw.ts_recent = c.ts_recent;
    tw.ts_recent_stamp = c.ts_recent_stamp;
    tw.ts_offset = c.ts_offset;
    tw.rcv_wnd = c.window_field(false);
    tw.live = true;
    tw.reuse = c.reuse;
    tw.holds_port = c.holds_port;
    c.holds_port = false;  // the port now belongs to the TIME-WAIT socket
    ++tw_count_;
    ++stats_.time_wait_entered;
    stats_.peak_time_wait = std::max(stats_.peak_time_wait, tw_count_);
    // Its trace facts, read before the connection is freed.
    if (trace().on()) {
        if (tw_facts_.size() < tws_.size()) tw_facts_.resize(tws_.size());
        tw_facts_[slot] = {c.snd_adv_syn ? 0 : c.snd_adv_id, c.rcv_adv_id};
    }
    // The full socket is gone; an application that still holds it sees a closed socket.
    c.fin_received = true;
    if (c.fd >= 0) {
        retire(c);
        wake(c.fd);
    } else {
        free_tcb(c);
    }
    demux_[tw.tuple] = Demux{true, slot};
    if (ack_fin) tw_send_ack(tw);
    tw_schedule(tw, timeout);
}

void Host::tw_schedule(TimeWaitSock& tw, Time timeout) {
    tw.token = next_token_++;
    tw.expires = now() + timeout;
    const auto slot = static_cast<std::uint32_t>(&tw - tws_.data());
    env_.schedule_timer(tw.expires, index_, slot, TimerKind::TimeWait, tw.token);
    if (trace().on())
        trace_timer(conn_name(tw.tuple), TimerName::TimeWait, ev::Timer::Action::Set, tw.expires);
    else
        trace().count();
}

void Host::on_tw_timer(std::uint32_t slot, std::uint32_t token) {
    if (slot >= tws_.size()) return;
    TimeWaitSock& tw = tws_[slot];
    if (!tw.live || tw.token != token) return;
    if (trace().on())
        trace_timer(conn_name(tw.tuple), TimerName::TimeWait, ev::Timer::Action::Fire, -1);
    else
        trace().count();
    // "If the time-wait timeout expires on a connection, delete the TCB, enter the CLOSED
    // state" (§3.10.8).
    ++stats_.time_wait_expired;
    tw_kill(tw, std::string("timer:") + timer_name(TimerName::TimeWait));
}

void Host::tw_kill(TimeWaitSock& tw, const std::string& cause) {
    // A timer that did not fire is cancelled, so renderers can close its bracket.
    if (trace().on() && cause.rfind("timer:", 0) != 0)
        trace_timer(conn_name(tw.tuple), TimerName::TimeWait, ev::Timer::Action::Cancel, -1);
    if (trace().on())
        trace_state(conn_name(tw.tuple), State::TimeWait, State::Closed, cause, &tw.tuple);
    else
        trace().count();
    auto it = demux_.find(tw.tuple);
    if (it != demux_.end() && it->second.tw) demux_.erase(it);
    if (tw.holds_port) port_release(tw.tuple.lport, tw.reuse, false);
    tw.live = false;
    tw.token = 0;
    --tw_count_;
    free_tws_.push_back(static_cast<std::uint32_t>(&tw - tws_.data()));
}

void Host::tw_send_ack(TimeWaitSock& tw) {
    // tcp_v4_timewait_ack(): <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>, timestamps kept alive.
    Segment s;
    s.src = tw.tuple.local();
    s.dst = tw.tuple.remote();
    s.seq = tw.snd_nxt;
    s.ack = tw.rcv_nxt;
    s.flags = ACK;
    s.window = tw.rcv_wnd;
    if (tw.ts_ok) {
        s.opts.ts_val = static_cast<std::uint32_t>(now() / 1000) + tw.ts_offset;
        s.opts.ts_ecr = tw.ts_recent;
    }
    Tcb numbers;  // only for the trace's relative sequence numbers
    numbers.iss = tw.iss;
    numbers.irs = tw.irs;
    SendWhy why;
    why.ack = SendWhy::AckRule::RcvNxt;
    const bool tracing = trace().on();
    const auto slot = static_cast<std::size_t>(&tw - tws_.data());
    if (tracing && slot < tw_facts_.size()) {
        why.seq_after = tw_facts_[slot][0];
        why.ack_after = tw_facts_[slot][1];
    }
    emit(std::move(s), tracing ? conn_name(tw.tuple) : std::string(), &numbers, false, why);
}

void Host::rcv_time_wait(TimeWaitSock& tw, Segment& seg) {
    const std::string cause = "seg:" + std::to_string(seg.id);
    // RFC 7323 §5 PAWS with the timestamp remembered in TIME-WAIT.
    const bool paws_reject = tw.ts_ok && seg.opts.ts_val &&
                             static_cast<std::int32_t>(*seg.opts.ts_val - tw.ts_recent) < 0;

    if (!paws_reject && seg.seq == tw.rcv_nxt && (seg.seg_len() == 0 || (seg.flags & RST))) {
        // "In window segment, it may be only reset or bare ack."
        if (seg.flags & RST) {
            if (p_.rfc1337) {
                // RFC 1337 F1: ignore RST in TIME-WAIT (tcp_rfc1337 = 1).
                note(conn_name(tw.tuple), "rst_ignored_rfc1337", {{"seg_id", seg.id}});
                return;
            }
            // tcp_rfc1337 = 0 (Linux's default): "TIME_WAIT assassination" (RFC 1337 §2).
            note(conn_name(tw.tuple), "time_wait_assassinated", {{"seg_id", seg.id}});
            return tw_kill(tw, cause);
        }
        tw_schedule(tw, p_.time_wait);
        return;
    }
    // RFC 6191 (and RFC 9293 §3.10.7.4 MAY-2): a new SYN may reopen the 4-tuple when its
    // sequence number (or timestamp) is newer than anything of the old connection.
    if ((seg.flags & (SYN | RST | ACK)) == SYN && !paws_reject &&
        (seq_gt(seg.seq, tw.rcv_nxt) ||
         (tw.ts_ok && seg.opts.ts_val &&
          static_cast<std::int32_t>(tw.ts_recent - *seg.opts.ts_val) < 0))) {
        const int lfd = lookup_listener(seg.dst);
        if (lfd >= 0) {
            Seq isn = tw.snd_nxt + 65535 + 2;  // tcp_timewait_state_process(): TCP_TW_SYN
            if (isn == 0) ++isn;
            note(conn_name(tw.tuple), "time_wait_reopened", {{"seg_id", seg.id}, {"isn", isn}});
            tw_kill(tw, cause);
            tw_isn_hint_ = isn;
            rcv_listen(lfd, seg);
            return;
        }
    }
    if (!(seg.flags & RST)) {
        // "The only thing that can arrive in this state is a retransmission of the remote FIN.
        // Acknowledge it, and restart the 2 MSL timeout." Linux restarts the timer for any
        // segment with ACK (or one rejected by PAWS) and ACKs it.
        if (paws_reject || (seg.flags & ACK)) {
            if (seg.flags & FIN)
                note(conn_name(tw.tuple), "time_wait_restart", {{"seg_id", seg.id}});
            tw_schedule(tw, p_.time_wait);
        }
        tw_send_ack(tw);
    }
}

}  // namespace tcplab
