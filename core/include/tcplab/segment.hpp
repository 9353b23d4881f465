// A TCP segment as the engine moves it between hosts: addressing, the header fields that
// connection management uses, options, and the payload bytes.
#pragma once

#include "tcplab/seq.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace tcplab {

// Header flag bits in wire order (RFC 9293 §3.1).
enum Flag : std::uint8_t {
    FIN = 0x01,
    SYN = 0x02,
    RST = 0x04,
    PSH = 0x08,
    ACK = 0x10,
    URG = 0x20,
    ECE = 0x40,  // RFC 3168
    CWR = 0x80,
};

// "SYN,ACK" style names, ascending bit order (FIN, SYN, RST, PSH, ACK, URG, ECE, CWR), as
// Wireshark prints them.
std::vector<std::string> flag_names(std::uint8_t flags);
std::string flags_string(std::uint8_t flags, char sep = ',');
// Parses "SYN,ACK" (any order, case-insensitive). Returns nullopt on an unknown name.
std::optional<std::uint8_t> parse_flags(const std::string& text);

struct TcpOptions {
    std::optional<std::uint16_t> mss;     // RFC 9293 §3.7.1, SYN only
    std::optional<std::uint8_t> wscale;   // RFC 7323 §2, SYN only
    bool sack_ok = false;                 // RFC 2018, SYN only
    std::optional<std::uint32_t> ts_val;  // RFC 7323 §3
    std::uint32_t ts_ecr = 0;
};

struct Addr {
    std::uint32_t ip = 0;
    std::uint16_t port = 0;
    bool operator==(const Addr&) const = default;
};

std::string ip_string(std::uint32_t ip);
std::string addr_string(Addr a);
// Parses dotted-quad IPv4. Returns nullopt when malformed.
std::optional<std::uint32_t> parse_ip(const std::string& text);

struct Segment {
    std::uint32_t id = 0;  // trace id, 1-based, unique per run
    Addr src, dst;
    Seq seq = 0;
    Seq ack = 0;
    std::uint8_t flags = 0;
    std::uint16_t window = 0;  // as on the wire (before scaling)
    TcpOptions opts;
    std::string payload;

    std::uint32_t len() const { return static_cast<std::uint32_t>(payload.size()); }
    // Sequence space the segment occupies: data plus one for SYN and one for FIN (RFC 9293 §3.4).
    std::uint32_t seg_len() const {
        return len() + ((flags & SYN) ? 1 : 0) + ((flags & FIN) ? 1 : 0);
    }
    bool has(std::uint8_t f) const { return (flags & f) == f; }
};

// TCP header length in bytes: 20 plus the options, padded to a multiple of 4 (RFC 9293 §3.1,
// Data Offset).
std::uint32_t tcp_header_bytes(const Segment& s);
// Bytes the segment occupies as an IPv4 packet: 20 (IP) + the TCP header + payload.
std::uint32_t ip_packet_bytes(const Segment& s);

}  // namespace tcplab
