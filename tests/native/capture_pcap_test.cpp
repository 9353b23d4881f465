// Writing traces as captures: the bytes must be what a real interface would have captured.
// (tests/capture/tshark.test.mjs checks the same files with tshark.)
#include "capture_support.hpp"

#include "tcplab/capture.hpp"
#include "tcplab/error.hpp"
#include "tcplab/explain.hpp"
#include "tcplab/pcap.hpp"

#include <catch2/catch.hpp>

using namespace capture_test;
using nlohmann::json;

namespace {

uint32_t sum16(const uint8_t* p, size_t n, uint32_t s = 0) {
    for (size_t i = 0; i + 1 < n; i += 2) s += uint32_t(p[i] << 8 | p[i + 1]);
    if (n & 1) s += uint32_t(p[n - 1] << 8);
    return s;
}
uint16_t folded(uint32_t s) {
    while (s >> 16) s = (s & 0xffff) + (s >> 16);
    return uint16_t(s);
}

// Checks the IPv4 header checksum and the TCP checksum of every Ethernet frame in a pcap file.
int verify_checksums(const std::vector<uint8_t>& f) {
    int n = 0;
    size_t off = 24;
    while (off + 16 <= f.size()) {
        uint32_t cap =
            uint32_t(f[off + 8] | f[off + 9] << 8 | f[off + 10] << 16 | f[off + 11] << 24);
        const uint8_t* p = f.data() + off + 16;
        REQUIRE((p[12] << 8 | p[13]) == 0x0800);
        const uint8_t* ip = p + 14;
        size_t ihl = (ip[0] & 15u) * 4, total = size_t(ip[2] << 8 | ip[3]);
        REQUIRE(total + 14 == cap);
        CHECK(folded(sum16(ip, ihl)) == 0xffff);
        uint32_t s = sum16(ip + 12, 8);
        s += 6 + uint32_t(total - ihl);
        CHECK(folded(sum16(ip + ihl, total - ihl, s)) == 0xffff);
        off += 16 + cap;
        ++n;
    }
    return n;
}

json explained(const char* name) {
    tcplab::ExplainOptions o;
    o.file = name;
    return tcplab::explain_capture(read_bytes(data_dir() / name), o);
}

}  // namespace

TEST_CASE("pcap: a real capture, explained and written again, has the same segments",
          "[capture][pcap]") {
    for (const char* name :
         {"normal.pcap", "half-close.pcap", "reset-unread.pcap", "sll-ipv4.pcap"}) {
        INFO(name);
        auto orig = tcplab::read_capture(read_bytes(data_dir() / name), name);
        json tr = explained(name);
        tcplab::PcapOptions opt;  // at the client: it sends or receives every segment once
        auto again = tcplab::read_capture(tcplab::write_pcapng(tr, opt), "again");
        REQUIRE(again.segments.size() == orig.segments.size());
        CHECK(again.info.linktypes == std::vector<int>{1});
        for (size_t i = 0; i < orig.segments.size(); ++i) {
            const auto &a = orig.segments[i], &b = again.segments[i];
            // An explained capture is written back on its own clock (capture.start_us).
            CHECK(b.ts_us == a.ts_us);
            CHECK(b.seq == a.seq);
            CHECK(b.ack == a.ack);
            CHECK(b.flags == a.flags);
            CHECK(b.win == a.win);
            CHECK(b.len == a.len);
            CHECK(b.sport == a.sport);
            CHECK(b.opts.mss == a.opts.mss);
            CHECK(b.opts.wscale == a.opts.wscale);
            CHECK(b.opts.sack_ok == a.opts.sack_ok);
            CHECK(b.opts.ts_val == a.opts.ts_val);
            CHECK(b.opts.ts_ecr == a.opts.ts_ecr);
            CHECK(b.ip_version == a.ip_version);
        }
    }
}

TEST_CASE("pcap: classic pcap frames carry correct lengths and checksums", "[capture][pcap]") {
    json tr = explained("normal.pcap");
    tcplab::PcapOptions opt;
    opt.format = tcplab::PcapOptions::Format::pcap;
    auto bytes = tcplab::write_capture(tr, opt);
    CHECK(verify_checksums(bytes) == 11);
    opt.at = {"*"};
    CHECK_THROWS_WITH(tcplab::write_capture(tr, opt),
                      Catch::Contains("classic pcap holds one capture point"));
}

