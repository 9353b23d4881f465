// The ladder (time-sequence) diagram: one lifeline per host, time runs down (compressed, see
// layout.ts), each segment an arrow from its send to its delivery. Only events up to "now" are
// drawn, so the learner never sees what has not happened yet.
//
// A step change updates the drawing in place. Every piece (a segment's arrow, a state mark, a
// timer's bracket, a time label…) has a key and a signature of everything its drawing depends
// on; a piece whose signature is unchanged is kept as it is, the others are drawn anew, and
// pieces no longer shown are removed. The labels are then placed again (ladder-labels.ts): a
// kept label goes back to where it was drawn and keeps its measured box. A new lesson, another
// width, number mode or language starts a fresh drawing.
import { discardReason, dropReason, fmtDuration, fmtTime, segLabel } from '../format';
import type { Model } from '../model';
import type { Offset, Rect, TimeLayout } from '../layout';
import type { StateEvent, TimerEvent } from '../types';
import { clear, svg } from './dom';
import { hostClass, labelFor, outward, shortLabelFor, stateLabel, type LadderGeometry, type LadderView } from './ladder-head';
import {
  arrow, CURRENT_SEG, CURRENT_STATE, OLD_SEG, OLD_STATE, placeLabels, resetJob, stayPut, tagCands, TIME, TIMER, zigzag,
  type Job, type Line,
} from './ladder-labels';

export { hostClass, hostMark, ladderGeometry, measureTexts, renderLadderHeader, TIME_COL } from './ladder-head';
export type { LadderGeometry, LadderView } from './ladder-head';

/** Keeps the time column at the visible left edge of the box (called when the box scrolls). */
export function syncTimeColumn(boxEl: HTMLElement): void {
  boxEl.querySelector('.ladder .times')?.setAttribute('transform', boxEl.scrollLeft > 0 ? `translate(${boxEl.scrollLeft} 0)` : '');
}

/** What a drawing of the ladder tells its caller: the y of the selected segment (for scrolling)
 *  and the segment that had the keyboard focus, when it was drawn anew. */
export interface LadderDrawn { ySel: number; refocus?: SVGGElement }

/** One kept piece of the drawing, with what it adds to the placement pass. */
interface Piece { el: SVGGraphicsElement; sig: string; jobs: Job[]; lines: Line[]; marks: Rect[]; fixed: SVGGraphicsElement[] }

type LayerName = 'breaks' | 'lanes' | 'bands' | 'times' | 'timers' | 'states' | 'arrows' | 'now';
interface Drawing { context: string; layers: Record<LayerName, SVGGElement>; pieces: Map<string, Piece> }

const drawings = new WeakMap<SVGSVGElement, Drawing>();
const modelIds = new WeakMap<Model, number>();
let nextModelId = 1;

/** The drawing of `target` for this context, kept from the last render or started afresh. */
function drawingFor(target: SVGSVGElement, context: string): Drawing {
  const old = drawings.get(target);
  if (old && old.context === context) return old;
  clear(target);
  target.setAttribute('role', 'group');
  const layers: Record<LayerName, SVGGElement> = {
    breaks: svg('g', { class: 'breaks', 'aria-hidden': 'true' }),
    lanes: svg('g', { class: 'lanes', 'aria-hidden': 'true' }),
    bands: svg('g', { class: 'bands', 'aria-hidden': 'true' }),
    times: svg('g', { class: 'times', 'aria-hidden': 'true' }),
    timers: svg('g', { class: 'timers', 'aria-hidden': 'true' }),
    states: svg('g', { class: 'states', 'aria-hidden': 'true' }),
    arrows: svg('g', { class: 'arrows', role: 'listbox', 'aria-labelledby': 'ladder-h' }),
    now: svg('g', { class: 'now', 'aria-hidden': 'true' }),
  };
  // The time column comes last: it stays at the left edge while the lanes scroll sideways.
  target.append(layers.breaks, layers.lanes, layers.bands, layers.timers, layers.states, layers.arrows, layers.now, layers.times);
  const d: Drawing = { context, layers, pieces: new Map() };
  drawings.set(target, d);
  return d;
}

