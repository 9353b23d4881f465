// A Host without a simulator: it reads the clock and writes the trace of a HostEnv, and leaves in
// its outbox, in order, what only the world around it can do (segments for the wire, timers,
// wake-ups). The simulator carries the requests out; here the test reads them.
#include "tcplab/host.hpp"

#include <catch2/catch.hpp>

#include <variant>

namespace {

using namespace tcplab;
using Kind = HostEnv::Request::Kind;

constexpr std::uint32_t kA = (10u << 24) | 1;
constexpr std::uint32_t kPeer = (10u << 24) | 2;

}  // namespace

TEST_CASE("host env: a connect asks for its SYN and its timer, and the trace links them") {
    HostEnv env(true);
    env.now = ms(5);
    Host a(env, 0, "a", kA, profile_params("linux"), IsnSpec{IsnKind::Fixed, 1000}, 1);
    const int fd = a.socket();
    REQUIRE(a.connect(fd, {kPeer, 80}).block);

    // The SYN for the wire, then its retransmission timer.
    REQUIRE(env.outbox.size() == 2);
    const HostEnv::Request& send = env.outbox[0];
    CHECK(send.kind == Kind::Send);
    CHECK(send.host == 0);
    CHECK_FALSE(send.rst_reply);
    const Segment& syn = env.segments[send.a];
    CHECK(syn.flags == SYN);
    CHECK(syn.seq == 1000);
    CHECK(syn.id == 1);
    CHECK(env.seg_ids == 1);
    const HostEnv::Request& timer = env.outbox[1];
    CHECK(timer.kind == Kind::Timer);
    CHECK(timer.timer == static_cast<std::uint8_t>(TimerKind::Retransmit));
    CHECK(timer.at > env.now);

    // The trace: SYN_SENT names the SYN ("sent"), and the SYN's send event is the request's.
    const auto& events = env.trace.events();
    REQUIRE(send.event < events.size());
    const auto* sent = std::get_if<ev::Send>(&events[send.event].what);
    REQUIRE(sent);
    CHECK(sent->seg.id == syn.id);
    CHECK(sent->rel.has_value());
    bool linked = false;
    for (const auto& e : events)
        if (const auto* s = std::get_if<ev::StateChange>(&e.what); s && s->to == State::SynSent)
            linked = s->sent == syn.id;
    CHECK(linked);
}

TEST_CASE("host env: a RST from no socket leaves its relative numbers to the simulator") {
    HostEnv env(true);
    Host a(env, 0, "a", kA, profile_params("linux"), IsnSpec{IsnKind::Fixed, 1000}, 1);
    Segment syn;
    syn.id = 7;
    syn.src = {kPeer, 40000};
    syn.dst = {kA, 80};
    syn.seq = 5000;
    syn.flags = SYN;
    a.receive(syn);

    REQUIRE(env.outbox.size() == 1);
    const HostEnv::Request& r = env.outbox[0];
    CHECK(r.kind == Kind::Send);
    CHECK(r.rst_reply);
    CHECK(r.answered_syn);
    CHECK(r.b == 5000);
    const Segment& rst = env.segments[r.a];
    CHECK(rst.flags == (RST | ACK));
    CHECK(rst.ack == 5001);
    CHECK_FALSE(std::get<ev::Send>(env.trace.events()[r.event].what).rel.has_value());

    // No connection at the peer (a forged SYN): counted from the SYN itself, "seq=0 ack=1".
    const auto rel = Host::rst_rel(rst, r.b, r.answered_syn, false, 0, 0);
    REQUIRE(rel);
    CHECK(rel->seq == 0);
    CHECK(rel->ack == 1u);
    // The peer's connection (ISS 5000) counts the same way from its own ISN.
    CHECK(Host::rst_rel(rst, r.b, r.answered_syn, true, 5000, 0)->ack == 1u);
}

TEST_CASE("host env: without tracing the host still numbers its segments and counts events") {
    HostEnv env(false);
    Host a(env, 0, "a", kA, profile_params("linux"), IsnSpec{IsnKind::Fixed, 1000}, 1);
    const int fd = a.socket();
    a.connect(fd, {kPeer, 80});
    REQUIRE_FALSE(env.outbox.empty());
    CHECK(env.outbox[0].event == Trace::kNone);
    CHECK(env.segments[env.outbox[0].a].id == 1);
    CHECK(env.trace.events().empty());
    CHECK(env.trace.size() > 0);
}
