#include "tcplab/profile.hpp"

#include <functional>
#include <map>
#include <stdexcept>

namespace tcplab {

bool is_profile_name(const std::string& name) {
    return name == "linux" || name == "rfc" || name == "windows" || name == "bsd";
}

Params profile_params(const std::string& name) {
    Params p;
    p.profile = name;
    if (name == "linux") return p;
    if (name == "rfc") {
        // RFC 9293 §3.4.2: MSL = 2 minutes; §3.6.1: TIME-WAIT lasts 2 MSL.
        p.msl = sec(120);
        p.time_wait = 2 * p.msl;
        // RFC 9293 §3.8.6.3 (SHLD-18): delayed ACK under 0.5 s; no quick-ACK mode.
        p.quickack = false;
        p.delack_min = ms(200);
        // RFC 1122 §4.2.3.5 (via RFC 9293 MUST-23): R2 for a SYN at least 3 minutes.
        p.syn_linear_timeouts = 0;
        p.syn_retries = 7;  // 1+2+...+64 = 127 s, the 8th timeout ends at 255 s > 180 s
        p.rfc1337 = 1;      // RFC 1337 F1: ignore RST in TIME-WAIT
        p.tw_reuse = 0;
        return p;
    }
    if (name == "windows") {
        // Windows: TcpTimedWaitDelay defaults to 240 s (2 MSL with MSL = 120 s).
        p.msl = sec(120);
        p.time_wait = sec(240);
        p.tw_reuse = 0;
        return p;
    }
    if (name == "bsd") {
        // 4.4BSD lineage: accept() reports ECONNABORTED for a connection reset while queued
        // (FreeBSD soabort path); MSL 30 s, TIME-WAIT 60 s.
        p.accept_econnaborted = true;
        p.tw_reuse = 0;
        return p;
    }
    throw std::invalid_argument("unknown profile " + name);
}

namespace {

using Setter = std::function<std::string(Params&, const nlohmann::json&)>;

std::string need_int(const nlohmann::json& v, long long lo, long long hi, long long& out) {
    if (!v.is_number_integer() &&
        !(v.is_number_float() && v.get<double>() == (long long)v.get<double>()))
        return "expected an integer from " + std::to_string(lo) + " to " + std::to_string(hi);
    out = v.is_number_integer() ? v.get<long long>() : (long long)v.get<double>();
    if (out < lo || out > hi)
        return "expected an integer from " + std::to_string(lo) + " to " + std::to_string(hi);
    return {};
}

Setter int_field(int Params::*field, long long lo, long long hi) {
    return [=](Params& p, const nlohmann::json& v) {
        long long n = 0;
        auto err = need_int(v, lo, hi, n);
        if (err.empty()) p.*field = static_cast<int>(n);
        return err;
    };
}

Setter time_field(Time Params::*field, Time unit, long long lo, long long hi) {
    return [=](Params& p, const nlohmann::json& v) {
        long long n = 0;
        auto err = need_int(v, lo, hi, n);
        if (err.empty()) p.*field = n * unit;
        return err;
    };
}

const std::map<std::string, Setter>& setters() {
    static const std::map<std::string, Setter> table = {
        {"tcp_fin_timeout", time_field(&Params::fin_timeout, sec(1), 1, 86400)},
        {"tcp_syn_retries", int_field(&Params::syn_retries, 1, 127)},
        {"tcp_synack_retries", int_field(&Params::synack_retries, 0, 255)},
        {"tcp_syn_linear_timeouts", int_field(&Params::syn_linear_timeouts, 0, 32)},
        {"tcp_retries2", int_field(&Params::retries2, 1, 255)},
        {"tcp_orphan_retries", int_field(&Params::orphan_retries, 0, 255)},
        {"tcp_keepalive_time", int_field(&Params::keepalive_time, 1, 32767)},
        {"tcp_keepalive_intvl", int_field(&Params::keepalive_intvl, 1, 32767)},
        {"tcp_keepalive_probes", int_field(&Params::keepalive_probes, 1, 127)},
        {"tcp_max_tw_buckets", int_field(&Params::max_tw_buckets, 0, 1 << 30)},
        {"tcp_tw_reuse", int_field(&Params::tw_reuse, 0, 2)},
        {"tcp_tw_reuse_delay", time_field(&Params::tw_reuse_delay, ms(1), 1, 3600000)},
        {"tcp_syncookies", int_field(&Params::syncookies, 0, 2)},
        {"tcp_abort_on_overflow", int_field(&Params::abort_on_overflow, 0, 1)},
        {"tcp_rfc1337", int_field(&Params::rfc1337, 0, 1)},
        {"tcp_timestamps", int_field(&Params::timestamps, 0, 2)},
        {"tcp_window_scaling", int_field(&Params::window_scaling, 0, 1)},
        {"tcp_sack", int_field(&Params::sack, 0, 1)},
        {"somaxconn", int_field(&Params::somaxconn, 0, 1 << 20)},
        {"tcp_max_syn_backlog", int_field(&Params::max_syn_backlog, 1, 1 << 20)},
        {"tcp_rto_min_ms", time_field(&Params::rto_min, ms(1), 1, 120000)},
        {"tcp_delack_min_ms", time_field(&Params::delack_min, ms(1), 1, 1000)},
        {"mtu", int_field(&Params::mtu, 68, 65535)},
        {"tcp_rmem", int_field(&Params::rcvbuf, 1024, 1 << 30)},
        {"tcp_wmem", int_field(&Params::sndbuf, 1024, 1 << 30)},
        {"msl_ms",
         [](Params& p, const nlohmann::json& v) {
             long long n = 0;
             auto err = need_int(v, 1, 3600000, n);
             if (!err.empty()) return err;
             // TIME-WAIT is 2 MSL (RFC 9293 §3.6.1); Linux's 60 s is 2 x 30 s.
             p.msl = ms(n);
             p.time_wait = 2 * p.msl;
             return std::string();
         }},
        {"time_wait_ms", time_field(&Params::time_wait, ms(1), 1, 3600000)},
        {"ip_local_port_range",
         [](Params& p, const nlohmann::json& v) {
             if (!v.is_array() || v.size() != 2 || !v[0].is_number_integer() ||
                 !v[1].is_number_integer())
                 return std::string("expected [low, high], two port numbers");
             long long lo = v[0].get<long long>(), hi = v[1].get<long long>();
             if (lo < 1 || hi > 65535 || lo > hi)
                 return std::string("expected 1 <= low <= high <= 65535");
             p.port_lo = static_cast<int>(lo);
             p.port_hi = static_cast<int>(hi);
             return std::string();
         }},
    };
    return table;
}

}  // namespace

std::string apply_sysctl(Params& p, const std::string& name, const nlohmann::json& value) {
    auto it = setters().find(name);
    if (it == setters().end()) return "unknown parameter";
    return it->second(p, value);
}

const std::vector<std::string>& sysctl_names() {
    static const std::vector<std::string> names = [] {
        std::vector<std::string> v;
        for (auto& [k, _] : setters()) v.push_back(k);
        return v;
    }();
    return names;
}

}  // namespace tcplab
