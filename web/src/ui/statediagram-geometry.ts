// Geometry of the state diagram: where lines meet boxes, where a label may go beside a line,
// and a label's text in one or two lines, measured.
import { LabelPlacer, overlaps, type Rect } from '../layout';
import { svg } from './dom';
import { measureTexts } from './ladder';

export type P = [number, number];

/** Where a line meets a box: its side (top, bottom, left, right) and the distance (px) from that
 *  side's middle (to the right on top/bottom, downwards on left/right). */
export type Attach = readonly ['t' | 'b' | 'l' | 'r', number];

/** Text boxes relative to the anchor point (text-anchor middle, baseline at 0). */
export type Metric = Rect;

export interface Form { lines: string[]; m: Metric[]; lineH: number; w: number; h: number }

/** A label's text as one line, broken after its "/", or broken at the space nearest its middle. */
export function formsOf(root: SVGSVGElement, text: string, cls: string): Form[] {
  const variants: string[][] = [[text]];
  const slash = text.indexOf(' / ');
  if (slash >= 0) variants.push([text.slice(0, slash + 2).trim(), text.slice(slash + 3).trim()]);
  else {
    const spaces = [...text.matchAll(/ /g)].map((m) => m.index!);
    if (spaces.length) {
      const mid = spaces.reduce((best, i) => (Math.abs(i - text.length / 2) < Math.abs(best - text.length / 2) ? i : best));
      variants.push([text.slice(0, mid), text.slice(mid + 1)]);
    }
  }
  const ms = measureTexts(root, variants.flat().map((s) => ({ cls, text: s, anchor: 'middle' as const })));
  let k = 0;
  return variants.map((lines) => {
    const m = ms.slice(k, k + lines.length);
    k += lines.length;
    const lineH = Math.max(...m.map((x) => x.h));
    return { lines, m, lineH, w: Math.max(...m.map((x) => x.w)), h: lineH * lines.length };
  });
}

/** Fills a centred text element with one tspan per line inside the box `r`. */
export function writeLines(text: SVGElement, f: Form, r: Rect): void {
  f.lines.forEach((line, li) => {
    const m = f.m[li]!;
    text.append(svg('tspan', { x: r.x + r.w / 2, y: r.y + li * f.lineH + (f.lineH - m.h) / 2 - m.y }, line));
  });
}

export function quad(p: P, c: P, q: P, t: number): P {
  const u = 1 - t;
  return [u * u * p[0] + 2 * u * t * c[0] + t * t * q[0], u * u * p[1] + 2 * u * t * c[1] + t * t * q[1]];
}

export function border(from: P, to: P, nw: number, nh: number): P {
  const dx = to[0] - from[0], dy = to[1] - from[1];
  if (dx === 0 && dy === 0) return from;
  const sx = dx === 0 ? Infinity : (nw / 2 + 3) / Math.abs(dx);
  const sy = dy === 0 ? Infinity : (nh / 2 + 3) / Math.abs(dy);
  const s = Math.min(sx, sy);
  return [from[0] + dx * s, from[1] + dy * s];
}

/** The normal of the line a → b that points right (or down, for a level line): side +1, the
 *  same for both directions. */
export function sideNormal(a: P, b: P): P {
  const dx = b[0] - a[0], dy = b[1] - a[1];
  const len = Math.hypot(dx, dy) || 1;
  let nx = -dy / len, ny = dx / len;
  if (nx < -1e-6 || (Math.abs(nx) <= 1e-6 && ny < 0)) { nx = -nx; ny = -ny; }
  return [nx, ny];
}

/** A point just outside a box's side (clear of its border by the arrowhead's margin). */
export function attach(c: P, [side, along]: Attach, nw: number, nh: number): P {
  switch (side) {
    case 't': return [c[0] + along, c[1] - nh / 2 - 3];
    case 'b': return [c[0] + along, c[1] + nh / 2 + 3];
    case 'l': return [c[0] - nw / 2 - 3, c[1] + along];
    case 'r': return [c[0] + nw / 2 + 3, c[1] + along];
  }
}

/** Top-left corners for a w × h label beside the segment p → q: its middle first, then along it;
 *  the preferred side first, clear of the line by the box's own extent. */
export function edgeCandidates(p: P, q: P, w: number, h: number, side: -1 | 1): P[] {
  const dx = q[0] - p[0], dy = q[1] - p[1];
  const [nx, ny] = sideNormal(p, q);
  const clear = Math.abs(nx) * w / 2 + Math.abs(ny) * h / 2 + 4;
  const out: P[] = [];
  // Moved off the line straight out from it, or level with it (sideways or up/down): between two
  // rows of boxes a label beside a shallow line fits only level with it.
  const dirs: P[] = [[nx, ny]];
  if (Math.abs(nx) > 0.15 && Math.abs(ny) > 0.15) dirs.push([Math.sign(nx), 0], [0, Math.sign(ny)]);
  for (const s of [side, -side]) {
    for (const f of [0.5, 0.4, 0.6, 0.3, 0.7, 0.2, 0.8]) {
      const cx = p[0] + dx * f, cy = p[1] + dy * f;
      for (const [ux, uy] of dirs) {
        const k = clear / Math.abs(ux * nx + uy * ny);
        for (const more of [0, 3]) out.push([cx + s * ux * (k + more) - w / 2, cy + s * uy * (k + more) - h / 2]);
      }
    }
  }
  return out;
}

/** Each candidate, then the same one slid back inside the drawing if it stuck out. */
export function clampAll(b: Rect, cands: P[], w: number, h: number): P[] {
  const out: P[] = [];
  for (const [x, y] of cands) {
    out.push([x, y]);
    const cx = Math.min(Math.max(x, 1), w - b.w - 1), cy = Math.min(Math.max(y, 1), h - b.h - 1);
    if (cx !== x || cy !== y) out.push([cx, cy]);
  }
  return out;
}

/** A badge may cover its own box's border but not its name, nor anything else placed. */
export function placeBadge(placer: LabelPlacer, box: Rect, cands: readonly P[], ownName: Rect, ownBox: Rect): P | undefined {
  for (const clearOfLines of [true, false]) {
    for (const [x, y] of cands) {
      const r = { x, y, w: box.w, h: box.h };
      if (!placer.inside(r) || overlaps(r, ownName)) continue;
      // Tested against everything but the own box.
      if (placer.fits(r, ownBox) && (!clearOfLines || !placer.crossesLine(r))) { placer.block(r); return [x, y]; }
    }
  }
  return undefined;
}
