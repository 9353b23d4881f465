// One captured packet's link, IP and TCP headers, decoded down to a TCP segment; anything else is
// counted as skipped, by reason. The containers (pcap, pcapng) are read in capture_read.cpp.
// Private to core/src/capture/.
#pragma once

#include "tcplab/capture.hpp"

#include <cstddef>
#include <cstdint>
#include <functional>

namespace tcplab::capture_detail {

inline uint16_t be16(const uint8_t* p) { return uint16_t(p[0] << 8 | p[1]); }
inline uint32_t be32(const uint8_t* p) {
    return uint32_t(p[0]) << 24 | uint32_t(p[1]) << 16 | uint32_t(p[2]) << 8 | p[3];
}

// FNV-1a, 64 bits on every target (wasm too), continued from `h`.
inline uint64_t fnv1a(const uint8_t* p, size_t n, uint64_t h = 1469598103934665603ull) {
    for (size_t i = 0; i < n; ++i) h = (h ^ p[i]) * 1099511628211ull;
    return h;
}

// Feeds `on_segment` with the TCP segments of the packets it is given, and counts every packet in
// `info` (per interface, and skipped ones by reason: see capture_skip_reasons()).
class PacketDecoder {
public:
    PacketDecoder(CaptureInfo& info, const std::function<void(const CapturedSegment&)>& cb)
        : info_(info), cb_(cb) {}

    // One packet record: `caplen` bytes captured of `origlen`, at `ts_us` on interface `iface`,
    // whose record starts at byte `offset` of the file.
    void packet(int linktype, const uint8_t* p, uint32_t caplen, uint32_t origlen, int64_t ts_us,
                uint32_t iface, uint64_t offset);

private:
    CaptureInfo& info_;
    const std::function<void(const CapturedSegment&)>& cb_;

    void skip(const char* why) { ++info_.skipped[why]; }
    void link(int lt, const uint8_t* p, uint32_t n, CapturedSegment& s);
    void ethertype(uint16_t et, const uint8_t* p, uint32_t n, CapturedSegment& s);
    void ip(unsigned version, const uint8_t* p, uint32_t n, CapturedSegment& s);
    void tcp(const uint8_t* p, uint32_t n, int64_t l4len, CapturedSegment& s);
};

}  // namespace tcplab::capture_detail
