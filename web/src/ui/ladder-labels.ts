// The ladder's label placement: every label has a list of candidate places (offsets from where
// it was drawn); the current step's labels are placed first, older ones after, each at its first
// place that is free (layout.ts LabelPlacer). A label with no free place is shortened or hidden,
// its full text staying in the arrow's tooltip, its accessible name and the inspector.
//
// A placement only moves, shortens or hides: resetJob undoes all three, so a drawing kept from
// one step to the next (ladder.ts) is placed again from where it was drawn.
import { LabelPlacer, moved, type Offset, type Rect } from '../layout';
import { box } from './ladder-head';
import { svg } from './dom';

/** A label waiting for its place: lower `prio` first, then `order`. */
export interface Job {
  el: SVGGraphicsElement; // a text, or a group moved as one (an action pill)
  prio: number;
  order: number;
  cands: (b: Rect) => Offset[];
  short?: string;
  /** the text as drawn (a shortened label gets it back before it is placed again) */
  full?: string;
  /** its box as drawn, before any move */
  box0?: Rect;
  box?: Rect;
  /** the segment whose arrow this label belongs to (it may sit on that arrow) */
  owner?: number;
  /** that arrow: a label pushed away from it gets a leader line back to it */
  arrow?: [number, number, number, number];
}

export interface Line { x1: number; y1: number; x2: number; y2: number; owner: number }

export const stayPut: Offset[] = [[0, 0]];

export const TIME = 0, CURRENT_STATE = 1, CURRENT_SEG = 2, TIMER = 3, OLD_STATE = 4, OLD_SEG = 5;

/** Puts a label back as it was drawn: in place, in full, shown, without a leader line. */
export function resetJob(j: Job): void {
  j.el.removeAttribute('transform');
  j.el.removeAttribute('display');
  if (j.full !== undefined && j.el.textContent !== j.full) j.el.textContent = j.full;
  j.el.previousElementSibling?.classList.contains('leader') && j.el.previousElementSibling.remove();
  j.box = undefined;
}

export function tagCands(inward: -1 | 1) {
  return (b: Rect): Offset[] => {
    const r = b.h + 2, flip = -inward * (b.w + 20);
    return [[0, 0], [0, r], [0, -r], [0, 2 * r], [flip, 0], [flip, r]];
  };
}

export function placeLabels(bounds: Rect, timeCol: number, jobs: Job[], fixed: SVGGraphicsElement[], marks: Rect[], lines: Line[]): void {
  // The time column is the time labels' own: nothing else goes there, they go nowhere else.
  const times = new LabelPlacer({ x: bounds.x, y: bounds.y, w: timeCol, h: bounds.h }, 1);
  const placer = new LabelPlacer({ x: bounds.x + timeCol, y: bounds.y, w: bounds.w - timeCol, h: bounds.h }, 2);
  for (const l of lines) placer.line(l.x1, l.y1, l.x2, l.y2, l.owner);
  // Read every box first (one layout), then write.
  const fixedBoxes = fixed.map((f) => box(f));
  const pills = jobs.filter((j) => j.el.classList.contains('action')).map((j) => ({ j, text: box(j.el.querySelector('text')!) }));
  // A label kept from the last drawing keeps its measured box.
  for (const j of jobs) j.box = j.box0 ??= box(j.el);
  // Action pills are as wide as their words (Chinese and English differ).
  for (const { j, text } of pills) {
    const rect = j.el.querySelector('rect')!;
    const w = Math.max(Number(rect.getAttribute('width')), text.w + 24);
    const x = text.x + text.w / 2 - w / 2;
    rect.setAttribute('x', String(x));
    rect.setAttribute('width', String(w));
    j.box = { x, y: j.box!.y, w, h: j.box!.h };
  }
  for (const b of fixedBoxes) placer.block(b);
  for (const r of marks) placer.block(r);
  jobs.sort((a, b) => a.prio - b.prio || a.order - b.order);
  const retry: Job[] = [];
  const apply = (j: Job, o: Offset): void => {
    if (o[0] !== 0 || o[1] !== 0) j.el.setAttribute('transform', `translate(${o[0]} ${o[1]})`);
    if (j.arrow) leader(j.el, moved(j.box!, o), j.arrow);
  };
  for (const j of jobs) {
    const b = j.box!;
    if (b.w === 0) continue;
    if (j.prio === TIME) { if (!times.place(b, stayPut)) hide(j); continue; }
    // Clear of other arrows if it can be: a label on a crossing arrow reads as that arrow's.
    const o = placer.place(b, withinBounds(b, j.cands(b), placer.bounds), { owner: j.owner, lines: 'prefer' });
    if (o) apply(j, o);
    else if (j.short !== undefined) retry.push(j);
    else hide(j);
  }
  if (!retry.length) return;
  // Shorter words for what found no place: measured together, placed in the same order.
  for (const j of retry) { j.full ??= j.el.textContent ?? ''; j.el.textContent = j.short!; }
  for (const j of retry) j.box = box(j.el);
  for (const j of retry) {
    const b = j.box!;
    const o = placer.place(b, withinBounds(b, j.cands(b), placer.bounds), { owner: j.owner, lines: 'prefer' });
    if (o) apply(j, o); else hide(j);
  }
}

