// Embind bindings for captures (core/include/tcplab/{capture,explain,pcap}.hpp): read a real
// capture with the engine's reader, explain it with the engine's observer, write a trace as a
// capture. Types in tcplab.d.mts; the browser's TypeScript front is web/src/capture/, which calls
// the reading and explaining functions in a Web Worker (web/src/capture/worker.ts).
#include "js_error.hpp"

#include "tcplab/capture.hpp"
#include "tcplab/explain.hpp"
#include "tcplab/pcap.hpp"
#include "tcplab/run.hpp"

#include <emscripten/bind.h>
#include <emscripten/val.h>

#include <algorithm>
#include <string>
#include <unordered_map>
#include <vector>

namespace {

using emscripten::val;

// Copies a JS Uint8Array into wasm memory in one TypedArray.set (not element by element).
std::vector<uint8_t> bytes_of(const val& array) {
    const size_t n = array["length"].as<size_t>();
    std::vector<uint8_t> v(n);
    if (n) val(emscripten::typed_memory_view(n, v.data())).call<void>("set", array);
    return v;
}

// JSON text read with the engine's one bounded parser, so a mistake gets the message `tcplab run`
// and `tcplab pcap` give ("<what>: byte N: invalid JSON (...)").
nlohmann::json parse_options(const std::string& text, const std::string& what) {
    if (text.empty()) return nlohmann::json::object();
    auto j = tcplab::parse_json(text, what);
    if (!j.is_object()) throw tcplab::InputError(what + ": (root): expected a JSON object");
    return j;
}

nlohmann::json parse_doc(const std::string& text, const std::string& file) {
    return tcplab::parse_json(text, file);
}

// explainCapture(bytes, '{"file": "x.pcap", "connection": 2, "events": true, "tcp_rfc1337":
// false, "interface": "client"}') -> trace JSON text. "interface": "" (automatic), "all", an
// interface id (number or digits) or an if_name, as `tcplab explain --interface`.
std::string explain_capture(const val& array, const std::string& options_json) {
    return tcplab::wasm::js_errors([&] {
        auto o = parse_options(options_json, "options");
        tcplab::ExplainOptions opt;
        opt.file = o.value("file", std::string("capture"));
        opt.events = o.value("events", true);
        opt.connection = o.value("connection", -1L);
        opt.tcp_rfc1337 = o.value("tcp_rfc1337", false);
        if (auto it = o.find("interface"); it != o.end()) {
            if (it->is_number_unsigned())
                opt.interface = std::to_string(it->get<uint64_t>());
            else if (it->is_string())
                opt.interface = it->get<std::string>();
            else
                throw tcplab::InputError(
                    "options: /interface: expected an interface id, a name or \"all\"");
        }
        auto bytes = bytes_of(array);
        return tcplab::explain_capture(bytes, opt).dump();
    });
}

// readCaptureJson(bytes, file) -> the reader's JSON (tcplab::capture_to_json, what
// `tcplab explain --segments` prints)
std::string read_capture_json(const val& array, const std::string& file) {
    return tcplab::wasm::js_errors([&] {
        auto bytes = bytes_of(array);
        return tcplab::capture_to_json(tcplab::read_capture(bytes, file)).dump();
    });
}

// The unordered pair of endpoints of a segment, as bytes: one key per connection whichever way
// the segment went (capture_to_json's grouping, without building strings for every segment).
std::string connection_key(const tcplab::CapturedSegment& s) {
    auto end = [&](const std::array<uint8_t, 16>& ip, uint16_t port) {
        std::string e(1, char(s.ip_version));
        e.append(reinterpret_cast<const char*>(ip.data()), ip.size());
        e += char(port >> 8);
        e += char(port & 0xff);
        return e;
    };
    std::string a = end(s.src, s.sport), b = end(s.dst, s.dport);
    return a < b ? a + b : b + a;
}

// readCaptureInfo(bytes, file, onProgress) -> the reader's JSON without "segments": what a page
// needs to offer a choice (interfaces, connections with their segment counts, skip counts), in
// memory proportional to the connections, not the packets. onProgress(done, total) (bytes; a JS
// function, or null) is called at most about every MiB of the file, and once at the end.
std::string read_capture_info(const val& array, const std::string& file, const val& on_progress) {
    return tcplab::wasm::js_errors([&] {
        auto bytes = bytes_of(array);
        const bool report = on_progress.typeOf().as<std::string>() == "function";
        const uint64_t total = bytes.size();
        const uint64_t step = std::max<uint64_t>(1u << 20, total / 200);
        uint64_t next = step;
        tcplab::Capture cap;
        std::unordered_map<std::string, size_t> index;
        nlohmann::ordered_json conns = nlohmann::ordered_json::array();
        std::vector<uint64_t> counts;
        tcplab::read_capture(bytes, file, cap.info, [&](const tcplab::CapturedSegment& s) {
            auto [it, fresh] = index.try_emplace(connection_key(s), counts.size());
            if (fresh) {
                conns.push_back({{"a", tcplab::endpoint_string(s.ip_version, s.src, s.sport)},
                                 {"b", tcplab::endpoint_string(s.ip_version, s.dst, s.dport)},
                                 {"segments", 0}});
                counts.push_back(0);
            }
            ++counts[it->second];
            if (report && s.offset >= next) {
                on_progress(double(s.offset), double(total));
                next = s.offset + step;
            }
        });
        for (size_t i = 0; i < counts.size(); ++i) conns[i]["segments"] = counts[i];
        nlohmann::ordered_json j = tcplab::capture_to_json(cap);  // no segments: the summary
        j["connections"] = std::move(conns);
        j.erase("segments");
        if (report) on_progress(double(total), double(total));
        return j.dump();
    });
}

// writeCapture(docJson, optionsJson) -> Uint8Array: tcplab::export_capture, the export that
// `tcplab pcap` runs, so the page's "Download capture" gives the CLI's bytes. docJson: a trace
// or a resolved lesson ({"trace", "steps"}: step narration becomes packet comments).
// optionsJson: "" or '{"format": "pcapng", "lang": "zh-CN", "at": ["client"] | "all",
// "remarks": true}' (tcplab::pcap_options_from_json).
val write_capture(const std::string& doc_json, const std::string& options_json) {
    std::vector<uint8_t> out = tcplab::wasm::js_errors([&] {
        auto opt =
            tcplab::pcap_options_from_json(parse_options(options_json, "options"), "options");
        return tcplab::export_capture(parse_doc(doc_json, opt.file), opt);
    });
    // Copy out of wasm memory: the view would be invalidated when the memory grows.
    return val(emscripten::typed_memory_view(out.size(), out.data())).call<val>("slice");
}

// captureHosts(docJson) -> '{"hosts": [{"name", "ip"}], "default": ["client"]}': the hosts a
// capture can be taken at and the export's default capture point (tcplab::capture_hosts).
std::string capture_hosts(const std::string& doc_json) {
    return tcplab::wasm::js_errors([&] {
        nlohmann::json doc = parse_doc(doc_json, "trace");
        const nlohmann::json& trace = doc.contains("trace") ? doc["trace"] : doc;
        nlohmann::ordered_json out = {{"hosts", nlohmann::ordered_json::array()},
                                      {"default", tcplab::capture_hosts(trace, {})}};
        if (trace.contains("hosts") && trace["hosts"].is_object())
            for (auto& [name, h] : trace["hosts"].items())
                out["hosts"].push_back(
                    {{"name", name},
                     {"ip",
                      h.is_object() && h.contains("ip") && h["ip"].is_string() ? h["ip"] : ""}});
        return out.dump();
    });
}

std::string capture_note_catalog() {
    return tcplab::wasm::js_errors([] { return tcplab::capture_note_catalog().dump(); });
}

}  // namespace

EMSCRIPTEN_BINDINGS(tcplab_capture) {
    emscripten::function("explainCapture", &explain_capture);
    emscripten::function("readCaptureJson", &read_capture_json);
    emscripten::function("readCaptureInfo", &read_capture_info);
    emscripten::function("writeCapture", &write_capture);
    emscripten::function("captureHosts", &capture_hosts);
    emscripten::function("captureNoteCatalog", &capture_note_catalog);
}
