// The host around its connections: a segment or a timer goes to the connection it belongs to
// (or to a listener, a TIME-WAIT record, or a RST), and what a connection asks for (tcp::Io) is
// done here: segments and timers as requests to the simulator (HostEnv's outbox), events into
// the trace, and the connection's place in the host's tables.
#include "tcplab/host.hpp"

#include <type_traits>
#include <variant>

namespace tcplab {

void Host::receive(Segment& seg) {
    if (seg.dst.ip != ip_) return;
    const FourTuple t{ip_, seg.src.ip, seg.dst.port, seg.src.port};
    auto it = demux_.find(t);
    if (it != demux_.end()) {
        if (it->second.tw) return rcv_time_wait(tws_[it->second.slot], seg);
        return conns_[it->second.slot]->segment_arrives(seg, now());
    }
    const int lfd = lookup_listener(seg.dst);
    if (lfd >= 0) return rcv_listen(lfd, seg);
    // §3.10.7.1 CLOSED: "all data in the incoming segment is discarded", answered by a RST.
    reply_rst_to(seg, "rst_no_socket", std::string());
}

void Host::on_timer(std::uint32_t slot, TimerKind k, std::uint32_t token) {
    if (k == TimerKind::TimeWait) return on_tw_timer(slot, token);
    if (slot >= conns_.size() || !conns_[slot]) return;
    conns_[slot]->timer_fires(k, token, now());
}

void Host::connection_done(Connection& c) {
    c.disarm_all(now());
    if (c.listener_fd >= 0 && !c.in_accept_queue) detach_from_listener(c);
    if (c.fd >= 0 || c.in_accept_queue) {
        retire(c);
        wake_tcb(c);
        if (c.in_accept_queue) trace_queue(c.listener_fd);
    } else {
        free_tcb(c);
    }
}

// ---- tcp::Io ---------------------------------------------------------------------------------

bool Host::tracing() const { return trace().on(); }

void Host::record(const Connection& c, ConnEvent&& e) {
    if (!trace().on()) {
        if (!std::holds_alternative<ev::Buffers>(e)) trace().count();
        return;
    }
    if (const auto* s = std::get_if<ev::StateChange>(&e))
        return trace_state(conn_name(c.tuple), s->from, s->to, s->cause, &c.tuple, c.passive);
    std::visit(
        [&](auto&& x) {
            // A discard names no connection.
            using T = std::decay_t<decltype(x)>;
            std::string conn = std::is_same_v<T, ev::Discard> ? std::string() : conn_name(c.tuple);
            trace().add({now(), name_, std::move(conn), std::move(x)});
        },
        std::move(e));
}

std::uint32_t Host::transmit(const Connection& c, Segment&& s, bool retransmission,
                             const SendWhy& why, std::uint32_t retransmission_of) {
    std::string conn = trace().on() ? conn_name(c.tuple) : std::string();
    return emit(std::move(s), conn, &c, retransmission, why, retransmission_of);
}

void Host::reply_rst(const Segment& seg, const char* why, const Connection* c) {
    reply_rst_to(seg, why, c ? conn_name(c->tuple) : std::string());
}

std::uint32_t Host::schedule(const Connection& c, TimerKind k, Time at) {
    const std::uint32_t token = next_token_++;
    env_.schedule_timer(at, index_, c.slot, k, token);
    return token;
}

void Host::wake(const Connection& c) { wake_tcb(c); }

bool Host::accept_queue_full(const Connection& c) const {
    return accept_queue_full(socks_[static_cast<std::size_t>(c.listener_fd)]);
}

void Host::detach(Connection& c) { detach_from_listener(c); }

void Host::done(Connection& c) { connection_done(c); }

void Host::free(Connection& c) { free_tcb(c); }

}  // namespace tcplab
