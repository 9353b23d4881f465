// The timers of a connection and the names the trace gives them, in one list.
#pragma once

#include <cstddef>
#include <cstdint>

namespace tcplab {

// What a timer does when it fires. A connection has the first four (FinWait2 only while it is
// an orphan in FIN-WAIT-2: Linux's tcp_fin_timeout); a compact TIME-WAIT record has TimeWait
// only, as Linux's inet_timewait_sock has its tw_timer (net/ipv4/inet_timewait_sock.c).
enum class TimerKind : std::uint8_t {
    Retransmit,
    DelayedAck,
    Keepalive,
    FinWait2,
    TimeWait,
    Count
};
// The kinds a full connection keeps a token for.
constexpr std::size_t kTimerKinds = static_cast<std::size_t>(TimerKind::TimeWait);

// The names a timer is set under in the trace (the "timer" field, "timer:<name>" causes and the
// catalogue): a retransmission timer is named after what it retransmits.
enum class TimerName : std::uint8_t {
    Retransmit,        // data or FIN (RFC 6298)
    SynRetransmit,     // the SYN, in SYN-SENT
    SynackRetransmit,  // the SYN,ACK, in SYN-RECEIVED
    DelayedAck,        // RFC 9293 §3.8.6.3, Linux TCP_DELACK_MIN
    Keepalive,         // §3.8.4
    FinWait2,          // an orphaned FIN-WAIT-2 (Linux tcp_fin_timeout)
    TimeWait,          // 2 MSL (§3.6.1; Linux TCP_TIMEWAIT_LEN)
};
inline constexpr TimerName kTimerNames[] = {TimerName::Retransmit,       TimerName::SynRetransmit,
                                            TimerName::SynackRetransmit, TimerName::DelayedAck,
                                            TimerName::Keepalive,        TimerName::FinWait2,
                                            TimerName::TimeWait};

constexpr const char* timer_name(TimerName t) {
    switch (t) {
        case TimerName::Retransmit: return "retransmit";
        case TimerName::SynRetransmit: return "syn_retransmit";
        case TimerName::SynackRetransmit: return "synack_retransmit";
        case TimerName::DelayedAck: return "delayed_ack";
        case TimerName::Keepalive: return "keepalive";
        case TimerName::FinWait2: return "fin_wait_2";
        case TimerName::TimeWait: return "time_wait";
    }
    return "timer";
}

}  // namespace tcplab
