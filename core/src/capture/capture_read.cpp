// pcap / pcapng reader and link/IP/TCP decoder. See capture.hpp for why it is our own.
// web/src/capture/reader.ts is the same algorithm in TypeScript: change both together.
#include "tcplab/capture.hpp"
#include "tcplab/error.hpp"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <unordered_map>

namespace tcplab {
namespace {

// Records larger than this are taken as damage, not data (libpcap's own limit for most link
// types is 256 KiB; 64 MiB leaves room for odd link types and still catches garbage lengths).
constexpr uint64_t kMaxRecord = 64u << 20;

struct Reader {
    std::span<const uint8_t> b;
    const std::string& file;
    bool swap = false;  // the file's byte order differs from little-endian reading

    [[noreturn]] void fail(uint64_t off, const std::string& what) const {
        throw InputError(file + ": byte " + std::to_string(off) + ": " + what);
    }
    bool has(uint64_t off, uint64_t n) const { return off <= b.size() && n <= b.size() - off; }
    uint16_t u16(uint64_t off) const {
        uint16_t v = uint16_t(b[off] | (b[off + 1] << 8));
        return swap ? uint16_t((v >> 8) | (v << 8)) : v;
    }
    uint32_t u32(uint64_t off) const {
        uint32_t v = uint32_t(b[off]) | uint32_t(b[off + 1]) << 8 | uint32_t(b[off + 2]) << 16 |
                     uint32_t(b[off + 3]) << 24;
        return swap ? __builtin_bswap32(v) : v;
    }
};

uint16_t be16(const uint8_t* p) { return uint16_t(p[0] << 8 | p[1]); }
uint32_t be32(const uint8_t* p) {
    return uint32_t(p[0]) << 24 | uint32_t(p[1]) << 16 | uint32_t(p[2]) << 8 | p[3];
}

// Timestamps are kept within +-(2^53 - 1) us (beyond year 2255): a damaged timestamp cannot
// overflow later arithmetic, and the browser's reader (JS numbers) gives the same value.
constexpr int64_t kMaxUs = (int64_t(1) << 53) - 1;
int64_t clamp_us(int64_t us) { return us > kMaxUs ? kMaxUs : us < -kMaxUs ? -kMaxUs : us; }

// Timestamp in units of 1/units_per_s seconds (10^n or 2^n) to microseconds.
int64_t to_us(uint64_t ts, bool pow2, unsigned exp, int64_t offset_s) {
    unsigned __int128 t = ts;
    int64_t us;
    unsigned __int128 v;
    if (pow2) {
        v = (t * 1000000u) >> exp;
    } else {
        unsigned __int128 units = 1;
        for (unsigned i = 0; i < exp; ++i) units *= 10;
        v = t * 1000000u / units;
    }
    us = v > static_cast<unsigned __int128>(kMaxUs) ? kMaxUs : int64_t(v);
    if (offset_s > 1'000'000'000'000 || offset_s < -1'000'000'000'000)
        offset_s = offset_s < 0 ? -1'000'000'000'000 : 1'000'000'000'000;
    return clamp_us(us + offset_s * 1000000);
}

// FNV-1a, 64 bits on every target (wasm too), continued from `h`.
uint64_t fnv1a(const uint8_t* p, size_t n, uint64_t h = 1469598103934665603ull) {
    for (size_t i = 0; i < n; ++i) h = (h ^ p[i]) * 1099511628211ull;
    return h;
}

class Decoder {
public:
    Decoder(CaptureInfo& info, const std::function<void(const CapturedSegment&)>& cb)
        : info_(info), cb_(cb) {}

    void packet(int linktype, const uint8_t* p, uint32_t caplen, uint32_t origlen, int64_t ts_us,
                uint32_t iface, uint64_t offset) {
        ++info_.packets;
        if (!info_.first_ts_us) info_.first_ts_us = ts_us;
        if (iface < info_.interfaces.size()) ++info_.interfaces[iface].packets;
        CapturedSegment s;
        s.frame = info_.packets;
        s.offset = offset;
        s.ts_us = ts_us;
        s.iface = iface;
        s.truncated = caplen < origlen;
        link(linktype, p, caplen, s);
    }

private:
    CaptureInfo& info_;
    const std::function<void(const CapturedSegment&)>& cb_;

