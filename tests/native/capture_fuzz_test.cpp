// Damaged captures never crash or hang the reader or the explainer: thousands of truncated and
// mutated copies of real captures each give a result or an InputError naming a byte offset.
#include "capture_support.hpp"

#include "tcplab/capture.hpp"
#include "tcplab/error.hpp"
#include "tcplab/explain.hpp"

#include <catch2/catch.hpp>

#include <random>

using namespace capture_test;

namespace {

// Returns "ok", or the error message.
std::string try_explain(const std::vector<uint8_t>& b) {
    try {
        tcplab::ExplainOptions o;
        o.file = "f";
        auto tr = tcplab::explain_capture(b, o);
        REQUIRE(tr["source"] == "capture");
        // Serialisable (interface names from the file are valid UTF-8 by then).
        REQUIRE(!tr.dump().empty());
        return "ok";
    } catch (const tcplab::InputError& e) {
        return e.what();
    }
}

}  // namespace

TEST_CASE("fuzz: truncated and mutated captures give a result or an error with a byte offset",
          "[capture][fuzz]") {
    std::mt19937 rng(20261121);
    int results = 0, errors = 0;
    for (const char* name :
         {"normal.pcap", "ns-two-sections.pcapng", "sll2-ipv6.pcap", "ethernet-mixed.pcap",
          "raw-ipv6-be-ns.pcap", "two-interfaces.pcapng"}) {
        const auto orig = read_bytes(data_dir() / name);
        REQUIRE(!orig.empty());
        // Every truncation inside the file headers, then every 7th byte (a prime step still
        // lands inside every block header, option and packet).
        for (size_t n = 0; n <= orig.size(); n += n < 200 ? 1 : 7) {
            std::vector<uint8_t> b(orig.begin(), orig.begin() + long(n));
            std::string r = try_explain(b);
            if (r == "ok")
                ++results;
            else {
                ++errors;
                CHECK(r.rfind("f: byte ", 0) == 0);
            }
        }
        // Random byte flips, runs of 0xff / 0x00, and inserted bytes.
        // (The libFuzzer targets in fuzz/ search far wider; this is the quick regression net.)
        for (int i = 0; i < 500; ++i) {
            std::vector<uint8_t> b = orig;
            int edits = 1 + int(rng() % 4);
            for (int k = 0; k < edits; ++k) {
                size_t at = rng() % b.size();
                switch (rng() % 4) {
                    case 0: b[at] = uint8_t(rng()); break;
                    case 1:
                        for (size_t j = at; j < std::min(b.size(), at + 4); ++j) b[j] = 0xff;
                        break;
                    case 2:
                        for (size_t j = at; j < std::min(b.size(), at + 4); ++j) b[j] = 0;
                        break;
                    default: b.insert(b.begin() + long(at), uint8_t(rng())); break;
                }
            }
            std::string r = try_explain(b);
            if (r == "ok")
                ++results;
            else {
                ++errors;
                CHECK(r.rfind("f: byte ", 0) == 0);
            }
        }
    }
    CHECK(results > 400);
    CHECK(errors > 100);
}
