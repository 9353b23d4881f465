// Writing a simulated exchange as a real capture (pcapng or classic pcap) that Wireshark and
// tshark open. One export serves every caller: `tcplab pcap` and the browser's "Download capture"
// (wasm writeCapture) both call export_capture() with the same options and defaults, so the
// same lesson gives the same bytes everywhere.
//
// Packets are Ethernet II / IPv4 (or IPv6 when a host's address has a ':') / TCP, with correct
// lengths and checksums (IPv4 header checksum, TCP checksum over the pseudo-header, RFC 9293
// §3.1), the TCP options the trace lists (MSS, window scale, SACK-permitted, timestamps, SACK
// blocks, in Linux's order), and payload bytes: the segment's "text" when the trace carries it,
// zeros otherwise.
//
// Time: a packet's timestamp is a fixed start plus the trace's virtual clock (t_us), so the same
// trace always gives the same bytes. The start is kCaptureEpochUs (2022-08-01 00:00:00 UTC), or,
// for a trace explained from a real capture, that capture's own start (capture.start_us).
//
// Capture point: a capture is what one interface saw. At a host's interface the capture holds
// every segment that host SENT (at the "send" time, including segments that the network later
// dropped: they did leave the interface) and every segment DELIVERED to it (at the "deliver"
// time; a segment delivered twice is captured twice). A dropped segment therefore appears only in
// the sender's capture, exactly like a real loss. By default the capture point is the client (the
// host that sent the first SYN without ACK), one interface, which Wireshark analyses without a
// false retransmission. pcapng can hold several capture points, one Interface Description Block
// each (if_name = the host's name); Wireshark then shows a segment once per interface that saw
// it, and the file says so. Classic pcap holds one.
//
// Comments (pcapng opt_comment, UTF-8, draft-ietf-opsawg-pcapng §3.5): the section header says
// where the capture was taken; each interface's if_description says whose interface it is; the
// narration of each lesson step is on the first packet of that step; short remarks mark dropped
// and discarded segments. All in the chosen language (en or zh-CN).
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace tcplab {

// The start of every exported capture's clock: 2022-08-01 00:00:00 UTC (the month of RFC 9293,
// the TCP specification the engine follows), in microseconds since the Unix epoch.
inline constexpr int64_t kCaptureEpochUs = 1'659'312'000'000'000;

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
    std::string lang = "en";                     // "en" | "zh-CN": language of the comments
    std::vector<PcapStepComment> step_comments;  // a resolved lesson's narration (pcapng only)
    bool remarks = true;                         // comment dropped / discarded segments
    std::string file = "trace";                  // names the input in error messages
    // Absolute time (µs since the Unix epoch) of the trace's t_us = 0. Unset: the trace's
    // "capture"."start_us" when it has one (a trace explained from a real capture), else
    // kCaptureEpochUs.
    std::optional<int64_t> start_us;
};

// Options as JSON, for callers that speak JSON (the browser through wasm):
//   {"format": "pcapng" | "pcap", "lang": "en" | "zh-CN", "at": ["client", ...] | "all",
//    "remarks": true, "start_us": N}
// Every member is optional; a missing one keeps PcapOptions' default. Unknown members are
// errors, so a misspelt option cannot silently change nothing. Throws InputError
// ("<what>: /<member>: <what was expected>").
PcapOptions pcap_options_from_json(const nlohmann::json& options, const std::string& what);

// Step narration for comments from a resolved lesson's "steps" (docs/LESSONS.md "Resolved
// lesson"): "<title>: <text>" (or whichever of the two the step has) in `lang`, else in English.
std::vector<PcapStepComment> step_comments(const nlohmann::json& steps, const std::string& lang);

// The export. `doc` is
//  - a trace (`tcplab run --json`, or an explained capture): written as it is;
//  - a resolved lesson ({"trace", "steps", ...}, what resolve_lesson returns and what the player
//    holds): the trace, with each step's narration (step_comments) as a packet comment;
//  - a lesson file ({"tcplab_lesson", "scenario", "steps", ...}): resolved first (default
//    parameters), then as above;
//  - a scenario: run first.
// opt.step_comments given by the caller come after those taken from the document.
// Throws InputError ("<file>: <JSON pointer>: <what was expected>") for input it cannot write.
std::vector<uint8_t> export_capture(const nlohmann::json& doc, PcapOptions opt);

// The hosts a capture at `at` covers, in interface order, with the defaults applied ({} -> the
// client, {"*"} -> every host). Throws InputError for a host the trace does not have.
std::vector<std::string> capture_hosts(const nlohmann::json& trace,
                                       const std::vector<std::string>& at,
                                       const std::string& file = "trace");

// The trace itself (no lesson resolution), as opt says.
std::vector<uint8_t> write_pcapng(const nlohmann::json& trace, const PcapOptions& opt);
std::vector<uint8_t> write_pcap(const nlohmann::json& trace, const PcapOptions& opt);
// Either, as opt.format says.
std::vector<uint8_t> write_capture(const nlohmann::json& trace, const PcapOptions& opt);

}  // namespace tcplab
