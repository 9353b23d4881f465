// Linux behaviours around connection management (TCP-REFERENCE.md §2 and §5), each named
// "<STATE>: <event> -> <outcome>" with the kernel default that decides it.
#include "engine_harness.hpp"

#include <catch2/catch.hpp>

using namespace harness;

namespace {
// A second peer port, for a listener that must see more than one client.
void syn_from(Wire& w, std::uint16_t port, Seq isn) {
    const std::uint16_t keep = w.peer_port;
    w.peer_port = port;
    w.inject(SYN, isn, 0);
    w.peer_port = keep;
}
void ack_from(Wire& w, std::uint16_t port, Seq seq, Seq ack) {
    const std::uint16_t keep = w.peer_port;
    w.peer_port = port;
    w.inject(ACK, seq, ack);
    w.peer_port = keep;
}
}  // namespace

TEST_CASE(
    "LISTEN: backlog 1 -> the accept queue holds 2; a third completed handshake is dropped and "
    "the SYN,ACK resent (sk_acceptq_is_full)",
    "[listen][linux]") {
    Wire w;
    w.listener = w.a->socket();
    w.a->bind(w.listener, 0, 80);
    w.a->listen(w.listener, 1);
    // One connection completes; then two SYNs arrive together (the SYN queue takes backlog+1
    // requests) and both ACKs follow: the second ACK finds the accept queue full.
    syn_from(w, 40001, 100);
    ack_from(w, 40001, 101, kIss + 1);
    syn_from(w, 40002, 200);
    syn_from(w, 40003, 300);
    ack_from(w, 40002, 201, kIss + 1);
    ack_from(w, 40003, 301, kIss + 1);
    CHECK(w.a->sock(w.listener)->accept_queue.size() == 2);
    w.out();
    w.advance(sec(2));  // the third request's SYN,ACK is retransmitted after 1 s
    auto o = w.out();
    REQUIRE(!o.empty());
    CHECK(flags_of(o[0]) == "SYN,ACK");
    CHECK(o[0]["retransmission"] == true);
}

TEST_CASE("LISTEN: accept queue full, tcp_abort_on_overflow = 1 -> the third ACK gets a RST",
          "[listen][linux]") {
    Params p = profile_params("linux");
    p.abort_on_overflow = 1;
    Wire w(p);
    w.listener = w.a->socket();
    w.a->bind(w.listener, 0, 80);
    w.a->listen(w.listener, 0);
    for (std::uint16_t i = 1; i <= 2; ++i) {
        syn_from(w, static_cast<std::uint16_t>(40000 + i), 100 * i);
        w.out();
        ack_from(w, static_cast<std::uint16_t>(40000 + i), 100 * i + 1, kIss + 1);
    }
    auto o = w.out();
    REQUIRE(o.size() == 1);
    CHECK(flags_of(o[0]) == "RST");
}

TEST_CASE(
    "LISTEN: SYN queue full -> SYN cookies; the returning ACK (cookie + 1) creates the connection",
    "[listen][linux][syncookies]") {
    Wire w;
    w.listener = w.a->socket();
    w.a->bind(w.listener, 0, 80);
    // Options set on the listener reach the connection a cookie creates, as they reach any
    // accepted one: Linux builds it from the listener (cookie_v4_check -> inet_csk_clone_lock).
    w.a->set_option(w.listener, "TCP_NODELAY", 1);
    w.a->set_option(w.listener, "TCP_USER_TIMEOUT", 5000);
    w.a->set_option(w.listener, "TCP_LINGER2", 7);
    w.a->listen(w.listener, 1);
    // Two half-open requests fill the SYN queue (backlog + 1); the third SYN gets a cookie.
    syn_from(w, 40001, 100);
    syn_from(w, 40002, 200);
    w.out();
    syn_from(w, 40003, 300);
    auto o = w.out();
    REQUIRE(o.size() == 1);
    CHECK(flags_of(o[0]) == "SYN,ACK");
    CHECK_FALSE(o[0].contains("conn"));         // no state kept
    CHECK(o[0]["seg"]["opts"]["mss"] == 1460);  // Linux msstab: 1460 kept
    const Seq cookie = seq_of(o[0]);
    ack_from(w, 40003, 301, cookie + 1);
    const FourTuple t{kA, kPeer, 80, 40003};
    REQUIRE(w.a->find_tcb(t) != nullptr);
    CHECK(w.a->find_tcb(t)->state == State::Established);
    CHECK(w.a->find_tcb(t)->nodelay);
    CHECK(w.a->find_tcb(t)->user_timeout == ms(5000));
    CHECK(w.a->find_tcb(t)->linger2 == 7);
    // A forged ACK with a wrong cookie is answered with a RST.
    ack_from(w, 40004, 401, cookie + 12345);
    auto r = w.out();
    REQUIRE(!r.empty());
    CHECK(flags_of(r.back()) == "RST");
}

