// User calls on a connection (RFC 9293 §3.10.1-3.10.6) as Linux carries them out once the
// socket layer (the host's socket_api.cpp) has checked the socket: OPEN, SEND, RECEIVE, CLOSE,
// ABORT, and the options that start or stop timers.
#include "tcplab/tcp/connection.hpp"

#include <algorithm>

namespace tcplab::tcp {

void Connection::set_state(State to, const std::string& cause, Time now) {
    now_ = now;
    const State from = state;
    state = to;
    io_.record(*this, ev::StateChange{from, to, cause});
}

void Connection::note(const char* code, ojson args) {
    io_.record(*this, ev::Note{code, std::move(args)});
}

void Connection::trace_buffers() {
    if (!io_.tracing()) return;
    // Send-Q: bytes not yet acknowledged by the peer (what `ss` shows for an established socket).
    io_.record(*this, ev::Buffers{rcvbuf.size(), sndbuf.size()});
}

void Connection::open(Time now) {
    now_ = now;
    rcv_wscale = p_.window_scaling ? 7 : 0;
    // "OPEN call, CLOSED state ... active: issue a SYN segment ... enter SYN-SENT" (§3.10.1).
    set_state(State::SynSent, "connect", now);
    send_syn(false, false, now);
}

void Connection::send(std::string_view data, Time now) {
    now_ = now;
    sndbuf.append(data);
    output();
    trace_buffers();
}

std::size_t Connection::receive(std::size_t max, std::string* out, Time now) {
    now_ = now;
    const std::size_t n = std::min(max, rcvbuf.size());
    const std::uint16_t before = window_field(false);
    if (out) out->assign(rcvbuf, 0, n);
    rcvbuf.erase(0, n);
    trace_buffers();
    // Linux tcp_cleanup_rbuf(): reading can open a window that was nearly closed; tell the
    // peer at once rather than leave it waiting for a probe.
    const std::uint16_t after = window_field(false);
    if (!retired && synchronized() && before < (mss >> rcv_wscale) &&
        after >= 2 * (mss >> rcv_wscale))
        send_ack();
    return n;
}

void Connection::shutdown_write(Time now) {
    now_ = now;
    snd_shutdown = true;
    // "CLOSE call ... ESTABLISHED: queue this until all preceding SENDs have been segmentized,
    // then form a FIN segment and send it ... enter FIN-WAIT-1" (§3.10.4); "CLOSE-WAIT: queue
    // this request until all preceding SENDs have been segmentized; then send a FIN segment,
    // enter LAST-ACK".
    if (state == State::Established || state == State::CloseWait) {
        fin_pending = true;
        set_state(state == State::Established ? State::FinWait1 : State::LastAck, "shutdown", now);
        output();
    } else if (state == State::SynSent) {
        set_state(State::Closed, "shutdown", now);
        done();
    }
}

void Connection::close(bool abort, Time now) {
    now_ = now;
    const bool unread = !rcvbuf.empty();
    rcv_shutdown = true;
    snd_shutdown = true;
    if (unread) {
        // tcp_close(): "As outlined in RFC 2525, section 2.17, we send a RST here because data
        // was lost." No FIN, no TIME-WAIT.
        note("rst_unread_data", {{"bytes", rcvbuf.size()}});
        if (synchronized() || state == State::SynReceived) send_rst(now);
        set_state(State::Closed, "close", now);
        return done();
    }
    if (abort) {
        // SO_LINGER {1, 0}: tcp_disconnect() sends a RST in ESTABLISHED, CLOSE-WAIT,
        // FIN-WAIT-1/2 and SYN-RECEIVED (tcp_need_reset()); nothing in SYN-SENT; no TIME-WAIT.
        note("abort_linger_zero");
        if (state == State::Established || state == State::CloseWait || state == State::FinWait1 ||
            state == State::FinWait2 || state == State::SynReceived)
            send_rst(now);
        set_state(State::Closed, "close", now);
        return done();
    }
    switch (state) {
        case State::SynSent:
            // "CLOSE ... SYN-SENT: Delete the TCB" — nothing is sent.
            set_state(State::Closed, "close", now);
            return done();
        case State::Established:
        case State::CloseWait:
            fin_pending = true;
            set_state(state == State::Established ? State::FinWait1 : State::LastAck, "close", now);
            return output();
        case State::FinWait2:
            // Already half-closed by shutdown(): now an orphan, it may wait tcp_fin_timeout.
            orphan_fin_wait_2("close");
            return;
        default: return;  // FIN-WAIT-1, CLOSING, LAST-ACK: the FIN is on its way already
    }
}

void Connection::set_keepalive(bool on, Time now) {
    now_ = now;
    const bool was = keepalive;
    keepalive = on;
    if (keepalive && !was && synchronized())
        arm_keepalive(sec(keepidle ? keepidle : p_.keepalive_time));
    if (!keepalive && was) disarm(TimerKind::Keepalive, now);
}

void Connection::set_keepidle(int secs, Time now) {
    now_ = now;
    keepidle = secs;
    if (keepalive && synchronized() && !retired) arm_keepalive(sec(secs));
}

void Connection::set_nodelay(bool on, Time now) {
    now_ = now;
    nodelay = on;
    if (!retired) output();
}

}  // namespace tcplab::tcp
