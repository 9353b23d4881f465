// A tcp::Connection driven directly, without a simulator or a host: each test feeds it events
// (a segment, a timer firing, a user call, with the time) and checks, as typed values, what it
// asked for: segments to send, timers set or cancelled, state changes, and its end. In the
// spirit of smoltcp's socket fixtures (`socket_fin_wait_2()`) and CS144's expectation harness.
#include "tcplab/tcp/connection.hpp"

#include <catch2/catch.hpp>

#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace {

using namespace tcplab;
using tcp::Connection;

// What a connection asked its host for, recorded in order.
struct Recorder : tcp::Io {
    struct Sent {
        Segment seg;
        bool retransmission = false;
        SendWhy why;
        std::uint32_t retransmission_of = 0;
    };
    struct Armed {
        TimerKind kind;
        Time at;
        std::uint32_t token;
    };
    std::vector<Sent> sent;
    std::vector<ConnEvent> events;
    std::vector<Armed> armed;
    std::vector<std::string> ends;  // "done", "free", "TIME_WAIT 60000000", "tw_bucket", ...
    bool tw_buckets_full = false;
    std::uint32_t next_id = 100, next_token = 1;

    bool tracing() const override { return true; }
    void record(const Connection&, ConnEvent&& e) override { events.push_back(std::move(e)); }
    std::uint32_t transmit(const Connection&, Segment&& s, bool retransmission, const SendWhy& why,
                           std::uint32_t retransmission_of) override {
        s.id = ++next_id;
        sent.push_back({std::move(s), retransmission, why, retransmission_of});
        return next_id;
    }
    void reply_rst(const Segment& seg, const char* why, const Connection*) override {
        ends.push_back(std::string("reply_rst ") + why + " " + std::to_string(seg.id));
    }
    std::uint32_t schedule(const Connection&, TimerKind k, Time at) override {
        armed.push_back({k, at, next_token});
        return next_token++;
    }
    void wake(const Connection&) override {}
    void child_established(Connection&, const std::string&) override {}
    bool accept_queue_full(const Connection&) const override { return false; }
    void detach(Connection&) override {}
    void done(Connection&) override { ends.push_back("done"); }
    void free(Connection&) override { ends.push_back("free"); }
    void enter_time_wait(Connection&, Time timeout, const std::string&, bool ack_fin) override {
        ends.push_back("TIME_WAIT " + std::to_string(timeout) + (ack_fin ? " ack" : ""));
    }
    bool take_tw_bucket(Connection&) override {
        ends.push_back(tw_buckets_full ? "no tw_bucket" : "tw_bucket");
        return !tw_buckets_full;
    }

    // What happened since the last call, and forget it.
    std::vector<Sent> take_sent() { return std::exchange(sent, {}); }
    std::vector<std::string> take_ends() { return std::exchange(ends, {}); }
    std::vector<ev::StateChange> take_states() {
        std::vector<ev::StateChange> v;
        for (auto& e : events)
            if (auto* s = std::get_if<ev::StateChange>(&e)) v.push_back(*s);
        std::erase_if(
            events, [](const ConnEvent& e) { return std::holds_alternative<ev::StateChange>(e); });
        return v;
    }
    std::vector<ev::Timer> timers() const {
        std::vector<ev::Timer> v;
        for (const auto& e : events)
            if (auto* t = std::get_if<ev::Timer>(&e)) v.push_back(*t);
        return v;
    }
};

constexpr std::uint32_t kLocal = (10u << 24) | 1, kRemote = (10u << 24) | 2;
constexpr Seq kIss = 1000, kPeerIss = 5000;

struct Fixture {
    Params p;
    Recorder io;
    Connection c{io, p};
    Time now = 0;

    explicit Fixture(const std::string& profile = "linux") : p(profile_params(profile)) {
        p.timestamps = 0;  // plain headers keep the expected segments short
        c.tuple = {kLocal, kRemote, 40000, 80};
        c.rto = p.rto_initial;
        c.rcv_wnd = static_cast<std::uint32_t>(p.rcvbuf / 2);
        c.fd = 3;
    }

    Segment from_peer(std::uint8_t flags, Seq seq, Seq ack, std::size_t len = 0) {
        Segment s;
        s.id = 1;
        s.src = {kRemote, 80};
        s.dst = {kLocal, 40000};
        s.flags = flags;
        s.seq = seq;
        s.ack = ack;
        s.window = 65535;
        s.payload.assign(len, 'x');
        if (flags & SYN) s.opts.mss = 1460;
        return s;
    }
    void arrives(Segment s, Time dt = ms(1)) {
        now += dt;
        c.segment_arrives(s, now);
    }

