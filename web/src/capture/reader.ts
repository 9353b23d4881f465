/**
 * The browser's own capture reader: pcap / pcapng bytes -> TCP connections and segments.
 *
 * It follows core/src/capture_read.cpp step by step (same formats, link types, skip reasons,
 * error messages with byte offsets) and produces the same JSON as `tcplab explain --segments`
 * (tcplab::capture_to_json), so the two readers can be checked against the same files
 * (reader.test.ts and tests/native/capture_reader_test.cpp use tests/capture/data/).
 *
 * Supported: pcap (both byte orders, microsecond and nanosecond magic), pcapng (SHB in either
 * byte order, IDB with if_tsresol / if_tsoffset, EPB, SPB, obsolete PB, several sections and
 * interfaces); link types Null (0), Ethernet (1, 802.1Q/ad), raw IP (12, 101), Linux SLL (113),
 * SLL2 (276), IPv4 (228), IPv6 (229); IPv4 and IPv6 with extension headers.
 *
 * Plain TypeScript, no DOM: it runs in a Web Worker (worker.ts) or in Node (Vitest).
 */

export type SkipReason = 'linktype' | 'non_ip' | 'short' | 'fragment' | 'udp' | 'icmp' | 'other_ip';
export const SKIP_REASONS: readonly SkipReason[] = ['linktype', 'non_ip', 'short', 'fragment', 'udp', 'icmp', 'other_ip'];

export interface SegmentOptions {
  mss?: number;
  wscale?: number;
  sack_ok?: true;
  ts?: [number, number];
  sack?: [number, number][];
}

export interface CapturedSegment {
  /** 1-based packet number in the file (every packet counts, TCP or not). */
  frame: number;
  /** Interface id (index into `interfaces`; pcapng numbers them across sections, as Wireshark). */
  iface: number;
  /** Timestamp, microseconds since the Unix epoch. */
  t_us: number;
  /** Index into `connections`. */
  conn: number;
  /** "a>b" when sent by the connection's `a` endpoint. */
  dir: 'a>b' | 'b>a';
  /** Flag names in ascending bit order: FIN, SYN, RST, PSH, ACK, URG, ECE, CWR. */
  flags: string[];
  seq: number;
  ack: number;
  /** Raw window field (not scaled). */
  win: number;
  /** Payload length from the IP header (not limited by the snap length). */
  len: number;
  opts?: SegmentOptions;
}

export interface CaptureConnection {
  /** "ip:port" (IPv6: "[addr]:port") of the endpoint that sent the connection's first segment. */
  a: string;
  b: string;
  segments: number;
}

/** One interface of the file: a pcapng Interface Description Block, or a pcap file's one link. */
export interface CaptureInterface {
  id: number;
  linktype: number;
  /** if_name (draft-ietf-opsawg-pcapng §4.2), when the file gives one. */
  name?: string;
  /** if_description, when the file gives one. */
  description?: string;
  packets: number;
  tcp_packets: number;
}

export interface ParsedCapture {
  format: 'pcap' | 'pcapng';
  linktypes: number[];
  packets: number;
  tcp_packets: number;
  skipped: Partial<Record<SkipReason, number>>;
  /** Byte offset of an incomplete last record (the capture was cut short). */
  truncated_at?: number;
  /** Every interface; segments of all of them are listed (explaining reads one capture point). */
  interfaces: CaptureInterface[];
  connections: CaptureConnection[];
  segments: CapturedSegment[];
}

/** A damaged file: `message` is "<file>: byte <offset>: <what>", as the native reader says it. */
export class CaptureError extends Error {
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(message);
    this.name = 'CaptureError';
  }
}

export type ProgressFn = (bytesDone: number, bytesTotal: number) => void;

const MAX_RECORD = 64 * 1024 * 1024;
const FLAG_NAMES = ['FIN', 'SYN', 'RST', 'PSH', 'ACK', 'URG', 'ECE', 'CWR'] as const;

