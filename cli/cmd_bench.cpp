// tcplab bench churn --n N: the connection-churn workload of bench/WORKLOAD.md, with the
// figures it asks for. Wall-clock time is measured here, outside the engine.
#include "commands.hpp"

#include "tcplab/churn.hpp"

#include <chrono>
#include <cstdio>
#include <iostream>
#include <string>

namespace tcplab_cli {

int cmd_bench(int argc, char** argv) {
    std::size_t n = 1000;
    bool json = false;
    if (argc < 2 || std::string(argv[1]) != "churn") {
        std::cerr << "Usage: tcplab bench churn [--n N] [--json]\n";
        return 2;
    }
    for (int i = 2; i < argc; ++i) {
        const std::string a = argv[i];
        if (a == "--n") {
            if (i + 1 >= argc) {
                std::cerr << "tcplab bench churn: --n: expected a whole number from 1 to "
                             "10000000 after it\n";
                return 2;
            }
            // Plain digits only: "1e3" or "12abc" are refused, not read as 1 or 12.
            n = static_cast<std::size_t>(
                parse_count("bench churn", "--n", argv[++i], 1, 10'000'000));
        } else if (a == "--json") {
            json = true;
        } else {
            std::cerr << "tcplab bench churn: unknown option \"" << a << "\"\n";
            return 2;
        }
    }
    const auto t0 = std::chrono::steady_clock::now();
    const tcplab::ChurnResult r = tcplab::run_churn(n);
    const double wall =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    const double per_conn = r.n ? static_cast<double>(r.segments) / static_cast<double>(r.n) : 0;
    if (json) {
        std::printf(
            "{\"n\":%zu,\"completed\":%zu,\"simulated_s\":%.6f,\"wall_s\":%.3f,"
            "\"conn_per_wall_s\":%.0f,\"events\":%zu,\"events_per_wall_s\":%.0f,"
            "\"segments_per_conn\":%.2f,\"peak_time_wait\":%zu,\"time_wait_bytes\":%zu}\n",
            r.n, r.completed, r.simulated_seconds, wall, static_cast<double>(r.completed) / wall,
            r.events, static_cast<double>(r.events) / wall, per_conn, r.peak_time_wait,
            r.time_wait_bytes);
    } else {
        std::printf("tcp-conn-churn v1, N = %zu\n", r.n);
        std::printf(
            "  completed            %zu (client errors %zu, server errors %zu, drops %zu)\n",
            r.completed, r.client_errors, r.server_errors, r.drops);
        std::printf("  simulated time       %.6f s\n", r.simulated_seconds);
        std::printf("  wall time            %.3f s (event loop and set-up)\n", wall);
        std::printf("  connections / wall s %.0f\n", static_cast<double>(r.completed) / wall);
        std::printf(
            "  events               %zu (%.0f / wall s; an event is one popped queue entry,\n"
            "                       cancelled timers and wake-ups included)\n",
            r.events, static_cast<double>(r.events) / wall);
        std::printf("  segments / conn      %.2f\n", per_conn);
        std::printf("  peak TIME_WAIT       %zu (%zu bytes each)\n", r.peak_time_wait,
                    r.time_wait_bytes);
    }
    return r.completed == r.n ? 0 : 1;
}

}  // namespace tcplab_cli
