// Initial sequence number generators (RFC 9293 §3.4.1, RFC 6528), selectable per host.
#pragma once

#include "tcplab/segment.hpp"
#include "tcplab/time.hpp"

#include <cstdint>
#include <string>

namespace tcplab {

enum class IsnKind : std::uint8_t {
    Rfc793,   // ISN = (t / 4 us) mod 2^32: the clock of RFC 793 §3.3
    Rfc6528,  // ISN = M + F(4-tuple, secret), M the 4 us clock (RFC 6528 §3)
    Linux,    // SipHash(4-tuple, secret) + (ns >> 6) (net/core/secure_seq.c)
    Fixed,    // the same chosen value for every connection: lessons and tests
};

struct IsnSpec {
    IsnKind kind = IsnKind::Linux;
    std::uint32_t fixed = 0;
};

// SipHash-2-4 (Aumasson & Bernstein), the PRF Linux uses for ISNs, ports and SYN cookies.
std::uint64_t siphash24(std::uint64_t k0, std::uint64_t k1, const std::uint8_t* data,
                        std::size_t n);
// SipHash over a 4-tuple, laid out as Linux's siphash_3u32(saddr, daddr, sport<<16|dport).
std::uint64_t hash_tuple(std::uint64_t k0, std::uint64_t k1, Addr local, Addr remote,
                         std::uint32_t extra = 0);

class IsnGenerator {
public:
    IsnGenerator() = default;
    // `clock_offset` is the host's uptime at virtual time 0: a real clock does not start at 0.
    IsnGenerator(IsnSpec spec, std::uint64_t k0, std::uint64_t k1, Time clock_offset)
        : spec_(spec), k0_(k0), k1_(k1), offset_(clock_offset) {}

    std::uint32_t next(Time now, Addr local, Addr remote) const;
    const IsnSpec& spec() const { return spec_; }

private:
    IsnSpec spec_;
    std::uint64_t k0_ = 0, k1_ = 0;
    Time offset_ = 0;
};

}  // namespace tcplab