    void skip(const char* why) { ++info_.skipped[why]; }

    void link(int lt, const uint8_t* p, uint32_t n, CapturedSegment& s) {
        switch (lt) {
            case 1: {  // Ethernet II, possibly 802.1Q / 802.1ad tagged
                uint32_t off = 12;
                if (n < 14) return skip("short");
                uint16_t et = be16(p + off);
                while (et == 0x8100 || et == 0x88a8) {
                    off += 4;
                    if (n < off + 2) return skip("short");
                    et = be16(p + off);
                }
                off += 2;
                return ethertype(et, p + off, n - off, s);
            }
            case 0: {  // BSD loopback: address family in the writer's byte order
                if (n < 4) return skip("short");
                uint32_t af = uint32_t(p[0]) | uint32_t(p[1]) << 8 | uint32_t(p[2]) << 16 |
                              uint32_t(p[3]) << 24;
                if (af > 0xffff) af = __builtin_bswap32(af);
                if (af == 2) return ip(4, p + 4, n - 4, s);
                if (af == 10 || af == 24 || af == 28 || af == 30) return ip(6, p + 4, n - 4, s);
                return skip("non_ip");
            }
            case 12:
            case 101:  // raw IP: the version nibble says which
                if (n < 1) return skip("short");
                return ip(p[0] >> 4, p, n, s);
            case 228: return ip(4, p, n, s);
            case 229: return ip(6, p, n, s);
            case 113:  // Linux cooked v1: 16-byte header, protocol at 14
                if (n < 16) return skip("short");
                return ethertype(be16(p + 14), p + 16, n - 16, s);
            case 276:  // Linux cooked v2: 20-byte header, protocol at 0
                if (n < 20) return skip("short");
                return ethertype(be16(p), p + 20, n - 20, s);
            default: return skip("linktype");
        }
    }

    void ethertype(uint16_t et, const uint8_t* p, uint32_t n, CapturedSegment& s) {
        if (et == 0x0800) return ip(4, p, n, s);
        if (et == 0x86dd) return ip(6, p, n, s);
        skip("non_ip");
    }

