// A trace's segment as a packet on the wire: the segment JSON checked and parsed (errors name the
// JSON pointer), and the Ethernet II / IPv4 or IPv6 / TCP frame written with correct lengths and
// checksums. Private to core/src/capture/ (pcap_write.cpp writes the frames into a capture).
#pragma once

#include "tcplab/error.hpp"

#include <nlohmann/json.hpp>

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace tcplab::capture_detail {

using nlohmann::json;

// A non-negative integer, whether it was parsed from text (unsigned) or built in memory (int).
inline bool is_uint(const json& j) {
    return j.is_number_unsigned() || (j.is_number_integer() && j.get<int64_t>() >= 0);
}

// Reads fields of the trace being written; a bad one is an InputError "<file>: <pointer>: <what
// was expected>".
class Checker {
public:
    explicit Checker(const std::string& file) : file_(file) {}
    [[noreturn]] void fail(const std::string& ptr, const std::string& what) const {
        throw InputError(file_ + ": " + ptr + ": " + what);
    }
    uint64_t uint(const json& o, const std::string& key, const std::string& ptr,
                  uint64_t max) const {
        auto it = o.find(key);
        if (it == o.end() || !is_uint(*it) || it->get<uint64_t>() > max)
            fail(ptr + "/" + key, "expected an integer from 0 to " + std::to_string(max));
        return it->get<uint64_t>();
    }
    std::string str(const json& o, const std::string& key, const std::string& ptr) const {
        auto it = o.find(key);
        if (it == o.end() || !it->is_string()) fail(ptr + "/" + key, "expected a string");
        return it->get<std::string>();
    }

private:
    std::string file_;
};

struct Endpoint {  // "ip:port" or "[v6]:port" of a trace segment
    uint8_t version = 4;
    std::array<uint8_t, 16> ip{};
    uint16_t port = 0;
};

// A trace segment as it goes on the wire.
struct Seg {
    Endpoint src, dst;
    uint8_t flags = 0;
    uint32_t seq = 0, ack = 0, len = 0;
    uint16_t win = 0;
    std::vector<uint8_t> opts;  // encoded TCP options, padded to 4
    std::string text;
};

// The segment at JSON pointer `ptr` (a trace's "seg" object). Throws InputError naming the field.
Seg parse_seg(const json& j, const std::string& ptr, const Checker& ck);

// The Ethernet frame carrying the segment, with IPv4 identification `ip_id`.
std::vector<uint8_t> frame(const Seg& s, uint16_t ip_id);

}  // namespace tcplab::capture_detail
