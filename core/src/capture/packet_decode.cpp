// Link layer (Ethernet with 802.1Q/ad tags, BSD loopback, raw IP, Linux cooked v1/v2), IPv4 and
// IPv6 (extension headers skipped), and the TCP header with its options (RFC 9293 §3.1; RFC 7323;
// RFC 2018).
#include "packet_decode.hpp"

#include <cstring>

namespace tcplab::capture_detail {

void PacketDecoder::packet(int linktype, const uint8_t* p, uint32_t caplen, uint32_t origlen,
                           int64_t ts_us, uint32_t iface, uint64_t offset) {
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

void PacketDecoder::link(int lt, const uint8_t* p, uint32_t n, CapturedSegment& s) {
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
            uint32_t af =
                uint32_t(p[0]) | uint32_t(p[1]) << 8 | uint32_t(p[2]) << 16 | uint32_t(p[3]) << 24;
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

void PacketDecoder::ethertype(uint16_t et, const uint8_t* p, uint32_t n, CapturedSegment& s) {
    if (et == 0x0800) return ip(4, p, n, s);
    if (et == 0x86dd) return ip(6, p, n, s);
    skip("non_ip");
}

void PacketDecoder::ip(unsigned version, const uint8_t* p, uint32_t n, CapturedSegment& s) {
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
                    hl = (p[off + 1] + 2u) * 4u;  // AH: length in 4-byte units minus 2 (RFC 4302)
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

void PacketDecoder::tcp(const uint8_t* p, uint32_t n, int64_t l4len, CapturedSegment& s) {
    if (n < 20) return skip("short");
    s.sport = be16(p);
    s.dport = be16(p + 2);
    s.seq = be32(p + 4);
    s.ack = be32(p + 8);
    uint32_t doff = (p[12] >> 4) * 4u;
    s.flags = p[13];
    s.win = be16(p + 14);
    if (doff < 20) return skip("short");
    s.hlen = uint8_t(doff);
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

}  // namespace tcplab::capture_detail