export function renderLadder(target: SVGSVGElement, m: Model, lay: TimeLayout, g: LadderGeometry, v: LadderView): LadderDrawn {
  const boxEl = target.parentElement;
  const active = document.activeElement;
  const focusedEl = active && target.contains(active) ? active.closest('.seg') : null;
  const focusedSeg = focusedEl ? Number(focusedEl.getAttribute('data-seg')) : undefined;
  const n = m.hosts.length;
  const laneOf = new Map(m.hosts.map((h, i) => [h, i] as const));
  const ys = lay.y;
  const now = Math.min(v.now, m.events.length - 1);
  const yNow = now >= 0 ? ys[now]! : lay.y[0] ?? 0;
  const tNow = now >= 0 ? m.events[now]!.t_us : 0;
  const height = Math.max(yNow + 140, 240);
  // Long traces (floods, pile-ups) draw only a window above "now"; the rest is off screen anyway.
  const yMin = m.events.length > 3000 ? Math.max(0, yNow - 5000) : 0;
  target.setAttribute('viewBox', `0 ${yMin} ${g.width} ${height - yMin}`);
  target.style.width = `${g.width}px`;
  target.style.height = `${height - yMin}px`;
  target.style.minWidth = '';
  target.dataset.ymin = String(yMin);

  if (!modelIds.has(m)) modelIds.set(m, nextModelId++);
  // Everything every piece depends on that is not in its own signature.
  const context = [modelIds.get(m), g.width, g.laneX.join(','), g.timeCol, g.laneGap, v.mode, v.t('ladder.now'), document.documentElement.lang, document.body.className].join('|');
  const drawing = drawingFor(target, context);
  const { layers, pieces } = drawing;
  const used = new Set<string>();
  const jobs: Job[] = [];
  const fixed: SVGGraphicsElement[] = [];
  const marks: Rect[] = [];
  const lines: Line[] = [];

  /** The piece `key` as `sig` says it looks: kept if it already does, else drawn by `draw`
   *  (which returns its element and records its labels, lines and marks in `p`). */
  const piece = (layer: LayerName, key: string, sig: string, draw: (p: Piece) => SVGGraphicsElement): SVGGraphicsElement => {
    used.add(key);
    let p = pieces.get(key);
    if (p && p.sig === sig) {
      for (const j of p.jobs) resetJob(j);
    } else {
      p?.el.remove();
      p = { el: undefined as unknown as SVGGraphicsElement, sig, jobs: [], lines: [], marks: [], fixed: [] };
      p.el = draw(p);
      layers[layer].append(p.el);
      pieces.set(key, p);
    }
    jobs.push(...p.jobs);
    lines.push(...p.lines);
    marks.push(...p.marks);
    fixed.push(...p.fixed);
    return p.el;
  };

  // Redrawn every time (a handful of elements whose size follows "now").
  clear(layers.lanes); clear(layers.bands); clear(layers.now);
  layers.times.querySelector('.time-col')?.remove();
  layers.times.prepend(svg('rect', { x: 0, y: yMin, width: g.timeCol - 2, height: height - yMin, class: 'time-col' }));
  if (boxEl) syncTimeColumn(boxEl);

  m.hosts.forEach((_, i) => {
    const x = g.laneX[i]!;
    layers.lanes.append(svg('line', { x1: x, y1: yMin, x2: x, y2: height, class: `lifeline ${hostClass(i)}` }));
  });
  // A band along each lifeline: the state of the host's most recently changed connection
  // (a listener only while the host has nothing else), so every moment shows a state.
  if (m.stateIndexes.length <= 4000) {
    const cur = new Map<string, { conn: string; state: string }[]>();
    const open = new Map<string, { y: number; state: string }>();
    const close = (host: string, y: number): void => {
      const o = open.get(host);
      if (o && o.state !== 'CLOSED' && y > o.y && y >= yMin) {
        const li = laneOf.get(host) ?? 0;
        layers.bands.append(svg('rect', { x: g.laneX[li]! - 4, y: Math.max(o.y, yMin), width: 8, height: y - Math.max(o.y, yMin), class: `band band-${o.state}` }));
      }
      open.delete(host);
    };
    for (const i of m.stateIndexes) {
      if (i > now) break;
      const e = m.events[i] as StateEvent;
      const list = (cur.get(e.host) ?? []).filter((c) => c.conn !== e.conn);
      if (e.to !== 'CLOSED') list.push({ conn: e.conn, state: e.to });
      cur.set(e.host, list);
      const shown = [...list].reverse().find((c) => !c.conn.endsWith('>*')) ?? list.at(-1);
      const state = shown?.state ?? 'CLOSED';
      if (open.get(e.host)?.state === state) continue;
      close(e.host, ys[i]!);
      open.set(e.host, { y: ys[i]!, state });
    }
    for (const h of [...open.keys()]) close(h, yNow + 14);
  }

  for (const b of lay.breaks) {
    if (b.y1 > yNow) break; // a gap is only known once the moment after it has come
    if (b.y1 < yMin) continue;
    piece('breaks', `break:${b.y0}`, '', (p) => {
      const grp = svg('g');
      grp.append(svg('rect', { x: 0, y: b.y0 + 6, width: g.width, height: b.y1 - b.y0 - 12, class: 'break-band' }));
      grp.append(svg('path', { d: zigzag(g.timeCol, g.width - 4, b.y0 + 8), class: 'break-edge' }));
      grp.append(svg('path', { d: zigzag(g.timeCol, g.width - 4, b.y1 - 8), class: 'break-edge' }));
      const label = svg('text', { x: g.timeCol + (g.width - g.timeCol) / 2, y: (b.y0 + b.y1) / 2 + 5, 'text-anchor': 'middle', class: 'break-label' }, v.t('ladder.gap', { d: fmtDuration(b.gapUs) }));
      grp.append(label);
      p.fixed.push(label);
      return grp;
    });
  }

  // Time labels at each moment with something drawn (a label that would touch the one above is left out).
  for (const grp of lay.groups) {
    if (grp.y > yNow) break;
    if (grp.y < yMin) continue;
    piece('times', `time:${grp.y}`, '', (p) => {
      const el = svg('text', { x: g.timeCol - 8, y: grp.y + 4, 'text-anchor': 'end', class: 'time-label' }, fmtTime(grp.t));
      p.jobs.push({ el, prio: TIME, order: grp.y, cands: () => stayPut });
      return el;
    });
  }

  /** Beside a lifeline: its own side first, a row lower or higher, then over the lifeline just
   *  above or below the mark (narrow screens), then the other side. */
  const beside = (side: -1 | 1) => (b: Rect): Offset[] => {
    const r = b.h + 2, flip = -side * (b.w + 24), mid = -side * (12 + b.w / 2);
    return [[0, 0], [0, r], [0, -r], [0, 2 * r], [mid, -r + 2], [mid, r - 2], [flip, 0], [flip, r], [flip, -r], [0, 3 * r], [flip, 2 * r], [0, -2 * r], [mid, 2 * r]];
  };

  // State changes: a dot on the lifeline and the new state's name beside it.
  const fewStates = m.stateIndexes.length <= 400;
  for (const i of m.stateIndexes) {
    if (i > now) break;
    const e = m.events[i] as StateEvent;
    if ((!fewStates && i < v.stepFirst) || ys[i]! < yMin) continue;
    const current = i >= v.stepFirst;
    piece('states', `state:${i}`, String(current), (p) => {
      const li = laneOf.get(e.host) ?? 0;
      const x = g.laneX[li]!, y = ys[i]!;
      const side = outward(li, n);
      const grp = svg('g', { class: `state-mark ${hostClass(li)}${current ? ' current' : ''}` });
      grp.append(svg('circle', { cx: x, cy: y, r: 5 }));
      p.marks.push({ x: x - 6, y: y - 6, w: 12, h: 12 });
      const label = stateLabel(e, v);
      grp.append(svg('title', {}, `${e.host}: ${v.stateName(e.from)} → ${label}`));
      const el = svg('text', { x: x + side * 12, y: y + 5, 'text-anchor': side < 0 ? 'end' : 'start', class: 'state-label' }, label);
      grp.append(el);
      p.jobs.push({ el, prio: current ? CURRENT_STATE : OLD_STATE, order: current ? i : -i, cands: beside(side), short: label !== v.stateName(e.to) ? v.stateName(e.to) : undefined });
      return grp;
    });
  }

  drawTimers(m, lay, g, v, { now, yNow, yMin, tNow, laneOf, piece });
  const { ySel, segEls } = drawSegments(m, lay, g, v, { now, yNow, yMin, laneOf, piece });

  // Failed calls and signals on the lifeline, where the application sees them.
  for (let i = Math.max(0, v.stepFirst - 400); i <= now; i++) {
    const e = m.events[i]!;
    const failed = e.kind === 'return' && e.errno !== undefined;
    if ((!failed && e.kind !== 'signal') || ys[i]! < yMin) continue;
    const current = i >= v.stepFirst;
    piece('states', `api:${i}`, String(current), (p) => {
      const li = laneOf.get(e.host ?? '') ?? 0;
      const side = outward(li, n);
      const text = e.kind === 'return' ? `${e.call}() = ${String(e.result)} ${e.errno}` : e.kind === 'signal' ? `⚡ ${e.signal}` : '';
      const el = svg('text', { x: g.laneX[li]! + side * 12, y: ys[i]! + 5, 'text-anchor': side < 0 ? 'end' : 'start', class: `api-mark${current ? ' current' : ''}` }, text);
      p.jobs.push({ el, prio: current ? CURRENT_STATE : OLD_STATE, order: current ? i : -i, cands: beside(side) });
      return el;
    });
  }

  // Crash / reboot / unplug marks.
  for (let i = 0; i <= now; i++) {
    const e = m.events[i]!;
    if (e.kind !== 'action' || ys[i]! < yMin) continue;
    const current = i >= v.stepFirst;
    piece('states', `action:${i}`, String(current), (p) => {
      const li = laneOf.get(e.host) ?? 0;
      const x = g.laneX[li]!, y = ys[i]!;
      const side = -outward(li, n); // inside, away from the state labels
      const grp = svg('g', { class: `action action-${e.action}` });
      grp.append(svg('rect', { x: x + side * 70 - 58, y: y - 11, width: 116, height: 22, rx: 11 }));
      // The pill sits between two lifelines: it names its host, so a crash is never read as the
      // neighbour's.
      grp.append(svg('text', { x: x + side * 70, y: y + 5, 'text-anchor': 'middle' }, v.t('action.on', { host: e.host, action: v.t(`action.${e.action}`) })));
      p.jobs.push({
        el: grp, prio: current ? CURRENT_STATE : OLD_STATE, order: -i,
        cands: (b) => {
          const r = b.h + 4, flip = -side * 2 * Math.abs(x - (b.x + b.w / 2));
          return [[0, 0], [0, r], [0, -r], [flip, 0], [flip, r], [flip, -r], [0, 2 * r]];
        },
      });
      return grp;
    });
  }

  for (const [key, p] of pieces) if (!used.has(key)) { p.el.remove(); pieces.delete(key); }

  layers.now.append(svg('line', { x1: g.timeCol, y1: yNow + 14, x2: g.width, y2: yNow + 14, class: 'now-line' }));
  marks.push({ x: g.timeCol, y: yNow + 13, w: g.width - g.timeCol, h: 2 });
  const nowLabel = svg('text', { x: g.width - 6, y: yNow + 30, 'text-anchor': 'end', class: 'now-label' }, `${v.t('ladder.now')} ${fmtTime(tNow)}`);
  layers.now.append(nowLabel);
  fixed.push(nowLabel);

  placeLabels({ x: 0, y: yMin, w: g.width, h: height - yMin }, g.timeCol, jobs, fixed, marks, lines);
  return { ySel, refocus: roving(segEls, v.selected, focusedSeg) };
}

