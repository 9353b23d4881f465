// RFC 9293 §3.10 event processing, one test per row of the tables in TCP-REFERENCE.md, named
// "<STATE>: <event> -> <outcome>" and tagged by state. Linux's choices are named where they
// decide the outcome.
#include "engine_harness.hpp"

#include "tcplab/seq.hpp"

#include <catch2/catch.hpp>

using namespace harness;

TEST_CASE("seq: comparisons are modulo 2^32, across the wrap", "[seq]") {
    CHECK(seq_lt(0xFFFFFFF0u, 0x10u));
    CHECK(seq_gt(0x10u, 0xFFFFFFF0u));
    CHECK(seq_le(5u, 5u));
    CHECK_FALSE(seq_lt(5u, 5u));
    CHECK(seq_in(0u, 0xFFFFFFFEu, 3u));
    CHECK_FALSE(seq_in(3u, 0xFFFFFFFEu, 3u));
    CHECK(seq_diff(2u, 0xFFFFFFFFu) == 3u);
}

TEST_CASE("CLOSED: SYN to a port nobody listens on -> RST,ACK with SEQ=0 ACK=SEG.SEQ+1",
          "[closed]") {
    Wire w;
    w.inject(SYN, 777, 0);
    auto o = w.out();
    REQUIRE(o.size() == 1);
    CHECK(flags_of(o[0]) == "RST,ACK");
    CHECK(seq_of(o[0]) == 0);
    CHECK(ack_of(o[0]) == 778);
}

TEST_CASE("CLOSED: ACK to a port nobody listens on -> RST with SEQ=SEG.ACK", "[closed]") {
    Wire w;
    w.inject(ACK, 777, 4242);
    auto o = w.out();
    REQUIRE(o.size() == 1);
    CHECK(flags_of(o[0]) == "RST");
    CHECK(seq_of(o[0]) == 4242);
}

TEST_CASE("CLOSED: RST -> nothing (never answer a RST)", "[closed]") {
    Wire w;
    w.inject(RST, 777, 0);
    CHECK(w.out().empty());
}

TEST_CASE("LISTEN: RST -> ignored", "[listen]") {
    Wire w;
    w.listen();
    w.inject(RST, 1, 0);
    CHECK(w.out().empty());
    CHECK(w.state() == State::Closed);
}

TEST_CASE("LISTEN: bare ACK -> RST with SEQ=SEG.ACK", "[listen]") {
    Wire w;
    w.listen();
    w.inject(ACK, 1, 999);
    auto o = w.out();
    REQUIRE(o.size() == 1);
    CHECK(flags_of(o[0]) == "RST");
    CHECK(seq_of(o[0]) == 999);
}

TEST_CASE("LISTEN: SYN -> SYN_RECEIVED and SYN,ACK <SEQ=ISS><ACK=SEG.SEQ+1>", "[listen]") {
    Wire w;
    w.listen();
    w.inject(SYN, kPeerIss, 0);
    auto o = w.out();
    REQUIRE(o.size() == 1);
    CHECK(flags_of(o[0]) == "SYN,ACK");
    CHECK(seq_of(o[0]) == kIss);
    CHECK(ack_of(o[0]) == kPeerIss + 1);
    CHECK(w.state() == State::SynReceived);
}

TEST_CASE("SYN_SENT: SYN,ACK acknowledging our SYN -> ESTABLISHED and the third segment at once",
          "[syn_sent]") {
    Wire w;
    w.syn_sent();
    w.inject(SYN | ACK, kPeerIss, kIss + 1);
    auto o = w.out();
    REQUIRE(!o.empty());
    CHECK(flags_of(o[0]) == "ACK");
    CHECK(seq_of(o[0]) == kIss + 1);
    CHECK(ack_of(o[0]) == kPeerIss + 1);
    CHECK(w.state() == State::Established);
    CHECK(w.a->connect(w.fd, {kPeer, 80}).err == Errno::ok);
}

TEST_CASE("SYN_SENT: RST with an acceptable ACK -> CLOSED, connect() fails with ECONNREFUSED",
          "[syn_sent]") {
    Wire w;
    w.syn_sent();
    w.inject(RST | ACK, 0, kIss + 1);
    CHECK(w.state() == State::Closed);
    CHECK(w.a->connect(w.fd, {kPeer, 80}).err == Errno::econnrefused);
}

