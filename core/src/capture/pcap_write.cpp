// Trace -> pcapng / pcap: which packets each capture point holds, and the file's blocks, records
// and comments (the frames themselves come from pcap_frame.cpp). See pcap.hpp for what is written
// and why.
#include "pcap_frame.hpp"
#include "tcplab/pcap.hpp"

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstring>
#include <map>
#include <optional>
#include <set>

namespace tcplab {
namespace {

using capture_detail::Checker;
using capture_detail::frame;
using capture_detail::parse_seg;
using capture_detail::Seg;
using nlohmann::json;

void put16le(std::vector<uint8_t>& v, uint16_t x) {
    v.push_back(uint8_t(x));
    v.push_back(uint8_t(x >> 8));
}
void put32le(std::vector<uint8_t>& v, uint32_t x) {
    put16le(v, uint16_t(x));
    put16le(v, uint16_t(x >> 16));
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

}  // namespace

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

}  // namespace tcplab
