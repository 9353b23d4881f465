// Writing a trace as a real capture (pcapng or classic pcap) that Wireshark and tshark open.
//
// Packets are Ethernet II / IPv4 (or IPv6 when a host's address has a ':') / TCP, with correct
// lengths and checksums (IPv4 header checksum, TCP checksum over the pseudo-header, RFC 9293
// §3.1), the TCP options the trace lists (MSS, window scale, SACK-permitted, timestamps, SACK
// blocks, in Linux's order), and payload bytes: the segment's "text" when the trace carries it,
// zeros otherwise. Timestamps are the trace's virtual clock (t_us) from the Unix epoch.
//
// Capture point: a capture is what one interface saw. At a host's interface the capture holds
// every segment that host SENT (at the "send" time, including segments that the network later
// dropped: they did leave the interface) and every segment DELIVERED to it (at the "deliver"
// time; a segment delivered twice is captured twice). A dropped segment therefore appears only in
// the sender's capture, exactly like a real loss. pcapng can hold several capture points, one
// Interface Description Block each (if_name = the host's name); classic pcap holds one.
//
// Comments (pcapng opt_comment): the narration of each lesson step on the first packet of that
// step (PcapOptions::step_comments), and short remarks on dropped and discarded segments in the
// chosen language.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace tcplab {

struct PcapStepComment {
    size_t first_event = 0;  // index into trace["events"]: the step's first event
    std::string text;        // narration, already in the chosen language
};

struct PcapOptions {
    enum class Format { pcapng, pcap };
    Format format = Format::pcapng;
    // Hosts (names from trace["hosts"]) whose interface is captured, one interface each.
    // Empty: the client, i.e. the host that sent the first SYN without ACK (else the first host).
    // {"*"}: every host.
    std::vector<std::string> at;
    std::string lang = "en";                     // "en" | "zh-CN": language of the remarks
    std::vector<PcapStepComment> step_comments;  // a resolved lesson's narration (pcapng only)
    bool remarks = true;                         // comment dropped / discarded segments
    std::string file = "trace";                  // names the input in error messages
};

// Throws InputError ("<file>: <JSON pointer>: <what was expected>") for a trace it cannot write.
std::vector<uint8_t> write_pcapng(const nlohmann::json& trace, const PcapOptions& opt);
std::vector<uint8_t> write_pcap(const nlohmann::json& trace, const PcapOptions& opt);
// Either, as opt.format says.
std::vector<uint8_t> write_capture(const nlohmann::json& trace, const PcapOptions& opt);

}  // namespace tcplab
