// The one capture export (tcplab::export_capture, used by `tcplab pcap` and by the page's
// "Download capture" through wasm): deterministic bytes on a fixed clock, one capture point by
// default that the file names, step narration from a resolved lesson, options as JSON; and
// reading back a file with several interfaces one capture point at a time.
#include "capture_support.hpp"

#include "tcplab/capture.hpp"
#include "tcplab/explain.hpp"
#include "tcplab/lesson.hpp"
#include "tcplab/pcap.hpp"
#include "tcplab/run.hpp"

#include <catch2/catch.hpp>

#include <set>

using namespace capture_test;
using nlohmann::json;
using nlohmann::ordered_json;

namespace {

// A client connects, sends, and closes; the server closes too. 1 ms one-way delay.
const char* kScenario = R"({
  "tcplab": 1, "title": "Handshake and close", "seed": 7, "profile": "linux",
  "hosts": { "client": { "ip": "10.0.0.1" }, "server": { "ip": "10.0.0.2" } },
  "link": { "delay_ms": 1 },
  "apps": [
    { "name": "srv", "host": "server", "steps": [
      { "call": "socket", "as": "L" }, { "call": "bind", "sock": "L", "port": 80 },
      { "call": "listen", "sock": "L", "backlog": 8 }, { "call": "accept", "sock": "L", "as": "c" },
      { "call": "recv", "sock": "c", "max": 100 }, { "call": "recv", "sock": "c", "max": 100 },
      { "call": "close", "sock": "c" } ]},
    { "name": "cli", "host": "client", "steps": [
      { "at_ms": 10, "call": "socket", "as": "s" },
      { "call": "connect", "sock": "s", "to": "server:80" },
      { "call": "send", "sock": "s", "text": "hello" },
      { "after_ms": 50, "call": "close", "sock": "s" } ]}
  ],
  "until_ms": 2000 })";

json trace() { return json(tcplab::run_scenario(json::parse(kScenario), "s.json")); }

std::string text_of(const std::vector<uint8_t>& b) { return std::string(b.begin(), b.end()); }

// What the explainer concluded about each connection, without what depends on the file.
ordered_json connections(const ordered_json& tr) {
    ordered_json out = ordered_json::array();
    for (auto c : tr["capture"]["connections"]) {
        c.erase("first_frame");
        c.erase("delay_us");
        out.push_back(c);
    }
    return out;
}

ordered_json explain(const std::vector<uint8_t>& bytes, const std::string& interface) {
    tcplab::ExplainOptions o;
    o.file = "f.pcapng";
    o.interface = interface;
    return tcplab::explain_capture(bytes, o);
}

std::set<std::string> notes(const ordered_json& tr) {
    std::set<std::string> v;
    for (const auto& [k, _] : tr["capture"]["note_counts"].items()) v.insert(k);
    return v;
}

}  // namespace

