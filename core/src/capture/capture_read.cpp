// pcap / pcapng reader: the containers, their records and timestamps (the packets inside are
// decoded by packet_decode.cpp). See capture.hpp for why it is our own. The browser runs this
// same reader, compiled to WebAssembly, in a Web Worker (web/src/capture/).
#include "packet_decode.hpp"
#include "tcplab/capture.hpp"
#include "tcplab/error.hpp"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <unordered_map>

namespace tcplab {
namespace {

using capture_detail::be32;
using capture_detail::PacketDecoder;

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

void read_pcap(Reader& r, CaptureInfo& info, PacketDecoder& d) {
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
// character per byte (Latin-1), so the JSON stays valid; trailing NULs dropped.
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

void read_pcapng(Reader& r, CaptureInfo& info, PacketDecoder& d) {
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
    PacketDecoder d(info, on_segment);
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

}  // namespace tcplab
