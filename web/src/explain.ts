// "Why is this number what it is": arithmetic over the trace's own numbers. The only rule used
// is sequence-space accounting (RFC 9293 §3.4: SYN and FIN each occupy one sequence number, data
// occupies one per byte); every operand is a value the engine wrote into the trace.
import type { Model, SegInfo } from './model';
import type { NumberMode } from './format';

export interface Why { key: string; args: Record<string, string | number> }

const mod32 = (x: number): number => x >>> 0;
const consumed = (s: SegInfo): number =>
  s.send.seg.len + (s.send.seg.flags.includes('SYN') ? 1 : 0) + (s.send.seg.flags.includes('FIN') ? 1 : 0);
const endOf = (s: SegInfo): number => mod32(s.send.seg.seq + consumed(s));

function shown(s: SegInfo, field: 'seq' | 'ack', mode: NumberMode): number {
  if (mode === 'rel' && s.send.rel?.[field] !== undefined) return s.send.rel[field];
  return s.send.seg[field];
}

function plusText(s: SegInfo): string {
  const f = s.send.seg.flags;
  return [f.includes('SYN') ? '+SYN' : '', f.includes('FIN') ? '+FIN' : ''].filter(Boolean).join(' ');
}

/** Earlier segments in the same direction (same source and destination address:port). */
function earlierSameDirection(m: Model, s: SegInfo): SegInfo[] {
  return m.segOrder.filter((o) => o.sendIndex < s.sendIndex && o.send.seg.src === s.send.seg.src && o.send.seg.dst === s.send.seg.dst);
}

export function whySeq(m: Model, s: SegInfo, mode: NumberMode): Why {
  const seq = s.send.seg.seq;
  const before = earlierSameDirection(m, s);
  const same = [...before].reverse().find((o) => o.send.seg.seq === seq && consumed(o) > 0 && consumed(o) === consumed(s));
  if (same) return { key: 'why.seq.retrans', args: { id: same.id } };
  const prev = [...before].reverse().find((o) => endOf(o) === seq && consumed(o) > 0);
  if (prev) {
    return {
      key: 'why.seq.next',
      args: { id: prev.id, pseq: shown(prev, 'seq', mode), len: prev.send.seg.len, plus: plusText(prev), value: shown(s, 'seq', mode) },
    };
  }
  const flat = [...before].reverse().find((o) => o.send.seg.seq === seq);
  if (flat) return { key: 'why.seq.same', args: { id: flat.id } };
  if (s.send.seg.flags.includes('SYN') && before.length === 0) return { key: 'why.seq.isn', args: { host: s.from, seq: s.send.seg.seq } };
  return { key: 'why.seq.unknown', args: {} };
}

export function whyAck(m: Model, s: SegInfo, mode: NumberMode): Why {
  if (!s.send.seg.flags.includes('ACK')) return { key: 'why.ack.none', args: {} };
  const ack = s.send.seg.ack;
  // Segments from the peer that reached this host before this one left.
  const received = m.segOrder.filter((o) =>
    o.send.seg.src === s.send.seg.dst && o.send.seg.dst === s.send.seg.src &&
    o.deliveries.some((d) => d.index < s.sendIndex && d.host === s.from && !d.discard));
  const q = [...received].reverse().find((o) => endOf(o) === ack && consumed(o) > 0);
  if (q) {
    return {
      key: 'why.ack.next',
      args: { id: q.id, qseq: shown(q, 'seq', mode), len: q.send.seg.len, plus: plusText(q), value: shown(s, 'ack', mode), host: s.from },
    };
  }
  return { key: 'why.ack.unknown', args: {} };
}

/** TCP header length in 32-bit words: the trace's own value if it has one, else 5 + options (RFC 9293 §3.1). */
export function dataOffset(s: SegInfo): { words: number; fromTrace: boolean } {
  const d = (s.send.seg as { hlen?: number }).hlen;
  if (typeof d === 'number') return { words: d / 4, fromTrace: true };
  const o = s.send.seg.opts ?? {};
  let bytes = 0;
  if (o.mss !== undefined) bytes += 4;
  if (o.wscale !== undefined) bytes += 3;
  if (o.sack_ok) bytes += 2;
  if (o.ts !== undefined) bytes += 10;
  return { words: 5 + Math.ceil(bytes / 4), fromTrace: false };
}