    // ---- fixtures: each leaves the connection in the named state, the record emptied
    void syn_sent() {
        c.set_iss(kIss);
        c.open(now);
        io = Recorder{};
    }
    void established() {
        syn_sent();
        arrives(from_peer(SYN | ACK, kPeerIss, kIss + 1));
        REQUIRE(c.state == State::Established);
        io = Recorder{};
    }
    void fin_wait_1() {
        established();
        c.shutdown_write(now);
        REQUIRE(c.state == State::FinWait1);
        io = Recorder{};
    }
    void fin_wait_2() {
        fin_wait_1();
        arrives(from_peer(ACK, kPeerIss + 1, kIss + 2));
        REQUIRE(c.state == State::FinWait2);
        io = Recorder{};
    }
};

}  // namespace

TEST_CASE("Connection CLOSED: open -> SYN_SENT, a SYN with the ISS, the SYN timer at 1 s") {
    Fixture f;
    f.c.set_iss(kIss);
    f.c.open(0);
    const auto states = f.io.take_states();
    REQUIRE(states.size() == 1);
    CHECK(states[0].from == State::Closed);
    CHECK(states[0].to == State::SynSent);
    CHECK(states[0].cause == "connect");
    const auto sent = f.io.take_sent();
    REQUIRE(sent.size() == 1);
    CHECK(sent[0].seg.flags == SYN);
    CHECK(sent[0].seg.seq == kIss);
    CHECK(sent[0].why.seq == SendWhy::SeqRule::Isn);
    REQUIRE(f.io.armed.size() == 1);
    CHECK(f.io.armed[0].kind == TimerKind::Retransmit);
    CHECK(f.io.armed[0].at == sec(1));  // RFC 6298 §2.1, Linux TCP_TIMEOUT_INIT
    const auto timers = f.io.timers();
    REQUIRE(timers.size() == 1);
    CHECK(timers[0].timer == TimerName::SynRetransmit);
    CHECK(timers[0].action == ev::Timer::Action::Set);
}

TEST_CASE("Connection SYN_SENT: SYN timeout -> the same SYN again, named as a retransmission") {
    Fixture f;
    f.c.set_iss(kIss);
    f.c.open(0);
    const auto first = f.io.take_sent();
    REQUIRE(first.size() == 1);
    REQUIRE(f.io.armed.size() == 1);
    f.c.timer_fires(TimerKind::Retransmit, f.io.armed[0].token, sec(1));
    const auto sent = f.io.take_sent();
    REQUIRE(sent.size() == 1);
    CHECK(sent[0].seg.flags == SYN);
    CHECK(sent[0].seg.seq == kIss);
    CHECK(sent[0].retransmission);
    CHECK(sent[0].retransmission_of == first[0].seg.id);
    CHECK(sent[0].why.seq == SendWhy::SeqRule::Retransmission);
    // Linux 6.5+ tcp_syn_linear_timeouts: the first four SYN timeouts stay 1 s.
    REQUIRE(f.io.armed.size() == 2);
    CHECK(f.io.armed[1].at == sec(2));
}

TEST_CASE("Connection: a timer firing with a stale token does nothing") {
    Fixture f;
    f.syn_sent();
    f.c.timer_fires(TimerKind::Retransmit, 12345, sec(1));
    CHECK(f.io.sent.empty());
    CHECK(f.io.events.empty());
}

TEST_CASE("Connection SYN_SENT: SYN,ACK -> ESTABLISHED and the third ACK at once") {
    Fixture f;
    f.syn_sent();
    f.arrives(f.from_peer(SYN | ACK, kPeerIss, kIss + 1));
    const auto states = f.io.take_states();
    REQUIRE(states.size() == 1);
    CHECK(states[0].to == State::Established);
    CHECK(states[0].cause == "seg:1");
    const auto sent = f.io.take_sent();
    REQUIRE(sent.size() == 1);
    CHECK(sent[0].seg.flags == ACK);
    CHECK(sent[0].seg.seq == kIss + 1);
    CHECK(sent[0].seg.ack == kPeerIss + 1);
    CHECK(f.c.irs == kPeerIss);
}

TEST_CASE("Connection SYN_SENT: RST,ACK for our SYN -> CLOSED, ECONNREFUSED") {
    Fixture f;
    f.syn_sent();
    f.arrives(f.from_peer(RST | ACK, 0, kIss + 1));
    CHECK(f.c.state == State::Closed);
    CHECK(f.c.error == Errno::econnrefused);
    CHECK(f.io.take_ends() == std::vector<std::string>{"done"});
    CHECK(f.io.sent.empty());
}

