// The facts a send or state event carries so that no renderer recomputes TCP (CONTRACTS.md,
// "Trace"): a segment's header length, which segment a retransmission repeats, why its
// sequence and acknowledgment numbers are what they are, and which segment went with a state
// change. Checked on real runs of small scenarios.
#include "tcplab/run.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

namespace {

using nlohmann::ordered_json;

ordered_json run(const std::string& text) {
    return tcplab::run_scenario(tcplab::parse_json(text, "<test>"), "<test>");
}

// A client connects to a server, sends a request, gets a reply, and closes first.
const char* kHandshakeClose = R"({
  "tcplab": 1, "seed": 1, "profile": "linux",
  "hosts": {"client": {"ip": "10.0.0.1"}, "server": {"ip": "10.0.0.2"}},
  "link": {"delay_ms": 10},
  "apps": [
    {"name": "srv", "host": "server", "steps": [
      {"call": "socket", "as": "L"}, {"call": "bind", "sock": "L", "port": 80},
      {"call": "listen", "sock": "L", "backlog": 8}, {"call": "accept", "sock": "L", "as": "c"},
      {"call": "recv", "sock": "c", "max": 100}, {"call": "send", "sock": "c", "bytes": 20},
      {"call": "recv", "sock": "c", "max": 100}, {"call": "close", "sock": "c"}]},
    {"name": "cli", "host": "client", "steps": [
      {"at_ms": 10, "call": "socket", "as": "s"},
      {"call": "connect", "sock": "s", "to": "server:80"},
      {"call": "send", "sock": "s", "bytes": 10}, {"call": "recv", "sock": "s", "max": 100},
      {"after_ms": 100, "call": "close", "sock": "s"}]}],
  "until_ms": 70000})";

struct Trace {
    ordered_json doc;
    const ordered_json& events() const { return doc["events"]; }

    std::vector<ordered_json> sends(const std::string& host, const std::string& flags) const {
        std::vector<ordered_json> v;
        for (const auto& e : events()) {
            if (e["kind"] != "send" || e["host"] != host) continue;
            std::string f;
            for (const auto& name : e["seg"]["flags"])
                f += (f.empty() ? "" : ",") + name.get<std::string>();
            if (f == flags) v.push_back(e);
        }
        return v;
    }
    ordered_json send(const std::string& host, const std::string& flags,
                      std::size_t nth = 0) const {
        auto v = sends(host, flags);
        REQUIRE(v.size() > nth);
        return v[nth];
    }
    ordered_json state(const std::string& host, const std::string& to) const {
        for (const auto& e : events())
            if (e["kind"] == "state" && e["host"] == host && e["to"] == to) return e;
        FAIL("no state event " << host << " -> " << to);
        return {};
    }
};

std::uint32_t id(const ordered_json& send) { return send["seg"]["id"].get<std::uint32_t>(); }

}  // namespace

TEST_CASE("trace facts: the handshake says where each number came from") {
    const Trace t{run(kHandshakeClose)};
    const auto syn = t.send("client", "SYN");
    const auto synack = t.send("server", "SYN,ACK");
    const auto ack = t.send("client", "ACK");

    // MSS (4) + SACK-permitted (2) + timestamps (10) + window scale (3) = 19, padded to 20.
    CHECK(syn["seg"]["hlen"] == 40);
    CHECK(synack["seg"]["hlen"] == 40);
    CHECK(ack["seg"]["hlen"] == 32);  // timestamps only: 10, padded to 12

    CHECK(syn["why"]["seq"]["rule"] == "isn");
    CHECK_FALSE(syn["why"].contains("ack"));  // no ACK flag
    CHECK(synack["why"]["seq"]["rule"] == "isn");
    CHECK(synack["why"]["ack"]["rule"] == "rcv_nxt");
    CHECK(synack["why"]["ack"]["after"] == id(syn));

    // The third segment: nothing new to send, SND.NXT (only the SYN advanced it); RCV.NXT as
    // the SYN,ACK left it.
    CHECK(ack["why"]["seq"]["rule"] == "snd_nxt");
    CHECK_FALSE(ack["why"]["seq"].contains("after"));
    CHECK(ack["why"]["ack"]["rule"] == "rcv_nxt");
    CHECK(ack["why"]["ack"]["after"] == id(synack));

    // The request: the next sequence number after the SYN.
    const auto request = t.send("client", "PSH,ACK");
    CHECK(request["why"]["seq"]["rule"] == "next");
    CHECK(request["why"]["seq"]["after"] == id(syn));
    CHECK_FALSE(request.contains("retransmission_of"));

    // The state events name the segment sent with each transition.
    CHECK(t.state("client", "SYN_SENT")["sent"] == id(syn));
    CHECK(t.state("server", "SYN_RECEIVED")["sent"] == id(synack));
    CHECK(t.state("client", "ESTABLISHED")["sent"] == id(ack));
    CHECK_FALSE(t.state("server", "ESTABLISHED").contains("sent"));  // the server sent nothing
}

