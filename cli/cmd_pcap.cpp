// `tcplab pcap FILE.json [-o OUT] [--format pcapng|pcap] [--lang en|zh-CN] [--at
// HOST[,HOST...]|all] [--no-remarks]` Writes a trace, a scenario or a lesson (run through the
// engine first) as a capture file: tcplab::export_capture, the same export as the browser's
// "Download capture", so both give the same bytes for the same lesson and options.
#include "commands.hpp"
#include "tcplab/pcap.hpp"
#include "tcplab/run.hpp"

#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>
#include <string>

namespace tcplab_cli {

namespace {

const char* kPcapUsage =
    "usage: tcplab pcap FILE.json [-o OUT] [--format pcapng|pcap] [--lang en|zh-CN]\n"
    "                   [--at HOST[,HOST...]|all] [--no-remarks]\n"
    "  FILE.json is a trace (tcplab run --json), a scenario or a lesson.\n"
    "  -o OUT        output file (default: FILE with .pcapng or .pcap; '-' for stdout)\n"
    "  --format      pcapng (default; comments, several capture points) or pcap\n"
    "  --lang        language of the comments (lesson narration, remarks): en (default) or zh-CN\n"
    "  --at          capture point: the interface of these hosts (default: the client, the host\n"
    "                that sent the first SYN); 'all' = every host, one pcapng interface each\n"
    "                (Wireshark then shows each segment once per interface)\n"
    "  --no-remarks  no comments on dropped and discarded segments\n"
    "  Timestamps start at 2022-08-01 00:00:00 UTC plus the virtual clock (a capture explained\n"
    "  from a real file keeps its own start), so the same input gives the same bytes.\n";

std::vector<std::string> split(const std::string& s) {
    std::vector<std::string> v;
    std::stringstream ss(s);
    std::string item;
    while (std::getline(ss, item, ','))
        if (!item.empty()) v.push_back(item);
    return v;
}

}  // namespace

int cmd_pcap(int argc, char** argv) {
    std::string in, out;
    tcplab::PcapOptions opt;
    // argv[0] is "pcap" (or the program name): options follow.
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        auto value = [&](const char* name) -> std::string {
            if (i + 1 >= argc) {
                std::cerr << "tcplab pcap: " << name << " needs a value\n" << kPcapUsage;
                throw 2;
            }
            return argv[++i];
        };
        try {
            if (a == "-h" || a == "--help") {
                std::cout << kPcapUsage;
                return 0;
            }
            if (a == "-o" || a == "--output")
                out = value("-o");
            else if (a == "--format") {
                std::string f = value("--format");
                if (f == "pcap")
                    opt.format = tcplab::PcapOptions::Format::pcap;
                else if (f == "pcapng")
                    opt.format = tcplab::PcapOptions::Format::pcapng;
                else {
                    std::cerr << "tcplab pcap: --format: expected pcapng or pcap, got \"" << f
                              << "\"\n";
                    return 2;
                }
            } else if (a == "--lang") {
                opt.lang = value("--lang");
                if (opt.lang != "en" && opt.lang != "zh-CN") {
                    std::cerr << "tcplab pcap: --lang: expected en or zh-CN, got \"" << opt.lang
                              << "\"\n";
                    return 2;
                }
            } else if (a == "--at") {
                std::string v = value("--at");
                opt.at = v == "all" ? std::vector<std::string>{"*"} : split(v);
            } else if (a == "--no-remarks")
                opt.remarks = false;
            else if (!a.empty() && a[0] == '-' && a != "-") {
                std::cerr << "tcplab pcap: unknown option " << a << "\n" << kPcapUsage;
                return 2;
            } else if (in.empty())
                in = a;
            else {
                std::cerr << "tcplab pcap: one input file only\n" << kPcapUsage;
                return 2;
            }
        } catch (int code) {
            return code;
        }
    }
    if (in.empty()) {
        std::cerr << kPcapUsage;
        return 2;
    }
    opt.file = in;
    try {
        std::ifstream f(in, std::ios::binary);
        if (!f) {
            std::cerr << in << ": : cannot open the file: " << std::strerror(errno) << "\n";
            return 2;
        }
        std::string text((std::istreambuf_iterator<char>(f)), {});
        nlohmann::json doc;
        try {
            doc = nlohmann::json::parse(text);
        } catch (const nlohmann::json::parse_error& e) {
            std::cerr << in << ": byte " << e.byte << ": invalid JSON\n";
            return 2;
        }
        auto bytes = tcplab::export_capture(doc, opt);
        if (out.empty()) {
            out = in;
            if (auto dot = out.rfind(".json"); dot != std::string::npos && dot + 5 == out.size())
                out.resize(dot);
            out += opt.format == tcplab::PcapOptions::Format::pcap ? ".pcap" : ".pcapng";
        }
        if (out == "-") {
            std::fwrite(bytes.data(), 1, bytes.size(), stdout);
            return std::fflush(stdout) == 0 ? 0 : 1;
        }
        std::ofstream o(out, std::ios::binary);
        o.write(reinterpret_cast<const char*>(bytes.data()), std::streamsize(bytes.size()));
        o.close();
        if (!o) {
            std::cerr << out << ": : cannot write the file: " << std::strerror(errno) << "\n";
            return 2;
        }
        return 0;
    } catch (const tcplab::InputError& e) {
        std::cerr << e.what() << "\n";
        return 2;
    } catch (const std::exception& e) {
        std::cerr << "tcplab pcap: internal error: " << e.what() << "\n";
        return 1;
    }
}

}  // namespace tcplab_cli
