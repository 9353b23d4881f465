// The benchmark workload "tcp-conn-churn v1" (bench/WORKLOAD.md): N short connections from a
// client to a server that closes first, every server connection ending in a 60 s TIME-WAIT.
// Pure simulation: the caller measures wall-clock time and memory.
#pragma once

#include <cstddef>
#include <cstdint>

namespace tcplab {

struct ChurnResult {
    std::size_t n = 0;
    std::size_t completed = 0;      // connections that met every condition of the workload
    std::size_t client_errors = 0;  // connect/send/recv failures, bad replies, early EOF
    std::size_t server_errors = 0;  // bad requests or failed calls on the server
    std::size_t time_wait_entered = 0;
    std::size_t time_wait_expired = 0;
    std::size_t peak_time_wait = 0;
    std::size_t segments = 0;  // segments put on the wire
    std::size_t drops = 0;     // segments lost anywhere (must be 0)
    std::size_t events = 0;    // simulator events executed (cancelled timers included)
    double simulated_seconds = 0;
    std::size_t time_wait_bytes = 0;  // bytes one TIME-WAIT connection costs (record + index)
};

ChurnResult run_churn(std::size_t n);

}  // namespace tcplab
