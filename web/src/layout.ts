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

// ---- Lanes -----------------------------------------------------------------------------------
// Across the ladder: a time column, room for state names outside the outer lifelines, and gaps
// between lifelines wide enough for a segment's label. Spare width widens the gaps; too little
// makes the diagram wider than its box, which then scrolls sideways.

export interface LaneNeeds {
  timeCol: number; // px for the time labels on the left
  outer: number;   // px beside the first and the last lifeline
  gapMin: number;  // px between two lifelines
}

export interface LaneFit { laneX: number[]; width: number; timeCol: number; laneGap: number }

export function fitLanes(hosts: number, available: number, need: LaneNeeds): LaneFit {
  const n = Math.max(1, hosts);
  const fixed = need.timeCol + 2 * need.outer;
  const laneGap = n === 1 ? 0 : Math.max(need.gapMin, (available - fixed) / (n - 1));
  const laneX: number[] = [];
  for (let i = 0; i < n; i++) laneX.push(Math.round(need.timeCol + need.outer + i * laneGap));
  const width = Math.max(Math.floor(available), Math.ceil(fixed + (n - 1) * laneGap));
  return { laneX, width, timeCol: need.timeCol, laneGap };
}

/** Rough advance of a string: monospace ASCII is 0.6 em, CJK and full-width forms 1 em. For
 *  sizing columns before anything is drawn; placement itself uses the measured boxes. */
export function estimateWidth(text: string, fontPx: number, latinEm = 0.6): number {
  let em = 0;
  for (const ch of text) {
    const c = ch.codePointAt(0)!;
    em += (c >= 0x2e80 && c <= 0xa4cf) || (c >= 0xac00 && c <= 0xd7a3) || (c >= 0xf900 && c <= 0xfaff) || (c >= 0xfe30 && c <= 0xfe4f) || (c >= 0xff00 && c <= 0xff60) ? 1 : latinEm;
  }
  return em * fontPx;
}

// ---- Label placement -------------------------------------------------------------------------
// Labels are offered in order of importance; each takes the first of its candidate positions
// where it overlaps nothing placed before it and stays inside the drawing. A label that finds
// no place is shortened or left out by the caller (its full text stays in a tooltip and in the
// inspector), so the text on screen never piles up.

export interface Rect { x: number; y: number; w: number; h: number }
export type Offset = readonly [dx: number, dy: number];

export function overlaps(a: Rect, b: Rect, gap = 0): boolean {
  return a.x < b.x + b.w + gap && b.x < a.x + a.w + gap && a.y < b.y + b.h + gap && b.y < a.y + a.h + gap;
}

export const moved = (r: Rect, [dx, dy]: Offset): Rect => ({ x: r.x + dx, y: r.y + dy, w: r.w, h: r.h });

/** Whether the segment (x1, y1)–(x2, y2) passes through `r` (Liang–Barsky clipping). */
export function segmentHitsRect(x1: number, y1: number, x2: number, y2: number, r: Rect): boolean {
  const dx = x2 - x1, dy = y2 - y1;
  let t0 = 0, t1 = 1;
  const clip = (p: number, q: number): boolean => {
    if (p === 0) return q >= 0;
    const t = q / p;
    if (p < 0) { if (t > t1) return false; if (t > t0) t0 = t; } else { if (t < t0) return false; if (t < t1) t1 = t; }
    return true;
  };
  return clip(-dx, x1 - r.x) && clip(dx, r.x + r.w - x1) && clip(-dy, y1 - r.y) && clip(dy, r.y + r.h - y1);
}