interface Frame {
  now: number; yNow: number; yMin: number; tNow?: number;
  laneOf: Map<string, number>;
  piece: (layer: LayerName, key: string, sig: string, draw: (p: Piece) => SVGGraphicsElement) => SVGGraphicsElement;
}

/** Timers: a bracket beside the lifeline from set to fire/cancel (or to the expiry, dashed, while pending). */
function drawTimers(m: Model, lay: TimeLayout, g: LadderGeometry, v: LadderView, f: Frame): void {
  const { now, yNow, yMin, laneOf } = f;
  const tNow = f.tNow ?? 0;
  const ys = lay.y, n = m.hosts.length;
  type Bracket = { ev: TimerEvent; set: number; end?: number; endAction?: string };
  const open = new Map<string, Bracket>();
  const brackets: Bracket[] = [];
  for (let i = 0; i <= now; i++) {
    const e = m.events[i]!;
    if (e.kind !== 'timer') continue;
    const k = `${e.host}|${e.conn ?? ''}|${e.timer}`;
    const prev = open.get(k);
    if (e.action === 'set') {
      if (prev) { prev.end = i; prev.endAction = 'reset'; }
      const b: Bracket = { ev: e, set: i };
      open.set(k, b);
      brackets.push(b);
    } else if (prev) {
      prev.end = i; prev.endAction = e.action; open.delete(k);
    }
  }
  let columnsInUse: { li: number; col: number; until: number }[] = [];
  for (const b of brackets) {
    // Short-lived timers that ended long before this step would only clutter the view.
    if (b.end !== undefined && b.end < v.stepFirst && b.ev.timer === 'delayed_ack') continue;
    const li = laneOf.get(b.ev.host) ?? 0;
    const side = outward(li, n);
    const y0 = ys[b.set]!;
    const pending = b.end === undefined;
    const yEndRaw = pending ? (b.ev.expires_us !== undefined ? lay.yAt(b.ev.expires_us) : yNow + 60) : ys[b.end!]!;
    const y1 = Math.max(yEndRaw, y0 + 10);
    if (brackets.length > 400 && (b.end ?? Infinity) < v.stepFirst) continue;
    if (y1 < yMin) continue;
    columnsInUse = columnsInUse.filter((c) => c.until > y0);
    let col = 0;
    while (columnsInUse.some((c) => c.li === li && c.col === col && c.until > y0)) col++;
    if (col >= 8) continue; // more concurrent timers than fit beside a lifeline: the socket table has them
    columnsInUse.push({ li, col, until: y1 });
    const x = g.laneX[li]! + side * (26 + col * 12);
    // Only running timers and those that changed in this step are labelled; the rest keep their bracket.
    const inStep = b.set >= v.stepFirst || (b.end !== undefined && b.end >= v.stepFirst);
    let label = v.timerName(b.ev.timer);
    // A timer whose expiry is this very moment (it fires later in the same microsecond) is due,
    // not "0 µs left".
    if (pending && b.ev.expires_us !== undefined && b.ev.expires_us <= tNow) label += ` · ${v.t('ladder.timer.due')}`;
    else if (pending && b.ev.expires_us !== undefined) label += ` · ${v.t('ladder.timer.left', { d: fmtDuration(b.ev.expires_us - tNow) })}`;
    else if (pending) label += ` · ${v.t('ladder.timer.pending')}`;
    else label += ` · ${v.t(`ladder.timer.${b.endAction ?? 'cancel'}`)}`;
    f.piece('timers', `timer:${b.set}`, `${y1}|${col}|${pending}|${inStep}|${label}`, (p) => {
      const grp = svg('g', { class: `timer ${hostClass(li)}${pending ? ' pending' : ''} timer-${b.ev.timer}`, 'data-timer': b.ev.timer });
      grp.append(svg('path', { d: `M ${x - side * 5} ${y0} H ${x} V ${y1} H ${x - side * 5}`, class: 'bracket' }));
      grp.append(svg('title', {}, `${b.ev.host}: ${label}`));
      if (pending || inStep) {
        const el = svg('text', { x: x + side * 6, y: y0 + 20, 'text-anchor': side < 0 ? 'end' : 'start', class: 'timer-label' }, label);
        grp.append(el);
        const span = Math.max(0, y1 - y0 - 24);
        p.jobs.push({
          el, prio: TIMER, order: -b.set, short: v.timerName(b.ev.timer),
          cands: (bx) => {
            const r = bx.h + 2, flip = -side * (bx.w + 12 + 2 * (26 + col * 12));
            const down: Offset[] = [[0, 0], [0, -r - 12]];
            for (let d = r; d <= Math.min(span, 4 * r); d += r) down.push([0, d]);
            return [...down, [flip, 0], [flip, r], [flip, -r - 12]];
          },
        });
      }
      return grp;
    });
  }
}