TEST_CASE("SYN_SENT: RST without ACK -> dropped", "[syn_sent]") {
    Wire w;
    w.syn_sent();
    w.inject(RST, 0, 0);
    CHECK(w.state() == State::SynSent);
}

TEST_CASE("SYN_SENT: ACK for something never sent -> RST <SEQ=SEG.ACK>", "[syn_sent]") {
    Wire w;
    w.syn_sent();
    w.inject(SYN | ACK, kPeerIss, kIss + 50);
    auto o = w.out();
    REQUIRE(o.size() == 1);
    CHECK(flags_of(o[0]) == "RST");
    CHECK(seq_of(o[0]) == kIss + 50);
    CHECK(w.state() == State::SynSent);
}

TEST_CASE("SYN_SENT: bare SYN -> SYN_RECEIVED and SYN,ACK with the same ISS (simultaneous open)",
          "[syn_sent]") {
    Wire w;
    w.syn_sent();
    w.inject(SYN, kPeerIss, 0);
    auto o = w.out();
    REQUIRE(o.size() == 1);
    CHECK(flags_of(o[0]) == "SYN,ACK");
    CHECK(seq_of(o[0]) == kIss);
    CHECK(ack_of(o[0]) == kPeerIss + 1);
    CHECK(w.state() == State::SynReceived);
}

TEST_CASE(
    "SYN_SENT: no answer -> SYN at 1,2,3,4,5,7,11,19,35,67 s, ETIMEDOUT at 131 s (linux 6.5+)",
    "[syn_sent][timer]") {
    Wire w;
    w.syn_sent();
    w.run_until(sec(200));
    std::vector<double> at;
    for (auto& s : w.out()) at.push_back(static_cast<double>(s["t_us"].get<long long>()) / 1e6);
    const std::vector<double> expected{1, 2, 3, 4, 5, 7, 11, 19, 35, 67};
    REQUIRE(at.size() == expected.size());
    for (std::size_t i = 0; i < at.size(); ++i) CHECK(at[i] == Approx(expected[i]).margin(0.001));
    CHECK(w.state() == State::Closed);
    CHECK(w.a->connect(w.fd, {kPeer, 80}).err == Errno::etimedout);
}

TEST_CASE("SYN_SENT: close() -> CLOSED and nothing is sent", "[syn_sent]") {
    Wire w;
    w.syn_sent();
    w.a->close(w.fd);
    w.advance(ms(5));
    CHECK(w.out().empty());
    CHECK(w.state() == State::Closed);
}

TEST_CASE("SYN_RECEIVED: RST (passive open) -> the request is gone, the listener stays",
          "[syn_received]") {
    Wire w;
    w.syn_received();
    w.inject(RST, kPeerIss + 1, 0);
    CHECK(w.state() == State::Closed);
    w.inject(SYN, kPeerIss + 100, 0);  // the listener still answers
    CHECK(w.state() == State::SynReceived);
}

TEST_CASE("SYN_RECEIVED: the same SYN again -> SYN,ACK again (Linux tcp_check_req)",
          "[syn_received]") {
    Wire w;
    w.syn_received();
    w.inject(SYN, kPeerIss, 0);
    auto o = w.out();
    REQUIRE(o.size() == 1);
    CHECK(flags_of(o[0]) == "SYN,ACK");
    CHECK(seq_of(o[0]) == kIss);
}

TEST_CASE("SYN_RECEIVED: ACK of our SYN,ACK -> ESTABLISHED, waiting in the accept queue",
          "[syn_received]") {
    Wire w;
    w.syn_received();
    w.inject(ACK, kPeerIss + 1, kIss + 1);
    CHECK(w.state() == State::Established);
    CHECK(w.a->sock(w.listener)->accept_queue.size() == 1);
}