/** Shortest distance between the segment (x1, y1)–(x2, y2) and the rectangle `r` (0 if it passes through). */
export function rectSegmentDistance(r: Rect, x1: number, y1: number, x2: number, y2: number): number {
  if (segmentHitsRect(x1, y1, x2, y2, r)) return 0;
  const toRect = (x: number, y: number): number => Math.hypot(Math.max(r.x - x, 0, x - (r.x + r.w)), Math.max(r.y - y, 0, y - (r.y + r.h)));
  const toSeg = (x: number, y: number): number => {
    const dx = x2 - x1, dy = y2 - y1;
    const len2 = dx * dx + dy * dy;
    const t = len2 === 0 ? 0 : Math.min(1, Math.max(0, ((x - x1) * dx + (y - y1) * dy) / len2));
    return Math.hypot(x - (x1 + t * dx), y - (y1 + t * dy));
  };
  return Math.min(toRect(x1, y1), toRect(x2, y2), toSeg(r.x, r.y), toSeg(r.x + r.w, r.y), toSeg(r.x, r.y + r.h), toSeg(r.x + r.w, r.y + r.h));
}

interface Line { x1: number; y1: number; x2: number; y2: number; owner: unknown }

export interface PlaceOptions {
  /** lines drawn by the label's own shape (its arrow, its edge) may cross it */
  owner?: unknown;
  /** 'prefer': a place clear of other lines if there is one, else any free place; 'require': only clear ones */
  lines?: 'prefer' | 'require';
}

export class LabelPlacer {
  /** rectangles bucketed by a coarse grid, so a check looks only at its neighbourhood */
  private cells = new Map<number, Rect[]>();
  private lineCells = new Map<number, Line[]>();
  private readonly cell = 64;

  constructor(readonly bounds: Rect, readonly gap = 2) {}

  private keys(r: Rect): number[] {
    const c = this.cell;
    const x0 = Math.floor((r.x - this.gap) / c), x1 = Math.floor((r.x + r.w + this.gap) / c);
    const y0 = Math.floor((r.y - this.gap) / c), y1 = Math.floor((r.y + r.h + this.gap) / c);
    const out: number[] = [];
    for (let y = y0; y <= y1; y++) for (let x = x0; x <= x1; x++) out.push(y * 65536 + x);
    return out;
  }

  inside(r: Rect): boolean {
    const b = this.bounds;
    return r.x >= b.x && r.y >= b.y && r.x + r.w <= b.x + b.w && r.y + r.h <= b.y + b.h;
  }

  /** Whether `r` is inside and overlaps nothing reserved (but `except`, the very rectangle given to block). */
  fits(r: Rect, except?: Rect): boolean {
    if (!this.inside(r)) return false;
    for (const k of this.keys(r)) for (const o of this.cells.get(k) ?? []) if (o !== except && overlaps(r, o, this.gap)) return false;
    return true;
  }

  /** Reserves a rectangle (a box, a mark, a label that does not move). */
  block(r: Rect): void {
    for (const k of this.keys(r)) {
      const list = this.cells.get(k);
      if (list) list.push(r); else this.cells.set(k, [r]);
    }
  }

  /** A line labels would rather not sit on (an arrow, an edge of a figure). */
  line(x1: number, y1: number, x2: number, y2: number, owner?: unknown): void {
    const l: Line = { x1, y1, x2, y2, owner };
    for (const k of this.keys({ x: Math.min(x1, x2), y: Math.min(y1, y2), w: Math.abs(x2 - x1), h: Math.abs(y2 - y1) })) {
      const list = this.lineCells.get(k);
      if (list) list.push(l); else this.lineCells.set(k, [l]);
    }
  }

  crossesLine(r: Rect, owner?: unknown): boolean {
    for (const k of this.keys(r)) {
      for (const l of this.lineCells.get(k) ?? []) {
        if (owner !== undefined && l.owner === owner) continue;
        if (segmentHitsRect(l.x1, l.y1, l.x2, l.y2, r)) return true;
      }
    }
    return false;
  }

  /** The first offset at which `box` fits (and reserves it), or undefined. */
  place(box: Rect, offsets: readonly Offset[], opt: PlaceOptions = {}): Offset | undefined {
    if (opt.lines) {
      for (const o of offsets) {
        const r = moved(box, o);
        if (this.fits(r) && !this.crossesLine(r, opt.owner)) { this.block(r); return o; }
      }
      if (opt.lines === 'require') return undefined;
    }
    for (const o of offsets) {
      const r = moved(box, o);
      if (this.fits(r)) { this.block(r); return o; }
    }
    return undefined;
  }
}
