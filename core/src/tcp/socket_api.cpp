// User calls (RFC 9293 §3.10.1–3.10.6) as the BSD socket API presents them, with Linux's
// results: OPEN is connect()/listen(), SEND is send(), RECEIVE is recv(), CLOSE is close() or
// shutdown(SHUT_WR), ABORT is close() with SO_LINGER {1, 0}.
#include "tcplab/host.hpp"

#include <algorithm>

namespace tcplab {

int Host::socket() {
    // POSIX: the lowest free descriptor; 0, 1 and 2 are stdin, stdout and stderr.
    if (socks_.size() < 3) socks_.resize(3);
    int fd;
    if (!free_fds_.empty()) {
        fd = free_fds_.top();
        free_fds_.pop();
    } else {
        fd = static_cast<int>(socks_.size());
        socks_.emplace_back();
    }
    socks_[static_cast<std::size_t>(fd)] = Socket{};
    socks_[static_cast<std::size_t>(fd)].open = true;
    return fd;
}

SysResult Host::bind(int fd, std::uint32_t ip, std::uint16_t port) {
    if (!valid_fd(fd)) return SysResult::fail(Errno::ebadf);
    Socket& s = sk(fd);
    if (s.bound || s.kind != Socket::Kind::Fresh) return SysResult::fail(Errno::einval);
    if (ip != 0 && ip != ip_) return SysResult::fail(Errno::eaddrnotavail);
    if (port == 0) {
        bool reused = false;
        auto p = pick_ephemeral({0, 0}, &reused);
        if (!p) return SysResult::fail(Errno::eaddrinuse);
        port = *p;
    } else if (bind_conflict(port, s.reuseaddr)) {
        // Linux inet_csk_get_port(): a port held by a listener, a connection or a TIME-WAIT
        // socket is "Address already in use" unless SO_REUSEADDR allows sharing.
        return SysResult::fail(Errno::eaddrinuse);
    }
    s.local = {ip, port};
    s.bound = true;
    port_take(port, s.reuseaddr, false);
    return SysResult::ok();
}

SysResult Host::listen(int fd, int backlog) {
    if (!valid_fd(fd)) return SysResult::fail(Errno::ebadf);
    Socket& s = sk(fd);
    if (s.kind == Socket::Kind::Conn) return SysResult::fail(Errno::einval);
    if (!s.bound) {
        auto r = bind(fd, 0, 0);  // Linux autobinds an unbound socket (inet_autobind)
        if (r.err != Errno::ok) return r;
    }
    if (ports_[s.local.port].listeners > 0 && s.kind != Socket::Kind::Listener)
        return SysResult::fail(Errno::eaddrinuse);
    // __sys_listen(): the backlog is capped by net.core.somaxconn; a negative one means the max.
    const int capped = backlog < 0 ? p_.somaxconn : std::min(backlog, p_.somaxconn);
    const bool first = s.kind != Socket::Kind::Listener;
    s.backlog = capped;
    if (first) {
        s.kind = Socket::Kind::Listener;
        ++ports_[s.local.port].listeners;
        listeners_[(static_cast<std::uint64_t>(s.local.ip) << 16) | s.local.port] = fd;
        if (trace().on())
            trace_state(listener_name({ip_, s.local.port}), State::Closed, State::Listen, "listen");
    }
    trace_queue(fd);
    return SysResult::ok();
}

SysResult Host::connect(int fd, Addr remote) {
    if (!valid_fd(fd)) return SysResult::fail(Errno::ebadf);
    Socket& s = sk(fd);
    if (s.kind == Socket::Kind::Listener) return SysResult::fail(Errno::eisconn);
    if (s.kind == Socket::Kind::Conn) {
        // A second call: report how the handshake went.
        Connection* c = s.tcb != Socket::kNone ? conns_[s.tcb].get() : nullptr;
        if (!c) {
            const Errno e = s.error != Errno::ok ? s.error : Errno::econnrefused;
            s.error = Errno::ok;
            return SysResult::fail(e);
        }
        if (c->state == State::SynSent || c->state == State::SynReceived)
            return s.nonblock ? SysResult::fail(Errno::ealready) : SysResult::wait();
        if (c->error != Errno::ok && s.connecting) {
            const Errno e = c->error;
            c->error = Errno::ok;
            s.connecting = false;
            return SysResult::fail(e);
        }
        if (s.connecting) {
            s.connecting = false;
            return SysResult::ok();
        }
        return SysResult::fail(Errno::eisconn);
    }
    if (remote.ip == ip_ || remote.ip == 0) return SysResult::fail(Errno::ehostunreach);
    FourTuple t{ip_, remote.ip, s.local.port, remote.port};
    std::optional<Seq> reuse_isn;
    // Linux tcp_twsk_unique(): a connection that takes over a TIME-WAIT 4-tuple starts at the
    // old SND.NXT + 65535 + 2, above anything the old connection sent.
    auto take_over = [&](TimeWaitSock& tw) {
        Seq isn = tw.snd_nxt + 65535 + 2;
        if (isn == 0) isn = 1;
        reuse_isn = isn;
        note(conn_name(t), "tw_reuse", {{"port", t.lport}});
        tw_kill(tw, "tw_reuse");
    };
    if (s.bound) {
        // __inet_check_established() with an explicitly bound port (no twp): the 4-tuple must
        // be unique, but a TIME-WAIT socket that recorded timestamps gives way at once,
        // whatever tcp_tw_reuse says; otherwise EADDRNOTAVAIL.
        auto it = demux_.find(t);
        if (it != demux_.end()) {
            if (!it->second.tw || !tws_[it->second.slot].ts_ok)
                return SysResult::fail(Errno::eaddrnotavail);
            take_over(tws_[it->second.slot]);
        }
    } else {
        bool reused_tw = false;
        auto port = pick_ephemeral(remote, &reused_tw);
        if (!port) {
            note("", "ports_exhausted", {{"lo", p_.port_lo}, {"hi", p_.port_hi}});
            return SysResult::fail(Errno::eaddrnotavail);
        }
        t.lport = *port;
        if (reused_tw) take_over(tws_[demux_.find(t)->second.slot]);
        s.local = {ip_, *port};
    }
    Connection& c = new_tcb(t, State::Closed);
    c.fd = fd;
    copy_options(c, s);
    if (s.bound) {
        c.holds_port = true;  // the bind moves from the socket to the connection
        s.bound = false;
    }
    s.kind = Socket::Kind::Conn;
    s.tcb = c.slot;
    s.connecting = true;
    c.set_iss(reuse_isn ? *reuse_isn : isn_.next(now(), t.local(), t.remote()));
    c.open(now());
    return s.nonblock ? SysResult::fail(Errno::einprogress) : SysResult::wait();
}

SysResult Host::accept(int fd, int* new_fd, Addr* peer) {
    if (!valid_fd(fd)) return SysResult::fail(Errno::ebadf);
    Socket& l = sk(fd);
    if (l.kind != Socket::Kind::Listener) return SysResult::fail(Errno::einval);
    if (l.accept_queue.empty())
        return l.nonblock ? SysResult::fail(Errno::eagain) : SysResult::wait();
    // accept() pops a completed connection; the handshake is long over (inet_csk_accept()).
    const std::uint32_t slot = l.accept_queue.front();
    l.accept_queue.pop_front();
    Connection& c = *conns_[slot];
    c.in_accept_queue = false;
    c.listener_fd = -1;
    trace_queue(fd);
    if (c.retired && p_.accept_econnaborted) {
        // BSD: a connection reset while queued is reported by accept() as ECONNABORTED.
        free_tcb(c);
        return SysResult::fail(Errno::econnaborted);
    }
    const int nfd = socket();
    Socket& n = sk(nfd);
    n.kind = Socket::Kind::Conn;
    n.tcb = slot;
    n.local = c.tuple.local();
    n.keepalive = c.keepalive;
    c.fd = nfd;
    *new_fd = nfd;
    *peer = c.tuple.remote();
    return SysResult::ok(nfd);
}

SysResult Host::send(int fd, std::string_view data, bool nosignal) {
    if (!valid_fd(fd)) return SysResult::fail(Errno::ebadf);
    Socket& s = sk(fd);
    Connection* c = s.tcb != Socket::kNone ? conns_[s.tcb].get() : nullptr;
    // Linux sk_stream_error(): EPIPE raises SIGPIPE unless MSG_NOSIGNAL.
    auto epipe = [&] {
        SysResult r = SysResult::fail(Errno::epipe);
        r.sigpipe = !nosignal;
        return r;
    };
    if (s.kind == Socket::Kind::Listener) return epipe();
    if (!c) {
        if (s.error != Errno::ok) {
            const Errno e = s.error;
            s.error = Errno::ok;
            return SysResult::fail(e);
        }
        return epipe();
    }
    if (c->error != Errno::ok && !c->error_reported) {
        // tcp_sendmsg_locked(): a pending error is reported first (sock_error()).
        const Errno e = c->error;
        c->error_reported = true;
        if (e == Errno::epipe) return epipe();
        return SysResult::fail(e);
    }
    if (c->state == State::SynSent || c->state == State::SynReceived)
        return s.nonblock ? SysResult::fail(Errno::eagain) : SysResult::wait();
    if (c->snd_shutdown || (c->state != State::Established && c->state != State::CloseWait))
        return epipe();
    if (data.empty()) return SysResult::ok(0);  // send() returns 0 only for a zero-length buffer
    const std::size_t room = static_cast<std::size_t>(p_.sndbuf) > c->sndbuf.size()
                                 ? static_cast<std::size_t>(p_.sndbuf) - c->sndbuf.size()
                                 : 0;
    if (room == 0) return s.nonblock ? SysResult::fail(Errno::eagain) : SysResult::wait();
    const std::size_t n = std::min(room, data.size());
    c->send(data.substr(0, n), now());
    return SysResult::ok(static_cast<long>(n));
}

SysResult Host::recv(int fd, std::size_t max, std::string* out) {
    if (!valid_fd(fd)) return SysResult::fail(Errno::ebadf);
    Socket& s = sk(fd);
    Connection* c = s.tcb != Socket::kNone ? conns_[s.tcb].get() : nullptr;
    if (!c)
        return SysResult::fail(s.kind == Socket::Kind::Conn ? Errno::econnreset : Errno::enotconn);
    if (!c->rcvbuf.empty() && max > 0)
        return SysResult::ok(static_cast<long>(c->receive(max, out, now())));
    if (c->error != Errno::ok && !c->error_reported) {
        c->error_reported = true;
        return SysResult::fail(c->error);
    }
    // End of file: the peer's FIN arrived, or this side shut down reading.
    if (c->fin_received || c->rcv_shutdown || c->retired) return SysResult::ok(0);
    return s.nonblock ? SysResult::fail(Errno::eagain) : SysResult::wait();
}

SysResult Host::shutdown(int fd, bool rd, bool wr) {
    if (!valid_fd(fd)) return SysResult::fail(Errno::ebadf);
    Socket& s = sk(fd);
    Connection* c = s.tcb != Socket::kNone ? conns_[s.tcb].get() : nullptr;
    if (!c || c->retired) return SysResult::fail(Errno::enotconn);
    if (rd) c->rcv_shutdown = true;
    if (wr && !c->snd_shutdown) c->shutdown_write(now());
    wake(fd);
    return SysResult::ok();
}

SysResult Host::close(int fd) {
    if (!valid_fd(fd)) return SysResult::fail(Errno::ebadf);
    Socket& s = sk(fd);
    const Socket copy = s;
    s.open = false;
    free_fds_.push(fd);
    if (copy.kind == Socket::Kind::Fresh) {
        if (copy.bound) port_release(copy.local.port, copy.reuseaddr, false);
        return SysResult::ok();
    }
    if (copy.kind == Socket::Kind::Listener) {
        // inet_csk_listen_stop(): half-open requests are dropped; completed connections never
        // accepted are aborted with a RST (tcp_disconnect()).
        listeners_.erase((static_cast<std::uint64_t>(copy.local.ip) << 16) | copy.local.port);
        port_release(copy.local.port, copy.reuseaddr, true);
        for (auto& up : conns_) {
            if (!up || up->listener_fd != fd) continue;
            Connection& c = *up;
            c.listener_fd = -1;
            const bool queued = c.in_accept_queue;
            c.in_accept_queue = false;
            if (queued && !c.retired) c.send_rst(now());
            if (!c.retired) c.set_state(State::Closed, "close", now());
            free_tcb(c);
        }
        if (trace().on())
            trace_state(listener_name({ip_, copy.local.port}), State::Listen, State::Closed,
                        "close");
        return SysResult::ok();
    }
    if (copy.tcb == Socket::kNone) return SysResult::ok();
    Connection& c = *conns_[copy.tcb];
    c.fd = -1;
    c.orphan = true;
    if (c.retired) {
        free_tcb(c);
        return SysResult::ok();
    }
    c.close(copy.linger_on && copy.linger_secs == 0, now());
    return SysResult::ok();
}

SysResult Host::set_option(int fd, const std::string& name, long value, long value2) {
    if (!valid_fd(fd)) return SysResult::fail(Errno::ebadf);
    Socket& s = sk(fd);
    Connection* c = s.tcb != Socket::kNone ? conns_[s.tcb].get() : nullptr;
    if (name == "SO_REUSEADDR")
        s.reuseaddr = value != 0;
    else if (name == "SO_KEEPALIVE") {
        s.keepalive = value != 0;
        if (c && !c->retired) c->set_keepalive(s.keepalive, now());
    } else if (name == "TCP_KEEPIDLE") {
        s.keepidle = static_cast<int>(value);
        if (c) c->set_keepidle(s.keepidle, now());
    } else if (name == "TCP_KEEPINTVL") {
        s.keepintvl = static_cast<int>(value);
        if (c) c->keepintvl = s.keepintvl;
    } else if (name == "TCP_KEEPCNT") {
        s.keepcnt = static_cast<int>(value);
        if (c) c->keepcnt = s.keepcnt;
    } else if (name == "TCP_USER_TIMEOUT") {
        s.user_timeout = ms(value);
        if (c) c->user_timeout = s.user_timeout;
    } else if (name == "TCP_LINGER2") {
        s.linger2 = static_cast<int>(value);
        if (c) c->linger2 = s.linger2;
    } else if (name == "TCP_NODELAY") {
        s.nodelay = value != 0;
        if (c) c->set_nodelay(s.nodelay, now());
    } else if (name == "SO_LINGER") {
        s.linger_on = value != 0;
        s.linger_secs = static_cast<int>(value2);
    } else if (name == "O_NONBLOCK") {
        s.nonblock = value != 0;
    } else {
        return SysResult::fail(Errno::eopnotsupp);
    }
    return SysResult::ok();
}

SysResult Host::get_error(int fd) {
    if (!valid_fd(fd)) return SysResult::fail(Errno::ebadf);
    Socket& s = sk(fd);
    Connection* c = s.tcb != Socket::kNone ? conns_[s.tcb].get() : nullptr;
    Errno e = Errno::ok;
    if (c && c->error != Errno::ok && !c->error_reported) {
        e = c->error;
        c->error_reported = true;
    } else if (s.error != Errno::ok) {
        e = s.error;
        s.error = Errno::ok;
    }
    return SysResult{static_cast<long>(e), Errno::ok, false, false};
}

unsigned Host::poll(int fd) const {
    const Socket* s = sock(fd);
    if (!s) return kPollErr;
    if (s->kind == Socket::Kind::Listener) return s->accept_queue.empty() ? 0u : kPollIn;
    if (s->kind == Socket::Kind::Fresh) return kPollOut | kPollHup;
    const Tcb* c = s->tcb != Socket::kNone ? conns_[s->tcb].get() : nullptr;
    if (!c) return kPollErr | kPollHup;
    unsigned r = 0;
    const bool err = c->error != Errno::ok && !c->error_reported;
    if (err) r |= kPollErr;
    if (c->retired) r |= kPollHup | kPollIn | kPollOut;
    if (!c->rcvbuf.empty() || c->fin_received || c->rcv_shutdown) r |= kPollIn;
    if ((c->state == State::Established || c->state == State::CloseWait) && !c->snd_shutdown &&
        c->sndbuf.size() < static_cast<std::size_t>(p_.sndbuf))
        r |= kPollOut;
    if (c->snd_shutdown && c->fin_received) r |= kPollHup;
    return r;
}

}  // namespace tcplab