TEST_CASE("trace facts: the close names its FIN and the ACKs of FINs") {
    const Trace t{run(kHandshakeClose)};
    const auto client_fin = t.send("client", "FIN,ACK");
    const auto server_fin = t.send("server", "FIN,ACK");
    CHECK(t.state("client", "FIN_WAIT_1")["sent"] == id(client_fin));
    CHECK(t.state("server", "LAST_ACK")["sent"] == id(server_fin));
    CHECK_FALSE(t.state("client", "FIN_WAIT_2").contains("sent"));

    // The client's FIN comes after its request: SND.NXT after that segment.
    const auto request = t.send("client", "PSH,ACK");
    CHECK(client_fin["why"]["seq"]["rule"] == "next");
    CHECK(client_fin["why"]["seq"]["after"] == id(request));

    // TIME_WAIT is entered with the ACK of the server's FIN, which acknowledges that FIN.
    const auto time_wait = t.state("client", "TIME_WAIT");
    REQUIRE(time_wait.contains("sent"));
    ordered_json last_ack;
    for (const auto& e : t.events())
        if (e["kind"] == "send" && e["seg"]["id"] == time_wait["sent"]) last_ack = e;
    REQUIRE(last_ack.is_object());
    CHECK(last_ack["seg"]["flags"] == ordered_json::array({"ACK"}));
    CHECK(last_ack["why"]["ack"]["after"] == id(server_fin));
    CHECK(last_ack["why"]["seq"]["rule"] == "snd_nxt");
    CHECK(last_ack["why"]["seq"]["after"] == id(client_fin));
}

TEST_CASE("trace facts: a retransmitted SYN names the first one") {
    std::string text = kHandshakeClose;
    text.replace(text.find("\"until_ms\": 70000"), 17,
                 R"("faults": [{"drop": {"from": "client", "flags": "SYN", "nth": 1}}],
                    "until_ms": 70000)");
    const Trace t{run(text)};
    const auto first = t.send("client", "SYN", 0);
    const auto again = t.send("client", "SYN", 1);
    CHECK_FALSE(first.contains("retransmission_of"));
    CHECK(again["retransmission"] == true);
    CHECK(again["retransmission_of"] == id(first));
    CHECK(again["why"]["seq"]["rule"] == "retransmission");
    CHECK(again["why"]["seq"]["after"] == id(first));
    // SYN_SENT went with the first SYN, not with the retransmission.
    CHECK(t.state("client", "SYN_SENT")["sent"] == id(first));
}

TEST_CASE("trace facts: RSTs from no socket say which rule of RFC 9293 3.10.7.1 they follow") {
    // Nobody listens on port 81: the SYN (no ACK) is answered <SEQ=0><ACK=SEG.SEQ+SEG.LEN>.
    const Trace t{run(R"({
      "tcplab": 1, "seed": 1,
      "hosts": {"client": {"ip": "10.0.0.1"}, "server": {"ip": "10.0.0.2"}},
      "apps": [{"name": "cli", "host": "client", "steps": [
        {"call": "socket", "as": "s"}, {"call": "connect", "sock": "s", "to": "server:81"}]}],
      "until_ms": 1000})")};
    const auto syn = t.send("client", "SYN");
    const auto rst = t.send("server", "RST,ACK");
    CHECK(rst["why"]["seq"]["rule"] == "zero");
    CHECK(rst["why"]["ack"]["rule"] == "seg_end");
    CHECK(rst["why"]["ack"]["after"] == id(syn));
    CHECK(rst["seg"]["hlen"] == 20);
}
