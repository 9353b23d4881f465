// The socket calls a scenario step can make (docs/CONTRACTS.md, "apps"), each parsed once into a
// typed value. The loader reads every call through one table (core/src/scenario/calls.cpp: the
// call's name, the members it takes, its reader) and the runner performs it with std::visit, so
// adding a call is a struct here, a row in that table and an overload in the runner's
// CallAttempt, which the compiler asks for.
#pragma once

#include "tcplab/segment.hpp"
#include "tcplab/time.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <type_traits>
#include <variant>

namespace tcplab {

namespace calls {

struct Socket {
    static constexpr const char* kName = "socket";
};
struct Setsockopt {
    static constexpr const char* kName = "setsockopt";
    std::string option;
    long value = 0;   // SO_LINGER: onoff
    long value2 = 0;  // SO_LINGER: linger (seconds)
};
// Reads SO_ERROR, the only option getsockopt reads, and clears it.
struct Getsockopt {
    static constexpr const char* kName = "getsockopt";
};
struct Bind {
    static constexpr const char* kName = "bind";
    std::uint16_t port = 0;  // 0 picks one
    std::uint32_t ip = 0;    // 0 is INADDR_ANY
};
struct Listen {
    static constexpr const char* kName = "listen";
    int backlog = 128;
};
struct Accept {
    static constexpr const char* kName = "accept";
};
struct Connect {
    static constexpr const char* kName = "connect";
    Addr to{};
};
struct Send {
    static constexpr const char* kName = "send";
    std::string data;  // from "text", or generated for "bytes"
    bool nosignal = false;
    std::size_t text_bytes = 0;  // bytes of "text" the trace echoes with every call
};
struct Recv {
    static constexpr const char* kName = "recv";
    std::size_t max = 65536;
};
struct Shutdown {
    static constexpr const char* kName = "shutdown";
    bool rd = false, wr = false;
};
struct Close {
    static constexpr const char* kName = "close";
};
struct Poll {
    static constexpr const char* kName = "poll";
    unsigned events = 0;  // kPollIn | kPollOut | ...
    Time timeout = -1;    // -1 waits for ever
};
struct Sleep {
    static constexpr const char* kName = "sleep";
};

}  // namespace calls

using StepCall =
    std::variant<calls::Socket, calls::Setsockopt, calls::Getsockopt, calls::Bind, calls::Listen,
                 calls::Accept, calls::Connect, calls::Send, calls::Recv, calls::Shutdown,
                 calls::Close, calls::Poll, calls::Sleep>;

// The call's name as scenarios and traces write it.
inline const char* call_name(const StepCall& c) {
    return std::visit([](const auto& call) { return std::decay_t<decltype(call)>::kName; }, c);
}

}  // namespace tcplab