const hide = (j: Job): void => j.el.setAttribute('display', 'none');

/** A dotted line from a label that had to move away from its arrow back to the arrow. */
function leader(el: SVGGraphicsElement, r: Rect, [x1, y1, x2, y2]: [number, number, number, number]): void {
  const cx = r.x + r.w / 2, cy = r.y + r.h / 2;
  const dx = x2 - x1, dy = y2 - y1;
  const len2 = dx * dx + dy * dy || 1;
  const t = Math.min(1, Math.max(0, ((cx - x1) * dx + (cy - y1) * dy) / len2));
  const px = x1 + t * dx, py = y1 + t * dy;
  const qx = Math.min(Math.max(px, r.x), r.x + r.w), qy = Math.min(Math.max(py, r.y), r.y + r.h);
  if (Math.hypot(px - qx, py - qy) < 10) return;
  el.parentNode?.insertBefore(svg('line', { x1: qx, y1: qy, x2: px, y2: py, class: 'leader' }), el);
}

/** Each candidate, and after it the same one slid back inside the drawing if it stuck out. */
function withinBounds(b: Rect, cands: Offset[], bounds: Rect): Offset[] {
  const out: Offset[] = [];
  for (const o of cands) {
    out.push(o);
    const r = moved(b, o);
    let dx = 0;
    if (r.x < bounds.x) dx = bounds.x - r.x + 1;
    else if (r.x + r.w > bounds.x + bounds.w) dx = bounds.x + bounds.w - (r.x + r.w) - 1;
    if (dx !== 0) out.push([o[0] + dx, o[1]]);
  }
  return out;
}


export function arrow(grp: SVGGElement, d: { x0: number; y0: number }, x1: number, y1: number, kind: string, animate: boolean, head = true): void {
  const line = svg('line', { x1: d.x0, y1: d.y0, x2: x1, y2: y1, class: `seg-line ${kind}${animate && kind === '' ? ' draw' : ''}` });
  grp.append(line);
  if (!head) return;
  const ang = Math.atan2(y1 - d.y0, x1 - d.x0);
  const L = 12, W = 6;
  const bx = x1 - L * Math.cos(ang), by = y1 - L * Math.sin(ang);
  const p = `${x1},${y1} ${bx - W * Math.sin(ang)},${by + W * Math.cos(ang)} ${bx + W * Math.sin(ang)},${by - W * Math.cos(ang)}`;
  grp.append(svg('polygon', { points: p, class: `seg-head ${kind}${animate ? ' draw-head' : ''}` }));
}

export function zigzag(x0: number, x1: number, y: number): string {
  let d = `M ${x0} ${y}`;
  let up = true;
  for (let x = x0 + 8; x <= x1; x += 8) { d += ` L ${x} ${y + (up ? -3 : 3)}`; up = !up; }
  return d;
}
