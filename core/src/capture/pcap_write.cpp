// Trace -> pcapng / pcap. See pcap.hpp for what is written and why.
#include "tcplab/lesson.hpp"
#include "tcplab/pcap.hpp"
#include "tcplab/run.hpp"
#include "tcplab/segment.hpp"

#include <algorithm>
#include <array>
#include <bit>
#include <cstdio>
#include <cstring>
#include <map>
#include <optional>
#include <set>

namespace tcplab {
namespace {

using nlohmann::json;

struct Addr {
    uint8_t version = 4;
    std::array<uint8_t, 16> ip{};
    uint16_t port = 0;
};

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
std::optional<Addr> parse_endpoint(const std::string& s) {
    Addr a;
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
void put16le(std::vector<uint8_t>& v, uint16_t x) {
    v.push_back(uint8_t(x));
    v.push_back(uint8_t(x >> 8));
}
void put32le(std::vector<uint8_t>& v, uint32_t x) {
    put16le(v, uint16_t(x));
    put16le(v, uint16_t(x >> 16));
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

// A non-negative integer, whether it was parsed from text (unsigned) or built in memory (int).
bool is_uint(const json& j) {
    return j.is_number_unsigned() || (j.is_number_integer() && j.get<int64_t>() >= 0);
}

struct Seg {
    Addr src, dst;
    uint8_t flags = 0;
    uint32_t seq = 0, ack = 0, len = 0;
    uint16_t win = 0;
    std::vector<uint8_t> opts;  // encoded TCP options, padded to 4
    std::string text;
};

class Checker {
public:
    explicit Checker(const std::string& file) : file_(file) {}
    [[noreturn]] void fail(const std::string& ptr, const std::string& what) const {
        throw InputError(file_ + ": " + ptr + ": " + what);
    }
    uint64_t uint(const json& o, const std::string& key, const std::string& ptr,
                  uint64_t max) const {
        auto it = o.find(key);
        if (it == o.end() || !is_uint(*it) || it->get<uint64_t>() > max)
            fail(ptr + "/" + key, "expected an integer from 0 to " + std::to_string(max));
        return it->get<uint64_t>();
    }
    std::string str(const json& o, const std::string& key, const std::string& ptr) const {
        auto it = o.find(key);
        if (it == o.end() || !it->is_string()) fail(ptr + "/" + key, "expected a string");
        return it->get<std::string>();
    }

private:
    std::string file_;
};

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

std::array<uint8_t, 6> mac_of(const Addr& a) {
    // Locally administered unicast, derived from the address so each host keeps one MAC.
    const uint8_t* p = a.version == 4 ? a.ip.data() : a.ip.data() + 12;
    return {0x02, 0x00, p[0], p[1], p[2], p[3]};
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

struct Packet {
    size_t iface;
    int64_t t_us;
    std::vector<uint8_t> data;
    std::string comment;
    bool outbound;  // sent by the interface's host (else delivered to it)
};

const char* remark(const std::string& lang, bool drop) {
    bool zh = lang == "zh-CN";
    if (drop)
        return zh ? "这个报文段已经发出，但在网络中丢失了：接收方永远收不到它（原因："
                  : "This segment was sent but lost in the network: the receiver never gets it "
                    "(reason: ";
    return zh ? "这个报文段到达了，但被接收主机丢弃（原因："
              : "This segment arrived but the receiving host threw it away (reason: ";
}

// Packets at the capture points, in trace order. `unplugged_sends` counts, per captured host, the
// segments it sent while its own cable was unplugged: Linux drops those before the capture point
// (with the carrier down the device's queue is deactivated, dev_deactivate, so nothing reaches
// the packet taps of dev_queue_xmit_nit), so they are not in that host's capture.
std::vector<Packet> collect(const json& trace, const PcapOptions& opt,
                            std::vector<std::string>& iface_names,
                            std::map<std::string, size_t>& unplugged_sends) {
    Checker ck(opt.file);
    if (!trace.is_object()) ck.fail("(root)", "expected a trace object");
    auto ev = trace.find("events");
    if (ev == trace.end() || !ev->is_array()) ck.fail("/events", "expected an array of events");
    const json hosts = trace.value("hosts", json::object());
    if (!hosts.is_object()) ck.fail("/hosts", "expected an object");

    const std::vector<std::string> at = capture_hosts(trace, opt.at, opt.file);
    std::map<std::string, size_t> iface;
    for (const auto& h : at) iface.emplace(h, iface.size());
    iface_names = at;

    std::map<uint64_t, Seg> segs;
    std::map<uint64_t, size_t> seg_event;  // seg id -> packet index of its send, for drop remarks
    std::map<std::string, uint16_t> ip_id;
    std::set<std::string> unplugged;  // hosts whose cable is out now
    std::vector<Packet> out;
    std::string pending_comment;
    size_t next_step = 0;
    auto steps = opt.step_comments;
    std::stable_sort(steps.begin(), steps.end(),
                     [](auto& a, auto& b) { return a.first_event < b.first_event; });
    std::map<uint64_t, std::vector<uint8_t>>
        frames;  // seg id -> frame bytes (a delivered segment is the sent one)
    for (size_t i = 0; i < ev->size(); ++i) {
        const json& e = (*ev)[i];
        const std::string ptr = "/events/" + std::to_string(i);
        if (!e.is_object()) ck.fail(ptr, "expected an event object");
        while (next_step < steps.size() && steps[next_step].first_event <= i) {
            if (!pending_comment.empty()) pending_comment += "\n";
            pending_comment += steps[next_step++].text;
        }
        const std::string kind = e.value("kind", "");
        auto time = [&] { return int64_t(ck.uint(e, "t_us", ptr, uint64_t(1) << 62)); };
        auto emit = [&](size_t ifc, uint64_t id, bool outbound) {
            Packet p{ifc, time(), frames[id], "", outbound};
            if (!pending_comment.empty()) {
                p.comment =
                    p.comment.empty() ? pending_comment : pending_comment + "\n" + p.comment;
                pending_comment.clear();
            }
            out.push_back(std::move(p));
            return out.size() - 1;
        };
        if (kind == "send") {
            auto sj = e.find("seg");
            if (sj == e.end()) ck.fail(ptr + "/seg", "expected the segment");
            Seg s = parse_seg(*sj, ptr + "/seg", ck);
            uint64_t id = ck.uint(*sj, "id", ptr + "/seg", uint64_t(1) << 53);
            std::string host = e.value("host", "");
            frames[id] = frame(s, ip_id[host]++);
            segs[id] = s;
            if (auto it = iface.find(host); it != iface.end()) {
                if (unplugged.count(host))
                    ++unplugged_sends[host];
                else
                    seg_event[id] = emit(it->second, id, true);
            }
        } else if (kind == "action") {
            const std::string what = e.value("action", ""), host = e.value("host", "");
            if (what == "unplug")
                unplugged.insert(host);
            else if (what == "plug" || what == "crash" || what == "reboot")
                unplugged.erase(host);
        } else if (kind == "deliver") {
            uint64_t id = ck.uint(e, "seg_id", ptr, uint64_t(1) << 53);
            if (!frames.count(id))
                ck.fail(ptr + "/seg_id", "expected the id of a segment sent earlier");
            if (auto it = iface.find(e.value("host", "")); it != iface.end())
                emit(it->second, id, false);
        } else if ((kind == "drop" || kind == "discard") && opt.remarks) {
            uint64_t id = ck.uint(e, "seg_id", ptr, uint64_t(1) << 53);
            std::string reason = e.value("reason", "?");
            if (kind == "drop") {
                if (auto it = seg_event.find(id); it != seg_event.end()) {
                    auto& c = out[it->second].comment;
                    c += (c.empty() ? "" : "\n") + std::string(remark(opt.lang, true)) + reason +
                         (opt.lang == "zh-CN" ? "）" : ")");
                }
            } else if (iface.count(e.value("host", "")) && !out.empty()) {
                // The discard follows its deliver: remark the packet just written for that host.
                for (size_t k = out.size(); k-- > 0;)
                    if (out[k].iface == iface[e.value("host", "")]) {
                        auto& c = out[k].comment;
                        c += (c.empty() ? "" : "\n") + std::string(remark(opt.lang, false)) +
                             reason + (opt.lang == "zh-CN" ? "）" : ")");
                        break;
                    }
            }
        }
    }
    return out;
}

void pad4(std::vector<uint8_t>& v) {
    while (v.size() % 4) v.push_back(0);
}

// An option (draft-ietf-opsawg-pcapng §3.5): code, length, value padded to 32 bits.
void option(std::vector<uint8_t>& v, uint16_t code, const void* data, size_t len) {
    put16le(v, code);
    put16le(v, uint16_t(len));
    const auto* p = static_cast<const uint8_t*>(data);
    v.insert(v.end(), p, p + len);
    pad4(v);
}
void option(std::vector<uint8_t>& v, uint16_t code, const std::string& text) {
    option(v, code, text.data(), std::min<size_t>(text.size(), 65000));
}

void block(std::vector<uint8_t>& out, uint32_t type, const std::vector<uint8_t>& body) {
    uint32_t len = uint32_t(12 + body.size());
    put32le(out, type);
    put32le(out, len);
    out.insert(out.end(), body.begin(), body.end());
    put32le(out, len);
}

// "client (10.0.0.1)", or the bare name for a host without an address.
std::string host_label(const json& hosts, const std::string& name, bool zh) {
    auto it = hosts.find(name);
    std::string ip =
        it != hosts.end() && it->is_object() && it->contains("ip") && (*it)["ip"].is_string()
            ? (*it)["ip"].get<std::string>()
            : "";
    if (ip.empty()) return name;
    return zh ? name + "（" + ip + "）" : name + " (" + ip + ")";
}

// Chinese text puts a space after a Latin host name, none after its "（IP）".
std::string zh_gap(const json& hosts, const std::string& name) {
    return host_label(hosts, name, true) == name ? " " : "";
}

// Where the capture was taken, for the section header's comment.
std::string vantage_comment(const json& hosts, const std::vector<std::string>& at,
                            const std::string& lang) {
    const bool zh = lang == "zh-CN";
    if (at.size() == 1)
        return zh ? "在主机 " + host_label(hosts, at[0], true) + zh_gap(hosts, at[0]) +
                        "的网卡上抓取：这台主机发出的每个报文段和到达它的每个报文段，各一次。"
                  : "Captured at the interface of host " + host_label(hosts, at[0], false) +
                        ": every segment this host sent and every segment delivered to it, "
                        "each once.";
    std::string list;
    for (size_t i = 0; i < at.size(); ++i) {
        if (i) list += zh ? "、" : (i + 1 == at.size() ? " and " : ", ");
        list += host_label(hosts, at[i], zh);
    }
    return zh ? "在主机 " + list + zh_gap(hosts, at.back()) +
                    "的网卡上同时抓取，每台主机一个接口。Wireshark 会把一个报文段在看到它的每个"
                    "接口上各显示一次：两台主机之间的报文段出现两次（发出时和到达时），它的 TCP "
                    "分析会把第二份标成重传或重复 ACK，而网络中并没有重传。只看一台主机的视角："
                    "用显示过滤器 frame.interface_id == 0（或只导出一台主机）。"
              : "Captured at the interfaces of hosts " + list +
                    ", one interface per host. Wireshark shows a segment once per interface "
                    "that saw it: a segment between two of these hosts appears twice (when sent "
                    "and when delivered), and Wireshark's TCP analysis marks the second copy as "
                    "a retransmission or a duplicate ACK although nothing was re-sent. For one "
                    "host's view use the display filter frame.interface_id == 0 (or export one "
                    "host only).";
}

int64_t start_of(const json& trace, const PcapOptions& opt) {
    if (opt.start_us) return *opt.start_us;
    if (auto c = trace.find("capture"); c != trace.end() && c->is_object())
        if (auto s = c->find("start_us"); s != c->end() && s->is_number_integer())
            return s->get<int64_t>();
    return kCaptureEpochUs;
}

// The text of a localized member ({"en", "zh-CN"} or a plain string) in `lang`, else English.
std::string localized(const json& v, const std::string& lang) {
    if (v.is_string()) return v.get<std::string>();
    if (!v.is_object()) return "";
    for (const std::string& l : {lang, std::string("en")})
        if (auto it = v.find(l); it != v.end() && it->is_string()) return it->get<std::string>();
    return "";
}

}  // namespace

std::vector<std::string> capture_hosts(const json& trace, const std::vector<std::string>& at_in,
                                       const std::string& file) {
    Checker ck(file);
    if (!trace.is_object()) ck.fail("(root)", "expected a trace object");
    const json hosts = trace.value("hosts", json::object());
    if (!hosts.is_object()) ck.fail("/hosts", "expected an object");
    std::vector<std::string> at = at_in;
    if (at.size() == 1 && at[0] == "*") {
        at.clear();
        for (auto& [name, _] : hosts.items()) at.push_back(name);
    }
    if (at.empty()) {
        // The default capture point: where the lesson happens. A host that accepted more than
        // one connection (answered SYNs of several 4-tuples with SYN+ACK) is a server whose
        // story is about its connections piling up (backlog, SYN flood, TIME_WAIT, CLOSE_WAIT)
        // and the one interface that sees all of them: the one that accepted the most (the
        // first to accept on a tie). Otherwise the client, the host that sent the first SYN
        // without ACK, as Wireshark users expect; without any SYN, the first host.
        std::string client;
        std::map<std::string, std::set<std::string>> accepted;  // host -> 4-tuples
        std::vector<std::string> order;                         // hosts in order of acceptance
        std::set<std::string> syn_from;                         // "src>dst" of bare SYNs
        if (auto ev = trace.find("events"); ev != trace.end() && ev->is_array())
            for (const auto& e : *ev) {
                if (!e.is_object() || e.value("kind", "") != "send" || !e.contains("seg") ||
                    !e["seg"].is_object() || !e.contains("host") || !e["host"].is_string() ||
                    e["host"] == "")
                    continue;
                const json& sg = e["seg"];
                const json flags = sg.value("flags", json::array());
                if (!sg.contains("src") || !sg.contains("dst") || !sg["src"].is_string() ||
                    !sg["dst"].is_string())
                    continue;
                const std::string src = sg["src"], dst = sg["dst"], host = e["host"];
                if (flags == json::array({"SYN"})) {
                    if (client.empty()) client = host;
                    syn_from.insert(src + ">" + dst);
                } else if (flags == json::array({"SYN", "ACK"}) &&
                           syn_from.count(dst + ">" + src)) {
                    auto& set = accepted[host];
                    if (set.empty()) order.push_back(host);
                    set.insert(src + "|" + dst);
                }
            }
        std::string server;
        for (const auto& h : order)
            if (accepted[h].size() > 1 &&
                (server.empty() || accepted[h].size() > accepted[server].size()))
                server = h;
        if (!server.empty())
            at.push_back(server);
        else if (!client.empty())
            at.push_back(client);
        else if (!hosts.empty())
            at.push_back(hosts.begin().key());
        if (at.empty()) ck.fail("/hosts", "expected at least one host");
    }
    std::vector<std::string> out;
    for (const auto& h : at) {
        if (!hosts.contains(h)) ck.fail("/hosts", "has no host \"" + h + "\" to capture at");
        if (std::find(out.begin(), out.end(), h) == out.end()) out.push_back(h);
    }
    return out;
}

// What the capture lacks because a host's cable was out, for the section header's comment.
std::string unplugged_comment(const json& hosts, const std::map<std::string, size_t>& sends,
                              const std::string& lang) {
    const bool zh = lang == "zh-CN";
    std::string out;
    for (const auto& [host, n] : sends) {
        if (n == 0) continue;
        const std::string label = host_label(hosts, host, zh);
        out += "\n";
        out +=
            zh ? label + zh_gap(hosts, host) + "在网线拔掉期间试图发送的 " + std::to_string(n) +
                     " 个报文段不在这个抓包中：载波断开时，Linux "
                     "在抓包点之前就把它们丢弃了（发送队列已停用），只有 ss 之类的工具能看到它们。"
               : std::to_string(n) + (n == 1 ? " segment " : " segments ") + label +
                     " tried to send while its cable was unplugged " + (n == 1 ? "is" : "are") +
                     " not in this capture: with the carrier down, Linux drops them before "
                     "the capture point (the device's queue is deactivated); only the socket "
                     "(ss) shows them.";
    }
    return out;
}

std::vector<uint8_t> write_pcapng(const json& trace, const PcapOptions& opt) {
    std::vector<std::string> names;
    std::map<std::string, size_t> unplugged;
    auto packets = collect(trace, opt, names, unplugged);
    const int64_t start = start_of(trace, opt);
    const json hosts = trace.value("hosts", json::object());
    const bool zh = opt.lang == "zh-CN";
    std::vector<uint8_t> out, b;
    // Section Header Block (§4.1; little-endian; section length unknown = -1).
    put32le(b, 0x1a2b3c4du);
    put16le(b, 1);
    put16le(b, 0);
    put32le(b, 0xffffffffu);
    put32le(b, 0xffffffffu);
    std::string comment;
    if (trace.contains("title") && trace["title"].is_string())
        comment = trace["title"].get<std::string>();
    comment += (comment.empty() ? "" : "\n") + vantage_comment(hosts, names, opt.lang) +
               unplugged_comment(hosts, unplugged, opt.lang);
    option(b, 1, comment);   // opt_comment
    option(b, 4, "tcplab");  // shb_userappl
    put32le(b, 0);           // opt_endofopt
    block(out, 0x0a0d0d0au, b);
    for (const auto& n : names) {
        // Interface Description Block (§4.2).
        b.clear();
        put16le(b, 1);  // LINKTYPE_ETHERNET
        put16le(b, 0);
        put32le(b, 0);    // snap length: no limit
        option(b, 2, n);  // if_name
        option(b, 3,
               (zh ? "主机 " + host_label(hosts, n, true) + zh_gap(hosts, n) + "的网卡"
                   : "the interface of host " + host_label(hosts, n, false)));
        uint8_t res = 6;
        option(b, 9, &res, 1);  // if_tsresol: microseconds
        put32le(b, 0);
        block(out, 1, b);
    }
    for (const auto& p : packets) {
        // Enhanced Packet Block (§4.3).
        b.clear();
        put32le(b, uint32_t(p.iface));
        uint64_t ts = uint64_t(start + p.t_us);
        put32le(b, uint32_t(ts >> 32));
        put32le(b, uint32_t(ts));
        put32le(b, uint32_t(p.data.size()));
        put32le(b, uint32_t(p.data.size()));
        b.insert(b.end(), p.data.begin(), p.data.end());
        pad4(b);
        if (!p.comment.empty()) option(b, 1, p.comment);
        // epb_flags (§4.3.1): direction outbound (2) or inbound (1) + reception type unicast.
        uint32_t flags = p.outbound ? 0x2u : (0x1u | 0x1u << 2);
        uint8_t fl[4] = {uint8_t(flags), uint8_t(flags >> 8), uint8_t(flags >> 16),
                         uint8_t(flags >> 24)};
        option(b, 2, fl, 4);
        put32le(b, 0);
        block(out, 6, b);
    }
    return out;
}

std::vector<uint8_t> write_pcap(const json& trace, const PcapOptions& opt) {
    std::vector<std::string> names;
    std::map<std::string, size_t> unplugged;
    auto packets = collect(trace, opt, names, unplugged);
    if (names.size() != 1)
        throw InputError(
            opt.file +
            ": classic pcap holds one capture point; use pcapng to capture at several hosts");
    const int64_t start = start_of(trace, opt);
    std::vector<uint8_t> out;
    put32le(out, 0xa1b2c3d4u);  // microsecond timestamps, little-endian
    put16le(out, 2);
    put16le(out, 4);
    put32le(out, 0);
    put32le(out, 0);
    put32le(out, 262144);
    put32le(out, 1);  // LINKTYPE_ETHERNET
    for (const auto& p : packets) {
        const int64_t ts = start + p.t_us;
        put32le(out, uint32_t(ts / 1000000));
        put32le(out, uint32_t(ts % 1000000));
        put32le(out, uint32_t(p.data.size()));
        put32le(out, uint32_t(p.data.size()));
        out.insert(out.end(), p.data.begin(), p.data.end());
    }
    return out;
}

std::vector<uint8_t> write_capture(const json& trace, const PcapOptions& opt) {
    return opt.format == PcapOptions::Format::pcap ? write_pcap(trace, opt)
                                                   : write_pcapng(trace, opt);
}

PcapOptions pcap_options_from_json(const json& o, const std::string& what) {
    PcapOptions opt;
    if (o.is_null()) return opt;
    auto fail = [&](const std::string& key, const std::string& expected) {
        throw InputError(what + ": /" + json_pointer_token(key) + ": " + expected);
    };
    if (!o.is_object()) throw InputError(what + ": (root): expected a JSON object");
    for (auto& [key, v] : o.items()) {
        if (key == "format") {
            if (v == "pcapng")
                opt.format = PcapOptions::Format::pcapng;
            else if (v == "pcap")
                opt.format = PcapOptions::Format::pcap;
            else
                fail(key, "expected \"pcapng\" or \"pcap\"");
        } else if (key == "lang") {
            if (v != "en" && v != "zh-CN") fail(key, "expected \"en\" or \"zh-CN\"");
            opt.lang = v.get<std::string>();
        } else if (key == "at") {
            if (v == "all" || v == "*") {
                opt.at = {"*"};
            } else if (v.is_array()) {
                for (const auto& h : v) {
                    if (!h.is_string() || h.get_ref<const std::string&>().empty())
                        fail(key, "expected host names, or \"all\"");
                    opt.at.push_back(h == "all" ? "*" : h.get<std::string>());
                }
            } else {
                fail(key, "expected an array of host names, or \"all\"");
            }
        } else if (key == "remarks") {
            if (!v.is_boolean()) fail(key, "expected true or false");
            opt.remarks = v.get<bool>();
        } else if (key == "start_us") {
            if (!v.is_number_integer()) fail(key, "expected an integer (µs since 1970)");
            opt.start_us = v.get<int64_t>();
        } else if (key == "steps") {  // narration already in the chosen language
            if (!v.is_array()) fail(key, "expected an array of {first, text}");
            for (const auto& s : v) {
                if (!s.is_object() || !s.contains("first") || !is_uint(s["first"]) ||
                    !s.contains("text") || !s["text"].is_string())
                    fail(key, "expected an array of {first, text}");
                opt.step_comments.push_back(
                    {s["first"].get<size_t>(), s["text"].get<std::string>()});
            }
        } else if (key == "file") {
            if (!v.is_string()) fail(key, "expected a string");
            opt.file = v.get<std::string>();
        } else {
            fail(key, "is not an option (format, lang, at, remarks, start_us, steps, file)");
        }
    }
    return opt;
}

std::vector<PcapStepComment> step_comments(const json& steps, const std::string& lang) {
    std::vector<PcapStepComment> out;
    if (!steps.is_array()) return out;
    for (const auto& s : steps) {
        if (!s.is_object() || !s.contains("first") || !is_uint(s["first"])) continue;
        std::string title = localized(s.value("title", json()), lang),
                    text = localized(s.value("text", json()), lang);
        std::string t = title.empty() ? text : text.empty() ? title : title + ": " + text;
        if (!t.empty()) out.push_back({s["first"].get<size_t>(), t});
    }
    return out;
}

std::vector<uint8_t> export_capture(const json& doc, PcapOptions opt) {
    if (!doc.is_object()) throw InputError(opt.file + ": (root): expected a JSON object");
    std::vector<PcapStepComment> comments;
    auto with_steps = [&](const json& trace, const json& steps) {
        comments = step_comments(steps, opt.lang);
        comments.insert(comments.end(), opt.step_comments.begin(), opt.step_comments.end());
        opt.step_comments = std::move(comments);
        return write_capture(trace, opt);
    };
    if (doc.contains("events")) return write_capture(doc, opt);  // a trace
    if (doc.contains("trace") && doc["trace"].is_object())       // a resolved lesson
        return with_steps(doc["trace"], doc.value("steps", json::array()));
    if (doc.contains("scenario") && doc.contains("steps")) {  // a lesson file
        const json resolved = resolve_lesson(doc, opt.file, json::object());
        return with_steps(resolved["trace"], resolved["steps"]);
    }
    return write_capture(json(run_scenario(doc, opt.file)), opt);  // a scenario
}

}  // namespace tcplab