TEST_CASE("Connection ESTABLISHED: FIN -> CLOSE_WAIT, its ACK delayed") {
    Fixture f;
    f.established();
    f.arrives(f.from_peer(FIN | ACK, kPeerIss + 1, kIss + 1));
    const auto states = f.io.take_states();
    REQUIRE(states.size() == 1);
    CHECK(states[0].to == State::CloseWait);
    CHECK(f.io.sent.empty());  // Linux tcp_fin(): ping-pong mode, the ACK waits
    REQUIRE_FALSE(f.io.armed.empty());
    CHECK(f.io.armed.back().kind == TimerKind::DelayedAck);
    CHECK(f.c.rcv_nxt == kPeerIss + 2);
}

TEST_CASE("Connection ESTABLISHED: an in-window RST off RCV.NXT -> challenge ACK (RFC 5961)") {
    Fixture f;
    f.established();
    f.arrives(f.from_peer(RST, kPeerIss + 100, 0));
    CHECK(f.c.state == State::Established);
    const auto sent = f.io.take_sent();
    REQUIRE(sent.size() == 1);
    CHECK(sent[0].seg.flags == ACK);
    CHECK(sent[0].seg.ack == kPeerIss + 1);
}

TEST_CASE("Connection ESTABLISHED: shutdown -> FIN_WAIT_1 and the FIN") {
    Fixture f;
    f.established();
    f.c.shutdown_write(f.now);
    const auto states = f.io.take_states();
    REQUIRE(states.size() == 1);
    CHECK(states[0].to == State::FinWait1);
    const auto sent = f.io.take_sent();
    REQUIRE(sent.size() == 1);
    CHECK(sent[0].seg.flags == (FIN | ACK));
    CHECK(sent[0].seg.seq == kIss + 1);
    CHECK(sent[0].why.seq == SendWhy::SeqRule::Next);
}

TEST_CASE("Connection FIN_WAIT_1: the ACK of our FIN -> FIN_WAIT_2, nothing sent") {
    Fixture f;
    f.fin_wait_1();
    f.arrives(f.from_peer(ACK, kPeerIss + 1, kIss + 2));
    const auto states = f.io.take_states();
    REQUIRE(states.size() == 1);
    CHECK(states[0].from == State::FinWait1);
    CHECK(states[0].to == State::FinWait2);
    CHECK(f.io.sent.empty());
    CHECK(f.io.ends.empty());  // a socket still holds it: no FIN_WAIT_2 timer
}

TEST_CASE("Connection FIN_WAIT_1: a FIN before the ACK of ours -> CLOSING, ACK at once") {
    Fixture f;
    f.fin_wait_1();
    f.arrives(f.from_peer(FIN | ACK, kPeerIss + 1, kIss + 1));
    const auto sent = f.io.take_sent();
    REQUIRE(sent.size() == 1);
    CHECK(sent[0].seg.flags == ACK);
    CHECK(sent[0].seg.ack == kPeerIss + 2);
    const auto states = f.io.take_states();
    REQUIRE(states.size() == 1);
    CHECK(states[0].to == State::Closing);
}

TEST_CASE("Connection FIN_WAIT_2: FIN -> TIME_WAIT for the profile's 2 MSL, the record ACKs") {
    // The ACK of the FIN is the TIME-WAIT record's (engine_states_test.cpp checks it on the
    // wire): the connection hands over RCV.NXT past the FIN and asks for the ACK.
    SECTION("linux: TCP_TIMEWAIT_LEN, 60 s") {
        Fixture f("linux");
        f.fin_wait_2();
        f.arrives(f.from_peer(FIN | ACK, kPeerIss + 1, kIss + 2));
        CHECK(f.io.sent.empty());
        CHECK(f.c.rcv_nxt == kPeerIss + 2);
        CHECK(f.io.take_ends() == std::vector<std::string>{"TIME_WAIT 60000000 ack"});
    }
    SECTION("rfc: 2 MSL of 2 minutes, 240 s (RFC 9293 §3.6.1)") {
        Fixture f("rfc");
        f.fin_wait_2();
        f.arrives(f.from_peer(FIN | ACK, kPeerIss + 1, kIss + 2));
        CHECK(f.io.take_ends() == std::vector<std::string>{"TIME_WAIT 240000000 ack"});
        CHECK(f.p.time_wait == 2 * f.p.msl);
    }
}

TEST_CASE("Connection FIN_WAIT_2: a FIN with data missing before it -> no TIME_WAIT yet") {
    Fixture f;
    f.fin_wait_2();
    // Data [+1, +11) never arrived; the FIN at +11 is out of order.
    f.arrives(f.from_peer(FIN | ACK, kPeerIss + 11, kIss + 2));
    CHECK(f.c.state == State::FinWait2);
    CHECK(f.c.rcv_nxt == kPeerIss + 1);
    CHECK(f.io.ends.empty());
}