    void ip(unsigned version, const uint8_t* p, uint32_t n, CapturedSegment& s) {
        if (version == 4) {
            if (n < 20 || (p[0] >> 4) != 4) return skip(n < 20 ? "short" : "non_ip");
            uint32_t ihl = (p[0] & 0x0f) * 4u;
            if (ihl < 20 || n < ihl) return skip("short");
            uint32_t total = be16(p + 2);
            uint16_t frag = be16(p + 6);
            if ((frag & 0x1fff) != 0 || (frag & 0x2000) != 0) return skip("fragment");
            uint8_t proto = p[9];
            if (proto != 6) return skip(proto == 17 ? "udp" : proto == 1 ? "icmp" : "other_ip");
            s.ip_version = 4;
            s.ip_id = be16(p + 4);
            s.digest = fnv1a(p, ihl);
            std::memcpy(s.src.data(), p + 12, 4);
            std::memcpy(s.dst.data(), p + 16, 4);
            // total == 0 happens with TCP segmentation offload: fall back to what was captured.
            int64_t l4len = total == 0 ? int64_t(n) - ihl : int64_t(total) - ihl;
            if (total != 0 && total < ihl) return skip("short");
            return tcp(p + ihl, n - ihl, l4len, s);
        }
        if (version == 6) {
            if (n < 40 || (p[0] >> 4) != 6) return skip(n < 40 ? "short" : "non_ip");
            uint32_t plen = be16(p + 4);
            uint8_t nh = p[6];
            s.ip_version = 6;
            s.digest = fnv1a(p, 40);
            std::memcpy(s.src.data(), p + 8, 16);
            std::memcpy(s.dst.data(), p + 24, 16);
            uint32_t off = 40;
            int64_t l4len = plen == 0 ? int64_t(n) - 40 : int64_t(plen);  // 0: jumbogram/TSO
            for (int guard = 0; guard < 16; ++guard) {
                if (nh == 6) return tcp(p + off, n - off, l4len, s);
                if (nh == 0 || nh == 43 || nh == 60 || nh == 44 || nh == 51) {
                    if (n < off + 8) return skip("short");
                    uint32_t hl;
                    if (nh == 44) {  // fragment header: 8 bytes; only an unfragmented or first
                                     // fragment can be read
                        uint16_t fo = be16(p + off + 2);
                        if ((fo & 0xfff8) != 0 || (fo & 1) != 0) return skip("fragment");
                        hl = 8;
                    } else if (nh == 51) {
                        hl = (p[off + 1] + 2u) *
                             4u;  // AH: length in 4-byte units minus 2 (RFC 4302)
                    } else {
                        hl = (p[off + 1] + 1u) *
                             8u;  // RFC 8200 §4.3-4.6: length in 8-byte units minus 1
                    }
                    nh = p[off];
                    if (n < off + hl) return skip("short");
                    off += hl;
                    l4len -= hl;
                    continue;
                }
                return skip(nh == 17 ? "udp" : nh == 58 ? "icmp" : "other_ip");
            }
            return skip("other_ip");
        }
        skip("non_ip");
    }

