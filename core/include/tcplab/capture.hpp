// Reading real captures: pcap and pcapng files, down to the TCP segments they carry.
//
// The reader is written here rather than taken from libpcap on purpose:
//  - the browser build (WebAssembly) must not depend on libpcap: the page runs this very reader,
//    compiled to WebAssembly, in a Web Worker, so the CLI and the page see the same connections
//    and segments from the same bytes;
//  - every error must name the byte offset where the file stops making sense, which libpcap
//    does not report;
//  - it only ever looks at a byte span: no file I/O in core.
//
// Supported: pcap (both byte orders, microsecond magic a1b2c3d4 and nanosecond magic a1b23c4d),
// pcapng (SHB in either byte order, IDB with if_tsresol/if_tsoffset, EPB, SPB, the obsolete PB;
// several sections and interfaces). Link types: Null/loopback (0), Ethernet (1, with 802.1Q/ad
// tags), raw IP (12, 101), Linux cooked SLL (113) and SLL2 (276), IPv4 (228), IPv6 (229).
// IPv4 (with options) and IPv6 (hop-by-hop, routing, destination options, fragment and AH
// extension headers skipped properly). Fragments after the first are counted, not reassembled.
#pragma once

#include "tcplab/segment.hpp"

#include <nlohmann/json.hpp>

#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace tcplab {

struct TcpOptionsSeen {
    int mss = -1;     // -1: absent
    int wscale = -1;  // -1: absent
    bool sack_ok = false;
    bool has_ts = false;
    uint32_t ts_val = 0, ts_ecr = 0;
    std::vector<std::pair<uint32_t, uint32_t>> sack;  // SACK blocks (left, right)
};

// The trace's "opts" object for options seen on the wire (empty when there were none).
nlohmann::ordered_json options_json(const TcpOptionsSeen& o);

struct CapturedSegment {
    uint64_t frame = 0;   // 1-based number of the packet in the file (every packet counts)
    uint64_t offset = 0;  // byte offset of the packet's record (pcap) or block (pcapng)
    int64_t ts_us = 0;    // timestamp, microseconds since the Unix epoch
    uint32_t iface = 0;   // pcapng interface id (0 for pcap)
    uint8_t ip_version = 4;
    std::array<uint8_t, 16> src{}, dst{};  // IPv4 uses the first 4 bytes
    uint16_t sport = 0, dport = 0;
    uint32_t seq = 0, ack = 0;
    uint8_t flags = 0;
    uint16_t win = 0;        // raw window field (not scaled)
    uint32_t len = 0;        // payload length from the IP header (not limited by the snap length)
    uint8_t hlen = 20;       // TCP header length in bytes: the data offset field times 4
    bool truncated = false;  // the record holds fewer bytes than the packet had
    TcpOptionsSeen opts;
    // Sequence space the segment occupies: data plus one for SYN and one for FIN (RFC 9293 §3.4).
    uint32_t seg_len() const { return len + ((flags & SYN) ? 1 : 0) + ((flags & FIN) ? 1 : 0); }
    // For telling one packet captured twice from two packets (not part of the JSON forms):
    int32_t ip_id = -1;   // IPv4 Identification field, -1 for IPv6
    uint64_t digest = 0;  // FNV-1a of the captured IP and TCP headers (the TCP checksum in
                          // them covers the payload)
};

// One interface of the file (pcapng: an Interface Description Block, numbered across sections as
// Wireshark numbers them, frame.interface_id; pcap: the one interface).
struct CaptureInterface {
    int linktype = 0;
    std::string name;         // if_name, "" when absent (draft-ietf-opsawg-pcapng §4.2)
    std::string description;  // if_description, "" when absent
    uint64_t packets = 0;     // packet records on this interface
    uint64_t tcp_packets = 0;
};

struct CaptureInfo {
    std::string format;                        // "pcap" | "pcapng"
    std::vector<int> linktypes;                // per interface (pcap: one)
    std::vector<CaptureInterface> interfaces;  // per interface, the same order
    uint64_t packets = 0;                      // every packet record
    uint64_t tcp_packets = 0;
    std::map<std::string, uint64_t> skipped;  // reason code -> count (see capture_skip_reasons())
    std::optional<uint64_t> truncated_at;     // byte offset of an incomplete last record
    // Timestamp of the file's first packet of any kind (Wireshark's time 0), microseconds since
    // the Unix epoch; unset for a file without packets.
    std::optional<int64_t> first_ts_us;
};

struct Capture {
    CaptureInfo info;
    std::vector<CapturedSegment> segments;
};

// Reads the whole capture. Throws InputError ("<file>: byte <N>: <what>") for a damaged file.
// A file that simply ends inside a record (a capture cut short) is not an error: the packets
// before it are returned and info.truncated_at says where the cut is.
Capture read_capture(std::span<const uint8_t> bytes, const std::string& file);

// Streaming form: calls on_segment for each TCP segment in file order, fills info.
void read_capture(std::span<const uint8_t> bytes, const std::string& file, CaptureInfo& info,
                  const std::function<void(const CapturedSegment&)>& on_segment);

// Reason codes used in CaptureInfo::skipped, in a fixed order.
const std::vector<std::string>& capture_skip_reasons();

std::string ip_to_string(uint8_t version, const std::array<uint8_t, 16>& ip);
std::string endpoint_string(uint8_t version, const std::array<uint8_t, 16>& ip,
                            uint16_t port);  // "ip:port", "[v6]:port"

// The reader's result as JSON (the CLI's --segments and the page's worker both use it):
// { "format", "linktypes", "packets", "tcp_packets", "skipped": {reason: n}, "truncated_at"?,
//   "interfaces": [ { "id", "linktype", "name"?, "description"?, "packets", "tcp_packets" } ],
//   "connections": [ { "a": "ip:port", "b": "ip:port", "segments": n } ],   // by first appearance
//   "segments": [ { "frame", "iface", "t_us", "conn", "dir" ("a>b" | "b>a"), "flags", "seq",
//                   "ack", "win", "len", "opts"? } ] }
// Every interface's segments are listed (in file order); explaining reads one capture point
// (see select_capture_interfaces).
nlohmann::ordered_json capture_to_json(const Capture& cap);
nlohmann::ordered_json interfaces_json(const CaptureInfo& info);

// Which interfaces of a capture to read as one capture point. A file can hold several
// interfaces: the same path seen at several points (tcplab's "all hosts" export, a router's two
// sides, mergecap of two hosts' captures), where every segment appears once per interface, or one
// path split over several interfaces or sections (a capture concatenated from parts). Reading the
// former together would invent retransmissions and duplicate ACKs, so interfaces are read per
// capture point. A capture point is one interface, or all interfaces that carry the same if_name
// (the same interface in several sections).
//
// `choice`: "" (automatic), "all", an interface id ("0", "1", ... as Wireshark numbers them) or an
// interface name (if_name). Automatic: the only capture point carrying TCP; else, when some TCP
// segment appears at two capture points, the first capture point carrying TCP; else (the points
// never saw the same segment) all of them together.
struct InterfaceSelection {
    std::vector<uint32_t> ids;  // interface ids read, ascending
    // "only" (one capture point carries TCP), "first" (several saw the same segments: the first),
    // "chosen" (by id or name), "all" (asked for), "together" (several, never the same segment)
    std::string how;
    size_t points = 0;  // capture points carrying TCP in the file
};
InterfaceSelection select_capture_interfaces(const Capture& cap, const std::string& choice,
                                             const std::string& file);

}  // namespace tcplab
