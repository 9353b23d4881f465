// One endpoint's Transmission Control Block (RFC 9293 §3.3.1), and the compact record that
// replaces it in TIME-WAIT.
#pragma once

#include "tcplab/segment.hpp"
#include "tcplab/seq.hpp"
#include "tcplab/state.hpp"
#include "tcplab/time.hpp"
#include "tcplab/timers.hpp"

#include <array>
#include <cstdint>
#include <map>
#include <string>

namespace tcplab {

struct FourTuple {
    std::uint32_t lip = 0, rip = 0;
    std::uint16_t lport = 0, rport = 0;
    bool operator==(const FourTuple&) const = default;
    Addr local() const { return {lip, lport}; }
    Addr remote() const { return {rip, rport}; }
};

struct FourTupleHash {
    std::size_t operator()(const FourTuple& t) const noexcept {
        std::uint64_t a = (static_cast<std::uint64_t>(t.lip) << 32) | t.rip;
        std::uint64_t b = (static_cast<std::uint64_t>(t.lport) << 16) | t.rport;
        std::uint64_t h = a * 0x9E3779B97F4A7C15ULL ^ (b + 0x632BE59BD9B4E019ULL + (a >> 29));
        return static_cast<std::size_t>(h ^ (h >> 31));
    }
};

// "10.0.0.1:40000>10.0.0.2:80" as in CONTRACTS.md.
std::string conn_name(const FourTuple& t);
std::string listener_name(Addr local);  // "10.0.0.2:80>*"

struct Tcb {
    std::uint32_t slot = 0;
    FourTuple tuple;
    State state = State::Closed;
    int fd = -1;             // owning socket, -1 when orphaned (closed) or not yet accepted
    int listener_fd = -1;    // for a passive child until accept(): the listening socket
    bool passive = false;    // created from a SYN on a listener
    bool orphan = false;     // close() was called: no process holds it (Linux SOCK_DEAD)
    bool tw_bucket = false;  // an orphan in FIN-WAIT-2 counts against tcp_max_tw_buckets
    bool in_accept_queue = false;
    bool acked_on_overflow = false;  // third ACK dropped on a full accept queue (Linux req->acked)

    // Send sequence space (RFC 9293 §3.3.1, Figure 4).
    Seq iss = 0, snd_una = 0, snd_nxt = 0, snd_max = 0;  // snd_max: highest sequence sent
    std::uint32_t snd_wnd = 0, max_snd_wnd = 0;
    Seq snd_wl1 = 0, snd_wl2 = 0;
    std::uint16_t mss = 536;  // effective send MSS (peer's option, minus TS option bytes)
    std::uint16_t peer_mss = 536;
    std::string sndbuf;        // bytes from snd_una (or iss+1 before SYN is acked) onwards
    bool fin_pending = false;  // FIN queued after sndbuf (close or shutdown(SHUT_WR))
    bool fin_sent = false;
    Seq fin_seq = 0;  // sequence number our FIN occupies, once sent
    Seq snd_sml = 0;  // end of the last small segment (Nagle, Minshall variant)
    bool nodelay = false;

    // Receive sequence space.
    Seq irs = 0, rcv_nxt = 0;
    Seq rcv_wup = 0;                 // rcv_nxt when we last sent an ACK (Linux tp->rcv_wup)
    std::uint32_t rcv_wnd = 0;       // bytes we can accept
    std::string rcvbuf;              // in-order bytes not yet read by the application
    std::map<Seq, std::string> ooo;  // out-of-order data, keyed by its sequence number
    bool fin_received = false;       // peer's FIN processed (EOF after rcvbuf)

    // Application-side shutdown (Linux sk_shutdown).
    bool rcv_shutdown = false;
    bool snd_shutdown = false;
    Errno error = Errno::ok;  // pending error (SO_ERROR, Linux sk_err)
    bool error_reported = false;
    bool reset = false;  // ended by RST (sent or received)

    // Retransmission (RFC 6298) and congestion window (RFC 5681).
    Time srtt = 0, rttvar = 0, rto = 0;
    bool rtt_valid = false;
    Seq rtt_seq = 0;
    Time rtt_sent_at = -1;
    int retransmits = 0;     // consecutive timeouts (Linux icsk_retransmits)
    int total_rto = 0;       // timeouts this episode (for linear SYN timeouts)
    Time retrans_stamp = 0;  // when the first segment of this episode was sent
    Time head_sent_at = 0;   // when the segment at snd_una was first sent
    std::uint32_t cwnd = 10, ssthresh = 0x7fffffff;
    int dupacks = 0;
    bool tlp_done = false;  // a tail loss probe was sent for this flight (RFC 8985 §7)
    Seq last_seg_seq = 0;   // where the newest segment sent began

    // Delayed ACK (Linux inet_connection_sock icsk_ack).
    int quick = 0;
    bool pingpong = false;
    bool ack_pending = false;
    bool ato_set = false;
    Time last_rcv = 0;  // last segment received (keepalive idle, pingpong)

    // Options negotiated on the SYNs.
    bool ts_ok = false, sack_ok = false, wscale_ok = false;
    std::uint8_t snd_wscale = 0, rcv_wscale = 0;
    std::uint32_t ts_recent = 0;
    Time ts_recent_stamp = 0;
    std::uint32_t ts_offset = 0;

    // Socket options copied at creation.
    bool keepalive = false;
    int keepidle = 0, keepintvl = 0, keepcnt = 0;  // 0: use the host default
    int probes_out = 0;
    Time user_timeout = 0;    // TCP_USER_TIMEOUT, 0 = off
    int linger2 = 0;          // TCP_LINGER2 seconds; 0 = tcp_fin_timeout, -1 = RST
    bool holds_port = false;  // counts in the host's bind table (explicit bind or accepted)
    bool reuse = false;       // SO_REUSEADDR of the socket (inherited from a listener)
    bool retired = false;     // CLOSED, no longer in the demux table, kept for its socket

    // Why the numbers of the segments it sends are what they are (the trace's "why" and
    // "retransmission_of"): trace segment ids, 0 = none.
    std::uint32_t snd_adv_id = 0;  // the segment that last advanced SND.NXT to a new high
    bool snd_adv_syn = true;       // ... which was the SYN (or SYN,ACK)
    std::uint32_t rcv_adv_id = 0;  // the peer's segment that last advanced RCV.NXT
    // Offset from the ISS -> the first segment sent starting there (only while tracing).
    std::map<std::uint32_t, std::uint32_t> first_sent;

    std::array<std::uint32_t, kTimerKinds> timer_token{};  // 0 = not armed
    std::array<Time, kTimerKinds> timer_at{};
    std::array<TimerName, kTimerKinds> timer_label{};  // the name it was set under, for the trace

    bool synchronized() const { return state >= State::Established; }
};

// A connection in TIME-WAIT costs this much and no more: Linux's inet_timewait_sock keeps only
// what tcp_timewait_state_process needs.
struct TimeWaitSock {
    FourTuple tuple;
    Seq snd_nxt = 0, rcv_nxt = 0;
    Seq iss = 0, irs = 0;  // kept so a trace can still show numbers relative to the ISNs
    std::uint32_t ts_recent = 0;
    Time ts_recent_stamp = 0;
    Time expires = 0;
    std::uint32_t token = 0;
    std::uint32_t ts_offset = 0;
    std::uint16_t rcv_wnd = 0;
    bool ts_ok = false;
    bool live = false;
    bool reuse = false;  // SO_REUSEADDR of the socket it came from
    bool holds_port = false;
};

}  // namespace tcplab
