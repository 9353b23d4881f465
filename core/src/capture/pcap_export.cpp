// The one capture export (pcap.hpp): what a document is (trace, resolved lesson, lesson file,
// scenario), the default capture point, options from JSON, and a lesson's narration as comments.
#include "pcap_frame.hpp"
#include "tcplab/lesson.hpp"
#include "tcplab/pcap.hpp"
#include "tcplab/run.hpp"

#include <algorithm>
#include <map>
#include <set>

namespace tcplab {
namespace {

using capture_detail::Checker;
using capture_detail::is_uint;
using nlohmann::json;

// The text of a localized member ({"en", "zh-CN"} or a plain string) in `lang`, else English.
std::string localized(const json& v, const std::string& lang) {
    if (v.is_string()) return v.get<std::string>();
    if (!v.is_object()) return "";
    for (const std::string& l : {lang, std::string("en")})
        if (auto it = v.find(l); it != v.end() && it->is_string()) return it->get<std::string>();
    return "";
}

}  // namespace

std::vector<std::string> capture_hosts(const json& trace, const std::vector<std::string>& at_in,
                                       const std::string& file) {
    Checker ck(file);
    if (!trace.is_object()) ck.fail("(root)", "expected a trace object");
    const json hosts = trace.value("hosts", json::object());
    if (!hosts.is_object()) ck.fail("/hosts", "expected an object");
    std::vector<std::string> at = at_in;
    if (at.size() == 1 && at[0] == "*") {
        at.clear();
        for (auto& [name, _] : hosts.items()) at.push_back(name);
    }
    if (at.empty()) {
        // The default capture point: where the lesson happens. A host that accepted more than
        // one connection (answered SYNs of several 4-tuples with SYN+ACK) is a server whose
        // story is about its connections piling up (backlog, SYN flood, TIME_WAIT, CLOSE_WAIT)
        // and the one interface that sees all of them: the one that accepted the most (the
        // first to accept on a tie). Otherwise the client, the host that sent the first SYN
        // without ACK, as Wireshark users expect; without any SYN, the first host.
        std::string client;
        std::map<std::string, std::set<std::string>> accepted;  // host -> 4-tuples
        std::vector<std::string> order;                         // hosts in order of acceptance
        std::set<std::string> syn_from;                         // "src>dst" of bare SYNs
        if (auto ev = trace.find("events"); ev != trace.end() && ev->is_array())
            for (const auto& e : *ev) {
                if (!e.is_object() || e.value("kind", "") != "send" || !e.contains("seg") ||
                    !e["seg"].is_object() || !e.contains("host") || !e["host"].is_string() ||
                    e["host"] == "")
                    continue;
                const json& sg = e["seg"];
                const json flags = sg.value("flags", json::array());
                if (!sg.contains("src") || !sg.contains("dst") || !sg["src"].is_string() ||
                    !sg["dst"].is_string())
                    continue;
                const std::string src = sg["src"], dst = sg["dst"], host = e["host"];
                if (flags == json::array({"SYN"})) {
                    if (client.empty()) client = host;
                    syn_from.insert(src + ">" + dst);
                } else if (flags == json::array({"SYN", "ACK"}) &&
                           syn_from.count(dst + ">" + src)) {
                    auto& set = accepted[host];
                    if (set.empty()) order.push_back(host);
                    set.insert(src + "|" + dst);
                }
            }
        std::string server;
        for (const auto& h : order)
            if (accepted[h].size() > 1 &&
                (server.empty() || accepted[h].size() > accepted[server].size()))
                server = h;
        if (!server.empty())
            at.push_back(server);
        else if (!client.empty())
            at.push_back(client);
        else if (!hosts.empty())
            at.push_back(hosts.begin().key());
        if (at.empty()) ck.fail("/hosts", "expected at least one host");
    }
    std::vector<std::string> out;
    for (const auto& h : at) {
        if (!hosts.contains(h)) ck.fail("/hosts", "has no host \"" + h + "\" to capture at");
        if (std::find(out.begin(), out.end(), h) == out.end()) out.push_back(h);
    }
    return out;
}

PcapOptions pcap_options_from_json(const json& o, const std::string& what) {
    PcapOptions opt;
    if (o.is_null()) return opt;
    auto fail = [&](const std::string& key, const std::string& expected) {
        throw InputError(what + ": /" + json_pointer_token(key) + ": " + expected);
    };
    if (!o.is_object()) throw InputError(what + ": (root): expected a JSON object");
    for (auto& [key, v] : o.items()) {
        if (key == "format") {
            if (v == "pcapng")
                opt.format = PcapOptions::Format::pcapng;
            else if (v == "pcap")
                opt.format = PcapOptions::Format::pcap;
            else
                fail(key, "expected \"pcapng\" or \"pcap\"");
        } else if (key == "lang") {
            if (v != "en" && v != "zh-CN") fail(key, "expected \"en\" or \"zh-CN\"");
            opt.lang = v.get<std::string>();
        } else if (key == "at") {
            if (v == "all" || v == "*") {
                opt.at = {"*"};
            } else if (v.is_array()) {
                for (const auto& h : v) {
                    if (!h.is_string() || h.get_ref<const std::string&>().empty())
                        fail(key, "expected host names, or \"all\"");
                    opt.at.push_back(h == "all" ? "*" : h.get<std::string>());
                }
            } else {
                fail(key, "expected an array of host names, or \"all\"");
            }
        } else if (key == "remarks") {
            if (!v.is_boolean()) fail(key, "expected true or false");
            opt.remarks = v.get<bool>();
        } else if (key == "start_us") {
            if (!v.is_number_integer()) fail(key, "expected an integer (µs since 1970)");
            opt.start_us = v.get<int64_t>();
        } else if (key == "steps") {  // narration already in the chosen language
            if (!v.is_array()) fail(key, "expected an array of {first, text}");
            for (const auto& s : v) {
                if (!s.is_object() || !s.contains("first") || !is_uint(s["first"]) ||
                    !s.contains("text") || !s["text"].is_string())
                    fail(key, "expected an array of {first, text}");
                opt.step_comments.push_back(
                    {s["first"].get<size_t>(), s["text"].get<std::string>()});
            }
        } else if (key == "file") {
            if (!v.is_string()) fail(key, "expected a string");
            opt.file = v.get<std::string>();
        } else {
            fail(key, "is not an option (format, lang, at, remarks, start_us, steps, file)");
        }
    }
    return opt;
}

std::vector<PcapStepComment> step_comments(const json& steps, const std::string& lang) {
    std::vector<PcapStepComment> out;
    if (!steps.is_array()) return out;
    for (const auto& s : steps) {
        if (!s.is_object() || !s.contains("first") || !is_uint(s["first"])) continue;
        std::string title = localized(s.value("title", json()), lang),
                    text = localized(s.value("text", json()), lang);
        std::string t = title.empty() ? text : text.empty() ? title : title + ": " + text;
        if (!t.empty()) out.push_back({s["first"].get<size_t>(), t});
    }
    return out;
}

std::vector<uint8_t> export_capture(const json& doc, PcapOptions opt) {
    if (!doc.is_object()) throw InputError(opt.file + ": (root): expected a JSON object");
    std::vector<PcapStepComment> comments;
    auto with_steps = [&](const json& trace, const json& steps) {
        comments = step_comments(steps, opt.lang);
        comments.insert(comments.end(), opt.step_comments.begin(), opt.step_comments.end());
        opt.step_comments = std::move(comments);
        return write_capture(trace, opt);
    };
    if (doc.contains("events")) return write_capture(doc, opt);  // a trace
    if (doc.contains("trace") && doc["trace"].is_object())       // a resolved lesson
        return with_steps(doc["trace"], doc.value("steps", json::array()));
    if (doc.contains("scenario") && doc.contains("steps")) {  // a lesson file
        const json resolved = resolve_lesson(doc, opt.file, json::object());
        return with_steps(resolved["trace"], resolved["steps"]);
    }
    return write_capture(json(run_scenario(doc, opt.file)), opt);  // a scenario
}

}  // namespace tcplab
