#!/usr/bin/env python3
"""Builds the small synthetic captures in tests/capture/data/ from the real loopback capture
normal.pcap: the same TCP segments in other file formats, link types and IP versions, plus
damaged files. Both readers (native and web) are tested against these same files.

Usage: python3 tests/capture/make-synthetic.py   (rewrites the files; deterministic)
"""
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "data")


def read_pcap(path):
    b = open(path, "rb").read()
    assert struct.unpack("<I", b[:4])[0] == 0xA1B2C3D4 and struct.unpack("<I", b[20:24])[0] == 1
    off, out = 24, []
    while off + 16 <= len(b):
        sec, usec, cap, orig = struct.unpack("<IIII", b[off:off + 16])
        out.append((sec, usec, b[off + 16 + 14:off + 16 + cap]))  # strip Ethernet: IPv4 packet
        off += 16 + cap
    return out


def v4_to_v6(ip4, ext=True):
    """IPv4/TCP -> IPv6/TCP (hop-by-hop and destination-options headers when ext)."""
    ihl = (ip4[0] & 15) * 4
    total = struct.unpack(">H", ip4[2:4])[0]
    tcp = ip4[ihl:total]
    src = bytes.fromhex("20010db8000000000000000000000001") if ip4[12:16] == ip4[16:20] and tcp[0:2] > tcp[2:4] else None
    # Loopback in the source: map the two ports to two addresses so the connection keeps both ends.
    sport = struct.unpack(">H", tcp[0:2])[0]
    a = bytes.fromhex("20010db8000000000000000000000001")
    b = bytes.fromhex("20010db8000000000000000000000002")
    s, d = (b, a) if sport == 5000 else (a, b)
    hdrs = b""
    nh = 6
    if ext:
        dst_opts = bytes([6, 0]) + bytes([1, 4, 0, 0, 0, 0])          # next=TCP, len 0 (8 bytes), PadN
        hbh = bytes([60, 0]) + bytes([1, 4, 0, 0, 0, 0])              # next=dest opts
        hdrs = hbh + dst_opts
        nh = 0
    payload = hdrs + tcp
    return struct.pack(">IHBB", 0x60000000, len(payload), nh, 64) + s + d + payload


def pcap(linktype, recs, be=False, ns=False):
    e = ">" if be else "<"
    magic = 0xA1B23C4D if ns else 0xA1B2C3D4
    out = struct.pack(e + "IHHiIII", magic, 2, 4, 0, 0, 262144, linktype)
    for sec, frac, data in recs:
        out += struct.pack(e + "IIII", sec, frac * 1000 if ns else frac, len(data), len(data)) + data
    return out


def block(e, t, body):
    while len(body) % 4:
        body += b"\0"
    return struct.pack(e + "II", t, len(body) + 12) + body + struct.pack(e + "I", len(body) + 12)


def opt(e, code, val):
    pad = b"\0" * ((4 - len(val) % 4) % 4)
    return struct.pack(e + "HH", code, len(val)) + val + pad


