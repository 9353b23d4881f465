// Explaining a real capture: replay each TCP connection through the state machine as an
// OBSERVER and write the result as a trace (docs/CONTRACTS.md "Trace"), so the player shows a
// capture like a lesson. See docs/CAPTURES.md for the inference rules and their limits.
//
// Trace additions for captures (additive): top-level "source": "capture" and "capture"
// { "file", "format", "linktypes", "packets", "tcp_packets", "skipped", "truncated_at"?,
//   "start_us" (absolute time of t_us = 0), "interfaces" (as the reader lists them), "interface":
//   { "ids": [the interfaces explained], "how": InterfaceSelection::how }, "connections": [ { "id",
//   "client", "server", "client_host", "server_host", "first_frame", "segments", "roles" ("syn" |
//   "syn_ack" | "guessed"), "delay_us": { "client", "server" } (one-way delays between the capture
//   point and each end, from the handshake), "final": { "client": STATE, "server": STATE } } ] };
// Each segment is "send" at the time it left its sender and "deliver" (or an inferred "drop",
// "inferred": true) when it reached the receiver, both derived from the time it was seen.
// "send" events carry "frame" (the packet number in the file) and "capture_conn" (the id above);
// "state" / "timer" events inferred by the observer carry "inferred": true where the capture only
// suggests them; "note" codes are the capture notes of capture_note_catalog().
#pragma once

#include "tcplab/capture.hpp"

#include <nlohmann/json.hpp>

#include <span>
#include <string>

namespace tcplab {

struct ExplainOptions {
    std::string file = "capture";  // names the input (title, error messages)
    bool events = true;        // false: summary only (connections, note counts) for huge captures
    long connection = -1;      // only this connection id (1-based), -1: all
    bool tcp_rfc1337 = false;  // hosts ignore RST in TIME_WAIT (Linux sysctl tcp_rfc1337=1)
    // Which capture point of a file with several interfaces: "" (automatic), "all", an interface
    // id ("0", "1", ...) or an if_name. See select_capture_interfaces (capture.hpp).
    std::string interface;
};

nlohmann::ordered_json explain_capture(const Capture& cap, const ExplainOptions& opt);
// Reads and explains. Throws InputError for a damaged file (with the byte offset).
nlohmann::ordered_json explain_capture(std::span<const uint8_t> bytes, const ExplainOptions& opt);

// Capture notes: { code: { "en": template, "zh-CN": template } }, templates use {arg} placeholders.
const nlohmann::ordered_json& capture_note_catalog();
// A note's text in "en" or "zh-CN" with its args filled in.
std::string render_capture_note(const std::string& code, const nlohmann::json& args,
                                const std::string& lang);
// A note template (this catalogue's or the engine's, catalog()["notes"]) with `args` filled in:
// "{name}" is the arg's value (strings as they are, other values as JSON), "{{" and "}}" are
// braces; a placeholder without an arg stays as it is.
std::string fill_note_template(const std::string& text, const nlohmann::json& args);

}  // namespace tcplab
