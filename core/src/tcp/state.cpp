#include "tcplab/state.hpp"

#include <array>

namespace tcplab {

namespace {
constexpr std::array<const char*, 11> kStateNames{
    "CLOSED",     "LISTEN",     "SYN_SENT", "SYN_RECEIVED", "ESTABLISHED", "FIN_WAIT_1",
    "FIN_WAIT_2", "CLOSE_WAIT", "CLOSING",  "LAST_ACK",     "TIME_WAIT"};
}

const char* state_name(State s) { return kStateNames[static_cast<std::size_t>(s)]; }

std::optional<State> parse_state(const std::string& name) {
    for (std::size_t i = 0; i < kStateNames.size(); ++i)
        if (name == kStateNames[i]) return static_cast<State>(i);
    return std::nullopt;
}

const char* errno_name(Errno e) {
    switch (e) {
        case Errno::ok: return "OK";
        case Errno::eagain: return "EAGAIN";
        case Errno::ebadf: return "EBADF";
        case Errno::einval: return "EINVAL";
        case Errno::eisconn: return "EISCONN";
        case Errno::enotconn: return "ENOTCONN";
        case Errno::econnrefused: return "ECONNREFUSED";
        case Errno::econnreset: return "ECONNRESET";
        case Errno::econnaborted: return "ECONNABORTED";
        case Errno::epipe: return "EPIPE";
        case Errno::etimedout: return "ETIMEDOUT";
        case Errno::eaddrinuse: return "EADDRINUSE";
        case Errno::eaddrnotavail: return "EADDRNOTAVAIL";
        case Errno::einprogress: return "EINPROGRESS";
        case Errno::ealready: return "EALREADY";
        case Errno::eopnotsupp: return "EOPNOTSUPP";
        case Errno::ehostunreach: return "EHOSTUNREACH";
    }
    return "EINVAL";
}

}  // namespace tcplab