TEST_CASE("pcap: a dropped segment is in the sender's capture only, with a remark",
          "[capture][pcap]") {
    json tr = {{"tcplab", 1},
               {"hosts", {{"client", {{"ip", "10.0.0.1"}}}, {"server", {{"ip", "10.0.0.2"}}}}},
               {"events",
                {{{"t_us", 0},
                  {"kind", "send"},
                  {"host", "client"},
                  {"seg",
                   {{"id", 1},
                    {"src", "10.0.0.1:40000"},
                    {"dst", "10.0.0.2:80"},
                    {"flags", {"SYN"}},
                    {"seq", 100},
                    {"ack", 0},
                    {"win", 64240},
                    {"len", 0},
                    {"opts", {{"mss", 1460}, {"sack_ok", true}, {"ts", {1, 0}}, {"wscale", 7}}}}}},
                 {{"t_us", 1000}, {"kind", "drop"}, {"seg_id", 1}, {"reason", "fault"}},
                 {{"t_us", 1000000},
                  {"kind", "send"},
                  {"host", "client"},
                  {"seg",
                   {{"id", 2},
                    {"src", "10.0.0.1:40000"},
                    {"dst", "10.0.0.2:80"},
                    {"flags", {"SYN"}},
                    {"seq", 100},
                    {"ack", 0},
                    {"win", 64240},
                    {"len", 0}}}},
                 {{"t_us", 1001000}, {"kind", "deliver"}, {"host", "server"}, {"seg_id", 2}}}}};
    tcplab::PcapOptions at_client;
    at_client.lang = "zh-CN";
    at_client.step_comments = {{0, "第一步：客户端发送 SYN"}};
    auto c = tcplab::write_pcapng(tr, at_client);
    auto cc = tcplab::read_capture(c, "c");
    REQUIRE(cc.segments.size() == 2);
    CHECK(cc.segments[0].opts.wscale == 7);
    CHECK(cc.segments[0].ts_us == tcplab::kCaptureEpochUs);  // 2022-08-01 00:00:00 UTC
    CHECK(cc.segments[1].ts_us == tcplab::kCaptureEpochUs + 1000000);
    std::string text(c.begin(), c.end());
    CHECK(text.find("第一步：客户端发送 SYN") != std::string::npos);
    CHECK(text.find("在网络中丢失") != std::string::npos);

    tcplab::PcapOptions at_server;
    at_server.at = {"server"};
    auto s = tcplab::read_capture(tcplab::write_pcapng(tr, at_server), "s");
    REQUIRE(s.segments.size() == 1);
    CHECK(s.segments[0].ts_us == tcplab::kCaptureEpochUs + 1001000);

    tcplab::PcapOptions both;
    both.at = {"*"};
    auto b = tcplab::read_capture(tcplab::write_pcapng(tr, both), "b");
    CHECK(b.info.linktypes == std::vector<int>{1, 1});
    CHECK(b.segments.size() == 3);
    REQUIRE(b.info.interfaces.size() == 2);
    CHECK(b.info.interfaces[0].name == "client");
    CHECK(b.info.interfaces[1].name == "server");
    CHECK(b.info.interfaces[1].description == "the interface of host server (10.0.0.2)");
}

TEST_CASE("pcap: a trace it cannot write is an error naming the field", "[capture][pcap]") {
    tcplab::PcapOptions opt;
    opt.file = "t.json";
    CHECK_THROWS_WITH(tcplab::write_pcapng(json::object(), opt),
                      "t.json: /events: expected an array of events");
    json tr = {{"tcplab", 1},
               {"hosts", {{"a", {{"ip", "10.0.0.1"}}}}},
               {"events",
                {{{"t_us", 0},
                  {"kind", "send"},
                  {"host", "a"},
                  {"seg",
                   {{"id", 1},
                    {"src", "10.0.0.1:1"},
                    {"dst", "10.0.0.2:2"},
                    {"flags", {"SYN"}},
                    {"seq", -5},
                    {"ack", 0},
                    {"win", 1},
                    {"len", 0}}}}}}};
    CHECK_THROWS_WITH(tcplab::write_pcapng(tr, opt),
                      "t.json: /events/0/seg/seq: expected an integer from 0 to 4294967295");
    tr["events"][0]["seg"]["seq"] = 1;
    tr["events"][0]["seg"]["dst"] = "nowhere";
    CHECK_THROWS_WITH(tcplab::write_pcapng(tr, opt),
                      "t.json: /events/0/seg/dst: expected \"ip:port\"");
    tr["events"][0]["seg"]["dst"] = "10.0.0.2:2";
    // Flags: one name per element, spelt as traces write them (segment.hpp's flag table).
    for (const json& bad : {json("syn"), json("SYN,ACK"), json(""), json("XMAS"), json(2)}) {
        INFO(bad.dump());
        tr["events"][0]["seg"]["flags"] = {"ACK", bad};
        CHECK_THROWS_WITH(tcplab::write_pcapng(tr, opt),
                          "t.json: /events/0/seg/flags/1: expected FIN, SYN, RST, PSH, ACK, URG, "
                          "ECE or CWR");
    }
    tr["events"][0]["seg"]["flags"] = {"CWR", "ECE", "SYN"};
    opt.at = {"a"};
    CHECK(tcplab::read_capture(tcplab::write_pcapng(tr, opt), "w").segments.at(0).flags ==
          (tcplab::SYN | tcplab::ECE | tcplab::CWR));
    opt.at = {"zz"};
    CHECK_THROWS_WITH(tcplab::write_pcapng(tr, opt),
                      "t.json: /hosts: has no host \"zz\" to capture at");
}