TEST_CASE("export: the same trace gives the same bytes, on a fixed clock, at the client",
          "[capture][export]") {
    const json tr = trace();
    tcplab::PcapOptions opt;
    const auto a = tcplab::export_capture(tr, opt), b = tcplab::export_capture(tr, opt);
    CHECK(a == b);
    // The scenario runs again to the same bytes too.
    CHECK(tcplab::export_capture(json::parse(kScenario), opt) == a);

    auto cap = tcplab::read_capture(a, "a");
    REQUIRE(cap.info.interfaces.size() == 1);
    CHECK(cap.info.interfaces[0].name == "client");
    CHECK(cap.info.interfaces[0].description == "the interface of host client (10.0.0.1)");
    // Every segment once: the client sent it or it was delivered to the client.
    size_t sends = 0;
    for (const auto& e : tr["events"]) sends += e["kind"] == "send";
    CHECK(cap.segments.size() == sends);
    // 2022-08-01 00:00:00 UTC plus the virtual clock.
    int64_t first_send = -1;
    for (const auto& e : tr["events"])
        if (e["kind"] == "send" && first_send < 0) first_send = e["t_us"].get<int64_t>();
    CHECK(cap.segments.front().ts_us == tcplab::kCaptureEpochUs + first_send);
    CHECK(cap.segments.front().ts_us > 1'600'000'000'000'000);  // not 1970
    const std::string t = text_of(a);
    CHECK(t.find("Captured at the interface of host client (10.0.0.1)") != std::string::npos);
    CHECK(t.find("Handshake and close") != std::string::npos);  // the title, in the SHB

    // A chosen start; and the explicit client gives the default's bytes.
    opt.start_us = 0;
    CHECK(tcplab::read_capture(tcplab::export_capture(tr, opt), "z").segments.front().ts_us <
          10'000'000);
    tcplab::PcapOptions client;
    client.at = {"client"};
    CHECK(tcplab::export_capture(tr, client) == a);
}

TEST_CASE("export: each host's capture point, and all of them with a warning in the file",
          "[capture][export]") {
    const json tr = trace();
    tcplab::PcapOptions srv;
    srv.at = {"server"};
    srv.lang = "zh-CN";
    const auto s = tcplab::export_capture(tr, srv);
    auto sc = tcplab::read_capture(s, "s");
    REQUIRE(sc.info.interfaces.size() == 1);
    CHECK(sc.info.interfaces[0].name == "server");
    CHECK(text_of(s).find("在主机 server（10.0.0.2）的网卡上抓取") != std::string::npos);

    tcplab::PcapOptions all;
    all.at = {"*"};
    const auto b = tcplab::export_capture(tr, all);
    auto bc = tcplab::read_capture(b, "b");
    REQUIRE(bc.info.interfaces.size() == 2);
    CHECK(bc.segments.size() == 2 * sc.segments.size());
    CHECK(text_of(b).find("Wireshark shows a segment once per interface") != std::string::npos);
    CHECK(tcplab::capture_hosts(tr, {"*"}) == std::vector<std::string>{"client", "server"});
    CHECK(tcplab::capture_hosts(tr, {}) == std::vector<std::string>{"client"});
    CHECK_THROWS_WITH(tcplab::capture_hosts(tr, {"nobody"}, "t.json"),
                      "t.json: /hosts: has no host \"nobody\" to capture at");
    tcplab::PcapOptions pcap = all;
    pcap.format = tcplab::PcapOptions::Format::pcap;
    CHECK_THROWS_WITH(tcplab::export_capture(tr, pcap),
                      Catch::Contains("classic pcap holds one capture point"));
}

TEST_CASE("export: a lesson's step narration becomes packet comments, in either language",
          "[capture][export]") {
    const auto path = source_dir() / "lessons" / "handshake-close.json";
    const json lesson = json::parse(read_text(path));
    const json resolved = json(tcplab::resolve_lesson(lesson, "handshake-close.json", json{}));
    for (const std::string lang : {"en", "zh-CN"}) {
        INFO(lang);
        tcplab::PcapOptions opt;
        opt.lang = lang;
        opt.file = "handshake-close.json";
        // The lesson file and its resolved form (what the page holds) give the same bytes.
        const auto from_file = tcplab::export_capture(lesson, opt);
        const auto from_resolved = tcplab::export_capture(
            json{{"trace", resolved["trace"]}, {"steps", resolved["steps"]}}, opt);
        CHECK(from_file == from_resolved);
        const auto comments = tcplab::step_comments(resolved["steps"], lang);
        REQUIRE(comments.size() >= 3);
        const std::string t = text_of(from_file);
        CHECK(t.find(comments[0].text) != std::string::npos);
        CHECK(t.find(comments[1].text) != std::string::npos);
    }
}

TEST_CASE("export: options as JSON, the browser's way in", "[capture][export]") {
    auto o = tcplab::pcap_options_from_json(
        json::parse(R"({"format":"pcap","lang":"zh-CN","at":"all","remarks":false})"), "options");
    CHECK(o.format == tcplab::PcapOptions::Format::pcap);
    CHECK(o.lang == "zh-CN");
    CHECK(o.at == std::vector<std::string>{"*"});
    CHECK(!o.remarks);
    CHECK(tcplab::pcap_options_from_json(json::parse(R"({"at":["server"]})"), "o").at ==
          std::vector<std::string>{"server"});
    CHECK(tcplab::pcap_options_from_json(json::object(), "o").at.empty());
    CHECK_THROWS_WITH(tcplab::pcap_options_from_json(json::parse(R"({"lang":"fr"})"), "options"),
                      "options: /lang: expected \"en\" or \"zh-CN\"");
    CHECK_THROWS_WITH(tcplab::pcap_options_from_json(json::parse(R"({"vantage":1})"), "options"),
                      Catch::StartsWith("options: /vantage: is not an option"));
    CHECK_THROWS_WITH(tcplab::pcap_options_from_json(json::parse(R"({"at":[1]})"), "options"),
                      "options: /at: expected host names, or \"all\"");
}

TEST_CASE("interfaces: a two-interface pcapng is explained per interface, as each host's file",
          "[capture][export][interfaces]") {
    const json tr = trace();
    tcplab::PcapOptions c, s, all;
    s.at = {"server"};
    all.at = {"*"};
    const auto at_client = explain(tcplab::export_capture(tr, c), "");
    const auto at_server = explain(tcplab::export_capture(tr, s), "");
    const auto both = tcplab::export_capture(tr, all);

    // Automatic: the interfaces saw the same segments, so the first one only.
    const auto first = explain(both, "");
    CHECK(first["capture"]["interface"]["ids"] == ordered_json::array({0}));
    CHECK(first["capture"]["interface"]["how"] == "first");
    CHECK(connections(first) == connections(at_client));
    bool said = false;  // the explanation says which interface it read
    for (const auto& e : first["events"])
        said |= e["kind"] == "note" && e["code"] == "cap_interface_first";
    CHECK(said);
    // By id and by name.
    CHECK(connections(explain(both, "0")) == connections(at_client));
    const auto second = explain(both, "1");
    CHECK(connections(second) == connections(at_server));
    CHECK(connections(explain(both, "server")) == connections(at_server));
    CHECK(second["capture"]["interface"]["how"] == "chosen");
    // No invented retransmissions or losses at any single capture point.
    for (const auto* tr2 : {&at_client, &at_server, &first, &second}) {
        CHECK(notes(*tr2).count("cap_retransmission") == 0);
        CHECK(notes(*tr2).count("cap_inferred_loss") == 0);
        CHECK(notes(*tr2).count("cap_dup_ack") == 0);
    }
    // Read together (asked for), each segment is there twice, and looks re-sent.
    const auto merged = explain(both, "all");
    CHECK(merged["capture"]["interface"]["how"] == "all");
    CHECK(merged["capture"]["connections"][0]["segments"] ==
          2 * first["capture"]["connections"][0]["segments"].get<int>());
    CHECK(notes(merged).count("cap_retransmission") == 1);
    CHECK_THROWS_WITH(explain(both, "eth9"),
                      "f.pcapng: the capture has no interface \"eth9\" (its interfaces: 0 "
                      "\"client\", 1 \"server\")");
    CHECK_THROWS_WITH(explain(both, "7"), Catch::Contains("no interface \"7\""));
}

TEST_CASE("interfaces: parts of one path on several interfaces are read together",
          "[capture][interfaces]") {
    // ns-two-sections.pcapng: one loopback connection split over three interfaces (two sections);
    // two-interfaces.pcapng: the same connection seen at two named interfaces.
    const auto normal = explain(read_bytes(data_dir() / "normal.pcap"), "");
    const auto split = explain(read_bytes(data_dir() / "ns-two-sections.pcapng"), "");
    CHECK(split["capture"]["interface"]["how"] == "together");
    CHECK(split["capture"]["interface"]["ids"] == ordered_json::array({0, 1, 2}));
    CHECK(connections(split) == connections(normal));
    const auto two = read_bytes(data_dir() / "two-interfaces.pcapng");
    const auto first = explain(two, "");
    CHECK(first["capture"]["interface"]["how"] == "first");
    CHECK(connections(first) == connections(normal));
    CHECK(connections(explain(two, "server")) == connections(normal));
    CHECK(notes(first).count("cap_retransmission") == 0);
    auto cap = tcplab::read_capture(two, "two");
    auto sel = tcplab::select_capture_interfaces(cap, "", "two");
    CHECK(sel.points == 2);
    CHECK(sel.ids == std::vector<uint32_t>{0});
}
