// Vertical layout of the ladder: time runs down, but idle time is compressed. Every moment that
// has events gets at least one row per thing drawn on a lifeline; short gaps grow slowly
// (logarithmically) and long gaps (60 s of TIME_WAIT, a 1 s RTO) become a fixed-size break
// labelled with its length, so a whole lesson fits on a projector.
import type { TraceEvent } from './types';

export interface LayoutOptions {
  row: number;       // px per drawn row
  breakUs: number;   // gaps at least this long become a labelled break
  breakPx: number;   // height of a break
  top: number;       // px above the first row
}

export const defaultLayout: LayoutOptions = { row: 30, breakUs: 250_000, breakPx: 56, top: 24 };

export interface TimeGroup { t: number; y: number; height: number }
export interface TimeBreak { y0: number; y1: number; gapUs: number }
export interface TimeLayout {
  y: Float64Array;          // y of every event
  groups: TimeGroup[];
  breaks: TimeBreak[];
  height: number;
  /** y of an arbitrary time (for timer brackets and the "now" line) */
  yAt(t: number): number;
}

type Slot = { deliver: boolean; send: boolean; state: boolean };

const drawnKind = (e: TraceEvent): keyof Slot | undefined =>
  e.kind === 'send' ? 'send' : e.kind === 'deliver' ? 'deliver' : e.kind === 'state' ? 'state' : undefined;

export function gapPx(gapUs: number, o: LayoutOptions = defaultLayout): number {
  if (gapUs <= 0) return 0;
  if (gapUs >= o.breakUs) return o.breakPx;
  return Math.round(12 * Math.log10(1 + gapUs / 100));
}

export function layoutTime(events: readonly TraceEvent[], o: LayoutOptions = defaultLayout): TimeLayout {
  const y = new Float64Array(events.length);
  const groups: TimeGroup[] = [];
  const breaks: TimeBreak[] = [];
  let cursor = o.top;
  let i = 0;
  while (i < events.length) {
    const t = events[i]!.t_us;
    if (groups.length > 0) {
      const prev = groups.at(-1)!;
      const gap = t - prev.t;
      const extra = gapPx(gap, o);
      if (gap >= o.breakUs) breaks.push({ y0: cursor, y1: cursor + extra, gapUs: gap });
      cursor += extra;
    }
    const slots = new Map<string, { n: number; cur: Slot }>();
    let rows = 1;
    let j = i;
    for (; j < events.length && events[j]!.t_us === t; j++) {
      const e = events[j]!;
      const host = e.host ?? '';
      let s = slots.get(host);
      if (!s) { s = { n: 0, cur: { deliver: false, send: false, state: false } }; slots.set(host, s); }
      const k = drawnKind(e);
      if (k) {
        // A reply leaves from the point where the segment arrived; a second arrival, a second
        // send or a second state change on the same host needs a row of its own.
        const conflict = s.cur[k] || (k === 'deliver' && s.cur.send);
        if (conflict) { s.n += 1; s.cur = { deliver: false, send: false, state: false }; }
        s.cur[k] = true;
      }
      y[j] = cursor + s.n * o.row;
      rows = Math.max(rows, s.n + 1);
    }
    groups.push({ t, y: cursor, height: rows * o.row });
    cursor += rows * o.row;
    i = j;
  }
  const height = cursor + o.top;
  const yAt = (t: number): number => {
    if (groups.length === 0) return o.top;
    let lo = 0, hi = groups.length - 1;
    if (t <= groups[0]!.t) return groups[0]!.y;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (groups[mid]!.t <= t) lo = mid; else hi = mid - 1;
    }
    const g = groups[lo]!;
    if (t === g.t) return g.y;
    const next = groups[lo + 1];
    const end = g.y + g.height;
    if (!next) return end;
    // interpolate inside the gap: linear in the compressed space
    const frac = (t - g.t) / (next.t - g.t);
    return end + frac * (next.y - end);
  };
  return { y, groups, breaks, height, yAt };
}