TEST_CASE("SYN_RECEIVED: no ACK -> SYN,ACK again at 1,3,7,15,31 s, then dropped silently at 63 s",
          "[syn_received][timer]") {
    Wire w;
    w.syn_received();
    const Time t0 = w.sim.now() - ms(1);  // when the SYN arrived
    w.run_until(sec(100));
    std::vector<double> at;
    for (auto& s : w.out())
        at.push_back(static_cast<double>(s["t_us"].get<long long>() - t0) / 1e6);
    const std::vector<double> expected{1, 3, 7, 15, 31};
    REQUIRE(at.size() == expected.size());
    for (std::size_t i = 0; i < at.size(); ++i) CHECK(at[i] == Approx(expected[i]).margin(0.002));
    CHECK(w.state() == State::Closed);
}

TEST_CASE("ESTABLISHED: segment outside the window -> ACK, state unchanged", "[established]") {
    Wire w;
    w.established_passive();
    w.inject(ACK, kPeerIss + 1 + 1000000, kIss + 1, 10);
    auto o = w.out();
    REQUIRE(o.size() == 1);
    CHECK(flags_of(o[0]) == "ACK");
    CHECK(ack_of(o[0]) == kPeerIss + 1);
    CHECK(w.state() == State::Established);
}

TEST_CASE("ESTABLISHED: RST with SEQ=RCV.NXT -> CLOSED, recv() fails with ECONNRESET",
          "[established]") {
    Wire w;
    w.established_passive();
    w.inject(RST, kPeerIss + 1, 0);
    CHECK(w.state() == State::Closed);
    std::string data;
    CHECK(w.a->recv(w.fd, 100, &data).err == Errno::econnreset);
}

TEST_CASE("ESTABLISHED: RST in the window but not at RCV.NXT -> challenge ACK (RFC 5961)",
          "[established]") {
    Wire w;
    w.established_passive();
    w.inject(RST, kPeerIss + 100, 0);
    auto o = w.out();
    REQUIRE(o.size() == 1);
    CHECK(flags_of(o[0]) == "ACK");
    CHECK(w.state() == State::Established);
}

TEST_CASE("ESTABLISHED: RST outside the window -> dropped silently", "[established]") {
    Wire w;
    w.established_passive();
    w.inject(RST, kPeerIss + 1 + 10000000, 0);
    CHECK(w.out().empty());
    CHECK(w.state() == State::Established);
}

TEST_CASE("ESTABLISHED: SYN -> challenge ACK whatever its sequence number (RFC 5961 §4)",
          "[established]") {
    Wire w;
    w.established_passive();
    w.inject(SYN, kPeerIss + 1, 0);
    auto o = w.out();
    REQUIRE(o.size() == 1);
    CHECK(flags_of(o[0]) == "ACK");
    CHECK(ack_of(o[0]) == kPeerIss + 1);
    CHECK(w.state() == State::Established);
}

TEST_CASE(
    "ESTABLISHED: FIN -> CLOSE_WAIT; the ACK waits, so a quick close() carries it with its FIN",
    "[established]") {
    Wire w;
    w.established_passive();
    w.inject(FIN | ACK, kPeerIss + 1, kIss + 1);
    CHECK(w.state() == State::CloseWait);
    CHECK(w.out().empty());  // ACK delayed (Linux tcp_fin() enters ping-pong mode)
    std::string data;
    CHECK(w.a->recv(w.fd, 100, &data).value == 0);  // EOF
    w.a->close(w.fd);
    w.advance(us(10));
    auto o = w.out();
    REQUIRE(o.size() == 1);
    CHECK(flags_of(o[0]) == "FIN,ACK");
    CHECK(ack_of(o[0]) == kPeerIss + 2);
    CHECK(w.state() == State::LastAck);
}

TEST_CASE("ESTABLISHED: data in order -> delivered and ACKed at once (quick-ACK at start)",
          "[established]") {
    Wire w;
    w.established_passive();
    w.inject(ACK | PSH, kPeerIss + 1, kIss + 1, 100);
    auto o = w.out();
    REQUIRE(o.size() == 1);
    CHECK(ack_of(o[0]) == kPeerIss + 101);
    std::string data;
    CHECK(w.a->recv(w.fd, 1000, &data).value == 100);
}