TEST_CASE("TIME_WAIT: more than tcp_max_tw_buckets -> the connection is destroyed at once",
          "[time_wait][linux]") {
    Params p = profile_params("linux");
    p.max_tw_buckets = 0;
    Wire w(p);
    w.fin_wait_2();
    w.inject(FIN | ACK, kPeerIss + 1, kIss + 2);
    CHECK(w.state() == State::Closed);
    CHECK(w.a->time_wait_count() == 0);
}

TEST_CASE(
    "TIME_WAIT: bind() to its port with SO_REUSEADDR when the old socket had none -> EADDRINUSE "
    "(inet_bind_conflict: both must set it)",
    "[time_wait][linux]") {
    Wire w;
    w.established_active();  // client side: a:40001 -> peer:80
    w.a->close(w.fd);
    w.advance(us(10));
    w.inject(ACK, kPeerIss + 1, kIss + 2);
    w.inject(FIN | ACK, kPeerIss + 1, kIss + 2);
    REQUIRE(w.state() == State::TimeWait);
    const int fd = w.a->socket();
    w.a->set_option(fd, "SO_REUSEADDR", 1);
    CHECK(w.a->bind(fd, 0, 40001).err == Errno::eaddrinuse);
}

TEST_CASE("CLOSED: bind() to a port held by TIME_WAIT -> EADDRINUSE without SO_REUSEADDR",
          "[closed][linux]") {
    Wire w;
    w.time_wait();  // a:80 is the active closer, now in TIME_WAIT; the listener is still open
    w.a->close(w.listener);
    const int fd = w.a->socket();
    CHECK(w.a->bind(fd, 0, 80).err == Errno::eaddrinuse);
}

TEST_CASE("CLOSED: connect() with every ephemeral port taken -> EADDRNOTAVAIL", "[closed][linux]") {
    Params p = profile_params("linux");
    p.port_lo = 50000;
    p.port_hi = 50001;
    Wire w(p);
    for (int i = 0; i < 2; ++i) {
        const int fd = w.a->socket();
        CHECK(w.a->connect(fd, {kPeer, 80}).block);
    }
    const int fd = w.a->socket();
    CHECK(w.a->connect(fd, {kPeer, 80}).err == Errno::eaddrnotavail);
}

TEST_CASE("ESTABLISHED: keepalive, peer gone -> probes at SEQ = SND.UNA-1, then RST and ETIMEDOUT",
          "[established][keepalive]") {
    Wire w;
    w.established_passive();
    w.a->set_option(w.fd, "TCP_KEEPIDLE", 10);
    w.a->set_option(w.fd, "TCP_KEEPINTVL", 2);
    w.a->set_option(w.fd, "TCP_KEEPCNT", 3);
    w.a->set_option(w.fd, "SO_KEEPALIVE", 1);
    w.advance(sec(30));
    auto o = w.out();
    REQUIRE(o.size() == 4);
    for (int i = 0; i < 3; ++i) {
        CHECK(flags_of(o[static_cast<std::size_t>(i)]) == "ACK");
        CHECK(seq_of(o[static_cast<std::size_t>(i)]) == kIss);  // SND.UNA - 1
    }
    CHECK(flags_of(o[3]) == "RST,ACK");
    std::string data;
    CHECK(w.a->recv(w.fd, 10, &data).err == Errno::etimedout);
}

TEST_CASE("ESTABLISHED: send() larger than the MSS -> segments of MSS bytes",
          "[established][mss]") {
    Wire w;
    w.established_passive();
    w.a->set_option(w.fd, "TCP_NODELAY", 1);
    const std::string big(3000, 'z');
    CHECK(w.a->send(w.fd, big, false).value == 3000);
    w.advance(us(10));
    auto o = w.out();
    REQUIRE(o.size() >= 2);
    CHECK(o[0]["seg"]["len"] == 1460);  // the peer's MSS option 1460, no timestamps
    CHECK(o[1]["seg"]["len"] == 1460);
}

TEST_CASE("CLOSE_WAIT: send() after the peer reset -> EPIPE and SIGPIPE unless MSG_NOSIGNAL",
          "[close_wait][linux]") {
    Wire w;
    w.close_wait();
    CHECK(w.a->send(w.fd, "abc", false).value == 3);  // the first write succeeds
    w.inject(RST, kPeerIss + 2, 0);
    SysResult r = w.a->send(w.fd, "abc", true);
    CHECK(r.err == Errno::epipe);
    CHECK_FALSE(r.sigpipe);
    r = w.a->send(w.fd, "abc", false);
    CHECK(r.err == Errno::epipe);
    CHECK(r.sigpipe);
}