def main():
    pkts = read_pcap(os.path.join(DATA, "normal.pcap"))
    files = {}
    # 1. Linux cooked v2, IPv6 with extension headers.
    sll2 = lambda p: struct.pack(">HHIHBB8s", 0x86DD, 0, 1, 772, 0, 6, b"\0" * 8) + p
    files["sll2-ipv6.pcap"] = pcap(276, [(s, u, sll2(v4_to_v6(p))) for s, u, p in pkts])
    # 2. Raw IP (101) carrying IPv6, big-endian file, nanosecond timestamps.
    files["raw-ipv6-be-ns.pcap"] = pcap(101, [(s, u, v4_to_v6(p, ext=False)) for s, u, p in pkts], be=True, ns=True)
    # 3. Linux cooked v1, IPv4.
    sll = lambda p: struct.pack(">HHH8sH", 0, 772, 6, b"\0" * 8, 0x0800) + p
    files["sll-ipv4.pcap"] = pcap(113, [(s, u, sll(p)) for s, u, p in pkts])
    # 4. Ethernet with VLAN tags and packets that are not TCP (ARP, UDP, ICMP, IPv4 fragment).
    eth = lambda et, p: b"\x02\0\0\0\0\x02\x02\0\0\0\0\x01" + et + p
    vlan = lambda p: b"\x02\0\0\0\0\x02\x02\0\0\0\0\x01\x81\x00\x00\x05\x08\x00" + p
    def ip4(proto, body, frag=0):
        h = struct.pack(">BBHHHBBH4s4s", 0x45, 0, 20 + len(body), 1, frag, 64, proto, 0, b"\x7f\0\0\1", b"\x7f\0\0\1")
        return h + body
    s0, u0, _ = pkts[0]
    extra = [
        (s0, u0, eth(b"\x08\x06", b"\0\1\x08\0\6\4\0\1" + b"\0" * 20)),
        (s0, u0, eth(b"\x08\x00", ip4(17, struct.pack(">HHHH", 53, 53, 8, 0)))),
        (s0, u0, eth(b"\x08\x00", ip4(1, b"\x08\0\0\0\0\0\0\0"))),
        (s0, u0, eth(b"\x08\x00", ip4(6, b"\0" * 24, frag=100))),
    ]
    files["ethernet-mixed.pcap"] = pcap(1, extra[:2] + [(s, u, vlan(p)) for s, u, p in pkts] + extra[2:])
    # 5. pcapng: nanosecond resolution, two interfaces (Ethernet and raw IPv4), a name
    #    resolution block to skip, then a second section in big-endian order.
    e = "<"
    shb = lambda e: block(e, 0x0A0D0D0A, struct.pack(e + "IHHq", 0x1A2B3C4D, 1, 0, -1) + struct.pack(e + "I", 0))
    idb = lambda e, lt, res: block(e, 1, struct.pack(e + "HHI", lt, 0, 0) + opt(e, 9, bytes([res])) + struct.pack(e + "I", 0))
    def epb(e, iface, s, u, data, res):
        ts = s * 10**res + u * 10**(res - 6)
        return block(e, 6, struct.pack(e + "IIIII", iface, ts >> 32, ts & 0xFFFFFFFF, len(data), len(data)) + data)
    half = len(pkts) // 2
    ng = shb(e) + idb(e, 1, 9) + idb(e, 228, 6) + block(e, 4, struct.pack(e + "HH", 0, 0))
    for i, (s, u, p) in enumerate(pkts[:half]):
        ng += epb(e, 0, s, u, eth(b"\x08\x00", p), 9) if i % 2 == 0 else epb(e, 1, s, u, p, 6)
    e = ">"
    ng += shb(e) + idb(e, 1, 9)
    for s, u, p in pkts[half:]:
        ng += epb(e, 0, s, u, eth(b"\x08\x00", p), 9)
    files["ns-two-sections.pcapng"] = ng
    # 6. pcapng with two named interfaces that saw the same packets (two capture points, as in
    #    tcplab's "all hosts" export): every segment twice, once per interface. The second
    #    if_description is not UTF-8 (the reader then reads it one character per byte).
    e = "<"
    named = lambda name, desc: block(e, 1, struct.pack(e + "HHI", 1, 0, 0) + opt(e, 2, name) + opt(e, 3, desc)
                                     + opt(e, 9, bytes([6])) + struct.pack(e + "I", 0))
    two = shb(e) + named("client".encode(), "主机 client 的网卡".encode()) + named(b"server", b"caf\xe9 \xff\0")
    for s, u, p in pkts:
        for iface in (0, 1):
            two += epb(e, iface, s, u, eth(b"\x08\x00", p), 6)
    files["two-interfaces.pcapng"] = two
    # 7. Damaged files.
    normal = open(os.path.join(DATA, "normal.pcap"), "rb").read()
    files["truncated.pcap"] = normal[:-7]                     # cut inside the last record
    bad = bytearray(ng)
    bad[len(shb("<")) + 4] ^= 0x10                           # first IDB's length no longer matches its end
    files["bad-block-length.pcapng"] = bytes(bad)
    files["garbage.bin"] = bytes((i * 7919 + 13) % 251 for i in range(300))
    for name, data in files.items():
        with open(os.path.join(DATA, name), "wb") as f:
            f.write(data)
        print(f"{name}: {len(data)} bytes")


main()