TEST_CASE("ESTABLISHED: close() with unread data -> RST,ACK <SEQ=SND.NXT> and no TIME_WAIT",
          "[established]") {
    Wire w;
    w.established_passive();
    w.inject(ACK | PSH, kPeerIss + 1, kIss + 1, 10);
    w.out();
    w.a->close(w.fd);
    w.advance(us(10));
    auto o = w.out();
    REQUIRE(o.size() == 1);
    CHECK(flags_of(o[0]) == "RST,ACK");
    CHECK(seq_of(o[0]) == kIss + 1);
    CHECK(w.state() == State::Closed);
}

TEST_CASE("ESTABLISHED: close() with SO_LINGER {1,0} -> RST, no FIN, no TIME_WAIT",
          "[established]") {
    Wire w;
    w.established_passive();
    w.a->set_option(w.fd, "SO_LINGER", 1, 0);
    w.a->close(w.fd);
    w.advance(us(10));
    auto o = w.out();
    REQUIRE(o.size() == 1);
    CHECK(flags_of(o[0]) == "RST,ACK");
    CHECK(w.state() == State::Closed);
}

TEST_CASE("FIN_WAIT_1: ACK of our FIN -> FIN_WAIT_2", "[fin_wait_1]") {
    Wire w;
    w.fin_wait_1();
    w.inject(ACK, kPeerIss + 1, kIss + 2);
    CHECK(w.state() == State::FinWait2);
}

TEST_CASE("FIN_WAIT_1: FIN that does not ACK our FIN -> CLOSING and ACK", "[fin_wait_1]") {
    Wire w;
    w.fin_wait_1();
    w.inject(FIN | ACK, kPeerIss + 1, kIss + 1);
    CHECK(w.state() == State::Closing);
    auto o = w.out();
    REQUIRE(o.size() == 1);
    CHECK(ack_of(o[0]) == kPeerIss + 2);
}

TEST_CASE("FIN_WAIT_1: FIN that also ACKs our FIN -> TIME_WAIT", "[fin_wait_1]") {
    Wire w;
    w.fin_wait_1();
    w.inject(FIN | ACK, kPeerIss + 1, kIss + 2);
    CHECK(w.state() == State::TimeWait);
}

TEST_CASE("FIN_WAIT_1: new data after close() -> RST (RFC 1122, Linux tcp_rcv_state_process)",
          "[fin_wait_1]") {
    Wire w;
    w.fin_wait_1();
    w.inject(ACK | PSH, kPeerIss + 1, kIss + 1, 50);
    auto o = w.out();
    REQUIRE(!o.empty());
    CHECK(flags_of(o.back()) == "RST");
    CHECK(w.state() == State::Closed);
}

TEST_CASE("FIN_WAIT_2: FIN -> TIME_WAIT and its ACK", "[fin_wait_2]") {
    Wire w;
    w.fin_wait_2();
    w.inject(FIN | ACK, kPeerIss + 1, kIss + 2);
    CHECK(w.state() == State::TimeWait);
    auto o = w.out();
    REQUIRE(o.size() == 1);
    CHECK(flags_of(o[0]) == "ACK");
    CHECK(ack_of(o[0]) == kPeerIss + 2);
}

TEST_CASE("FIN_WAIT_2: orphan, no FIN for tcp_fin_timeout -> CLOSED and nothing sent",
          "[fin_wait_2][timer]") {
    Wire w;
    w.fin_wait_2();
    w.advance(sec(59));
    CHECK(w.state() == State::FinWait2);
    w.advance(sec(2));
    CHECK(w.state() == State::Closed);
    CHECK(w.out().empty());
}

TEST_CASE("FIN_WAIT_2: after shutdown(SHUT_WR) the socket waits with no timeout", "[fin_wait_2]") {
    Wire w;
    w.established_passive();
    w.a->shutdown(w.fd, false, true);
    w.advance(us(10));
    w.inject(ACK, kPeerIss + 1, kIss + 2);
    w.advance(sec(600));
    CHECK(w.state() == State::FinWait2);
}

TEST_CASE("CLOSE_WAIT: close() -> LAST_ACK and FIN", "[close_wait]") {
    Wire w;
    w.close_wait();
    w.a->close(w.fd);
    w.advance(us(10));
    auto o = w.out();
    REQUIRE(o.size() == 1);
    CHECK(flags_of(o[0]) == "FIN,ACK");
    CHECK(w.state() == State::LastAck);
}