export function flagNames(flags: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < 8; i++) if (flags & (1 << i)) out.push(FLAG_NAMES[i] as string);
  return out;
}

function ipv4String(b: Uint8Array, o: number): string {
  return `${b[o]}.${b[o + 1]}.${b[o + 2]}.${b[o + 3]}`;
}

/** RFC 5952 text form: lower case, the longest run (of 2 or more) of zero groups as "::". */
export function ipv6String(b: Uint8Array, o: number): string {
  const g: number[] = [];
  for (let i = 0; i < 8; i++) g.push(((b[o + 2 * i] ?? 0) << 8) | (b[o + 2 * i + 1] ?? 0));
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  let s = '';
  for (let i = 0; i < 8; i++) {
    if (i === best) {
      s += '::';
      i += bestLen - 1;
      continue;
    }
    if (s !== '' && !s.endsWith(':')) s += ':';
    s += (g[i] as number).toString(16);
  }
  return s;
}

interface Iface {
  linktype: number;
  pow2: boolean;
  exp: number;
  tsoffset: number;
}

class Reader {
  private readonly dv: DataView;
  private readonly out: ParsedCapture;
  private readonly connIndex = new Map<string, number>();
  private lastProgress = 0;

  constructor(
    private readonly b: Uint8Array,
    private readonly file: string,
    private readonly onProgress?: ProgressFn,
  ) {
    this.dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
    this.out = {
      format: 'pcap',
      linktypes: [],
      packets: 0,
      tcp_packets: 0,
      skipped: {},
      interfaces: [],
      connections: [],
      segments: [],
    };
  }

  private le = true;

  private fail(off: number, what: string): never {
    throw new CaptureError(`${this.file}: byte ${off}: ${what}`, off);
  }
  private has(off: number, n: number): boolean {
    return off <= this.b.length && n <= this.b.length - off;
  }
  private u16(off: number): number {
    return this.dv.getUint16(off, this.le);
  }
  private u32(off: number): number {
    return this.dv.getUint32(off, this.le);
  }
  private be16(off: number): number {
    return this.dv.getUint16(off, false);
  }
  private be32(off: number): number {
    return this.dv.getUint32(off, false);
  }

  read(): ParsedCapture {
    const b = this.b;
    if (b.length < 4) this.fail(0, `file too short to be a capture (${b.length} bytes)`);
    const m = this.be32(0);
    if (m === 0xa1b2c3d4 || m === 0xd4c3b2a1 || m === 0xa1b23c4d || m === 0x4d3cb2a1) this.readPcap();
    else if (m === 0x0a0d0d0a) this.readPcapng();
    else this.fail(0, 'not a pcap or pcapng file (unknown magic number)');
    this.onProgress?.(b.length, b.length);
    // Skipped reasons in the fixed order.
    const sk: Partial<Record<SkipReason, number>> = {};
    for (const r of SKIP_REASONS) if (this.out.skipped[r] !== undefined) sk[r] = this.out.skipped[r];
    // Key order as in the native JSON (capture_to_json).
    const o = this.out;
    const r: ParsedCapture = { format: o.format, linktypes: o.linktypes, packets: o.packets, tcp_packets: o.tcp_packets, skipped: sk } as ParsedCapture;
    if (o.truncated_at !== undefined) r.truncated_at = o.truncated_at;
    r.interfaces = o.interfaces.map((f) => {
      const j: CaptureInterface = { id: f.id, linktype: f.linktype } as CaptureInterface;
      if (f.name) j.name = f.name;
      if (f.description) j.description = f.description;
      j.packets = f.packets;
      j.tcp_packets = f.tcp_packets;
      return j;
    });
    r.connections = o.connections;
    r.segments = o.segments;
    return r;
  }

  private progress(off: number): void {
    if (this.onProgress && off - this.lastProgress >= 1 << 20) {
      this.lastProgress = off;
      this.onProgress(off, this.b.length);
    }
  }