/** Segments: an arrow from the send to each delivery, half an arrow and a cross for a loss, a
 *  shorter arrow while in flight; the label rides on the arrow. */
function drawSegments(m: Model, lay: TimeLayout, g: LadderGeometry, v: LadderView, f: Frame): { ySel: number; segEls: SVGGElement[] } {
  const { now, yNow, yMin, laneOf } = f;
  const ys = lay.y, n = m.hosts.length;
  let ySel = yNow;
  const segEls: SVGGElement[] = [];
  const drawFrom = Math.max(0, m.segOrder.length > 3000 ? m.segOrder.findIndex((s) => s.sendIndex >= v.stepFirst) - 1500 : 0);
  for (let k = drawFrom; k < m.segOrder.length; k++) {
    const s = m.segOrder[k]!;
    if (s.sendIndex > now) break;
    const fromLane = laneOf.get(s.from) ?? 0;
    const toLane = s.to !== undefined ? laneOf.get(s.to) : undefined;
    const x0 = g.laneX[fromLane]!;
    const y0 = ys[s.sendIndex]!;
    const yEnd = s.deliveries.length ? ys[s.deliveries.at(-1)!.index]! : y0 + 40;
    if (yEnd < yMin) continue;
    const fresh = s.sendIndex >= v.stepFirst || s.deliveries.some((d) => d.index >= v.stepFirst && d.index <= now) || (s.drop !== undefined && s.drop.index >= v.stepFirst && s.drop.index <= now);
    const selected = s.id === v.selected;
    const delivered = s.deliveries.filter((x) => x.index <= now);
    const lost = !delivered.length && s.drop !== undefined && s.drop.index <= now;
    const discards = delivered.filter((dl) => dl.discard && dl.discard.index <= now).length;
    const toX = toLane !== undefined ? g.laneX[toLane]! : x0 + (fromLane === n - 1 ? -1 : 1) * g.laneGap;
    // In flight: the arrow has left but not arrived yet, and grows with "now".
    const dl0 = s.deliveries[0];
    const yArr = dl0 ? ys[dl0.index]! : y0 + 40;
    const inflight = !delivered.length && !lost ? (yArr > y0 ? Math.min(0.9, Math.max(0.25, (yNow + 14 - y0) / (yArr - y0))) : 0.5) : -1;
    const animate = v.animate && fresh;
    const sig = `${fresh}|${selected}|${delivered.length}|${discards}|${lost}|${inflight.toFixed(3)}|${animate}|${k >= 0 ? (fresh ? k : -k) : 0}`;
    if (selected) ySel = y0;
    const grp = f.piece('arrows', `seg:${s.id}`, sig, (p) => {
      const label = labelFor(s, v);
      let fate = delivered.length ? fmtTime(m.events[delivered[0]!.index]!.t_us) : '';
      if (lost) fate = v.t('ladder.lost', { reason: dropReason(v.t, s.drop!.reason) });
      const name = `#${s.id} ${label} · ${s.from} → ${s.to ?? s.send.seg.dst} · ${fmtTime(s.send.t_us)}${fate ? ` → ${fate}` : ''}`;
      const grp = svg('g', {
        class: `seg ${hostClass(fromLane)}${fresh ? ' current' : ''}${selected ? ' selected' : ''}${s.send.injected ? ' injected' : ''}`,
        'data-seg': s.id, role: 'option', tabindex: -1, 'aria-selected': String(selected), 'aria-label': name,
      });
      grp.append(svg('title', {}, `#${s.id} ${segLabel(s.send, 'abs')}${s.repeats !== undefined && s.repeats > 0 ? ` (${v.t('ladder.retrans')} #${s.repeats})` : ''}`));
      const d = { x0, y0 };
      const prio = fresh || selected ? CURRENT_SEG : OLD_SEG;
      const order = fresh ? k : -k;
      let end: [number, number];
      if (delivered.length > 0) {
        delivered.forEach((dl, j) => {
          const x1 = g.laneX[laneOf.get(dl.host) ?? 0]!;
          const y1 = ys[dl.index]!;
          arrow(grp, d, x1, y1, j > 0 ? 'dup' : '', animate);
          p.lines.push({ x1: x0, y1: y0, x2: x1, y2: y1, owner: s.id });
          const inward: -1 | 1 = x1 > x0 ? -1 : 1;
          if (j > 0) {
            const el = svg('text', { x: x1 + inward * 14, y: y1 - 6, 'text-anchor': inward < 0 ? 'end' : 'start', class: 'seg-tag' }, v.t('ladder.dup'));
            grp.append(el);
            p.jobs.push({ el, prio, order, owner: s.id, cands: tagCands(inward) });
          }
          if (dl.discard && dl.discard.index <= now) {
            const el = svg('text', { x: x1 + inward * 10, y: y1 + 16, 'text-anchor': inward < 0 ? 'end' : 'start', class: 'seg-discard' }, `⊘ ${v.t('ladder.discarded', { reason: discardReason(v.t, dl.discard.reason) })}`);
            grp.append(el);
            p.jobs.push({ el, prio, order, owner: s.id, cands: tagCands(inward), short: '⊘' });
          }
        });
        end = [g.laneX[laneOf.get(delivered[0]!.host) ?? 0]!, ys[delivered[0]!.index]!];
      } else if (lost) {
        const frac = 0.45;
        const nominal = s.deliveries[0] ? ys[s.deliveries[0].index]! - y0 : 40;
        const x1 = x0 + (toX - x0) * frac;
        const y1 = y0 + Math.max(16, nominal * frac);
        arrow(grp, d, x1, y1, 'lost', animate, false);
        p.lines.push({ x1: x0, y1: y0, x2: x1, y2: y1, owner: s.id });
        grp.append(svg('path', { d: `M ${x1 - 8} ${y1 - 8} L ${x1 + 8} ${y1 + 8} M ${x1 + 8} ${y1 - 8} L ${x1 - 8} ${y1 + 8}`, class: 'lost-mark' }));
        p.marks.push({ x: x1 - 9, y: y1 - 9, w: 18, h: 18 });
        const dir: -1 | 1 = toX > x0 ? 1 : -1;
        const el = svg('text', { x: x1 + dir * 12, y: y1 + 16, 'text-anchor': dir > 0 ? 'start' : 'end', class: 'seg-lost' }, v.t('ladder.lost', { reason: dropReason(v.t, s.drop!.reason) }));
        grp.append(el);
        p.jobs.push({ el, prio, order, owner: s.id, cands: tagCands(-dir as -1 | 1), short: '✕' });
        end = [x1, y1];
      } else {
        end = [x0 + (toX - x0) * inflight, y0 + (yArr - y0) * inflight];
        arrow(grp, d, end[0], end[1], 'inflight', animate);
        p.lines.push({ x1: x0, y1: y0, x2: end[0], y2: end[1], owner: s.id });
      }
      // The label rides on the arrow: its middle first, then further along either way, above or below it.
      const nx = (x0 + toX) / 2;
      const ny = y0 + (delivered[0] ? (ys[delivered[0].index]! - y0) / 2 : 14) - 6;
      const el = svg('text', { x: nx, y: ny, 'text-anchor': 'middle', class: 'seg-label' }, label);
      grp.append(el);
      const [ex, ey] = end;
      p.jobs.push({
        el, prio, order, owner: s.id, short: shortLabelFor(s, v), arrow: [x0, y0, ex, ey],
        cands: (b) => {
          const out: Offset[] = [];
          const span = Math.abs(ex - x0);
          const fracs = span > b.w * 1.6 ? [0.5, 0.4, 0.6, 0.3, 0.7, 0.22, 0.78] : [0.5, 0.35, 0.65];
          for (const fr of fracs) {
            const px = x0 + (ex - x0) * fr, py = y0 + (ey - y0) * fr - 6;
            out.push([px - nx, py - ny], [px - nx, py - ny + b.h + 8]);
          }
          // Crowded (several arrows leave together): a line further up or down, off the arrow.
          const r = b.h + 3;
          for (const kk of [1, 2]) {
            for (const fr of [0.5, 0.35, 0.65]) {
              const px = x0 + (ex - x0) * fr, py = y0 + (ey - y0) * fr - 6;
              out.push([px - nx, py - ny - kk * r], [px - nx, py - ny + b.h + 8 + kk * r]);
            }
          }
          // This step's arrows are what the reader looks at: search the neighbourhood before giving up.
          if (prio === CURRENT_SEG) {
            const mx = x0 + (ex - x0) / 2, my = y0 + (ey - y0) / 2 - 6;
            for (let kk = 1; kk <= 4; kk++) for (const dx of [0, -40, 40, -80, 80, -120, 120]) for (const dy of [-kk * r, kk * r + b.h]) out.push([mx - nx + dx, my - ny + dy]);
          }
          return out;
        },
      });
      // a wide invisible hit area makes the arrow easy to click on a phone
      grp.append(svg('line', { x1: x0, y1: y0, x2: ex, y2: ey, class: 'hit' }));
      return grp;
    }) as SVGGElement;
    segEls.push(grp);
  }
  return { ySel, segEls };
}

/** Keeps the segments in the arrows layer in the order they were sent (the keyboard walks that
 *  order), and one of them in the tab order (effects.ts moves it with ↑ ↓): the focused one, else
 *  the selected one, else the last. Returns it when it had the focus before this drawing. */
function roving(segs: SVGGElement[], selected: number | undefined, focused: number | undefined): SVGGElement | undefined {
  if (!segs.length) return undefined;
  const layer = segs[0]!.parentNode!;
  segs.forEach((s, i) => { if (layer.children[i] !== s) layer.insertBefore(s, layer.children[i] ?? null); });
  const idOf = (e: Element): number => Number(e.getAttribute('data-seg'));
  const byId = (id: number | undefined): SVGGElement | undefined => (id === undefined || Number.isNaN(id) ? undefined : segs.find((s) => idOf(s) === id));
  const r = byId(focused) ?? byId(selected) ?? segs.at(-1)!;
  for (const s of segs) if (s !== r && s.getAttribute('tabindex') !== '-1') s.setAttribute('tabindex', '-1');
  r.setAttribute('tabindex', '0');
  return focused !== undefined && !Number.isNaN(focused) && document.activeElement !== r ? r : undefined;
}
