// The native capture reader against the files in tests/capture/data/ (the web reader,
// web/src/capture/reader.test.ts, is checked against the same files and the same expectations).
#include "capture_support.hpp"

#include "tcplab/capture.hpp"
#include "tcplab/error.hpp"

#include <catch2/catch.hpp>

using namespace capture_test;
using tcplab::read_capture;

namespace {

// The TCP part of the reader's output: what must not change across file formats and link types.
std::vector<std::string> tcp_view(const tcplab::Capture& c) {
    std::vector<std::string> v;
    for (const auto& s : c.segments) {
        std::string f;
        for (auto& n : tcplab::flag_names(s.flags)) f += n + ",";
        v.push_back(std::to_string(s.ts_us) + " " + std::to_string(s.sport) + ">" +
                    std::to_string(s.dport) + " " + f + " " + std::to_string(s.seq) + " " +
                    std::to_string(s.ack) + " " + std::to_string(s.win) + " " +
                    std::to_string(s.len) + " mss=" + std::to_string(s.opts.mss) +
                    " ws=" + std::to_string(s.opts.wscale) +
                    " ts=" + std::to_string(s.opts.ts_val) + "/" + std::to_string(s.opts.ts_ecr));
    }
    return v;
}

}  // namespace

TEST_CASE("reader: every golden file gives the recorded connections and segments",
          "[capture][reader]") {
    // <name>.segments.json is the reader's JSON for <name>; the web reader must produce the same.
    // Every capture has one, except a file the reader must refuse (its test is below).
    int checked = 0;
    for (const auto& e : std::filesystem::directory_iterator(data_dir())) {
        const auto p = e.path();
        if (p.extension() != ".pcap" && p.extension() != ".pcapng") continue;
        INFO(p.filename().string());
        const auto golden = std::filesystem::path(p.string() + ".segments.json");
        if (p.filename() == "bad-block-length.pcapng") {
            CHECK(!std::filesystem::exists(golden));
            continue;
        }
        auto cap = read_capture(read_bytes(p), p.filename().string());
        CHECK(tcplab::capture_to_json(cap) == nlohmann::ordered_json::parse(read_text(golden)));
        ++checked;
    }
    CHECK(checked >= 21);  // the captures in tests/capture/data
}

TEST_CASE("reader: the same segments through every format and link type", "[capture][reader]") {
    auto base = read_capture(read_bytes(data_dir() / "normal.pcap"), "normal.pcap");
    REQUIRE(base.info.linktypes == std::vector<int>{1});
    REQUIRE(base.segments.size() >= 10);
    const auto want = tcp_view(base);
    for (const char* name : {"sll-ipv4.pcap", "sll2-ipv6.pcap", "raw-ipv6-be-ns.pcap",
                             "ethernet-mixed.pcap", "ns-two-sections.pcapng"}) {
        INFO(name);
        auto c = read_capture(read_bytes(data_dir() / name), name);
        CHECK(tcp_view(c) == want);
    }
}

TEST_CASE("reader: link types, IP versions and skipped packets are reported", "[capture][reader]") {
    auto sll2 = read_capture(read_bytes(data_dir() / "sll2-ipv6.pcap"), "x");
    CHECK(sll2.info.linktypes == std::vector<int>{276});
    CHECK(sll2.segments.front().ip_version == 6);
    CHECK(tcplab::endpoint_string(6, sll2.segments.front().src, sll2.segments.front().sport)
              .rfind("[2001:db8::1]:", 0) == 0);

    auto be = read_capture(read_bytes(data_dir() / "raw-ipv6-be-ns.pcap"), "x");
    CHECK(be.info.format == "pcap");
    CHECK(be.info.linktypes == std::vector<int>{101});

    auto mixed = read_capture(read_bytes(data_dir() / "ethernet-mixed.pcap"), "x");
    CHECK(mixed.info.packets == mixed.info.tcp_packets + 4);
    CHECK(mixed.info.skipped ==
          std::map<std::string, uint64_t>{{"non_ip", 1}, {"udp", 1}, {"icmp", 1}, {"fragment", 1}});
    CHECK(mixed.segments.front().frame == 3);  // frames count every packet

    auto ng = read_capture(read_bytes(data_dir() / "ns-two-sections.pcapng"), "x");
    CHECK(ng.info.format == "pcapng");
    CHECK(ng.info.linktypes == std::vector<int>{1, 228, 1});
}

TEST_CASE("reader: a file cut inside a record keeps what came before", "[capture][reader]") {
    auto full = read_capture(read_bytes(data_dir() / "normal.pcap"), "normal.pcap");
    auto cut = read_capture(read_bytes(data_dir() / "truncated.pcap"), "truncated.pcap");
    REQUIRE(cut.info.truncated_at.has_value());
    CHECK(cut.segments.size() == full.segments.size() - 1);
    CHECK(*cut.info.truncated_at == full.segments.back().offset);
}

TEST_CASE("reader: damaged files are errors that name the byte offset", "[capture][reader]") {
    auto err = [](const std::string& name) -> std::string {
        try {
            read_capture(read_bytes(data_dir() / name), name);
        } catch (const tcplab::InputError& e) {
            return e.what();
        }
        return "no error";
    };
    CHECK(err("garbage.bin") ==
          "garbage.bin: byte 0: not a pcap or pcapng file (unknown magic number)");
    CHECK(err("bad-block-length.pcapng").rfind("bad-block-length.pcapng: byte ", 0) == 0);
    CHECK(err("bad-block-length.pcapng").find("block length") != std::string::npos);

    std::vector<uint8_t> tiny = {0xd4, 0xc3};
    CHECK_THROWS_WITH(read_capture(tiny, "t"),
                      "t: byte 0: file too short to be a capture (2 bytes)");
    // A pcap header, then a record claiming 100 MB.
    auto b = read_bytes(data_dir() / "normal.pcap");
    b[24 + 8] = 0, b[24 + 9] = 0, b[24 + 10] = 0, b[24 + 11] = 0x06;
    CHECK_THROWS_WITH(read_capture(b, "big"),
                      Catch::Contains("big: byte 32: implausible captured length"));
}
