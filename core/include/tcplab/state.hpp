// The eleven connection states of RFC 9293 §3.3.2, and errno values the socket API returns.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace tcplab {

enum class State : std::uint8_t {
    Closed,
    Listen,
    SynSent,
    SynReceived,
    Established,
    FinWait1,
    FinWait2,
    CloseWait,
    Closing,
    LastAck,
    TimeWait,
};

// "ESTABLISHED", "FIN_WAIT_1", ... as in CONTRACTS.md (and `ss`/`netstat` output).
const char* state_name(State s);
std::optional<State> parse_state(const std::string& name);

// POSIX error numbers the engine can report. Lower-case names keep clear of <cerrno>'s macros.
enum class Errno : std::uint8_t {
    ok,
    eagain,
    ebadf,
    einval,
    eisconn,
    enotconn,
    econnrefused,
    econnreset,
    econnaborted,
    epipe,
    etimedout,
    eaddrinuse,
    eaddrnotavail,
    einprogress,
    ealready,
    eopnotsupp,
    ehostunreach,
};

const char* errno_name(Errno e);  // "ECONNREFUSED"

}  // namespace tcplab
