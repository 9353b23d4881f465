// tcplab: run TCP scenarios and lessons from the command line.
#include "commands.hpp"

#include "tcplab/run.hpp"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>

#ifndef TCPLAB_VERSION
#define TCPLAB_VERSION "0"
#endif

namespace tcplab_cli {

bool read_file(const std::string& path, std::string& out) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        std::cerr << path << ": cannot read: " << std::strerror(errno) << "\n";
        return false;
    }
    std::ostringstream ss;
    ss << in.rdbuf();
    out = ss.str();
    return true;
}

}  // namespace tcplab_cli

namespace {

void usage(std::ostream& out) {
    out << "tcplab " TCPLAB_VERSION
           " - TCP connection management, simulated and made visible\n"
           "\n"
           "Usage:\n"
           "  tcplab run [--json] [--abs] FILE.json    run a scenario or lesson; print a ladder\n"
           "                                           diagram, or the trace as JSON (--json)\n"
           "  tcplab lesson [--lang L] FILE.json       a lesson as a learner meets it: the ladder\n"
           "                                           with each step's narration and each quiz\n"
           "  tcplab lesson --check FILE.json...       resolve and lint lessons\n"
           "  tcplab pcap FILE.json -o OUT.pcapng      write the simulated exchange as a capture\n"
           "  tcplab explain CAPTURE.pcap              replay a real capture through the state "
           "machine\n"
           "  tcplab bench churn --n N                 the connection-churn benchmark workload\n"
           "  tcplab --help | --version\n"
           "\n"
           "Exit status: 0 success, 2 invalid input (the message names the file, the JSON\n"
           "pointer or byte offset, and what was expected), 1 internal error.\n";
}

}  // namespace

int main(int argc, char** argv) {
    try {
        if (argc < 2) {
            usage(std::cerr);
            return 2;
        }
        const std::string cmd = argv[1];
        if (cmd == "--help" || cmd == "-h" || cmd == "help") {
            usage(std::cout);
            return 0;
        }
        if (cmd == "--version") {
            std::cout << "tcplab " TCPLAB_VERSION "\n";
            return 0;
        }
        if (cmd == "run") return tcplab_cli::cmd_run(argc - 1, argv + 1);
        if (cmd == "lesson") return tcplab_cli::cmd_lesson(argc - 1, argv + 1);
        if (cmd == "pcap") return tcplab_cli::cmd_pcap(argc - 1, argv + 1);
        if (cmd == "explain") return tcplab_cli::cmd_explain(argc - 1, argv + 1);
        if (cmd == "bench") return tcplab_cli::cmd_bench(argc - 1, argv + 1);
        std::cerr << "tcplab: unknown command \"" << cmd << "\"\n\n";
        usage(std::cerr);
        return 2;
    } catch (const tcplab::InputError& e) {
        std::cerr << e.what() << "\n";
        return 2;
    } catch (const std::exception& e) {
        std::cerr << "tcplab: internal error: " << e.what() << "\n";
        return 1;
    }
}
