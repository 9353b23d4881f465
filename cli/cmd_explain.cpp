// `tcplab explain CAPTURE [--json | --segments | --summary] [--lang en|zh-CN] [--conn N]
//  [--interface N|NAME|all] [--tcp-rfc1337]` Reads a real capture (pcap/pcapng) and explains every
//  TCP connection
// in it, at one capture point when the file has several interfaces. CAPTURE "-" reads standard
// input.
#include "commands.hpp"
#include "tcplab/capture.hpp"
#include "tcplab/error.hpp"
#include "tcplab/explain.hpp"

#include <algorithm>
#include <cstdio>
#include <iostream>
#include <limits>
#include <map>
#include <span>
#include <string>
#include <vector>

namespace tcplab_cli {

namespace {

using nlohmann::ordered_json;

const char* kExplainUsage =
    "usage: tcplab explain CAPTURE [--json | --segments | --summary] [--lang en|zh-CN] [--conn N]\n"
    "                      [--interface N|NAME|all] [--tcp-rfc1337]\n"
    "  CAPTURE     a pcap or pcapng file (Ethernet, Linux cooked SLL/SLL2, raw IP, loopback);\n"
    "              - reads standard input\n"
    "  --json      print the explanation as a trace (the player's format) instead of text\n"
    "  --segments  print what the reader found: connections and TCP segments (JSON)\n"
    "  --summary   print only connections, final states and note counts (fast on huge files)\n"
    "  --lang      language of the text: en (default) or zh-CN\n"
    "  --conn N    only connection N (1-based, in order of appearance)\n"
    "  --interface N|NAME|all\n"
    "              a file with several interfaces (capture points) is explained at one of\n"
    "              them: by default the first (or all together when they never saw the same\n"
    "              segment); N = interface id as Wireshark numbers them (0, 1, ...), NAME = its\n"
    "              if_name, all = every interface together (segments seen twice look re-sent)\n"
    "  --tcp-rfc1337  the hosts ignore RST in TIME_WAIT (sysctl net.ipv4.tcp_rfc1337=1)\n"
    "  The listing gives each frame at its capture time (ms since the file's first packet, as\n"
    "  Wireshark's Time column); a time marked ~ is inferred for an end away from the capture\n"
    "  point.\n";

// A capture can be much larger than a scenario: what a machine can hold, not the JSON limit.
constexpr std::size_t kCaptureBytes = std::size_t(1) << 32;

// "12.345 ms", or "~12.345 ms" for an inferred time.
std::string ms(int64_t us, bool inferred = false) {
    char b[40];
    std::snprintf(b, sizeof b, "%s%.3f ms", inferred ? "~" : "", double(us) / 1000.0);
    return b;
}
// The same right-aligned in the time column.
std::string column(const std::string& time) {
    return time.size() < 13 ? std::string(13 - time.size(), ' ') + time : time;
}

// "0 \"client\" (the interface of host client (10.0.0.1))"
std::string interface_label(const ordered_json& f) {
    std::string s = std::to_string(f["id"].get<uint64_t>());
    if (f.contains("name")) s += " \"" + f["name"].get<std::string>() + "\"";
    if (f.contains("description")) s += " (" + f["description"].get<std::string>() + ")";
    return s;
}

// Which interfaces were read, when the file has more than one.
void print_interface(const ordered_json& cap, bool zh) {
    const auto& ifs = cap["interfaces"];
    if (ifs.size() < 2) return;
    const auto& sel = cap["interface"];
    const std::string how = sel["how"];
    std::string read;
    for (const auto& id : sel["ids"])
        read += (read.empty() ? "" : (zh ? "、" : ", ")) + interface_label(ifs[id.get<size_t>()]);
    std::cout << (zh ? "抓包点：" : "capture point: ") << read;
    if (how == "together")
        std::cout << (zh ? "，合在一起读（它们从未看到同一个报文段）"
                         : ", read together (they never saw the same segment)");
    else if (how == "all")
        std::cout << (zh ? "，按要求合在一起读" : ", read together as asked");
    else if (how == "first")
        std::cout << (zh ? "，文件中的第一个（几个接口看到了同样的报文段）"
                         : ", the first in the file (its interfaces saw the same segments)");
    std::cout << (zh ? "；文件中的接口：" : "; the file's interfaces: ");
    for (size_t i = 0; i < ifs.size(); ++i)
        std::cout << (i ? (zh ? "、" : ", ") : "") << interface_label(ifs[i]) << ": "
                  << ifs[i]["tcp_packets"] << (zh ? " 个 TCP 报文段" : " TCP segments");
    std::cout << (zh ? "（用 --interface N|名称|all 选择）\n"
                     : " (--interface N|NAME|all picks another)\n");
}

// "win=64512 (raw 63)": the window as the receiver offers it, scaled as both SYNs agreed
// (Wireshark's "Win="), and the header's field when that differs.
std::string window_text(const ordered_json& e, bool zh) {
    const uint64_t raw = e["seg"]["win"].get<uint64_t>();
    if (!e.contains("window"))
        return "win=" + std::to_string(raw) +
               (zh ? "（原始值，缩放因子未知）" : " (raw; scale unknown)");
    const uint64_t w = e["window"].get<uint64_t>();
    std::string s = "win=" + std::to_string(w);
    if (w != raw) s += (zh ? "（原始值 " : " (raw ") + std::to_string(raw) + (zh ? "）" : ")");
    return s;
}

std::string frame_line(const ordered_json& e, bool zh) {
    const auto& s = e["seg"];
    std::string flags;
    for (const auto& f : s["flags"]) flags += (flags.empty() ? "" : ",") + f.get<std::string>();
    std::string line = "#" + std::to_string(e["frame"].get<uint64_t>()) + " " +
                       s["src"].get<std::string>() + " > " + s["dst"].get<std::string>() + " [" +
                       flags + "] seq=" + std::to_string(e["rel"]["seq"].get<uint32_t>());
    if (e["rel"].contains("ack")) line += " ack=" + std::to_string(e["rel"]["ack"].get<uint32_t>());
    return line + " " + window_text(e, zh) + " len=" + std::to_string(s["len"].get<uint32_t>());
}

std::string event_line(const ordered_json& e, const std::string& lang) {
    const bool zh = lang == "zh-CN";
    const std::string kind = e["kind"];
    if (kind == "state")
        return e["host"].get<std::string>() + " " + e["conn"].get<std::string>() + ": " +
               e["from"].get<std::string>() + " -> " + e["to"].get<std::string>() +
               (e.contains("inferred") ? (zh ? "（推断）" : " (inferred)") : "");
    if (kind == "timer") {
        std::string line = e["host"].get<std::string>() + (zh ? " 定时器 " : " timer ") +
                           e["timer"].get<std::string>() + " " + e["action"].get<std::string>();
        if (e.contains("expires_us"))
            line += (zh ? "，" : ", expires in ") +
                    ms(e["expires_us"].get<int64_t>() - e["t_us"].get<int64_t>()) +
                    (zh ? "后到期" : "");
        return line;
    }
    if (kind == "note") return "* " + tcplab::render_capture_note(e["code"], e["args"], lang);
    if (kind == "drop")
        return zh ? "（推断）这个报文段在抓包点之后丢失"
                  : "(inferred) the segment is lost after the capture point";
    if (kind == "discard")
        return e["host"].get<std::string>() +
               (zh ? " 丢弃了这个报文段（推断）" : " throws the segment away (inferred)");
    return "";
}

// The events as a listing. Each frame is printed at its capture time; the events its sender
// went through when it left (state, timers, notes) follow it, and the frame line says when it
// left when that was earlier (an end away from the capture point). Everything else (a segment
// reaching its receiver, a timer running out) is printed at its own time, marked ~ where that
// time is inferred, and the lines are ordered by those times. A frame is never printed before
// the events that caused it: the trace already places every send after what it answers.
void print_events(const ordered_json& tr, const std::string& lang) {
    const bool zh = lang == "zh-CN";
    const auto& cap = tr["capture"];
    const auto& ev = tr["events"];
    const int64_t origin = cap["first_packet_us"].get<int64_t>() - cap["start_us"].get<int64_t>();
    std::map<uint64_t, int64_t> seen;  // segment id -> capture time (trace clock)
    for (const auto& e : ev)
        if (e["kind"] == "send") seen[e["seg"]["id"].get<uint64_t>()] = e["seen_us"].get<int64_t>();
    struct Line {
        int64_t key;
        std::string time, text;
    };
    std::vector<Line> lines;
    const std::string blank(13, ' ');
    size_t i = 0;
    // Notes about the whole file come first, without a time.
    while (i < ev.size() && ev[i]["kind"] == "note" && !ev[i].contains("conn") &&
           ev[i]["t_us"] == 0 && !ev[i].contains("host"))
        lines.push_back({INT64_MIN, blank, "    " + event_line(ev[i++], lang)});
    while (i < ev.size()) {
        const auto& head = ev[i];
        const std::string kind = head["kind"];
        const int64_t t = head["t_us"].get<int64_t>();
        int64_t key = t;
        bool exact = false;
        std::string time;
        std::vector<std::string> group;
        if (kind == "send") {
            key = head["seen_us"].get<int64_t>();
            std::string line = frame_line(head, zh);
            if (t != key)
                line += zh ? "（" + head["host"].get<std::string>() + " 约在 " + ms(t - origin) +
                                 "时发出）"
                           : " (sent by " + head["host"].get<std::string>() + " at " +
                                 ms(t - origin, true) + ")";
            lines.push_back({key, column(ms(key - origin)), "  " + line});
            ++i;
            // What the sender did as the segment left.
            while (i < ev.size() && ev[i]["t_us"].get<int64_t>() == t && ev[i]["kind"] != "send" &&
                   ev[i]["kind"] != "deliver" && ev[i]["kind"] != "drop" &&
                   ev[i]["kind"] != "discard")
                lines.push_back({key, blank, "      " + event_line(ev[i++], lang)});
            continue;
        }
        if (kind == "deliver" || kind == "drop") {
            auto it = seen.find(head["seg_id"].get<uint64_t>());
            exact = kind == "deliver" && it != seen.end() && it->second == t;
            if (kind == "drop") group.push_back(event_line(head, lang));
        } else {
            group.push_back(event_line(head, lang));
        }
        ++i;
        while (i < ev.size() && ev[i]["t_us"].get<int64_t>() == t && ev[i]["kind"] != "send" &&
               ev[i]["kind"] != "deliver" && ev[i]["kind"] != "drop")
            group.push_back(event_line(ev[i++], lang));
        bool first = true;
        for (auto& g : group) {
            if (g.empty()) continue;
            lines.push_back({key, first ? column(ms(t - origin, !exact)) : blank, "      " + g});
            first = false;
        }
    }
    std::stable_sort(lines.begin(), lines.end(),
                     [](const Line& a, const Line& b) { return a.key < b.key; });
    for (const auto& l : lines) std::cout << l.time << l.text << "\n";
}

void print_text(const ordered_json& tr, const std::string& lang, bool summary, long conn) {
    const auto& cap = tr["capture"];
    const bool zh = lang == "zh-CN";
    std::cout << cap["file"].get<std::string>() << ": " << cap["format"].get<std::string>() << ", "
              << cap["packets"] << (zh ? " 个包，" : " packets, ") << cap["tcp_packets"]
              << (zh ? " 个 TCP 报文段，" : " TCP segments, ") << cap["connections"].size()
              << (zh ? " 个连接\n" : " connections\n");
    print_interface(cap, zh);
    if (!summary) {
        std::cout << (zh ? "时间：自文件第一个包起的毫秒数（Wireshark 的 Time 列）；带 ~ "
                           "的时间是为远离抓包点的一端推断的\n"
                         : "time: ms since the file's first packet (Wireshark's Time column); "
                           "~ marks a time inferred for an end away from the capture point\n");
        print_events(tr, lang);
    }
    std::cout << (zh ? "连接：\n" : "connections:\n");
    for (const auto& c : cap["connections"]) {
        if (conn > 0 && c["id"].get<long>() != conn) continue;
        std::cout << "  " << c["id"] << ". " << c["client"].get<std::string>() << " -> "
                  << c["server"].get<std::string>() << "  " << c["segments"]
                  << (zh ? " 个报文段，结束时：客户端 " : " segments, at the end: client ")
                  << c["final"]["client"].get<std::string>() << (zh ? "，服务器 " : ", server ")
                  << c["final"]["server"].get<std::string>()
                  << (c["roles"] == "guessed" ? (zh ? "（角色为推测）" : " (roles guessed)") : "")
                  << "\n";
    }
    if (!cap["note_counts"].empty()) {
        std::cout << (zh ? "备注统计：\n" : "notes:\n");
        for (auto& [k, v] : cap["note_counts"].items()) std::cout << "  " << k << ": " << v << "\n";
    }
    if (cap["duplicates"].get<uint64_t>() > 0)
        std::cout << (zh ? "注意：有 " : "note: ") << cap["duplicates"]
                  << (zh ? " 帧是重复记录的同一个包，只解释了一次\n"
                         : " frames are one packet recorded twice, explained once\n");
    if (cap.contains("truncated_at"))
        std::cout << (zh ? "注意：文件在第 " : "note: the file ends inside a packet at byte ")
                  << cap["truncated_at"]
                  << (zh ? " 字节处的一个包中间结束（抓包被截断）\n"
                         : " (the capture was cut short)\n");
}

}  // namespace

int cmd_explain(int argc, char** argv) {
    std::string in, lang = "en", mode, interface;
    long conn = -1;
    bool rfc1337 = false;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        auto value = [&]() -> std::string {
            if (i + 1 >= argc)
                throw tcplab::InputError("tcplab explain: " + a + ": expected a value after it");
            return argv[++i];
        };
        if (a == "-h" || a == "--help") {
            std::cout << kExplainUsage;
            return 0;
        }
        if (a == "--tcp-rfc1337") {
            rfc1337 = true;
        } else if (a == "--json" || a == "--segments" || a == "--summary") {
            if (!mode.empty() && mode != a.substr(2))
                throw tcplab::InputError("tcplab explain: " + a +
                                         ": expected one of --json, --segments and --summary, "
                                         "got --" +
                                         mode + " too");
            mode = a.substr(2);
        } else if (a == "--lang") {
            lang = value();
            if (lang != "en" && lang != "zh-CN")
                throw tcplab::InputError("tcplab explain: --lang: expected en or zh-CN, got \"" +
                                         lang + "\"");
        } else if (a == "--interface") {
            interface = value();
            if (interface.empty())
                throw tcplab::InputError(
                    "tcplab explain: --interface: expected an interface id, name or all, got \"\"");
        } else if (a == "--conn") {
            conn = long(parse_count("explain", "--conn", value(), 1, 1'000'000'000));
        } else if (a.size() > 1 && a[0] == '-') {
            std::cerr << "tcplab explain: unknown option \"" << a << "\"\n" << kExplainUsage;
            return 2;
        } else if (in.empty()) {
            in = a;
        } else {
            std::cerr << "tcplab explain: one capture file at a time (got \"" << in << "\" and \""
                      << a << "\")\n";
            return 2;
        }
    }
    if (in.empty()) {
        std::cerr << kExplainUsage;
        return 2;
    }
    if (mode.empty()) mode = "text";
    const std::string name = input_name(in);
    const std::string text = read_input(in, kCaptureBytes, "capture size");  // InputError: exit 2
    const std::span<const uint8_t> bytes(reinterpret_cast<const uint8_t*>(text.data()),
                                         text.size());
    auto cap = tcplab::read_capture(bytes, name);
    if (mode == "segments") {
        std::cout << tcplab::capture_to_json(cap).dump() << "\n";
        return 0;
    }
    tcplab::ExplainOptions opt;
    opt.file = name;
    opt.connection = conn;
    opt.tcp_rfc1337 = rfc1337;
    opt.interface = interface;
    opt.events = mode != "summary";
    auto tr = tcplab::explain_capture(cap, opt);
    // An empty selection is a mistake, not an empty answer.
    const size_t count = tr["capture"]["connections"].size();
    if (conn > long(count))
        throw tcplab::InputError("tcplab explain: --conn: expected a connection number from 1 to " +
                                 std::to_string(count) + " (" + name + " has " +
                                 std::to_string(count) +
                                 (count == 1 ? " TCP connection" : " TCP connections") +
                                 "), got \"" + std::to_string(conn) + "\"");
    if (mode == "json")
        std::cout << tr.dump() << "\n";
    else
        print_text(tr, lang, mode == "summary", conn);
    return 0;
}

}  // namespace tcplab_cli