  private readPcap(): void {
    const magicLE = this.dv.getUint32(0, true);
    this.le = magicLE === 0xa1b2c3d4 || magicLE === 0xa1b23c4d;
    const magic = this.u32(0);
    const ns = magic === 0xa1b23c4d;
    if (!this.has(0, 24)) this.fail(this.b.length, 'file ends inside the 24-byte pcap header');
    this.out.format = 'pcap';
    const snaplen = this.u32(16);
    const linktype = this.u32(20) & 0x0fffffff;
    this.out.linktypes = [linktype];
    this.out.interfaces = [{ id: 0, linktype, packets: 0, tcp_packets: 0 }];
    let off = 24;
    while (off < this.b.length) {
      if (!this.has(off, 16)) {
        this.out.truncated_at = off;
        return;
      }
      const sec = this.u32(off);
      const frac = this.u32(off + 4);
      const caplen = this.u32(off + 8);
      const origlen = this.u32(off + 12);
      if (caplen > MAX_RECORD || (caplen > snaplen && caplen > 262144))
        this.fail(off + 8, `implausible captured length ${caplen} (snap length ${snaplen})`);
      if ((ns && frac >= 1000000000) || (!ns && frac >= 1000000)) this.fail(off + 4, `timestamp fraction ${frac} out of range`);
      if (!this.has(off + 16, caplen)) {
        this.out.truncated_at = off;
        return;
      }
      const us = sec * 1000000 + (ns ? Math.floor(frac / 1000) : frac);
      this.packet(linktype, off + 16, caplen, us, 0);
      off += 16 + caplen;
      this.progress(off);
    }
  }

  private readPcapng(): void {
    this.out.format = 'pcapng';
    let ifaces: Iface[] = [];
    let base = 0; // interfaces of earlier sections, so ids stay unique across sections
    let off = 0;
    let first = true;
    while (off < this.b.length) {
      if (!this.has(off, 12)) {
        this.out.truncated_at = off;
        return;
      }
      const type = this.u32(off);
      if (type === 0x0a0d0d0a) {
        const bom = this.u32(off + 8);
        if (bom === 0x1a2b3c4d) {
          /* same order */
        } else if (bom === 0x4d3c2b1a) {
          this.le = !this.le;
        } else {
          this.fail(off + 8, 'bad pcapng byte-order magic');
        }
        base += ifaces.length;
        ifaces = [];
      } else if (first) {
        this.fail(off, 'pcapng file does not start with a Section Header Block');
      }
      first = false;
      const blen = this.u32(off + 4);
      if (blen < 12 || blen % 4 !== 0 || blen > MAX_RECORD) this.fail(off + 4, `bad block length ${blen}`);
      if (!this.has(off, blen)) {
        this.out.truncated_at = off;
        return;
      }
      const body = off + 8;
      const bend = off + blen - 4;
      if (this.u32(bend) !== blen)
        this.fail(bend, `block length at the end of the block differs from its start (${this.u32(bend)} != ${blen})`);
      if (type === 0x0a0d0d0a && (blen < 28 || this.u16(body + 4) !== 1))
        this.fail(off + 12, blen < 28 ? 'section header block too short' : `unsupported pcapng major version ${this.u16(body + 4)}`);
      const packet = (id: number, tsHi: number, tsLo: number, data: number, caplen: number): void => {
        const f = ifaces[id];
        if (f === undefined) this.fail(off + 8, `packet names interface ${id}, which is not defined`);
        this.packet(f.linktype, data, caplen, toUs(tsHi, tsLo, f), base + id);
      };
      switch (type) {
        case 1: {
          if (bend - body < 8) this.fail(off, 'interface description block too short');
          const f: Iface = { linktype: this.u16(body), pow2: false, exp: 6, tsoffset: 0 };
          let name = '';
          let description = '';
          let o = body + 8;
          while (o + 4 <= bend) {
            const code = this.u16(o);
            const len = this.u16(o + 2);
            if (code === 0) break;
            if (o + 4 + len > bend) this.fail(o, 'option runs past the end of its block');
            if (code === 9 && len >= 1) {
              const v = this.b[o + 4] as number;
              f.pow2 = (v & 0x80) !== 0;
              f.exp = v & 0x7f;
              if ((f.pow2 && f.exp > 63) || (!f.pow2 && f.exp > 19)) this.fail(o + 4, 'if_tsresol out of range');
            } else if (code === 2) {
              name = optionText(this.b.subarray(o + 4, o + 4 + len));
            } else if (code === 3) {
              description = optionText(this.b.subarray(o + 4, o + 4 + len));
            } else if (code === 14 && len === 8) {
              const lo = this.u32(o + 4);
              const hi = this.u32(o + 8);
              // Byte order as in the native reader: the first word is the low one in the section's order.
              f.tsoffset = this.le ? hi * 4294967296 + lo : lo * 4294967296 + hi;
              if (f.tsoffset >= 2 ** 63) f.tsoffset -= 2 ** 64;
            }
            o += 4 + ((len + 3) & ~3);
          }
          ifaces.push(f);
          this.out.linktypes.push(f.linktype);
          this.out.interfaces.push({ id: this.out.interfaces.length, linktype: f.linktype, name, description, packets: 0, tcp_packets: 0 });
          break;
        }
        case 6: {
          if (bend - body < 20) this.fail(off, 'enhanced packet block too short');
          const caplen = this.u32(body + 12);
          if (caplen > bend - body - 20) this.fail(body + 12, `captured length ${caplen} exceeds the block`);
          packet(this.u32(body), this.u32(body + 4), this.u32(body + 8), body + 20, caplen);
          break;
        }
        case 3: {
          if (bend - body < 4) this.fail(off, 'simple packet block too short');
          const origlen = this.u32(body);
          packet(0, 0, 0, body + 4, Math.min(origlen, bend - body - 4));
          break;
        }
        case 2: {
          if (bend - body < 20) this.fail(off, 'packet block too short');
          const caplen = this.u32(body + 12);
          if (caplen > bend - body - 20) this.fail(body + 12, 'captured length exceeds the block');
          packet(this.u16(body), this.u32(body + 4), this.u32(body + 8), body + 20, caplen);
          break;
        }
        default:
          break;
      }
      off += blen;
      this.progress(off);
    }
  }

