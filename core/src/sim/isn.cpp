#include "tcplab/isn.hpp"

namespace tcplab {

namespace {
constexpr std::uint64_t rotl(std::uint64_t x, int b) { return (x << b) | (x >> (64 - b)); }

struct SipState {
    std::uint64_t v0, v1, v2, v3;
    void round() {
        v0 += v1;
        v1 = rotl(v1, 13);
        v1 ^= v0;
        v0 = rotl(v0, 32);
        v2 += v3;
        v3 = rotl(v3, 16);
        v3 ^= v2;
        v0 += v3;
        v3 = rotl(v3, 21);
        v3 ^= v0;
        v2 += v1;
        v1 = rotl(v1, 17);
        v1 ^= v2;
        v2 = rotl(v2, 32);
    }
};
}  // namespace

std::uint64_t siphash24(std::uint64_t k0, std::uint64_t k1, const std::uint8_t* in, std::size_t n) {
    SipState s{0x736f6d6570736575ULL ^ k0, 0x646f72616e646f6dULL ^ k1, 0x6c7967656e657261ULL ^ k0,
               0x7465646279746573ULL ^ k1};
    std::size_t end = n - (n % 8);
    for (std::size_t i = 0; i < end; i += 8) {
        std::uint64_t m = 0;
        for (int b = 0; b < 8; ++b) m |= static_cast<std::uint64_t>(in[i + b]) << (8 * b);
        s.v3 ^= m;
        s.round();
        s.round();
        s.v0 ^= m;
    }
    std::uint64_t last = static_cast<std::uint64_t>(n & 0xff) << 56;
    for (std::size_t b = 0; b < n % 8; ++b)
        last |= static_cast<std::uint64_t>(in[end + b]) << (8 * b);
    s.v3 ^= last;
    s.round();
    s.round();
    s.v0 ^= last;
    s.v2 ^= 0xff;
    for (int i = 0; i < 4; ++i) s.round();
    return s.v0 ^ s.v1 ^ s.v2 ^ s.v3;
}

std::uint64_t hash_tuple(std::uint64_t k0, std::uint64_t k1, Addr local, Addr remote,
                         std::uint32_t extra) {
    std::uint32_t words[4] = {local.ip, remote.ip,
                              (static_cast<std::uint32_t>(local.port) << 16) | remote.port, extra};
    std::uint8_t bytes[16];
    for (int w = 0; w < 4; ++w)
        for (int b = 0; b < 4; ++b)
            bytes[w * 4 + b] = static_cast<std::uint8_t>(words[w] >> (8 * b));
    return siphash24(k0, k1, bytes, sizeof bytes);
}

std::uint32_t IsnGenerator::next(Time now, Addr local, Addr remote) const {
    const Time t = now + offset_;
    switch (spec_.kind) {
        case IsnKind::Fixed: return spec_.fixed;
        case IsnKind::Rfc793:
            // RFC 793 §3.3: "bound to a (possibly fictitious) 32 bit clock whose low order bit
            // is incremented roughly every 4 microseconds"; it wraps in about 4.55 hours.
            return static_cast<std::uint32_t>(t / 4);
        case IsnKind::Rfc6528:
            // RFC 6528 §3: ISN = M + F(localip, localport, remoteip, remoteport, secretkey).
            return static_cast<std::uint32_t>(t / 4) +
                   static_cast<std::uint32_t>(hash_tuple(k0_, k1_, local, remote));
        case IsnKind::Linux:
            // secure_tcp_seq(): siphash_3u32(saddr, daddr, ports) + (ktime_get_real_ns() >> 6).
            return static_cast<std::uint32_t>(hash_tuple(k0_, k1_, local, remote)) +
                   static_cast<std::uint32_t>((t * 1000) >> 6);
    }
    return 0;
}

}  // namespace tcplab