TEST_CASE("Connection FIN_WAIT_2: close() -> the orphan waits tcp_fin_timeout, then ends") {
    Fixture f;
    f.fin_wait_2();
    f.c.fd = -1;
    f.c.orphan = true;
    f.c.close(false, f.now);
    CHECK(f.c.state == State::FinWait2);
    CHECK(f.io.take_ends() == std::vector<std::string>{"tw_bucket"});
    REQUIRE(f.io.armed.size() == 1);
    CHECK(f.io.armed[0].kind == TimerKind::FinWait2);
    CHECK(f.io.armed[0].at == f.now + sec(60));  // Linux tcp_fin_timeout
    CHECK(f.io.sent.empty());

    SECTION("the peer's FIN -> TIME_WAIT, acknowledged, as with a socket still open") {
        f.arrives(f.from_peer(FIN | ACK, kPeerIss + 1, kIss + 2));
        CHECK(f.c.rcv_nxt == kPeerIss + 2);
        CHECK(f.io.take_ends() == std::vector<std::string>{"TIME_WAIT 60000000 ack"});
    }
    SECTION("no FIN within tcp_fin_timeout -> CLOSED silently") {
        f.c.timer_fires(TimerKind::FinWait2, f.io.armed[0].token, f.io.armed[0].at);
        const auto states = f.io.take_states();
        REQUIRE(states.size() == 1);
        CHECK(states[0].from == State::FinWait2);
        CHECK(states[0].to == State::Closed);
        CHECK(states[0].cause == "timer:fin_wait_2");
        CHECK(f.io.sent.empty());
        CHECK(f.io.take_ends() == std::vector<std::string>{"done"});
    }
    SECTION("data after close() -> RST (RFC 1122 via Linux tcp_rcv_state_process)") {
        f.c.rcv_shutdown = true;
        f.arrives(f.from_peer(ACK | PSH, kPeerIss + 1, kIss + 2, 10));
        CHECK(f.io.take_ends().at(0).rfind("reply_rst rst_data_after_close", 0) == 0);
        CHECK(f.c.state == State::Closed);
    }
}

TEST_CASE("Connection FIN_WAIT_2: an orphan with TCP_LINGER2 set") {
    Fixture f;
    f.fin_wait_2();
    f.c.fd = -1;
    f.c.orphan = true;
    SECTION("TCP_LINGER2 = 5 -> waits 5 s") {
        f.c.linger2 = 5;
        f.c.close(false, f.now);
        REQUIRE(f.io.armed.size() == 1);
        CHECK(f.io.armed[0].at == f.now + sec(5));
    }
    SECTION("TCP_LINGER2 < 0 -> RST at once, no FIN-WAIT-2 wait") {
        f.c.linger2 = -1;
        f.c.close(false, f.now);
        const auto sent = f.io.take_sent();
        REQUIRE(sent.size() == 1);
        CHECK((sent[0].seg.flags & RST) != 0);
        CHECK(f.c.state == State::Closed);
    }
    SECTION("tcp_max_tw_buckets reached -> CLOSED at once (tcp_time_wait() overflow)") {
        f.io.tw_buckets_full = true;
        f.c.close(false, f.now);
        CHECK(f.c.state == State::Closed);
        CHECK(f.io.take_ends() == std::vector<std::string>{"no tw_bucket", "done"});
        CHECK(f.io.armed.empty());
    }
}

TEST_CASE("Connection LAST_ACK: the ACK of our FIN -> CLOSED, the connection is done") {
    Fixture f;
    f.established();
    f.arrives(f.from_peer(FIN | ACK, kPeerIss + 1, kIss + 1));
    f.c.close(false, f.now);
    REQUIRE(f.c.state == State::LastAck);
    f.io = Recorder{};
    f.arrives(f.from_peer(ACK, kPeerIss + 2, kIss + 2));
    const auto states = f.io.take_states();
    REQUIRE(states.size() == 1);
    CHECK(states[0].to == State::Closed);
    CHECK(f.io.take_ends() == std::vector<std::string>{"done"});
}

TEST_CASE("Connection: close() with unread data -> RST, CLOSED (RFC 2525 §2.17)") {
    Fixture f;
    f.established();
    f.arrives(f.from_peer(PSH | ACK, kPeerIss + 1, kIss + 1, 10));
    f.io = Recorder{};
    f.c.close(false, f.now);
    const auto sent = f.io.take_sent();
    REQUIRE(sent.size() == 1);
    CHECK(sent[0].seg.flags == (RST | ACK));
    CHECK(f.c.state == State::Closed);
    CHECK(f.io.take_ends() == std::vector<std::string>{"done"});
}