  private skip(why: SkipReason): void {
    this.out.skipped[why] = (this.out.skipped[why] ?? 0) + 1;
  }

  private iface = 0;

  private packet(linktype: number, p: number, n: number, t_us: number, iface: number): void {
    this.out.packets++;
    this.iface = iface;
    const f = this.out.interfaces[iface];
    if (f) f.packets++;
    const frame = this.out.packets;
    const b = this.b;
    const eth = (et: number, q: number, m: number): void => {
      if (et === 0x0800) this.ip(4, q, m, frame, t_us);
      else if (et === 0x86dd) this.ip(6, q, m, frame, t_us);
      else this.skip('non_ip');
    };
    switch (linktype) {
      case 1: {
        if (n < 14) return this.skip('short');
        let off = 12;
        let et = this.be16(p + off);
        while (et === 0x8100 || et === 0x88a8) {
          off += 4;
          if (n < off + 2) return this.skip('short');
          et = this.be16(p + off);
        }
        off += 2;
        return eth(et, p + off, n - off);
      }
      case 0: {
        if (n < 4) return this.skip('short');
        let af = this.dv.getUint32(p, true);
        if (af > 0xffff) af = this.dv.getUint32(p, false);
        if (af === 2) return this.ip(4, p + 4, n - 4, frame, t_us);
        if (af === 10 || af === 24 || af === 28 || af === 30) return this.ip(6, p + 4, n - 4, frame, t_us);
        return this.skip('non_ip');
      }
      case 12:
      case 101:
        if (n < 1) return this.skip('short');
        return this.ip((b[p] as number) >> 4, p, n, frame, t_us);
      case 228:
        return this.ip(4, p, n, frame, t_us);
      case 229:
        return this.ip(6, p, n, frame, t_us);
      case 113:
        if (n < 16) return this.skip('short');
        return eth(this.be16(p + 14), p + 16, n - 16);
      case 276:
        if (n < 20) return this.skip('short');
        return eth(this.be16(p), p + 20, n - 20);
      default:
        return this.skip('linktype');
    }
  }

