// `tcplab pcap FILE.json [-o OUT] [--format pcapng|pcap] [--lang en|zh-CN] [--at
// HOST[,HOST...]|all] [--no-remarks]` Writes a trace, a scenario or a lesson (run through the
// engine first) as a capture file: tcplab::export_capture, the same export as the browser's
// "Download capture", so both give the same bytes for the same lesson and options. FILE "-"
// reads standard input; the file written is named on standard error.
#include "commands.hpp"
#include "tcplab/pcap.hpp"
#include "tcplab/run.hpp"

#include <cerrno>
#include <cstdio>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

namespace tcplab_cli {

namespace {

const char* kPcapUsage =
    "usage: tcplab pcap FILE.json [-o OUT] [--format pcapng|pcap] [--lang en|zh-CN]\n"
    "                   [--at HOST[,HOST...]|all] [--no-remarks]\n"
    "  FILE.json is a trace (tcplab run --json), a scenario or a lesson.\n"
    "  FILE - reads standard input (then -o is needed).\n"
    "  -o OUT        output file (default: FILE with .pcapng or .pcap, named on stderr;\n"
    "                '-' for stdout)\n"
    "  --format      pcapng (default; comments, several capture points) or pcap\n"
    "  --lang        language of the comments (lesson narration, remarks): en (default) or zh-CN\n"
    "  --at          capture point: the interface of these hosts; 'all' = every host, one pcapng\n"
    "                interface each (Wireshark then shows each segment once per interface).\n"
    "                Default: a host that accepted several connections (the one that accepted\n"
    "                the most), else the client (the host that sent the first SYN)\n"
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
    bool named = false;  // the file name is the user's (-o)
    // argv[0] is "pcap" (or the program name): options follow.
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        auto value = [&]() -> std::string {
            if (i + 1 >= argc)
                throw tcplab::InputError("tcplab pcap: " + a + ": expected a value after it");
            return argv[++i];
        };
        if (a == "-h" || a == "--help") {
            std::cout << kPcapUsage;
            return 0;
        }
        if (a == "-o" || a == "--output") {
            out = value();
            named = true;
            if (out.empty())
                throw tcplab::InputError("tcplab pcap: -o: expected a file name or -, got \"\"");
        } else if (a == "--format") {
            const std::string f = value();
            if (f == "pcap")
                opt.format = tcplab::PcapOptions::Format::pcap;
            else if (f == "pcapng")
                opt.format = tcplab::PcapOptions::Format::pcapng;
            else
                throw tcplab::InputError("tcplab pcap: --format: expected pcapng or pcap, got \"" +
                                         f + "\"");
        } else if (a == "--lang") {
            opt.lang = value();
            if (opt.lang != "en" && opt.lang != "zh-CN")
                throw tcplab::InputError("tcplab pcap: --lang: expected en or zh-CN, got \"" +
                                         opt.lang + "\"");
        } else if (a == "--at") {
            const std::string v = value();
            opt.at = v == "all" ? std::vector<std::string>{"*"} : split(v);
            if (opt.at.empty())
                throw tcplab::InputError(
                    "tcplab pcap: --at: expected host names separated by commas, or all, got \"" +
                    v + "\"");
        } else if (a == "--no-remarks") {
            opt.remarks = false;
        } else if (a.size() > 1 && a[0] == '-') {
            std::cerr << "tcplab pcap: unknown option \"" << a << "\"\n" << kPcapUsage;
            return 2;
        } else if (in.empty()) {
            in = a;
        } else {
            std::cerr << "tcplab pcap: one input file at a time (got \"" << in << "\" and \"" << a
                      << "\")\n";
            return 2;
        }
    }
    if (in.empty()) {
        std::cerr << kPcapUsage;
        return 2;
    }
    // The same reading and the same messages as `tcplab run` (InputError: exit 2 from main).
    opt.file = input_name(in);
    const nlohmann::json doc = tcplab::parse_json(read_input(in), opt.file);
    const auto bytes = tcplab::export_capture(doc, opt);
    if (out.empty()) {
        // Next to the input, named after it; standard input has no name to follow.
        if (in == "-")
            throw tcplab::InputError(
                "tcplab pcap: -o: expected an output file (or - for standard output) when the "
                "input is standard input");
        out = in;
        if (auto dot = out.rfind(".json"); dot != std::string::npos && dot + 5 == out.size())
            out.resize(dot);
        out += opt.format == tcplab::PcapOptions::Format::pcap ? ".pcap" : ".pcapng";
    }
    if (out == "-") {
        std::fwrite(bytes.data(), 1, bytes.size(), stdout);
        return std::fflush(stdout) == 0 ? 0 : 1;
    }
    std::FILE* f = std::fopen(out.c_str(), "wb");
    if (!f) throw tcplab::InputError(file_error(out, "write", file_reason(errno)));
    const bool written = std::fwrite(bytes.data(), 1, bytes.size(), f) == bytes.size();
    const int err = errno;
    if (std::fclose(f) != 0 || !written)
        throw tcplab::InputError(file_error(out, "write", file_reason(written ? errno : err)));
    // Without -o the name is chosen here: say where the file went.
    if (!named) std::cerr << "tcplab pcap: wrote " << out << " (" << bytes.size() << " bytes)\n";
    return 0;
}

}  // namespace tcplab_cli