TEST_CASE("CLOSE_WAIT: RST -> CLOSED and send() fails with EPIPE (Linux tcp_reset)",
          "[close_wait]") {
    Wire w;
    w.close_wait();
    w.inject(RST, kPeerIss + 2, 0);
    CHECK(w.state() == State::Closed);
    CHECK(w.a->send(w.fd, "x", false).err == Errno::epipe);
}

TEST_CASE("LAST_ACK: ACK of our FIN -> CLOSED", "[last_ack]") {
    Wire w;
    w.last_ack();
    w.inject(ACK, kPeerIss + 2, kIss + 2);
    CHECK(w.state() == State::Closed);
}

TEST_CASE("CLOSING: ACK of our FIN -> TIME_WAIT", "[closing]") {
    Wire w;
    w.closing();
    w.inject(ACK, kPeerIss + 2, kIss + 2);
    CHECK(w.state() == State::TimeWait);
}

TEST_CASE("TIME_WAIT: retransmitted FIN -> ACK again and the 2MSL timer restarts", "[time_wait]") {
    Wire w;
    w.time_wait();
    w.advance(sec(30));
    w.inject(FIN | ACK, kPeerIss + 1, kIss + 2);
    auto o = w.out();
    REQUIRE(o.size() == 1);
    CHECK(ack_of(o[0]) == kPeerIss + 2);
    w.advance(sec(59));
    CHECK(w.state() == State::TimeWait);  // 89 s after entering: restarted at 30 s
    w.advance(sec(2));
    CHECK(w.state() == State::Closed);
}

TEST_CASE("TIME_WAIT: RST at RCV.NXT -> CLOSED (tcp_rfc1337 = 0, TIME-WAIT assassination)",
          "[time_wait]") {
    Wire w;
    w.time_wait();
    w.inject(RST, kPeerIss + 2, 0);
    CHECK(w.state() == State::Closed);
}

TEST_CASE("TIME_WAIT: RST with tcp_rfc1337 = 1 -> ignored (RFC 1337 F1)", "[time_wait]") {
    Params p = profile_params("linux");
    p.rfc1337 = 1;
    Wire w(p);
    w.time_wait();
    w.inject(RST, kPeerIss + 2, 0);
    CHECK(w.state() == State::TimeWait);
}

TEST_CASE("TIME_WAIT: lasts 60 s on linux, 240 s on rfc and windows", "[time_wait][timer]") {
    for (const char* profile : {"linux", "rfc", "windows"}) {
        Wire w(profile_params(profile));
        w.time_wait();
        const Time len = std::string(profile) == "linux" ? sec(60) : sec(240);
        w.advance(len - sec(1));
        CHECK(w.state() == State::TimeWait);
        w.advance(sec(2));
        CHECK(w.state() == State::Closed);
    }
}

TEST_CASE("TIME_WAIT: a new SYN with a higher sequence number reopens the 4-tuple (RFC 6191)",
          "[time_wait]") {
    Wire w;
    w.time_wait();
    w.listen();  // the port listens again (a server restarted with SO_REUSEADDR would)
    w.inject(SYN, kPeerIss + 100000, 0);
    auto o = w.out();
    REQUIRE(!o.empty());
    CHECK(flags_of(o.back()) == "SYN,ACK");
    CHECK(seq_of(o.back()) == kIss + 2 + 65535 + 2);  // old SND.NXT + 65537
}

TEST_CASE("FIN_WAIT_2: data after shutdown(SHUT_WR) -> delivered and ACKed (half-close)",
          "[fin_wait_2]") {
    Wire w;
    w.established_passive();
    w.a->shutdown(w.fd, false, true);
    w.advance(us(10));
    w.inject(ACK, kPeerIss + 1, kIss + 2);
    w.out();
    w.inject(ACK | PSH, kPeerIss + 1, kIss + 2, 40);
    auto o = w.out();
    REQUIRE(o.size() == 1);
    CHECK(ack_of(o[0]) == kPeerIss + 41);
    std::string data;
    CHECK(w.a->recv(w.fd, 100, &data).value == 40);
    CHECK(w.state() == State::FinWait2);
}