  private ip(version: number, p: number, n: number, frame: number, t_us: number): void {
    const b = this.b;
    if (version === 4) {
      if (n < 20 || (b[p] as number) >> 4 !== 4) return this.skip(n < 20 ? 'short' : 'non_ip');
      const ihl = ((b[p] as number) & 0x0f) * 4;
      if (ihl < 20 || n < ihl) return this.skip('short');
      const total = this.be16(p + 2);
      const frag = this.be16(p + 6);
      if ((frag & 0x1fff) !== 0 || (frag & 0x2000) !== 0) return this.skip('fragment');
      const proto = b[p + 9];
      if (proto !== 6) return this.skip(proto === 17 ? 'udp' : proto === 1 ? 'icmp' : 'other_ip');
      const l4len = total === 0 ? n - ihl : total - ihl;
      if (total !== 0 && total < ihl) return this.skip('short');
      return this.tcp(p + ihl, n - ihl, l4len, ipv4String(b, p + 12), ipv4String(b, p + 16), 4, frame, t_us);
    }
    if (version === 6) {
      if (n < 40 || (b[p] as number) >> 4 !== 6) return this.skip(n < 40 ? 'short' : 'non_ip');
      const plen = this.be16(p + 4);
      let nh = b[p + 6] as number;
      let off = 40;
      let l4len = plen === 0 ? n - 40 : plen;
      for (let guard = 0; guard < 16; guard++) {
        if (nh === 6) return this.tcp(p + off, n - off, l4len, ipv6String(b, p + 8), ipv6String(b, p + 24), 6, frame, t_us);
        if (nh === 0 || nh === 43 || nh === 60 || nh === 44 || nh === 51) {
          if (n < off + 8) return this.skip('short');
          let hl: number;
          if (nh === 44) {
            const fo = this.be16(p + off + 2);
            if ((fo & 0xfff8) !== 0 || (fo & 1) !== 0) return this.skip('fragment');
            hl = 8;
          } else if (nh === 51) {
            hl = ((b[p + off + 1] as number) + 2) * 4;
          } else {
            hl = ((b[p + off + 1] as number) + 1) * 8;
          }
          nh = b[p + off] as number;
          if (n < off + hl) return this.skip('short');
          off += hl;
          l4len -= hl;
          continue;
        }
        return this.skip(nh === 17 ? 'udp' : nh === 58 ? 'icmp' : 'other_ip');
      }
      return this.skip('other_ip');
    }
    this.skip('non_ip');
  }

