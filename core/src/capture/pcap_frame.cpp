// Trace segment -> Ethernet frame (see pcap_frame.hpp).
#include "pcap_frame.hpp"

#include "tcplab/segment.hpp"

#include <bit>
#include <cstdio>
#include <optional>

namespace tcplab::capture_detail {
namespace {

bool parse_ipv4(const std::string& s, std::array<uint8_t, 16>& out) {
    unsigned a, b, c, d;
    char tail;
    if (std::sscanf(s.c_str(), "%u.%u.%u.%u%c", &a, &b, &c, &d, &tail) != 4 || a > 255 || b > 255 ||
        c > 255 || d > 255)
        return false;
    out = {};
    out[0] = uint8_t(a), out[1] = uint8_t(b), out[2] = uint8_t(c), out[3] = uint8_t(d);
    return true;
}

bool parse_ipv6(const std::string& s, std::array<uint8_t, 16>& out) {
    std::vector<uint16_t> head, tail;
    bool gap = false;
    size_t i = 0;
    if (s.rfind("::", 0) == 0) {
        gap = true;
        i = 2;
    }
    while (i < s.size()) {
        size_t j = s.find(':', i);
        std::string g = s.substr(i, j == std::string::npos ? std::string::npos : j - i);
        if (g.empty() || g.size() > 4 ||
            g.find_first_not_of("0123456789abcdefABCDEF") != std::string::npos)
            return false;
        (gap ? tail : head).push_back(uint16_t(std::stoul(g, nullptr, 16)));
        if (j == std::string::npos) break;
        if (j + 1 < s.size() && s[j + 1] == ':') {
            if (gap) return false;
            gap = true;
            i = j + 2;
        } else {
            i = j + 1;
        }
    }
    if (head.size() + tail.size() > 8 || (!gap && head.size() != 8)) return false;
    std::vector<uint16_t> g(head);
    g.resize(8 - tail.size(), 0);
    g.insert(g.end(), tail.begin(), tail.end());
    for (int k = 0; k < 8; ++k) out[2 * k] = uint8_t(g[k] >> 8), out[2 * k + 1] = uint8_t(g[k]);
    return true;
}

// "ip:port" or "[v6]:port"
std::optional<Endpoint> parse_endpoint(const std::string& s) {
    Endpoint a;
    size_t colon = s.rfind(':');
    if (colon == std::string::npos || colon + 1 >= s.size()) return std::nullopt;
    std::string host = s.substr(0, colon), port = s.substr(colon + 1);
    if (port.find_first_not_of("0123456789") != std::string::npos || port.size() > 5)
        return std::nullopt;
    unsigned long p = std::stoul(port);
    if (p > 65535) return std::nullopt;
    a.port = uint16_t(p);
    if (!host.empty() && host.front() == '[' && host.back() == ']') {
        a.version = 6;
        if (!parse_ipv6(host.substr(1, host.size() - 2), a.ip)) return std::nullopt;
    } else if (!parse_ipv4(host, a.ip)) {
        return std::nullopt;
    }
    return a;
}

void put16be(std::vector<uint8_t>& v, uint16_t x) {
    v.push_back(uint8_t(x >> 8));
    v.push_back(uint8_t(x));
}
void put32be(std::vector<uint8_t>& v, uint32_t x) {
    put16be(v, uint16_t(x >> 16));
    put16be(v, uint16_t(x));
}
void set16be(std::vector<uint8_t>& v, size_t at, uint16_t x) {
    v[at] = uint8_t(x >> 8);
    v[at + 1] = uint8_t(x);
}

// Internet checksum (RFC 1071), continued from `sum`.
uint32_t sum16(const uint8_t* p, size_t n, uint32_t sum = 0) {
    for (size_t i = 0; i + 1 < n; i += 2) sum += uint32_t(p[i] << 8 | p[i + 1]);
    if (n & 1) sum += uint32_t(p[n - 1] << 8);
    return sum;
}
uint16_t fold(uint32_t sum) {
    while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
    return uint16_t(~sum);
}

std::array<uint8_t, 6> mac_of(const Endpoint& a) {
    // Locally administered unicast, derived from the address so each host keeps one MAC.
    const uint8_t* p = a.version == 4 ? a.ip.data() : a.ip.data() + 12;
    return {0x02, 0x00, p[0], p[1], p[2], p[3]};
}

}  // namespace

Seg parse_seg(const json& j, const std::string& ptr, const Checker& ck) {
    if (!j.is_object()) ck.fail(ptr, "expected a segment object");
    Seg s;
    auto src = parse_endpoint(ck.str(j, "src", ptr)), dst = parse_endpoint(ck.str(j, "dst", ptr));
    if (!src) ck.fail(ptr + "/src", "expected \"ip:port\"");
    if (!dst) ck.fail(ptr + "/dst", "expected \"ip:port\"");
    if (src->version != dst->version) ck.fail(ptr + "/dst", "expected the same IP version as src");
    s.src = *src, s.dst = *dst;
    auto fl = j.find("flags");
    if (fl == j.end() || !fl->is_array())
        ck.fail(ptr + "/flags", "expected an array of flag names");
    for (size_t i = 0; i < fl->size(); ++i) {
        const json& f = (*fl)[i];
        // One flag name per element, spelt as the trace writes it (segment.hpp flag_names).
        const auto bit = f.is_string() ? parse_flags(f.get<std::string>()) : std::nullopt;
        if (!bit || !std::has_single_bit(*bit) || flags_string(*bit) != f.get<std::string>())
            ck.fail(ptr + "/flags/" + std::to_string(i),
                    "expected FIN, SYN, RST, PSH, ACK, URG, ECE or CWR");
        s.flags |= *bit;
    }
    s.seq = uint32_t(ck.uint(j, "seq", ptr, 0xffffffffu));
    s.ack = uint32_t(ck.uint(j, "ack", ptr, 0xffffffffu));
    s.win = uint16_t(ck.uint(j, "win", ptr, 0xffff));
    s.len = uint32_t(ck.uint(j, "len", ptr, 65535 - 60 - 40));
    for (const char* k : {"text", "data", "payload"})
        if (auto t = j.find(k);
            t != j.end() && t->is_string() && t->get_ref<const std::string&>().size() == s.len) {
            s.text = t->get<std::string>();
            break;
        }
    // Options in the order Linux puts them (tcp_options_write): MSS, SACK-permitted + timestamps,
    // window scale; on other segments: timestamps, then SACK blocks.
    if (auto o = j.find("opts"); o != j.end()) {
        std::string op = ptr + "/opts";
        if (!o->is_object()) ck.fail(op, "expected an object");
        auto& v = s.opts;
        bool syn = s.flags & SYN;
        bool sack_ok = o->value("sack_ok", false);
        std::optional<std::pair<uint32_t, uint32_t>> ts;
        if (auto t = o->find("ts"); t != o->end()) {
            if (!t->is_array() || t->size() != 2 || !is_uint((*t)[0]) || !is_uint((*t)[1]) ||
                (*t)[0].get<uint64_t>() > 0xffffffffu || (*t)[1].get<uint64_t>() > 0xffffffffu)
                ck.fail(op + "/ts", "expected [TSval, TSecr], two 32-bit unsigned integers");
            ts = {uint32_t((*t)[0].get<uint64_t>()), uint32_t((*t)[1].get<uint64_t>())};
        }
        auto put_ts = [&] {
            v.push_back(8);
            v.push_back(10);
            put32be(v, ts->first);
            put32be(v, ts->second);
        };
        if (o->contains("mss")) {
            v.push_back(2);
            v.push_back(4);
            put16be(v, uint16_t(ck.uint(*o, "mss", op, 0xffff)));
        }
        if (sack_ok && ts) {
            v.push_back(4);
            v.push_back(2);
            put_ts();
        } else if (ts) {
            v.push_back(1);
            v.push_back(1);
            put_ts();
        } else if (sack_ok) {
            v.push_back(1);
            v.push_back(1);
            v.push_back(4);
            v.push_back(2);
        }
        if (o->contains("wscale")) {
            v.push_back(1);
            v.push_back(3);
            v.push_back(3);
            v.push_back(uint8_t(ck.uint(*o, "wscale", op, 14)));
        }
        if (auto sk = o->find("sack"); sk != o->end() && !syn) {
            if (!sk->is_array() || sk->size() > 3)
                ck.fail(op + "/sack", "expected up to 3 [left, right] blocks");
            if (!sk->empty()) {
                v.push_back(1);
                v.push_back(1);
                v.push_back(5);
                v.push_back(uint8_t(2 + 8 * sk->size()));
                for (size_t i = 0; i < sk->size(); ++i) {
                    const json& b = (*sk)[i];
                    if (!b.is_array() || b.size() != 2 || !is_uint(b[0]) || !is_uint(b[1]))
                        ck.fail(op + "/sack/" + std::to_string(i), "expected [left, right]");
                    put32be(v, uint32_t(b[0].get<uint64_t>()));
                    put32be(v, uint32_t(b[1].get<uint64_t>()));
                }
            }
        }
        if (v.size() > 40) ck.fail(op, "options need more than the 40 bytes a TCP header has");
        while (v.size() % 4) v.push_back(0);  // end of option list, padding
    }
    return s;
}

// Ethernet frame for a segment.
std::vector<uint8_t> frame(const Seg& s, uint16_t ip_id) {
    std::vector<uint8_t> f;
    f.reserve(14 + 60 + 20 + s.opts.size() + s.len);
    auto dm = mac_of(s.dst), sm = mac_of(s.src);
    f.insert(f.end(), dm.begin(), dm.end());
    f.insert(f.end(), sm.begin(), sm.end());
    const bool v6 = s.src.version == 6;
    put16be(f, v6 ? 0x86dd : 0x0800);
    const size_t ip_at = f.size();
    const uint32_t tcp_len = uint32_t(20 + s.opts.size() + s.len);
    if (!v6) {
        f.push_back(0x45);
        f.push_back(0);
        put16be(f, uint16_t(20 + tcp_len));
        put16be(f, ip_id);
        put16be(f, 0x4000);  // DF, as Linux sets with path MTU discovery
        f.push_back(64);
        f.push_back(6);
        put16be(f, 0);
        f.insert(f.end(), s.src.ip.begin(), s.src.ip.begin() + 4);
        f.insert(f.end(), s.dst.ip.begin(), s.dst.ip.begin() + 4);
        set16be(f, ip_at + 10, fold(sum16(f.data() + ip_at, 20)));
    } else {
        put32be(f, 0x60000000u);
        put16be(f, uint16_t(tcp_len));
        f.push_back(6);
        f.push_back(64);
        f.insert(f.end(), s.src.ip.begin(), s.src.ip.end());
        f.insert(f.end(), s.dst.ip.begin(), s.dst.ip.end());
    }
    const size_t tcp_at = f.size();
    put16be(f, s.src.port);
    put16be(f, s.dst.port);
    put32be(f, s.seq);
    put32be(f, s.ack);
    f.push_back(uint8_t((20 + s.opts.size()) / 4 << 4));
    f.push_back(s.flags);
    put16be(f, s.win);
    put16be(f, 0);  // checksum, below
    put16be(f, 0);  // urgent pointer
    f.insert(f.end(), s.opts.begin(), s.opts.end());
    if (!s.text.empty())
        f.insert(f.end(), s.text.begin(), s.text.end());
    else
        f.resize(f.size() + s.len, 0);
    // Pseudo-header (RFC 9293 §3.1 for IPv4; RFC 8200 §8.1 for IPv6).
    uint32_t sum = 0;
    size_t alen = v6 ? 16 : 4;
    sum = sum16(s.src.ip.data(), alen, sum);
    sum = sum16(s.dst.ip.data(), alen, sum);
    sum += 6;
    sum += tcp_len >> 16;
    sum += tcp_len & 0xffff;
    sum = sum16(f.data() + tcp_at, tcp_len, sum);
    uint16_t c = fold(sum);
    set16be(f, tcp_at + 16, c);
    return f;
}

}  // namespace tcplab::capture_detail
