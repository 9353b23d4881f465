// `tcplab explain CAPTURE [--json | --segments | --summary] [--lang en|zh-CN] [--conn N]`
// Reads a real capture (pcap/pcapng) and explains every TCP connection in it.
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
    "  CAPTURE     a pcap or pcapng file (Ethernet, Linux cooked SLL/SLL2, raw IP, loopback)\n"
    "  --json      print the explanation as a trace (the player's format) instead of text\n"
    "  --segments  print what the reader found: connections and TCP segments (JSON)\n"
    "  --summary   print only connections, final states and note counts (fast on huge files)\n"
    "  --lang      language of the text: en (default) or zh-CN\n"
    "  --conn N    only connection N (1-based, in order of appearance)\n"
    "  --tcp-rfc1337  the hosts ignore RST in TIME_WAIT (sysctl net.ipv4.tcp_rfc1337=1)\n";

std::string ms(int64_t us) {
    char b[32];
    std::snprintf(b, sizeof b, "%10.3f", double(us) / 1000.0);
    return b;
}

void print_text(const nlohmann::ordered_json& tr, const std::string& lang, bool summary) {
    const auto& cap = tr["capture"];
    const bool zh = lang == "zh-CN";
    std::cout << cap["file"].get<std::string>() << ": " << cap["format"].get<std::string>() << ", "
              << cap["packets"] << (zh ? " 个包，" : " packets, ") << cap["tcp_packets"]
              << (zh ? " 个 TCP 报文段，" : " TCP segments, ") << cap["connections"].size()
              << (zh ? " 个连接\n" : " connections\n");
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
    std::string in, lang = "en", mode = "text";
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