  private tcp(p: number, n: number, l4len: number, srcIp: string, dstIp: string, v: number, frame: number, t_us: number): void {
    if (n < 20) return this.skip('short');
    const b = this.b;
    const sport = this.be16(p);
    const dport = this.be16(p + 2);
    const seq = this.be32(p + 4);
    const ack = this.be32(p + 8);
    const doff = ((b[p + 12] as number) >> 4) * 4;
    const flags = b[p + 13] as number;
    const win = this.be16(p + 14);
    if (doff < 20) return this.skip('short');
    const payload = l4len - doff;
    const len = payload > 0 ? payload : 0;
    const opts: SegmentOptions = {};
    let any = false;
    const end = Math.min(doff, n);
    let i = 20;
    const sack: [number, number][] = [];
    while (i < end) {
      const kind = b[p + i] as number;
      if (kind === 0) break;
      if (kind === 1) {
        i++;
        continue;
      }
      if (i + 1 >= end) break;
      const ol = b[p + i + 1] as number;
      if (ol < 2 || i + ol > end) break;
      const o = p + i;
      if (kind === 2 && ol === 4) {
        opts.mss = this.be16(o + 2);
        any = true;
      } else if (kind === 3 && ol === 3) {
        opts.wscale = b[o + 2] as number;
        any = true;
      } else if (kind === 4 && ol === 2) {
        opts.sack_ok = true;
        any = true;
      } else if (kind === 8 && ol === 10) {
        opts.ts = [this.be32(o + 2), this.be32(o + 6)];
        any = true;
      } else if (kind === 5 && ol >= 10 && (ol - 2) % 8 === 0) {
        for (let k = 2; k + 8 <= ol; k += 8) sack.push([this.be32(o + k), this.be32(o + k + 4)]);
      }
      i += ol;
    }
    if (sack.length > 0) {
      opts.sack = sack;
      any = true;
    }
    this.out.tcp_packets++;
    const f = this.out.interfaces[this.iface];
    if (f) f.tcp_packets++;
    const src = v === 6 ? `[${srcIp}]:${sport}` : `${srcIp}:${sport}`;
    const dst = v === 6 ? `[${dstIp}]:${dport}` : `${dstIp}:${dport}`;
    // Same canonical key as capture_to_json: the smaller "ip:port" string first.
    const key = src < dst ? `${src}|${dst}` : `${dst}|${src}`;
    let ci = this.connIndex.get(key);
    if (ci === undefined) {
      ci = this.out.connections.length;
      this.connIndex.set(key, ci);
      this.out.connections.push({ a: src, b: dst, segments: 0 });
    }
    const c = this.out.connections[ci] as CaptureConnection;
    c.segments++;
    const seg: CapturedSegment = { frame, iface: this.iface, t_us, conn: ci, dir: c.a === src ? 'a>b' : 'b>a', flags: flagNames(flags), seq, ack, win, len };
    // Key order as in the native JSON: mss, wscale, sack_ok, ts, sack.
    if (any) {
      const o: SegmentOptions = {};
      if (opts.mss !== undefined) o.mss = opts.mss;
      if (opts.wscale !== undefined) o.wscale = opts.wscale;
      if (opts.sack_ok) o.sack_ok = true;
      if (opts.ts) o.ts = opts.ts;
      if (opts.sack) o.sack = opts.sack;
      seg.opts = o;
    }
    this.out.segments.push(seg);
  }
}

/**
 * An option's text (if_name, if_description): UTF-8, or, when the bytes are not valid UTF-8,
 * one character per byte (Latin-1); trailing NULs dropped. The native reader does the same.
 */
function optionText(bytes: Uint8Array): string {
  let n = bytes.length;
  while (n > 0 && bytes[n - 1] === 0) n--;
  const b = bytes.subarray(0, n);
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(b);
  } catch {
    let s = '';
    for (const x of b) s += String.fromCharCode(x);
    return s;
  }
}

const MAX_US = 2 ** 53 - 1;
/** Timestamps stay within +-(2^53 - 1) us, as in the native reader (clamp_us). */
const clampUs = (us: number): number => (us > MAX_US ? MAX_US : us < -MAX_US ? -MAX_US : us);

/** Timestamp (hi:lo in 1/units s) to microseconds since the epoch, as the native reader does. */
function toUs(hi: number, lo: number, f: Iface): number {
  const off = Math.max(-1e12, Math.min(1e12, f.tsoffset)) * 1000000;
  if (!f.pow2 && f.exp === 6) return clampUs(clampUs(hi * 4294967296 + lo) + off);  // exact below 2^53
  const t = (BigInt(hi) << 32n) | BigInt(lo);
  let us: bigint;
  if (f.pow2) us = (t * 1000000n) >> BigInt(f.exp);
  else us = (t * 1000000n) / 10n ** BigInt(f.exp);
  return clampUs(clampUs(us > BigInt(MAX_US) ? MAX_US : Number(us)) + off);
}

/**
 * Reads a whole capture synchronously. Throws CaptureError for a damaged file; a file cut short
 * inside a record is not an error (`truncated_at` says where).
 */
export function readCapture(bytes: Uint8Array, file = 'capture', onProgress?: ProgressFn): ParsedCapture {
  return new Reader(bytes, file, onProgress).read();
}
