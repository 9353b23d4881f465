// Embind bindings for captures (core/include/tcplab/{capture,explain,pcap}.hpp): explain a real
// capture with the engine's observer, read it with the native reader, write a trace as a capture.
// Types in tcplab.d.mts; the browser's TypeScript front is web/src/capture/.
#include "js_error.hpp"

#include "tcplab/capture.hpp"
#include "tcplab/explain.hpp"
#include "tcplab/pcap.hpp"
#include "tcplab/run.hpp"

#include <emscripten/bind.h>
#include <emscripten/val.h>

#include <string>
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

nlohmann::json parse_options(const std::string& text, const std::string& what) {
    if (text.empty()) return nlohmann::json::object();
    try {
        auto j = nlohmann::json::parse(text);
        if (!j.is_object()) throw tcplab::InputError(what + ": : expected a JSON object");
        return j;
    } catch (const nlohmann::json::parse_error& e) {
        throw tcplab::InputError(what + ": byte " + std::to_string(e.byte) + ": invalid JSON");
    }
}

// explainCapture(bytes, '{"file": "x.pcap", "connection": 2, "events": true, "tcp_rfc1337":
// false}')
// -> trace JSON text
std::string explain_capture(const val& array, const std::string& options_json) {
    return tcplab::wasm::js_errors([&] {
        auto o = parse_options(options_json, "options");
        tcplab::ExplainOptions opt;
        opt.file = o.value("file", std::string("capture"));
        opt.events = o.value("events", true);
        opt.connection = o.value("connection", -1L);
        opt.tcp_rfc1337 = o.value("tcp_rfc1337", false);
        auto bytes = bytes_of(array);
        return tcplab::explain_capture(bytes, opt).dump();
    });
}

// readCaptureJson(bytes, file) -> the reader's JSON (the same as web/src/capture/reader.ts)
std::string read_capture_json(const val& array, const std::string& file) {
    return tcplab::wasm::js_errors([&] {
        auto bytes = bytes_of(array);
        return tcplab::capture_to_json(tcplab::read_capture(bytes, file)).dump();
    });
}

// writeCapture(traceJson, '{"format": "pcapng", "lang": "zh-CN", "at": ["client"],
//               "steps": [{"first": 0, "text": "..."}], "remarks": true}') -> Uint8Array
val write_capture(const std::string& trace_json, const std::string& options_json) {
    std::vector<uint8_t> out = tcplab::wasm::js_errors([&] {
        auto o = parse_options(options_json, "options");
        nlohmann::json trace;
        try {
            trace = nlohmann::json::parse(trace_json);
        } catch (const nlohmann::json::parse_error& e) {
            throw tcplab::InputError("trace: byte " + std::to_string(e.byte) + ": invalid JSON");
        }
        tcplab::PcapOptions opt;
        opt.format = o.value("format", std::string("pcapng")) == "pcap"
                         ? tcplab::PcapOptions::Format::pcap
                         : tcplab::PcapOptions::Format::pcapng;
        opt.lang = o.value("lang", std::string("en"));
        opt.remarks = o.value("remarks", true);
        if (o.contains("at") && o["at"].is_array())
            for (const auto& h : o["at"])
                if (h.is_string()) opt.at.push_back(h.get<std::string>());
        if (o.contains("steps") && o["steps"].is_array())
            for (const auto& s : o["steps"])
                if (s.is_object() && s.contains("first") && s["first"].is_number_unsigned() &&
                    s.contains("text") && s["text"].is_string())
                    opt.step_comments.push_back(
                        {s["first"].get<size_t>(), s["text"].get<std::string>()});
        return tcplab::write_capture(trace, opt);
    });
    // Copy out of wasm memory: the view would be invalidated when the memory grows.
    return val(emscripten::typed_memory_view(out.size(), out.data())).call<val>("slice");
}

std::string capture_note_catalog() {
    return tcplab::wasm::js_errors([] { return tcplab::capture_note_catalog().dump(); });
}

}  // namespace

EMSCRIPTEN_BINDINGS(tcplab_capture) {
    emscripten::function("explainCapture", &explain_capture);
    emscripten::function("readCaptureJson", &read_capture_json);
    emscripten::function("writeCapture", &write_capture);
    emscripten::function("captureNoteCatalog", &capture_note_catalog);
}
