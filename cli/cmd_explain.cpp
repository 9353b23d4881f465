// `tcplab explain CAPTURE [--json | --segments | --summary] [--lang en|zh-CN] [--conn N]
//  [--interface N|NAME|all]` Reads a real capture (pcap/pcapng) and explains every TCP connection
// in it, at one capture point when the file has several interfaces.
#include "commands.hpp"
#include "tcplab/capture.hpp"
#include "tcplab/explain.hpp"
#include "tcplab/run.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <iterator>
#include <string>
#include <vector>

namespace tcplab_cli {

namespace {

const char* kExplainUsage =
    "usage: tcplab explain CAPTURE [--json | --segments | --summary] [--lang en|zh-CN] [--conn N]\n"
    "                      [--interface N|NAME|all] [--tcp-rfc1337]\n"
    "  CAPTURE     a pcap or pcapng file (Ethernet, Linux cooked SLL/SLL2, raw IP, loopback)\n"
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
    "  --tcp-rfc1337  the hosts ignore RST in TIME_WAIT (sysctl net.ipv4.tcp_rfc1337=1)\n";

std::string ms(int64_t us) {
    char b[32];
    std::snprintf(b, sizeof b, "%10.3f", double(us) / 1000.0);
    return b;
}

// "0 \"client\" (the interface of host client (10.0.0.1))"
std::string interface_label(const nlohmann::ordered_json& f) {
    std::string s = std::to_string(f["id"].get<uint64_t>());
    if (f.contains("name")) s += " \"" + f["name"].get<std::string>() + "\"";
    if (f.contains("description")) s += " (" + f["description"].get<std::string>() + ")";
    return s;
}

// Which interfaces were read, when the file has more than one.
void print_interface(const nlohmann::ordered_json& cap, bool zh) {
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

void print_text(const nlohmann::ordered_json& tr, const std::string& lang, bool summary) {
    const auto& cap = tr["capture"];
    const bool zh = lang == "zh-CN";
    std::cout << cap["file"].get<std::string>() << ": " << cap["format"].get<std::string>() << ", "
              << cap["packets"] << (zh ? " 个包，" : " packets, ") << cap["tcp_packets"]
              << (zh ? " 个 TCP 报文段，" : " TCP segments, ") << cap["connections"].size()
              << (zh ? " 个连接\n" : " connections\n");
    print_interface(cap, zh);
    if (!summary) {
        for (const auto& e : tr["events"]) {
            const std::string kind = e["kind"];
            std::string line;
            if (kind == "send") {
                const auto& s = e["seg"];
                std::string flags;
                for (const auto& f : s["flags"])
                    flags += (flags.empty() ? "" : ",") + f.get<std::string>();
                line = "#" + std::to_string(e["frame"].get<uint64_t>()) + " " +
                       s["src"].get<std::string>() + " > " + s["dst"].get<std::string>() + " [" +
                       flags + "] seq=" + std::to_string(e["rel"]["seq"].get<uint32_t>());
                if (e["rel"].contains("ack"))
                    line += " ack=" + std::to_string(e["rel"]["ack"].get<uint32_t>());
                line += " win=" + std::to_string(s["win"].get<uint32_t>()) +
                        " len=" + std::to_string(s["len"].get<uint32_t>());
            } else if (kind == "state") {
                line = "    " + e["host"].get<std::string>() + " " + e["conn"].get<std::string>() +
                       ": " + e["from"].get<std::string>() + " -> " + e["to"].get<std::string>() +
                       (e.contains("inferred") ? (zh ? "（推断）" : " (inferred)") : "");
            } else if (kind == "timer") {
                line = "    " + e["host"].get<std::string>() + (zh ? " 定时器 " : " timer ") +
                       e["timer"].get<std::string>() + " " + e["action"].get<std::string>();
                if (e.contains("expires_us"))
                    line += " @" + ms(e["expires_us"].get<int64_t>()) + " ms";
            } else if (kind == "note") {
                line = "    * " + tcplab::render_capture_note(e["code"], e["args"], lang);
            } else {
                continue;
            }
            std::cout << ms(e["t_us"].get<int64_t>()) << " ms  " << line << "\n";
        }
    }
    std::cout << (zh ? "连接：\n" : "connections:\n");
    for (const auto& c : cap["connections"])
        std::cout << "  " << c["id"] << ". " << c["client"].get<std::string>() << " -> "
                  << c["server"].get<std::string>() << "  " << c["segments"]
                  << (zh ? " 个报文段，结束时：客户端 " : " segments, at the end: client ")
                  << c["final"]["client"].get<std::string>() << (zh ? "，服务器 " : ", server ")
                  << c["final"]["server"].get<std::string>()
                  << (c["roles"] == "guessed" ? (zh ? "（角色为推测）" : " (roles guessed)") : "")
                  << "\n";
    if (!cap["note_counts"].empty()) {
        std::cout << (zh ? "备注统计：\n" : "notes:\n");
        for (auto& [k, v] : cap["note_counts"].items()) std::cout << "  " << k << ": " << v << "\n";
    }
    if (cap.contains("truncated_at"))
        std::cout << (zh ? "注意：文件在第 " : "note: the file ends inside a packet at byte ")
                  << cap["truncated_at"]
                  << (zh ? " 字节处的一个包中间结束（抓包被截断）\n"
                         : " (the capture was cut short)\n");
}

}  // namespace

int cmd_explain(int argc, char** argv) {
    std::string in, lang = "en", mode = "text", interface;
    long conn = -1;
    bool rfc1337 = false;
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        if (a == "-h" || a == "--help") {
            std::cout << kExplainUsage;
            return 0;
        }
        if (a == "--tcp-rfc1337")
            rfc1337 = true;
        else if (a == "--json" || a == "--segments" || a == "--summary")
            mode = a.substr(2);
        else if (a == "--lang" && i + 1 < argc) {
            lang = argv[++i];
            if (lang != "en" && lang != "zh-CN") {
                std::cerr << "tcplab explain: --lang: expected en or zh-CN\n";
                return 2;
            }
        } else if (a == "--interface" && i + 1 < argc) {
            interface = argv[++i];
            if (interface.empty()) {
                std::cerr << "tcplab explain: --interface: expected an interface id, name or all\n";
                return 2;
            }
        } else if (a == "--conn" && i + 1 < argc) {
            char* end = nullptr;
            conn = std::strtol(argv[++i], &end, 10);
            if (!end || *end || conn < 1) {
                std::cerr << "tcplab explain: --conn: expected a connection number from 1\n";
                return 2;
            }
        } else if (!a.empty() && a[0] == '-') {
            std::cerr << "tcplab explain: unknown option " << a << "\n" << kExplainUsage;
            return 2;
        } else if (in.empty())
            in = a;
        else {
            std::cerr << "tcplab explain: one capture file only\n" << kExplainUsage;
            return 2;
        }
    }
    if (in.empty()) {
        std::cerr << kExplainUsage;
        return 2;
    }
    try {
        std::ifstream f(in, std::ios::binary);
        if (!f) {
            std::cerr << in << ": : cannot open the file: " << std::strerror(errno) << "\n";
            return 2;
        }
        std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(f)), {});
        auto cap = tcplab::read_capture(bytes, in);
        if (mode == "segments") {
            std::cout << tcplab::capture_to_json(cap).dump() << "\n";
            return 0;
        }
        tcplab::ExplainOptions opt;
        opt.file = in;
        opt.connection = conn;
        opt.tcp_rfc1337 = rfc1337;
        opt.interface = interface;
        opt.events = mode != "summary";
        auto tr = tcplab::explain_capture(cap, opt);
        if (mode == "json")
            std::cout << tr.dump() << "\n";
        else
            print_text(tr, lang, mode == "summary");
        return 0;
    } catch (const tcplab::InputError& e) {
        std::cerr << e.what() << "\n";
        return 2;
    } catch (const std::exception& e) {
        std::cerr << "tcplab explain: internal error: " << e.what() << "\n";
        return 1;
    }
}

}  // namespace tcplab_cli
