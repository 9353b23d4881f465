// Named parameter sets ("profiles") with the source of every default.
//
// `linux` is a current kernel (6.5 or later); `rfc` follows RFC 9293 where Linux departs from it;
// `windows` differs in the TIME-WAIT length. A scenario may override single values by Linux's
// sysctl names (see apply_sysctl).
#pragma once

#include "tcplab/time.hpp"

#include <nlohmann/json.hpp>

#include <string>

namespace tcplab {

struct Params {
    std::string profile = "linux";

    // TIME-WAIT length. Linux: TCP_TIMEWAIT_LEN = 60 s, a constant (include/net/tcp.h).
    // RFC 9293 §3.6.1 (MUST-13): 2 MSL, MSL = 2 minutes. Windows: TcpTimedWaitDelay = 240 s.
    Time msl = sec(30);
    Time time_wait = sec(60);

    // Orphaned FIN-WAIT-2 lifetime. Linux: tcp_fin_timeout = 60 s (ip-sysctl.rst).
    Time fin_timeout = sec(60);

    // Retransmission. Linux: TCP_TIMEOUT_INIT = 1 s (RFC 6298 §2.1), TCP_RTO_MIN = 200 ms,
    // TCP_RTO_MAX = 120 s (include/net/tcp.h).
    Time rto_initial = sec(1);
    Time rto_min = ms(200);
    Time rto_max = sec(120);
    int syn_retries = 6;          // tcp_syn_retries
    int synack_retries = 5;       // tcp_synack_retries
    int syn_linear_timeouts = 4;  // tcp_syn_linear_timeouts (Linux 6.5+): first SYN RTOs stay 1 s
    int retries2 = 15;            // tcp_retries2: ~924.6 s of retransmission
    int orphan_retries = 0;       // tcp_orphan_retries: 0 means 8 (tcp_timer.c tcp_orphan_retries)

    // Delayed ACK. Linux: TCP_DELACK_MIN = 40 ms, TCP_DELACK_MAX = 200 ms, TCP_MAX_QUICKACKS = 16.
    Time delack_min = ms(40);
    Time delack_max = ms(200);
    int max_quickacks = 16;
    Time tick = ms(4);  // one jiffy: timers round up to it (HZ = 250 on common kernels)

    // Keepalive. Linux: tcp_keepalive_time 7200 s, _intvl 75 s, _probes 9 (include/net/tcp.h).
    int keepalive_time = 7200;
    int keepalive_intvl = 75;
    int keepalive_probes = 9;

    // Listen queues. Linux: somaxconn 4096 (since 5.4), tcp_max_syn_backlog 128 at least.
    int somaxconn = 4096;
    int max_syn_backlog = 1024;
    int syncookies = 1;         // tcp_syncookies: 1 = only when the SYN queue overflows
    int abort_on_overflow = 0;  // tcp_abort_on_overflow

    // TIME-WAIT management.
    int max_tw_buckets = 131072;     // tcp_max_tw_buckets: ehash/2 (depends on memory)
    int tw_reuse = 2;                // tcp_tw_reuse: 2 = loopback only
    Time tw_reuse_delay = ms(1000);  // tcp_tw_reuse_delay
    int rfc1337 = 0;                 // tcp_rfc1337: 0 = a RST kills TIME-WAIT
    int timestamps = 1;              // tcp_timestamps
    int window_scaling = 1;          // tcp_window_scaling
    int sack = 1;                    // tcp_sack

    // Ephemeral ports. Linux: ip_local_port_range 32768 60999.
    int port_lo = 32768;
    int port_hi = 60999;

    // Link-derived and buffer sizes.
    int mtu = 1500;
    int rcvbuf = 131072;  // tcp_rmem default
    int sndbuf = 16384;   // tcp_wmem default
    int init_cwnd = 10;   // RFC 6928, Linux TCP_INIT_CWND

    // Profile choices that are not sysctls.
    bool rfc5961 = true;               // challenge ACKs (RFC 5961), on in Linux
    bool accept_econnaborted = false;  // BSD returns ECONNABORTED from accept() for a reset child
    bool quickack = true;              // Linux quick-ACK mode at connection start (tcp_input.c)
    bool tail_loss_probe = true;       // Linux RACK-TLP (tcp_early_retrans = 3), RFC 8985
};

// The named profile's parameters. Throws std::invalid_argument on an unknown name.
Params profile_params(const std::string& name);
bool is_profile_name(const std::string& name);

// Applies one override. Returns an empty string on success, else what was expected.
std::string apply_sysctl(Params& p, const std::string& name, const nlohmann::json& value);

// The names apply_sysctl accepts, for error messages and the schema.
const std::vector<std::string>& sysctl_names();

}  // namespace tcplab