TEST_CASE("ESTABLISHED: the peer host rebooted -> our data gets RST, recv() fails with ECONNRESET",
          "[established][crash]") {
    Wire w;
    w.established_passive();
    // The peer has no connection any more: it answers our data with RST <SEQ=SEG.ACK>.
    w.a->send(w.fd, "hello", true);
    w.advance(us(10));
    auto o = w.out();
    REQUIRE(!o.empty());
    w.inject(RST, kPeerIss + 1, 0);
    std::string data;
    CHECK(w.a->recv(w.fd, 10, &data).err == Errno::econnreset);
}

TEST_CASE("ESTABLISHED: non-blocking recv() with nothing to read -> EAGAIN", "[established]") {
    Wire w;
    w.established_passive();
    w.a->set_option(w.fd, "O_NONBLOCK", 1);
    std::string data;
    CHECK(w.a->recv(w.fd, 10, &data).err == Errno::eagain);
}

TEST_CASE("ESTABLISHED: TCP_USER_TIMEOUT -> ETIMEDOUT when data stays unacknowledged that long",
          "[established][timer]") {
    Wire w;
    w.established_passive();
    w.a->set_option(w.fd, "TCP_USER_TIMEOUT", 3000);
    w.a->send(w.fd, "hello", true);
    w.advance(sec(10));
    CHECK(w.state() == State::Closed);
    std::string data;
    CHECK(w.a->recv(w.fd, 10, &data).err == Errno::etimedout);
}

TEST_CASE("SYN_RECEIVED: reset while queued -> accept() returns it on linux, ECONNABORTED on bsd",
          "[syn_received][profile]") {
    for (const char* profile : {"linux", "bsd"}) {
        Wire w(profile_params(profile));
        w.syn_received();
        w.inject(ACK, kPeerIss + 1, kIss + 1);
        w.inject(RST, kPeerIss + 1, 0);
        int fd = -1;
        Addr peer{};
        const SysResult r = w.a->accept(w.listener, &fd, &peer);
        if (std::string(profile) == "bsd") {
            CHECK(r.err == Errno::econnaborted);
        } else {
            REQUIRE(r.err == Errno::ok);
            std::string data;
            CHECK(w.a->recv(fd, 10, &data).err == Errno::econnreset);
        }
    }
}

TEST_CASE("ISN: RFC 793 clock ticks every 4 us and wraps after 2^32 ticks", "[isn]") {
    const IsnGenerator g(IsnSpec{IsnKind::Rfc793, 0}, 1, 2, 0);
    const Addr l{kA, 1000}, r{kPeer, 80};
    CHECK(g.next(us(4), l, r) - g.next(0, l, r) == 1);
    CHECK(g.next(sec(1), l, r) == 250000);
    // 2^32 ticks of 4 us are 17,180 s, 4.77 h; RFC 793's "approximately 4.55 hours" comes out
    // if a second is taken as 2^20 us.
    const Time wrap = Time{4} << 32;
    CHECK(g.next(wrap, l, r) == g.next(0, l, r));
}

TEST_CASE("ISN: RFC 6528 and Linux keyed hashes give each 4-tuple its own sequence space",
          "[isn]") {
    for (IsnKind k : {IsnKind::Rfc6528, IsnKind::Linux}) {
        const IsnGenerator g(IsnSpec{k, 0}, 11, 22, 0);
        const Addr r{kPeer, 80};
        const Seq a = g.next(sec(1), {kA, 40000}, r);
        const Seq b = g.next(sec(1), {kA, 40001}, r);
        CHECK(a != b);
        // The clock part still moves forward: later connections of one 4-tuple start higher.
        CHECK(seq_gt(g.next(sec(2), {kA, 40000}, r), a));
    }
    const IsnGenerator fixed(IsnSpec{IsnKind::Fixed, 42}, 1, 2, 0);
    CHECK(fixed.next(sec(9), {kA, 1}, {kPeer, 2}) == 42);
}

TEST_CASE("LISTEN: a SYN cookie rounds the client's MSS down to Linux's msstab (1400 -> 1300)",
          "[listen][syncookies]") {
    Params p = profile_params("linux");
    p.syncookies = 2;  // always
    Wire w(p);
    w.listen();
    Segment s;
    s.src = {kPeer, 40000};
    s.dst = {kA, 80};
    s.seq = 7;
    s.flags = SYN;
    s.window = 65535;
    s.opts.mss = 1400;
    s.id = w.sim.next_segment_id();
    w.sim.send(w.peer->index(), std::move(s));
    w.advance(ms(2));
    auto o = w.out();
    REQUIRE(o.size() == 1);
    CHECK(o[0]["seg"]["opts"]["mss"] == 1300);
}
