// A small declarative harness for engine tests, in the style of packetdrill and CS144's
// "sponge" tests: one real host under test ("a", 10.0.0.1), and a peer address (10.0.0.2)
// whose host is down, so every segment the test injects comes from the test and everything
// host a sends is only recorded. Fixtures build each RFC 9293 state directly.
#pragma once

#include "tcplab/simulator.hpp"

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace harness {

using namespace tcplab;

constexpr std::uint32_t kA = (10u << 24) | 1;
constexpr std::uint32_t kPeer = (10u << 24) | 2;
constexpr Seq kIss = 1000;      // host a's ISN (fixed generator)
constexpr Seq kPeerIss = 5000;  // the ISN the test uses for the peer

struct Wire {
    Simulator sim{7};
    Host* a;
    Host* peer;
    std::size_t seen = 0;
    int fd = -1;
    int listener = -1;
    std::uint16_t a_port = 80, peer_port = 40000;

    explicit Wire(Params p = profile_params("linux")) {
        a = &sim.add_host("a", kA, p, IsnSpec{IsnKind::Fixed, kIss});
        peer = &sim.add_host("peer", kPeer, p, IsnSpec{IsnKind::Fixed, kPeerIss});
        sim.link.delay = ms(1);
        peer->crash();  // a silent peer: the test speaks for it
    }

    FourTuple tuple() const { return {kA, kPeer, a_port, peer_port}; }

    // Puts a segment from the peer on the wire; it arrives 1 ms later.
    void inject(std::uint8_t flags, Seq seq, Seq ack, std::size_t len = 0,
                std::uint16_t win = 65535, bool syn_options = true) {
        Segment s;
        s.src = {kPeer, peer_port};
        s.dst = {kA, a_port};
        s.seq = seq;
        s.ack = ack;
        s.flags = flags;
        s.window = win;
        s.payload.assign(len, 'x');
        if ((flags & SYN) && syn_options) s.opts.mss = 1460;
        s.id = sim.next_segment_id();
        sim.send(peer->index(), std::move(s));
        advance(ms(1));
    }
    void advance(Time dt) { sim.run_until(sim.now() + dt); }
    void run_until(Time t) { sim.run_until(t); }

    // Segments host a sent since the last call, as the trace recorded them.
    std::vector<nlohmann::ordered_json> out() {
        std::vector<nlohmann::ordered_json> v;
        const auto ev = sim.trace().json();
        for (; seen < ev.size(); ++seen)
            if (ev[seen]["kind"] == "send" && ev[seen]["host"] == "a") v.push_back(ev[seen]);
        return v;
    }
    // The state of the connection with the peer (CLOSED if host a has none).
    State state() const {
        if (const Tcb* c = a->find_tcb(tuple())) return c->state;
        if (a->find_tw(tuple())) return State::TimeWait;
        return State::Closed;
    }

    // ---- fixtures: each leaves host a in the named state with the peer
    void listen() {
        listener = a->socket();
        a->bind(listener, 0, a_port);
        a->listen(listener, 128);
    }
    void syn_received() {
        listen();
        inject(SYN, kPeerIss, 0);
        out();
    }
    void established_passive() {
        syn_received();
        inject(ACK, kPeerIss + 1, kIss + 1);
        Addr p{};
        fd = -1;
        a->accept(listener, &fd, &p);
        out();
    }
    void syn_sent() {
        fd = a->socket();
        a->bind(fd, 0, a_port = 40001);
        peer_port = 80;
        a->connect(fd, {kPeer, 80});
        advance(us(10));
        out();
    }
    void established_active() {
        syn_sent();
        inject(SYN | ACK, kPeerIss, kIss + 1);
        a->connect(fd, {kPeer, 80});
        out();
    }
    void fin_wait_1() {
        established_passive();
        a->close(fd);
        advance(us(10));
        out();
    }
    void fin_wait_2() {
        fin_wait_1();
        inject(ACK, kPeerIss + 1, kIss + 2);
        out();
    }
    void close_wait() {
        established_passive();
        inject(FIN | ACK, kPeerIss + 1, kIss + 1);
        advance(ms(100));  // let the delayed ACK go
        out();
    }
    void last_ack() {
        close_wait();
        a->close(fd);
        advance(us(10));
        out();
    }
    void closing() {
        fin_wait_1();
        inject(FIN | ACK, kPeerIss + 1, kIss + 1);  // the peer's FIN, not yet ACKing ours
        out();
    }
    void time_wait() {
        fin_wait_2();
        inject(FIN | ACK, kPeerIss + 1, kIss + 2);
        out();
    }
};

inline std::string flags_of(const nlohmann::ordered_json& send) {
    std::string s;
    for (auto& f : send["seg"]["flags"]) s += (s.empty() ? "" : ",") + f.get<std::string>();
    return s;
}
inline std::uint32_t seq_of(const nlohmann::ordered_json& send) {
    return send["seg"]["seq"].get<std::uint32_t>();
}
inline std::uint32_t ack_of(const nlohmann::ordered_json& send) {
    return send["seg"]["ack"].get<std::uint32_t>();
}

}  // namespace harness