TEST_CASE("FIN_WAIT_1: send() after close() or shutdown(SHUT_WR) -> EPIPE", "[fin_wait_1]") {
    Wire w;
    w.established_passive();
    w.a->shutdown(w.fd, false, true);
    CHECK(w.a->send(w.fd, "late", true).err == Errno::epipe);
}

TEST_CASE("CLOSE_WAIT: data after the peer's FIN -> ignored", "[close_wait]") {
    Wire w;
    w.close_wait();
    w.inject(ACK | PSH, kPeerIss + 2, kIss + 1, 10);
    std::string data;
    CHECK(w.a->recv(w.fd, 100, &data).value == 0);  // still EOF, nothing new
    CHECK(w.state() == State::CloseWait);
}

TEST_CASE("CLOSE_WAIT: recv() -> 0 at end of file, and send() still works", "[close_wait]") {
    Wire w;
    w.close_wait();
    std::string data;
    CHECK(w.a->recv(w.fd, 100, &data).value == 0);
    CHECK(w.a->send(w.fd, "still here", true).value == 10);
}

TEST_CASE("CLOSING: SYN -> challenge ACK", "[closing]") {
    Wire w;
    w.closing();
    w.inject(SYN, kPeerIss + 2, 0);
    auto o = w.out();
    REQUIRE(o.size() == 1);
    CHECK(flags_of(o[0]) == "ACK");
    CHECK(w.state() == State::Closing);
}

TEST_CASE("CLOSING: RST at RCV.NXT -> CLOSED", "[closing]") {
    Wire w;
    w.closing();
    w.inject(RST, kPeerIss + 2, 0);
    CHECK(w.state() == State::Closed);
}

TEST_CASE("LAST_ACK: RST at RCV.NXT -> CLOSED", "[last_ack]") {
    Wire w;
    w.last_ack();
    w.inject(RST, kPeerIss + 2, 0);
    CHECK(w.state() == State::Closed);
}

TEST_CASE("LAST_ACK: SYN -> challenge ACK", "[last_ack]") {
    Wire w;
    w.last_ack();
    w.inject(SYN, kPeerIss + 2, 0);
    auto o = w.out();
    REQUIRE(o.size() == 1);
    CHECK(flags_of(o[0]) == "ACK");
    CHECK(w.state() == State::LastAck);
}

TEST_CASE("LAST_ACK: no ACK of our FIN -> the FIN is retransmitted", "[last_ack][timer]") {
    Wire w;
    w.last_ack();
    w.advance(sec(3));
    auto o = w.out();
    REQUIRE(!o.empty());
    CHECK(flags_of(o[0]) == "FIN,ACK");
    CHECK(o[0]["retransmission"] == true);
}

TEST_CASE("TIME_WAIT: SYN with a lower sequence number -> ACK, the old connection stays",
          "[time_wait]") {
    Wire w;
    w.time_wait();
    w.inject(SYN, kPeerIss - 100, 0);
    auto o = w.out();
    REQUIRE(o.size() == 1);
    CHECK(flags_of(o[0]) == "ACK");
    CHECK(w.state() == State::TimeWait);
}

TEST_CASE("LISTEN: close() -> CLOSED; half-open requests dropped, queued connections reset",
          "[listen]") {
    Wire w;
    w.syn_received();
    w.inject(ACK, kPeerIss + 1, kIss + 1);  // now queued, never accepted
    w.out();
    w.a->close(w.listener);
    w.advance(us(10));
    auto o = w.out();
    REQUIRE(o.size() == 1);
    CHECK(flags_of(o[0]) == "RST,ACK");
    CHECK(w.state() == State::Closed);
}

TEST_CASE("ESTABLISHED: zero receive window -> data is not acceptable, an ACK answers it",
          "[established]") {
    Params p = profile_params("linux");
    p.rcvbuf = 4096;  // a 2 KiB window that fills
    Wire w(p);
    w.established_passive();
    w.inject(ACK | PSH, kPeerIss + 1, kIss + 1, 2048);
    w.out();
    w.inject(ACK | PSH, kPeerIss + 2049, kIss + 1, 10);
    auto o = w.out();
    REQUIRE(o.size() == 1);
    CHECK(ack_of(o[0]) == kPeerIss + 2049);
    CHECK(o[0]["seg"]["win"] == 0);
}
