// "Why is this number what it is", as the engine recorded it when it sent the segment
// (send.why, docs/CONTRACTS.md "Trace"): the rule that gave seq and ack, and the segment the rule
// refers to. The player only looks that segment up to show its numbers; it decides nothing about
// sequence space itself.
import type { Model, SegInfo } from './model';
import type { NumberMode } from './format';

export interface Why { key: string; args: Record<string, string | number> }

function shown(s: SegInfo, field: 'seq' | 'ack', mode: NumberMode): number {
  const rel = s.send.rel?.[field];
  return mode === 'rel' && rel !== undefined ? rel : s.send.seg[field];
}

/** What a segment carried besides data: "+SYN", "+FIN" (the sequence numbers they use). */
function plusText(s: SegInfo): string {
  const f = s.send.seg.flags;
  return [f.includes('SYN') ? '+SYN' : '', f.includes('FIN') ? '+FIN' : ''].filter(Boolean).join(' ');
}

/** The arithmetic shown for "the segment `after` ended here": its seq, its length, SYN/FIN. */
const ending = (a: SegInfo, mode: NumberMode) => ({ id: a.id, len: a.send.seg.len, plus: plusText(a), from: shown(a, 'seq', mode) });

export function whySeq(m: Model, s: SegInfo, mode: NumberMode): Why {
  const w = s.send.why?.seq;
  if (!w) return { key: s.send.injected ? 'why.seq.injected' : 'why.seq.unknown', args: {} };
  const after = w.after !== undefined ? m.segs.get(w.after) : undefined;
  const value = shown(s, 'seq', mode);
  switch (w.rule) {
    case 'isn': return { key: 'why.seq.isn', args: { host: s.from, seq: s.send.seg.seq } };
    case 'cookie': return { key: 'why.seq.cookie', args: { host: s.from, seq: s.send.seg.seq } };
    case 'retransmission': return after ? { key: 'why.seq.retrans', args: { id: after.id } } : { key: 'why.seq.unknown', args: {} };
    case 'next': {
      if (!after) return { key: 'why.seq.unknown', args: {} };
      const e = ending(after, mode);
      return { key: 'why.seq.next', args: { id: e.id, pseq: e.from, len: e.len, plus: e.plus, value } };
    }
    case 'snd_nxt': return after ? { key: 'why.seq.sndnxt', args: { id: after.id, value } } : { key: 'why.seq.sndnxt.syn', args: { value } };
    case 'probe': return { key: 'why.seq.probe', args: { value } };
    case 'from_ack': return after ? { key: 'why.seq.fromack', args: { id: after.id, value } } : { key: 'why.seq.unknown', args: {} };
    case 'zero': return { key: 'why.seq.zero', args: {} };
  }
}

export function whyAck(m: Model, s: SegInfo, mode: NumberMode): Why {
  if (!s.send.seg.flags.includes('ACK')) return { key: 'why.ack.none', args: {} };
  const w = s.send.why?.ack;
  if (!w) return { key: s.send.injected ? 'why.ack.injected' : 'why.ack.unknown', args: { host: s.from } };
  const after = w.after !== undefined ? m.segs.get(w.after) : undefined;
  const value = shown(s, 'ack', mode);
  if (w.rule === 'seg_end') {
    if (!after) return { key: 'why.ack.unknown', args: { host: s.from } };
    const e = ending(after, mode);
    return { key: 'why.ack.segend', args: { id: e.id, qseq: e.from, len: e.len, plus: e.plus, value } };
  }
  if (!after) return { key: 'why.ack.unknown', args: { host: s.from } };
  const e = ending(after, mode);
  return { key: 'why.ack.next', args: { id: e.id, qseq: e.from, len: e.len, plus: e.plus, value, host: s.from } };
}

/** TCP header length in 32-bit words, as the trace gives it (RFC 9293 §3.1 "Data Offset"); a
 *  trace without it (a capture read by an older engine) shows none. */
export function dataOffset(s: SegInfo): number | undefined {
  const bytes = s.send.seg.hlen;
  return bytes === undefined ? undefined : bytes / 4;
}
