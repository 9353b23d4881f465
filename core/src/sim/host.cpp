// Host tables: sockets, connections, TIME-WAIT records, demultiplexing and ports.
#include "tcplab/host.hpp"

namespace tcplab {

std::string conn_name(const FourTuple& t) {
    return addr_string(t.local()) + ">" + addr_string(t.remote());
}

std::string listener_name(Addr local) { return addr_string(local) + ">*"; }

Host::Host(HostEnv& env, int index, std::string name, std::uint32_t ip, Params params, IsnSpec isn,
           std::uint64_t secret)
    : env_(env),
      index_(index),
      name_(std::move(name)),
      ip_(ip),
      p_(std::move(params)),
      k0_(secret),
      k1_(secret * 0x9E3779B97F4A7C15ULL + 0x632BE59BD9B4E019ULL) {
    // A real clock does not start at zero: give the host an uptime drawn from its secret.
    const Time uptime = static_cast<Time>(secret % (sec(3600) * 24));
    isn_ = IsnGenerator(isn, k0_, k1_, uptime);
    port_hint_ = static_cast<std::uint32_t>(secret >> 32);
}

bool Host::valid_fd(int fd) const {
    return fd >= 0 && static_cast<std::size_t>(fd) < socks_.size() &&
           socks_[static_cast<std::size_t>(fd)].open;
}

const Socket* Host::sock(int fd) const {
    return valid_fd(fd) ? &socks_[static_cast<std::size_t>(fd)] : nullptr;
}

void Host::copy_options(tcp::Connection& c, const Socket& s) {
    c.keepalive = s.keepalive;
    c.keepidle = s.keepidle;
    c.keepintvl = s.keepintvl;
    c.keepcnt = s.keepcnt;
    c.user_timeout = s.user_timeout;
    c.linger2 = s.linger2;
    c.nodelay = s.nodelay;
    c.reuse = s.reuseaddr;
}

tcp::Connection& Host::new_tcb(const FourTuple& t, State initial) {
    std::uint32_t slot;
    tcp::Io& io = *this;
    if (!free_tcbs_.empty()) {
        slot = free_tcbs_.back();
        free_tcbs_.pop_back();
        conns_[slot] = std::make_unique<Connection>(io, p_);
    } else {
        slot = static_cast<std::uint32_t>(conns_.size());
        conns_.push_back(std::make_unique<Connection>(io, p_));
    }
    Connection& c = *conns_[slot];
    c.slot = slot;
    c.tuple = t;
    c.state = initial;
    c.rto = p_.rto_initial;
    c.cwnd = static_cast<std::uint32_t>(p_.init_cwnd);
    c.rcv_wnd = static_cast<std::uint32_t>(p_.rcvbuf / 2);
    // Linux secure_tcp_ts_off(): a per host-pair offset, no ports, so timestamps stay
    // monotonic when a 4-tuple is reused (RFC 7323 §5.4).
    c.ts_offset = static_cast<std::uint32_t>(hash_tuple(k0_, k1_, {t.lip, 0}, {t.rip, 0}, 7));
    demux_[t] = Demux{false, slot};
    return c;
}

void Host::retire(Tcb& c) {
    // The connection is over (CLOSED) but a socket still refers to it: leave the demux table
    // and the bind table, keep the error and any unread bytes for the application.
    for (std::size_t k = 0; k < kTimerKinds; ++k) c.timer_token[k] = 0;
    auto it = demux_.find(c.tuple);
    if (it != demux_.end() && !it->second.tw && it->second.slot == c.slot) demux_.erase(it);
    if (c.holds_port) port_release(c.tuple.lport, c.reuse, false);
    c.holds_port = false;
    if (c.tw_bucket) --tw_count_;
    c.tw_bucket = false;
    c.retired = true;
}

void Host::free_tcb(Tcb& c) {
    if (!c.retired) retire(c);
    if (c.fd >= 0 && valid_fd(c.fd) && sk(c.fd).tcb == c.slot) sk(c.fd).tcb = Socket::kNone;
    const std::uint32_t slot = c.slot;
    conns_[slot].reset();  // frees buffers now: a closed connection costs nothing
    free_tcbs_.push_back(slot);
}

const Tcb* Host::find_tcb(const FourTuple& t) const {
    auto it = demux_.find(t);
    if (it == demux_.end() || it->second.tw) return nullptr;
    return conns_[it->second.slot].get();
}

const TimeWaitSock* Host::find_tw(const FourTuple& t) const {
    auto it = demux_.find(t);
    if (it == demux_.end() || !it->second.tw) return nullptr;
    return &tws_[it->second.slot];
}

std::size_t Host::time_wait_footprint() const {
    // unordered_map node: key + value + next pointer + cached hash, plus one bucket pointer.
    const std::size_t node = sizeof(FourTuple) + sizeof(Demux) + 2 * sizeof(void*) + sizeof(void*);
    return sizeof(TimeWaitSock) + node;
}

bool Host::isns(const FourTuple& t, Seq* iss, Seq* irs) const {
    if (const Tcb* c = find_tcb(t)) {
        *iss = c->iss;
        *irs = c->irs;
        return true;
    }
    if (const TimeWaitSock* tw = find_tw(t)) {
        *iss = tw->iss;
        *irs = tw->irs;
        return true;
    }
    return false;
}

int Host::lookup_listener(Addr local) const {
    auto key = [](std::uint32_t ip, std::uint16_t port) {
        return (static_cast<std::uint64_t>(ip) << 16) | port;
    };
    auto it = listeners_.find(key(local.ip, local.port));
    if (it == listeners_.end()) it = listeners_.find(key(0, local.port));
    return it == listeners_.end() ? -1 : it->second;
}

bool Host::port_in_use(std::uint16_t port) const {
    auto it = ports_.find(port);
    return it != ports_.end() && it->second.users > 0;
}

void Host::port_take(std::uint16_t port, bool reuse, bool listener) {
    auto& u = ports_[port];
    ++u.users;
    if (!reuse) ++u.no_reuse;
    if (listener) ++u.listeners;
}

void Host::port_release(std::uint16_t port, bool reuse, bool listener) {
    auto it = ports_.find(port);
    if (it == ports_.end()) return;
    auto& u = it->second;
    if (u.users) --u.users;
    if (!reuse && u.no_reuse) --u.no_reuse;
    if (listener && u.listeners) --u.listeners;
    if (u.users == 0 && u.no_reuse == 0 && u.listeners == 0) ports_.erase(it);
}

bool Host::bind_conflict(std::uint16_t port, bool reuse) const {
    // Linux inet_bind_conflict(): two sockets may share a port only if both set SO_REUSEADDR
    // and neither is listening. TIME-WAIT sockets keep the flag of the socket they came from.
    auto it = ports_.find(port);
    if (it == ports_.end()) return false;
    const auto& u = it->second;
    if (u.users == 0) return false;
    if (!reuse) return true;
    return u.no_reuse > 0 || u.listeners > 0;
}

bool Host::tw_reusable(const TimeWaitSock& tw) const {
    // Linux tcp_twsk_unique() (net/ipv4/tcp_ipv4.c): only with timestamps recorded, and only
    // once tcp_tw_reuse_delay (1 s) has passed since the last timestamp was seen. Mode 2 (the
    // default) applies to loopback traffic only.
    if (p_.tw_reuse == 0 || !tw.ts_ok) return false;
    if (p_.tw_reuse == 2 && (tw.tuple.rip >> 24) != 127) return false;
    return now() - tw.ts_recent_stamp >= p_.tw_reuse_delay;
}

std::optional<std::uint16_t> Host::pick_ephemeral(Addr remote, bool* reused_tw) {
    // Linux __inet_hash_connect(): start at a per-destination offset, walk the range, take the
    // first port whose 4-tuple is unique; a TIME-WAIT 4-tuple counts as free when
    // tcp_tw_reuse allows it. The range exhausted -> EADDRNOTAVAIL.
    const std::uint32_t lo = static_cast<std::uint32_t>(p_.port_lo);
    const std::uint32_t range = static_cast<std::uint32_t>(p_.port_hi - p_.port_lo + 1);
    const std::uint32_t offset =
        static_cast<std::uint32_t>(hash_tuple(k0_, k1_, {ip_, 0}, remote, 3)) + port_hint_;
    for (std::uint32_t i = 0; i < range; ++i) {
        const auto port = static_cast<std::uint16_t>(lo + (offset + i) % range);
        if (port_in_use(port)) continue;
        FourTuple t{ip_, remote.ip, port, remote.port};
        auto it = demux_.find(t);
        if (it == demux_.end()) {
            port_hint_ += i + 1;
            *reused_tw = false;
            return port;
        }
        if (it->second.tw && tw_reusable(tws_[it->second.slot])) {
            port_hint_ += i + 1;
            *reused_tw = true;
            return port;
        }
    }
    return std::nullopt;
}

void Host::wake(int fd) {
    if (fd >= 0) env_.wake(index_, fd);
}

void Host::wake_tcb(const Tcb& c) {
    if (c.fd >= 0)
        wake(c.fd);
    else if (c.listener_fd >= 0 && c.in_accept_queue)
        wake(c.listener_fd);
}

// ---- crash and reboot ---------------------------------------------------------------------

void Host::crash() {
    // All state is lost at once and nothing is sent: the peer learns nothing (RFC 9293 §3.5.1
    // "half-open connections"). Connections vanish without state events on the wire; the trace
    // records each one ending so renderers can show it.
    for (auto& c : conns_) {
        if (!c) continue;
        if (trace().on()) trace_state(conn_name(c->tuple), c->state, State::Closed, "crash");
        free_tcb(*c);
    }
    for (auto& tw : tws_) {
        if (!tw.live) continue;
        if (trace().on()) trace_state(conn_name(tw.tuple), State::TimeWait, State::Closed, "crash");
        tw.live = false;
        tw.token = 0;
    }
    for (std::size_t fd = 0; fd < socks_.size(); ++fd) {
        if (socks_[fd].open && socks_[fd].kind == Socket::Kind::Listener && trace().on())
            trace_state(listener_name(socks_[fd].local.ip ? socks_[fd].local
                                                          : Addr{ip_, socks_[fd].local.port}),
                        State::Listen, State::Closed, "crash");
    }
    socks_.clear();
    free_fds_ = {};
    conns_.clear();
    free_tcbs_.clear();
    tws_.clear();
    free_tws_.clear();
    tw_facts_.clear();
    tw_count_ = 0;
    demux_.clear();
    listeners_.clear();
    ports_.clear();
    up_ = false;
}

void Host::reboot() {
    // Back with empty tables and a new secret: new ISNs, new timestamp offsets.
    up_ = true;
    k0_ = k0_ * 6364136223846793005ULL + 1442695040888963407ULL;
    k1_ = k1_ * 6364136223846793005ULL + 1442695040888963407ULL;
    isn_ = IsnGenerator(isn_.spec(), k0_, k1_, now());
}

}  // namespace tcplab
