// tcplab: run TCP scenarios and lessons from the command line.
#include "commands.hpp"

#include "tcplab/run.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <new>
#include <string>
#include <vector>

#ifndef TCPLAB_VERSION
#define TCPLAB_VERSION "0"
#endif

namespace tcplab_cli {

std::string file_error(const std::string& file, const std::string& action,
                       const std::string& reason) {
    return file + ": cannot " + action + ": " + reason;
}

std::string file_reason(int err) {
    std::string r = std::strerror(err);
    if (!r.empty() && r[0] >= 'A' && r[0] <= 'Z') r[0] = static_cast<char>(r[0] - 'A' + 'a');
    return r;
}

std::string input_name(const std::string& path) { return path == "-" ? "<stdin>" : path; }

std::string read_input(const std::string& path, std::size_t limit, const std::string& limit_name) {
    const std::string name = input_name(path);
    auto fail = [&](const std::string& reason) -> std::string {
        throw tcplab::InputError(file_error(name, "read", reason));
    };
    auto too_big = [&] {
        throw tcplab::InputError(name + ": byte " + std::to_string(limit + 1) +
                                 ": expected at most " + std::to_string(limit) +
                                 " bytes (limit \"" + limit_name + "\")");
    };
    std::FILE* f = stdin;
    if (path != "-") {
        // std::ifstream opens a directory and then fails on the first read with an exception
        // that says "basic_filebuf"; ask the file system what the path is first.
        struct stat st {};
        if (::stat(path.c_str(), &st) != 0) return fail(file_reason(errno));
        if (S_ISDIR(st.st_mode)) return fail("it is a directory (expected a file)");
        if (S_ISREG(st.st_mode) && static_cast<std::uintmax_t>(st.st_size) > limit) too_big();
        f = std::fopen(path.c_str(), "rb");
        if (!f) return fail(file_reason(errno));
    }
    std::string out;
    char buf[1 << 16];
    bool error = false;
    int err = 0;
    for (;;) {
        const std::size_t n = std::fread(buf, 1, sizeof buf, f);
        out.append(buf, n);
        if (out.size() > limit) break;
        if (n < sizeof buf) {
            if (std::ferror(f)) {
                error = true;
                err = errno;
            }
            break;
        }
    }
    if (f != stdin) std::fclose(f);
    if (error) return fail(file_reason(err ? err : EIO));
    if (out.size() > limit) too_big();
    return out;
}

bool read_file(const std::string& path, std::string& out) {
    try {
        out = read_input(path);
        return true;
    } catch (const tcplab::InputError& e) {
        std::cerr << e.what() << "\n";
        return false;
    }
}

long long parse_count(const std::string& command, const std::string& option,
                      const std::string& text, long long lo, long long hi) {
    // std::stoll would take "12abc" as 12 and "1e3" as 1: only plain digits are a count here.
    long long n = 0;
    bool ok = !text.empty();
    for (char c : text) {
        if (c < '0' || c > '9' || n > hi) {  // n > hi: stop before n * 10 can overflow
            ok = false;
            break;
        }
        n = n * 10 + (c - '0');
    }
    if (!ok || n < lo || n > hi) {
        std::string shown = text.size() > 40 ? text.substr(0, 40) + "..." : text;
        for (char& c : shown)
            if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';
        throw tcplab::InputError("tcplab " + command + ": " + option +
                                 ": expected a whole number from " + std::to_string(lo) + " to " +
                                 std::to_string(hi) + ", got \"" + shown + "\"");
    }
    return n;
}

}  // namespace tcplab_cli

namespace {

// `tcplab lesson` reads its files in cmd_lesson.cpp with nlohmann::json::parse, which has no
// nesting or size limit and lets a number overflow escape as an exception. Until it reads them
// with tcplab::parse_json, each file goes through parse_json here first; a file that fails is
// reported (exit status 2) and, with --check, the others are still checked.
int lesson_with_checked_input(int argc, char** argv) {
    std::vector<char*> args = {argv[0]};
    bool check = false, bad = false;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        if (a == "--check") check = true;
        if ((a == "--lang" || a == "--seed") && i + 1 < argc) {
            args.push_back(argv[i]);
            args.push_back(argv[++i]);
            continue;
        }
        if (!a.empty() && a[0] == '-') {
            args.push_back(argv[i]);
            continue;
        }
        try {
            tcplab::parse_json(tcplab_cli::read_input(a), a);
            args.push_back(argv[i]);
        } catch (const tcplab::InputError& e) {
            std::cerr << e.what() << "\n";
            bad = true;
        }
    }
    if (bad && !check) return 2;
    const bool any_file =
        std::any_of(args.begin() + 1, args.end(), [](const char* a) { return a[0] != '-'; });
    if (bad && !any_file) return 2;
    const int status = tcplab_cli::cmd_lesson(static_cast<int>(args.size()), args.data());
    return bad && status == 0 ? 2 : status;
}

void usage(std::ostream& out) {
    out << "tcplab " TCPLAB_VERSION
           " - TCP connection management, simulated and made visible\n"
           "\n"
           "Usage:\n"
           "  tcplab run [--json] [--abs] FILE.json    run a scenario or lesson; print a ladder\n"
           "                                           diagram, or the trace as JSON (--json);\n"
           "                                           FILE \"-\" reads standard input\n"
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
        if (cmd == "lesson") return lesson_with_checked_input(argc - 1, argv + 1);
        if (cmd == "pcap") return tcplab_cli::cmd_pcap(argc - 1, argv + 1);
        if (cmd == "explain") return tcplab_cli::cmd_explain(argc - 1, argv + 1);
        if (cmd == "bench") return tcplab_cli::cmd_bench(argc - 1, argv + 1);
        std::cerr << "tcplab: unknown command \"" << cmd << "\"\n\n";
        usage(std::cerr);
        return 2;
    } catch (const tcplab::InputError& e) {
        std::cerr << e.what() << "\n";
        return 2;
    } catch (const std::bad_alloc&) {
        // The run's memory is released by now. Invalid input in the sense that this input
        // needs more than this machine gives (CONTRACTS.md, "Limits").
        std::cerr << "tcplab: out of memory (std::bad_alloc): the input needs more memory than "
                     "this process could get; make it smaller (docs/CONTRACTS.md, \"Limits\")\n";
        return 2;
    } catch (const std::exception& e) {
        // A bug. Library messages can quote whole inputs: keep the first few hundred bytes.
        std::string what = e.what();
        if (what.size() > 300) what = what.substr(0, 300) + "...";
        std::cerr << "tcplab: internal error: " << what << "\n";
        return 1;
    }
}
