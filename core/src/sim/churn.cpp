// The connection-churn workload (bench/WORKLOAD.md), driven through the socket API with the
// simulator's wake-ups, as a non-blocking event loop would drive real sockets.
#include "tcplab/churn.hpp"

#include "tcplab/simulator.hpp"

#include <string>
#include <unordered_map>
#include <vector>

namespace tcplab {

namespace {

std::string request_bytes(std::uint32_t i) {
    std::string s(100, '\0');
    for (int b = 0; b < 4; ++b)
        s[static_cast<std::size_t>(b)] = static_cast<char>((i >> (8 * b)) & 255);
    for (std::uint32_t k = 4; k < 100; ++k) s[k] = static_cast<char>((7 * i + k) % 256);
    return s;
}

std::string reply_bytes(std::uint32_t i) {
    std::string s(100, '\0');
    for (int b = 0; b < 4; ++b)
        s[static_cast<std::size_t>(b)] = static_cast<char>((i >> (8 * b)) & 255);
    for (std::uint32_t k = 4; k < 100; ++k) s[k] = static_cast<char>((7 * i + k + 0x5a) % 256);
    return s;
}

std::uint32_t id_of(const std::string& s) {
    std::uint32_t i = 0;
    for (int b = 0; b < 4; ++b)
        i |= static_cast<std::uint32_t>(static_cast<unsigned char>(s[static_cast<std::size_t>(b)]))
             << (8 * b);
    return i;
}

struct Churn {
    Simulator sim{1, false};
    Host* c = nullptr;
    Host* s = nullptr;
    int listener = -1;
    struct ClientConn {
        std::uint32_t id = 0;
        bool connected = false;
        std::string reply;
    };
    struct ServerConn {
        std::string request;
    };
    std::unordered_map<int, ClientConn> clients;
    std::unordered_map<int, ServerConn> servers;
    std::vector<bool> served;
    ChurnResult r;

    void open(std::uint32_t i) {
        const int fd = c->socket();
        if (c->bind(fd, 0, static_cast<std::uint16_t>(49152 + i % 16384)).err != Errno::ok ||
            c->connect(fd, {s->ip(), 80}).err != Errno::ok) {
            ++r.client_errors;
            c->close(fd);
            return;
        }
        clients[fd] = ClientConn{i, false, {}};
    }

    void client_wake(int fd) {
        auto it = clients.find(fd);
        if (it == clients.end()) return;
        ClientConn& cc = it->second;
        if (!cc.connected) {
            const SysResult r0 = c->connect(fd, {s->ip(), 80});
            if (r0.block) return;
            if (r0.err != Errno::ok) return fail_client(fd);
            cc.connected = true;
            // On ESTABLISHED: write the request.
            const SysResult w = c->send(fd, request_bytes(cc.id), true);
            if (w.err != Errno::ok || w.value != 100) return fail_client(fd);
        }
        std::string buf;
        for (;;) {
            const SysResult rd = c->recv(fd, 4096, &buf);
            if (rd.block) return;
            if (rd.err != Errno::ok) return fail_client(fd);
            if (rd.value == 0) {
                // The server's FIN (CLOSE_WAIT): check the reply and close (passive close).
                const bool ok = cc.reply == reply_bytes(cc.id);
                c->close(fd);
                clients.erase(it);
                if (ok)
                    ++r.completed;
                else
                    ++r.client_errors;
                return;
            }
            cc.reply += buf;
        }
    }

    void fail_client(int fd) {
        ++r.client_errors;
        c->close(fd);
        clients.erase(fd);
    }

    void server_wake(int fd) {
        if (fd == listener) {
            for (;;) {
                int nfd = -1;
                Addr peer{};
                const SysResult a = s->accept(fd, &nfd, &peer);
                if (a.block || a.err != Errno::ok) break;
                servers[nfd] = ServerConn{};
                server_wake(nfd);
            }
            return;
        }
        auto it = servers.find(fd);
        if (it == servers.end()) return;
        std::string buf;
        for (;;) {
            const SysResult rd = s->recv(fd, 100 - it->second.request.size(), &buf);
            if (rd.block) return;
            if (rd.err != Errno::ok || rd.value == 0) {
                ++r.server_errors;
                s->close(fd);
                servers.erase(it);
                return;
            }
            it->second.request += buf;
            if (it->second.request.size() == 100) break;
        }
        const std::string& req = it->second.request;
        const std::uint32_t id = id_of(req);
        if (id >= served.size() || served[id] || req != request_bytes(id)) {
            ++r.server_errors;
        } else {
            served[id] = true;
            const SysResult w = s->send(fd, reply_bytes(id), true);
            if (w.err != Errno::ok || w.value != 100) ++r.server_errors;
        }
        s->close(fd);  // at once: the server is the active closer
        servers.erase(it);
    }
};

}  // namespace

ChurnResult run_churn(std::size_t n) {
    Churn w;
    w.r.n = n;
    w.served.assign(n, false);
    w.sim.link.delay = ms(1);
    w.sim.link.bandwidth_mbps = 1000;
    Params p = profile_params("linux");
    p.tw_reuse = 0;
    w.c = &w.sim.add_host("C", (10u << 24) | (1u << 16) | (1u << 8) | 1, p, IsnSpec{});
    w.s = &w.sim.add_host("S", (10u << 24) | (1u << 16) | (1u << 8) | 2, p, IsnSpec{});
    w.sim.on_wake = [&w](int host, int fd) {
        if (host == w.c->index())
            w.client_wake(fd);
        else
            w.server_wake(fd);
    };
    w.listener = w.s->socket();
    w.s->bind(w.listener, 0, 80);
    w.s->listen(w.listener, 4096);
    // Connection i opens at floor(i / 100) * 0.4 s, in increasing i within a batch.
    for (std::size_t batch = 0; batch * 100 < n; ++batch) {
        w.sim.schedule(static_cast<Time>(batch) * ms(400), [&w, batch, n] {
            for (std::size_t i = batch * 100; i < n && i < batch * 100 + 100; ++i)
                w.open(static_cast<std::uint32_t>(i));
        });
    }
    w.sim.run(sec(100000));
    const HostStats& st = w.s->stats();
    w.r.time_wait_entered = st.time_wait_entered;
    w.r.time_wait_expired = st.time_wait_expired;
    w.r.peak_time_wait = st.peak_time_wait;
    w.r.segments = w.sim.segments_sent();
    w.r.drops = w.sim.segments_dropped();
    w.r.events = w.sim.events_executed();
    w.r.simulated_seconds = static_cast<double>(w.sim.now()) / 1e6;
    w.r.time_wait_bytes = w.s->time_wait_footprint();
    // A connection is complete only if the server side also finished its TIME-WAIT cleanly.
    if (w.r.time_wait_expired < w.r.completed) w.r.completed = w.r.time_wait_expired;
    if (w.r.drops || w.r.server_errors) w.r.completed = 0;
    return w.r;
}

}  // namespace tcplab