    void tcp(const uint8_t* p, uint32_t n, int64_t l4len, CapturedSegment& s) {
        if (n < 20) return skip("short");
        s.sport = be16(p);
        s.dport = be16(p + 2);
        s.seq = be32(p + 4);
        s.ack = be32(p + 8);
        uint32_t doff = (p[12] >> 4) * 4u;
        s.flags = p[13];
        s.win = be16(p + 14);
        if (doff < 20) return skip("short");
        s.digest = fnv1a(p, doff < n ? doff : n, s.digest);
        int64_t payload = l4len - doff;
        s.len = payload > 0 ? uint32_t(payload) : 0;
        // Options: parse what was captured (RFC 9293 §3.1; RFC 7323; RFC 2018).
        uint32_t end = doff < n ? doff : n;
        uint32_t i = 20;
        while (i < end) {
            uint8_t kind = p[i];
            if (kind == 0) break;
            if (kind == 1) {
                ++i;
                continue;
            }
            if (i + 1 >= end) break;
            uint8_t ol = p[i + 1];
            if (ol < 2 || i + ol > end) break;
            const uint8_t* o = p + i;
            if (kind == 2 && ol == 4)
                s.opts.mss = be16(o + 2);
            else if (kind == 3 && ol == 3)
                s.opts.wscale = o[2];
            else if (kind == 4 && ol == 2)
                s.opts.sack_ok = true;
            else if (kind == 8 && ol == 10) {
                s.opts.has_ts = true;
                s.opts.ts_val = be32(o + 2);
                s.opts.ts_ecr = be32(o + 6);
            } else if (kind == 5 && ol >= 10 && (ol - 2) % 8 == 0)
                for (uint32_t k = 2; k + 8 <= ol; k += 8)
                    s.opts.sack.emplace_back(be32(o + k), be32(o + k + 4));
            i += ol;
        }
        ++info_.tcp_packets;
        if (s.iface < info_.interfaces.size()) ++info_.interfaces[s.iface].tcp_packets;
        cb_(s);
    }
};

void read_pcap(Reader& r, CaptureInfo& info, Decoder& d) {
    uint32_t magic = r.u32(0);
    bool ns = false;
    if (magic == 0xa1b2c3d4u || magic == 0xa1b23c4du) {
        r.swap = false;
    } else {
        r.swap = true;
        magic = __builtin_bswap32(magic);
    }
    ns = magic == 0xa1b23c4du;
    if (!r.has(0, 24)) r.fail(r.b.size(), "file ends inside the 24-byte pcap header");
    info.format = "pcap";
    uint32_t snaplen = r.u32(16);
    int linktype = int(r.u32(20) & 0x0fffffff);  // upper bits: FCS length (pcap-savefile(5))
    info.linktypes = {linktype};
    info.interfaces = {CaptureInterface{linktype, "", "", 0, 0}};
    uint64_t off = 24;
    while (off < r.b.size()) {
        if (!r.has(off, 16)) {
            info.truncated_at = off;
            return;
        }
        uint32_t sec = r.u32(off), frac = r.u32(off + 4), caplen = r.u32(off + 8),
                 origlen = r.u32(off + 12);
        if (caplen > kMaxRecord || (caplen > snaplen && caplen > 262144))
            r.fail(off + 8, "implausible captured length " + std::to_string(caplen) +
                                " (snap length " + std::to_string(snaplen) + ")");
        if ((ns && frac >= 1000000000u) || (!ns && frac >= 1000000u))
            r.fail(off + 4, "timestamp fraction " + std::to_string(frac) + " out of range");
        if (!r.has(off + 16, caplen)) {
            info.truncated_at = off;
            return;
        }
        int64_t us = int64_t(sec) * 1000000 + (ns ? frac / 1000 : frac);
        d.packet(linktype, r.b.data() + off + 16, caplen, origlen < caplen ? caplen : origlen, us,
                 0, off);
        off += 16 + uint64_t(caplen);
    }
}

// Strict UTF-8 (RFC 3629 §4: no overlong forms, no surrogates, nothing above U+10FFFF).
bool valid_utf8(const uint8_t* p, size_t n) {
    size_t i = 0;
    while (i < n) {
        const uint8_t c = p[i];
        if (c < 0x80) {
            ++i;
            continue;
        }
        size_t k;
        uint32_t cp;
        if (c >= 0xc2 && c <= 0xdf)
            k = 1, cp = c & 0x1fu;
        else if ((c & 0xf0) == 0xe0)
            k = 2, cp = c & 0x0fu;
        else if (c >= 0xf0 && c <= 0xf4)
            k = 3, cp = c & 0x07u;
        else
            return false;
        if (n - i <= k) return false;  // the sequence runs past the end
        for (size_t j = 1; j <= k; ++j) {
            if ((p[i + j] & 0xc0) != 0x80) return false;
            cp = cp << 6 | (p[i + j] & 0x3fu);
        }
        if ((k == 2 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
            (k == 3 && (cp < 0x10000 || cp > 0x10ffff)))
            return false;
        i += k + 1;
    }
    return true;
}

// An option's text (if_name, if_description): UTF-8, or, when the bytes are not valid UTF-8, one
// character per byte (Latin-1), so the JSON stays valid; trailing NULs dropped. The browser's
// reader does the same (optionText in reader.ts).
std::string option_text(const uint8_t* p, size_t n) {
    while (n > 0 && p[n - 1] == 0) --n;
    if (valid_utf8(p, n)) return std::string(reinterpret_cast<const char*>(p), n);
    std::string s;
    for (size_t i = 0; i < n; ++i) {
        if (p[i] < 0x80) {
            s += char(p[i]);
        } else {
            s += char(0xc0 | p[i] >> 6);
            s += char(0x80 | (p[i] & 0x3f));
        }
    }
    return s;
}

struct Iface {
    int linktype = 0;
    bool pow2 = false;
    unsigned exp = 6;  // if_tsresol default: 10^-6 (RFC draft pcapng §4.2)
    int64_t tsoffset = 0;
};

void read_pcapng(Reader& r, CaptureInfo& info, Decoder& d) {
    info.format = "pcapng";
    std::vector<Iface> ifaces;  // of the current section
    uint32_t base = 0;  // interfaces of earlier sections, so ids stay unique across sections
    uint64_t off = 0;
    bool first = true;
    while (off < r.b.size()) {
        if (!r.has(off, 12)) {
            info.truncated_at = off;
            return;
        }
        uint32_t type = r.u32(off);
        if (type == 0x0a0d0d0au) {  // Section Header Block: its byte-order magic sets the order
            if (!r.has(off, 12)) {
                info.truncated_at = off;
                return;
            }
            uint32_t bom = r.u32(off + 8);
            if (bom == 0x1a2b3c4du) {
            } else if (bom == 0x4d3c2b1au) {
                r.swap = !r.swap;
            } else {
                r.fail(off + 8, "bad pcapng byte-order magic");
            }
            base += uint32_t(ifaces.size());
            ifaces.clear();
        } else if (first) {
            r.fail(off, "pcapng file does not start with a Section Header Block");
        }
        first = false;
        uint32_t blen = r.u32(off + 4);
        if (blen < 12 || blen % 4 != 0 || blen > kMaxRecord)
            r.fail(off + 4, "bad block length " + std::to_string(blen));
        if (!r.has(off, blen)) {
            info.truncated_at = off;
            return;
        }
        if (r.u32(off + blen - 4) != blen)
            r.fail(off + blen - 4, "block length at the end of the block differs from its start (" +
                                       std::to_string(r.u32(off + blen - 4)) +
                                       " != " + std::to_string(blen) + ")");
        const uint64_t body = off + 8, bend = off + blen - 4;  // body: [body, bend)
        if (type == 0x0a0d0d0au && (blen < 28 || r.u16(body + 4) != 1))
            r.fail(off + 12, blen < 28 ? "section header block too short"
                                       : "unsupported pcapng major version " +
                                             std::to_string(r.u16(body + 4)));
        auto options = [&](uint64_t o,
                           const std::function<void(uint16_t, uint64_t, uint16_t)>& fn) {
            while (o + 4 <= bend) {
                uint16_t code = r.u16(o), len = r.u16(o + 2);
                if (code == 0) break;
                if (o + 4 + len > bend) r.fail(o, "option runs past the end of its block");
                fn(code, o + 4, len);
                o += 4 + ((len + 3u) & ~3u);
            }
        };
        auto packet = [&](uint32_t id, uint64_t ts, uint64_t data, uint32_t caplen,
                          uint32_t origlen) {
            if (id >= ifaces.size())
                r.fail(off + 8,
                       "packet names interface " + std::to_string(id) + ", which is not defined");
            const Iface& f = ifaces[id];
            d.packet(f.linktype, r.b.data() + data, caplen, origlen < caplen ? caplen : origlen,
                     to_us(ts, f.pow2, f.exp, f.tsoffset), base + id, off);
        };
        switch (type) {
            case 1: {  // Interface Description Block
                if (bend - body < 8) r.fail(off, "interface description block too short");
                Iface f;
                f.linktype = r.u16(body);
                std::string name, description;
                options(body + 8, [&](uint16_t code, uint64_t o, uint16_t len) {
                    if (code == 9 && len >= 1) {
                        uint8_t v = r.b[o];
                        f.pow2 = (v & 0x80) != 0;
                        f.exp = v & 0x7f;
                        if ((f.pow2 && f.exp > 63) || (!f.pow2 && f.exp > 19))
                            r.fail(o, "if_tsresol out of range");
                    } else if (code == 2) {  // if_name (UTF-8)
                        name = option_text(r.b.data() + o, len);
                    } else if (code == 3) {  // if_description (UTF-8)
                        description = option_text(r.b.data() + o, len);
                    } else if (code == 14 && len == 8) {
                        f.tsoffset = int64_t(uint64_t(r.u32(o)) | uint64_t(r.u32(o + 4)) << 32);
                        if (r.swap)
                            f.tsoffset = int64_t(uint64_t(r.u32(o + 4)) | uint64_t(r.u32(o)) << 32);
                    }
                });
                ifaces.push_back(f);
                info.linktypes.push_back(f.linktype);
                info.interfaces.push_back(
                    {f.linktype, std::move(name), std::move(description), 0, 0});
                break;
            }
            case 6: {  // Enhanced Packet Block
                if (bend - body < 20) r.fail(off, "enhanced packet block too short");
                uint32_t caplen = r.u32(body + 12);
                if (caplen > bend - body - 20)
                    r.fail(body + 12,
                           "captured length " + std::to_string(caplen) + " exceeds the block");
                uint64_t ts = uint64_t(r.u32(body + 4)) << 32 | r.u32(body + 8);
                packet(r.u32(body), ts, body + 20, caplen, r.u32(body + 16));
                break;
            }
            case 3: {  // Simple Packet Block: interface 0, no timestamp
                if (bend - body < 4) r.fail(off, "simple packet block too short");
                uint32_t origlen = r.u32(body);
                uint32_t caplen = uint32_t(std::min<uint64_t>(origlen, bend - body - 4));
                packet(0, 0, body + 4, caplen, origlen);
                break;
            }
            case 2: {  // obsolete Packet Block
                if (bend - body < 20) r.fail(off, "packet block too short");
                uint32_t caplen = r.u32(body + 12);
                if (caplen > bend - body - 20)
                    r.fail(body + 12, "captured length exceeds the block");
                uint64_t ts = uint64_t(r.u32(body + 4)) << 32 | r.u32(body + 8);
                packet(r.u16(body), ts, body + 20, caplen, r.u32(body + 16));
                break;
            }
            default: break;  // name resolution, statistics, custom blocks...: not needed
        }
        off += blen;
    }
}

}  // namespace

const std::vector<std::string>& capture_skip_reasons() {
    static const std::vector<std::string> r = {"linktype", "non_ip", "short",   "fragment",
                                               "udp",      "icmp",   "other_ip"};
    return r;
}

void read_capture(std::span<const uint8_t> bytes, const std::string& file, CaptureInfo& info,
                  const std::function<void(const CapturedSegment&)>& on_segment) {
    Reader r{bytes, file};
    if (bytes.size() < 4)
        r.fail(0, "file too short to be a capture (" + std::to_string(bytes.size()) + " bytes)");
    Decoder d(info, on_segment);
    uint32_t m = be32(bytes.data());
    if (m == 0xa1b2c3d4u || m == 0xd4c3b2a1u || m == 0xa1b23c4du || m == 0x4d3cb2a1u)
        return read_pcap(r, info, d);
    if (m == 0x0a0d0d0au) return read_pcapng(r, info, d);
    r.fail(0, "not a pcap or pcapng file (unknown magic number)");
}

Capture read_capture(std::span<const uint8_t> bytes, const std::string& file) {
    Capture c;
    read_capture(bytes, file, c.info, [&](const CapturedSegment& s) { c.segments.push_back(s); });
    return c;
}

std::string ip_to_string(uint8_t version, const std::array<uint8_t, 16>& ip) {
    char buf[64];
    if (version == 4) {  // by hand: this runs for every segment of million-packet captures
        std::string r;
        r.reserve(15);
        for (int i = 0; i < 4; ++i) {
            if (i) r += '.';
            unsigned v = ip[size_t(i)];
            if (v >= 100) r += char('0' + v / 100);
            if (v >= 10) r += char('0' + v / 10 % 10);
            r += char('0' + v % 10);
        }
        return r;
    }
    // RFC 5952: lower case, longest run (>1) of zero groups as "::"
    uint16_t g[8];
    for (int i = 0; i < 8; ++i) g[i] = uint16_t(ip[2 * i] << 8 | ip[2 * i + 1]);
    int best = -1, bestlen = 1;
    for (int i = 0; i < 8;) {
        if (g[i] != 0) {
            ++i;
            continue;
        }
        int j = i;
        while (j < 8 && g[j] == 0) ++j;
        if (j - i > bestlen) {
            best = i;
            bestlen = j - i;
        }
        i = j;
    }
    std::string s;
    for (int i = 0; i < 8; ++i) {
        if (i == best) {
            s += "::";
            i += bestlen - 1;
            continue;
        }
        if (!s.empty() && s.back() != ':') s += ':';
        std::snprintf(buf, sizeof buf, "%x", g[i]);
        s += buf;
    }
    return s;
}

std::string endpoint_string(uint8_t version, const std::array<uint8_t, 16>& ip, uint16_t port) {
    if (version == 6) return "[" + ip_to_string(6, ip) + "]:" + std::to_string(port);
    return ip_to_string(4, ip) + ":" + std::to_string(port);
}

nlohmann::ordered_json options_json(const TcpOptionsSeen& opts) {
    nlohmann::ordered_json o = nlohmann::ordered_json::object();
    if (opts.mss >= 0) o["mss"] = opts.mss;
    if (opts.wscale >= 0) o["wscale"] = opts.wscale;
    if (opts.sack_ok) o["sack_ok"] = true;
    if (opts.has_ts) o["ts"] = {opts.ts_val, opts.ts_ecr};
    if (!opts.sack.empty()) {
        o["sack"] = nlohmann::ordered_json::array();
        for (auto [l, r] : opts.sack) o["sack"].push_back({l, r});
    }
    return o;
}

nlohmann::ordered_json interfaces_json(const CaptureInfo& info) {
    nlohmann::ordered_json list = nlohmann::ordered_json::array();
    for (size_t i = 0; i < info.interfaces.size(); ++i) {
        const auto& f = info.interfaces[i];
        nlohmann::ordered_json j = {{"id", i}, {"linktype", f.linktype}};
        if (!f.name.empty()) j["name"] = f.name;
        if (!f.description.empty()) j["description"] = f.description;
        j["packets"] = f.packets;
        j["tcp_packets"] = f.tcp_packets;
        list.push_back(std::move(j));
    }
    return list;
}

nlohmann::ordered_json capture_to_json(const Capture& cap) {
    using nlohmann::ordered_json;
    ordered_json j;
    j["format"] = cap.info.format;
    j["linktypes"] = cap.info.linktypes;
    j["packets"] = cap.info.packets;
    j["tcp_packets"] = cap.info.tcp_packets;
    ordered_json sk = ordered_json::object();
    for (const auto& r : capture_skip_reasons())
        if (auto it = cap.info.skipped.find(r); it != cap.info.skipped.end()) sk[r] = it->second;
    j["skipped"] = sk;
    if (cap.info.truncated_at) j["truncated_at"] = *cap.info.truncated_at;
    j["interfaces"] = interfaces_json(cap.info);
    std::map<std::string, size_t> index;  // "a|b" canonical -> connection
    ordered_json conns = ordered_json::array(), segs = ordered_json::array();
    for (const auto& s : cap.segments) {
        std::string src = endpoint_string(s.ip_version, s.src, s.sport),
                    dst = endpoint_string(s.ip_version, s.dst, s.dport);
        std::string key = src < dst ? src + "|" + dst : dst + "|" + src;
        auto [it, fresh] = index.try_emplace(key, conns.size());
        if (fresh) conns.push_back({{"a", src}, {"b", dst}, {"segments", 0}});
        auto& c = conns[it->second];
        c["segments"] = c["segments"].get<uint64_t>() + 1;
        ordered_json e;
        e["frame"] = s.frame;
        e["iface"] = s.iface;
        e["t_us"] = s.ts_us;
        e["conn"] = it->second;
        e["dir"] = c["a"] == src ? "a>b" : "b>a";
        e["flags"] = flag_names(s.flags);
        e["seq"] = s.seq;
        e["ack"] = s.ack;
        e["win"] = s.win;
        e["len"] = s.len;
        if (auto o = options_json(s.opts); !o.empty()) e["opts"] = std::move(o);
        segs.push_back(std::move(e));
    }
    j["connections"] = conns;
    j["segments"] = segs;
    return j;
}

InterfaceSelection select_capture_interfaces(const Capture& cap, const std::string& choice,
                                             const std::string& file) {
    const auto& ifs = cap.info.interfaces;
    // Capture points: interfaces sharing a non-empty if_name are one point.
    std::vector<std::vector<uint32_t>> points;
    std::vector<size_t> point_of(ifs.size());
    std::map<std::string, size_t> by_name;
    for (uint32_t i = 0; i < ifs.size(); ++i) {
        auto it = ifs[i].name.empty() ? by_name.end() : by_name.find(ifs[i].name);
        if (it == by_name.end()) {
            if (!ifs[i].name.empty()) by_name[ifs[i].name] = points.size();
            point_of[i] = points.size();
            points.push_back({i});
        } else {
            point_of[i] = it->second;
            points[it->second].push_back(i);
        }
    }
    std::vector<size_t> tcp_points;
    for (size_t p = 0; p < points.size(); ++p) {
        uint64_t n = 0;
        for (uint32_t i : points[p]) n += ifs[i].tcp_packets;
        if (n) tcp_points.push_back(p);
    }
    InterfaceSelection sel;
    sel.points = tcp_points.size();
    auto all = [&] {
        for (uint32_t i = 0; i < ifs.size(); ++i) sel.ids.push_back(i);
    };
    auto sorted = [](std::vector<uint32_t> v) {
        std::sort(v.begin(), v.end());
        return v;
    };
    if (choice == "all") {
        all();
        sel.how = "all";
        return sel;
    }
    if (!choice.empty()) {
        sel.how = "chosen";
        if (choice.find_first_not_of("0123456789") == std::string::npos && choice.size() < 10) {
            unsigned long id = std::stoul(choice);
            if (id < ifs.size()) {
                sel.ids = {uint32_t(id)};
                return sel;
            }
        } else if (auto it = by_name.find(choice); it != by_name.end()) {
            sel.ids = sorted(points[it->second]);
            return sel;
        }
        std::string list;
        for (uint32_t i = 0; i < ifs.size(); ++i)
            list += (i ? ", " : "") + std::to_string(i) +
                    (ifs[i].name.empty() ? "" : " \"" + ifs[i].name + "\"");
        throw InputError(file + ": the capture has no interface \"" + choice +
                         "\" (its interfaces: " + (list.empty() ? "none" : list) + ")");
    }
    if (tcp_points.size() <= 1) {
        if (tcp_points.empty())
            all();
        else
            sel.ids = sorted(points[tcp_points[0]]);
        sel.how = "only";
        return sel;
    }
    // Did two capture points see the same segment? Everything that identifies one transmission:
    // addresses, ports, numbers, flags, window, length and the TCP timestamps.
    std::unordered_map<std::string, size_t> seen;
    seen.reserve(cap.segments.size());
    bool same = false;
    for (const auto& s : cap.segments) {
        std::string k;
        k.reserve(64);
        auto put = [&k](const void* p, size_t n) { k.append(static_cast<const char*>(p), n); };
        put(&s.ip_version, 1);
        put(s.src.data(), 16);
        put(s.dst.data(), 16);
        put(&s.sport, 2);
        put(&s.dport, 2);
        put(&s.seq, 4);
        put(&s.ack, 4);
        put(&s.flags, 1);
        put(&s.win, 2);
        put(&s.len, 4);
        put(&s.opts.has_ts, 1);
        put(&s.opts.ts_val, 4);
        put(&s.opts.ts_ecr, 4);
        const size_t p = s.iface < point_of.size() ? point_of[s.iface] : 0;
        auto [it, fresh] = seen.emplace(std::move(k), p);
        if (!fresh && it->second != p) {
            same = true;
            break;
        }
    }
    if (same) {
        sel.ids = sorted(points[tcp_points[0]]);
        sel.how = "first";
    } else {
        all();
        sel.how = "together";
    }
    return sel;
}

}  // namespace tcplab
