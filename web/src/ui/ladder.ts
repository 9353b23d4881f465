// The ladder (time-sequence) diagram: one lifeline per host, time runs down (compressed, see
// layout.ts), each segment an arrow from its send to its delivery. Only events up to "now" are
// drawn, so the learner never sees what has not happened yet.
//
// The diagram is drawn at one SVG unit per CSS pixel, so the type sizes in style.css are the
// sizes on screen (projection mode and phones set their own). The lanes are fitted to the
// scroll box: spare width widens the gaps, too little makes the diagram scroll sideways. Labels
// then go through a placement pass (layout.ts LabelPlacer): the current step's first, older ones
// after; a label with no free place is shortened or left out, its full text staying in the
// arrow's tooltip, its accessible name and the inspector.
import { discardReason, dropReason, fmtDuration, fmtTime, segLabel, type NumberMode } from '../format';
import type { Model, SegInfo } from '../model';
import { estimateWidth, fitLanes, LabelPlacer, moved, type Offset, type Rect, type TimeLayout } from '../layout';
import type { StateEvent, TimerEvent } from '../types';
import { clear, svg } from './dom';

/** Lane positions. renderLadderHeader refits the same object to the scroll box on every render,
 *  so code that scrolls the box reads the lanes as they are drawn. */
export interface LadderGeometry { laneX: number[]; width: number; timeCol: number; laneGap: number; hosts: number; compact: boolean }

export interface LadderView {
  now: number;            // last event index shown
  stepFirst: number;      // first event index of the current step
  selected?: number;      // selected segment id
  mode: NumberMode;
  animate: boolean;
  t: (key: string, args?: Record<string, string | number>) => string;
  timerName: (name: string) => string;
  stateName: (s: string) => string;
}

export const TIME_COL = 78;

/** A first estimate, before the box has been measured. */
export function ladderGeometry(hosts: number, compact = false): LadderGeometry {
  const fit = fitLanes(hosts, 0, compact ? { timeCol: 52, outer: 64, gapMin: 160 } : { timeCol: TIME_COL, outer: 150, gapMin: 290 });
  return { ...fit, hosts, compact };
}

/** Which side of its lifeline a host's labels go on first: outwards. */
const outward = (i: number, n: number): -1 | 1 => (i === n - 1 && n > 1 ? 1 : -1);

export function hostClass(i: number): string {
  return `host-${i % 4}`;
}

/** A shape per host, so that colour is never the only way to tell the sides apart. */
export function hostMark(i: number): string {
  return ['●', '◆', '▲', '■'][i % 4]!;
}

// ---- measuring -------------------------------------------------------------------------------

/** Boxes of strings in the given text classes, relative to their anchor point, measured in
 *  `host` (whose custom properties set the sizes). Measured once per string while the page's
 *  size, mode and language stay the same; the misses of a call share one layout. */
const measured = new Map<string, Rect>();
let measuredFor = '';
export function measureTexts(host: SVGSVGElement, items: { cls: string; text: string; anchor?: 'start' | 'middle' | 'end' }[]): Rect[] {
  const ctx = `${window.innerWidth}x${window.innerHeight}|${document.body.className}|${document.documentElement.lang}`;
  if (ctx !== measuredFor || measured.size > 5000) { measured.clear(); measuredFor = ctx; }
  const key = (it: { cls: string; text: string; anchor?: string }): string => `${host.id}|${it.cls}|${it.anchor ?? 'start'}|${it.text}`;
  const missing = items.filter((it) => !measured.has(key(it)));
  if (missing.length) {
    const g = svg('g', { visibility: 'hidden', 'aria-hidden': 'true' });
    const els = missing.map((it) => svg('text', { x: 0, y: 0, class: it.cls, 'text-anchor': it.anchor ?? 'start' }, it.text));
    g.append(...els);
    host.append(g);
    missing.forEach((it, i) => measured.set(key(it), box(els[i]!)));
    g.remove();
  }
  return items.map((it) => measured.get(key(it))!);
}

function box(e: SVGGraphicsElement): Rect {
  try {
    const b = e.getBBox();
    return { x: b.x, y: b.y, w: b.width, h: b.height };
  } catch {
    return { x: 0, y: 0, w: 0, h: 0 };
  }
}

function stateLabel(e: StateEvent, v: LadderView): string {
  const lport = (e.conn.split('>')[0] ?? '').replace(/^.*:/, ':');
  return e.conn.endsWith('>*') ? `${v.stateName(e.to)} ${lport}` : v.stateName(e.to);
}

function labelFor(s: SegInfo, v: LadderView): string {
  let label = segLabel(s.send, v.mode);
  if (s.repeats !== undefined) label = `${v.t('ladder.retrans')} ${label}`;
  if (s.send.injected) label = `${v.t('ladder.injected')} ${label}`;
  return label;
}

function shortLabelFor(s: SegInfo, v: LadderView): string {
  let label = s.send.seg.flags.join(',') || segLabel(s.send, v.mode);
  if (s.repeats !== undefined) label = `${v.t('ladder.retrans')} ${label}`;
  if (s.send.injected) label = `${v.t('ladder.injected')} ${label}`;
  return label;
}

/** The longest labels of a lesson, by number mode: what the lanes are sized for. */
const longestOf = new WeakMap<Model, Map<string, { seg: string; state: string; time: string }>>();
function longestLabels(m: Model, v: LadderView): { seg: string; state: string; time: string } {
  const key = `${v.mode}|${v.t('ladder.retrans')}|${v.stateName('ESTABLISHED')}`;
  let byKey = longestOf.get(m);
  if (!byKey) { byKey = new Map(); longestOf.set(m, byKey); }
  const hit = byKey.get(key);
  if (hit) return hit;
  // By estimate; a few hundred segments are enough to know the lesson's kind.
  let seg = 'SYN,ACK seq=0 ack=1', best = 0;
  for (const s of m.segOrder.slice(0, 400)) {
    const l = labelFor(s, v);
    const w = estimateWidth(l, 1);
    if (w > best) { best = w; seg = l; }
  }
  let state = v.stateName('ESTABLISHED');
  for (const i of m.stateIndexes.slice(0, 2000)) {
    const l = stateLabel(m.events[i] as StateEvent, v);
    if (l.length > state.length) state = l;
  }
  const last = m.events.at(-1);
  const out = { seg, state, time: last ? fmtTime(last.t_us).replace(/\d/g, '8') : '0 ms' };
  byKey.set(key, out);
  return out;
}

/** Fits `g` to the width of the box around `target`, from the widths of this lesson's labels. */
function fitLadder(g: LadderGeometry, target: SVGSVGElement, m: Model, v: LadderView, names: string[]): void {
  const boxEl = target.parentElement;
  const available = boxEl ? boxEl.clientWidth : 0;
  const { seg: longest, state: longState, time: longTime } = longestLabels(m, v);
  const widths = measureTexts(target, [
    { cls: 'seg-label', text: longest },
    { cls: 'state-label', text: longState },
    { cls: 'time-label', text: longTime },
    { cls: 'lane-state', text: v.stateName('SYN_RECEIVED') },
    ...names.map((text) => ({ cls: 'lane-name', text })),
  ]);
  const [seg, state, time, stateHead] = widths.map((r) => r.w) as [number, number, number, number];
  const nameW = widths.slice(4).map((r) => r.w);
  const headBox = Math.max(stateHead, ...nameW) + 20;
  const outer = g.compact ? Math.max(headBox / 2 + 4, state * 0.6) : Math.max(state + 24, headBox / 2 + 6);
  // A label may overhang its lifelines a little (the placement pass keeps it off other text);
  // rather than scroll sideways for a few pixels, the gaps shrink to what the box has, down to
  // the width of a lane's head.
  const timeCol = Math.ceil(time + 14);
  const wanted = Math.min(Math.max(seg * 0.8 + 16, headBox + 10), g.compact ? 240 : 420);
  const floor = Math.max(headBox + 8, Math.min(wanted, seg * 0.55 + 16));
  const fitGap = g.hosts > 1 ? (available - timeCol - 2 * Math.ceil(outer)) / (g.hosts - 1) : wanted;
  const need = { timeCol, outer: Math.ceil(outer), gapMin: Math.floor(Math.max(floor, Math.min(wanted, fitGap))) };
  Object.assign(g, fitLanes(g.hosts, available, need));
}

// ---- lane heads ------------------------------------------------------------------------------

export function renderLadderHeader(target: SVGSVGElement, m: Model, g: LadderGeometry, states: Map<string, string | undefined>, v: LadderView): void {
  clear(target);
  const full = m.hosts.map((h) => `${h}  ${m.trace.hosts[h]?.ip ?? ''}`.trim());
  fitLadder(g, target, m, v, m.hosts);
  const n = m.hosts.length;
  const stateText = m.hosts.map((h) => { const st = states.get(h); return st ? v.stateName(st) : '—'; });
  const mm = measureTexts(target, [
    ...full.map((text) => ({ cls: 'lane-name', text, anchor: 'middle' as const })),
    ...m.hosts.map((text) => ({ cls: 'lane-name', text, anchor: 'middle' as const })),
    ...stateText.map((text) => ({ cls: 'lane-state', text, anchor: 'middle' as const })),
  ]);
  const fullM = mm.slice(0, n), shortM = mm.slice(n, 2 * n), stateM = mm.slice(2 * n);
  const nameH = Math.max(14, ...fullM.map((b) => b.h)), stateH = Math.max(14, ...stateM.map((b) => b.h));
  const pad = 6;
  const height = Math.ceil(pad + nameH + 2 + stateH + pad + 4);
  // Box width: the room between two lifelines, and never past the drawing's edges.
  const roomAt = (x: number): number => Math.min(n > 1 ? g.laneGap - 10 : Infinity, 2 * (x - 2), 2 * (g.width - x - 2));
  m.hosts.forEach((h, i) => {
    const x = g.laneX[i]!;
    const room = roomAt(x);
    const inner = Math.max(40, room - 16);
    const fw = fullM[i]!.w, sw = shortM[i]!.w, stw = stateM[i]!.w;
    // The address goes first when the box is narrow, then the end of the name (the tooltip has it all).
    const name = fw <= inner ? full[i]! : sw <= inner ? h : truncate(h, sw, inner);
    const w = Math.min(Math.max(Math.min(fw, inner), stw) + 20, Math.max(room, stw + 8));
    const grp = svg('g', { class: `lane-head ${hostClass(i)}` });
    grp.append(
      svg('title', {}, `${full[i]!} · ${stateText[i]!}`),
      svg('rect', { x: x - w / 2, y: 2, width: w, height: height - 6, rx: 8, class: 'lane-box' }),
      svg('text', { x, y: 2 + pad + nameH - (fullM[i]!.y + fullM[i]!.h), class: 'lane-name', 'text-anchor': 'middle' }, name),
      svg('text', { x, y: 2 + pad + nameH + 2 + stateH - (stateM[i]!.y + stateM[i]!.h), class: 'lane-state', 'text-anchor': 'middle', 'data-host': h }, stateText[i]!),
    );
    target.append(grp);
  });
  target.setAttribute('viewBox', `0 0 ${g.width} ${height}`);
  target.style.width = `${g.width}px`;
  target.style.height = `${height}px`;
}

function truncate(text: string, width: number, room: number): string {
  const chars = [...text];
  const keep = Math.max(1, Math.floor((chars.length * room) / Math.max(1, width)) - 1);
  return `${chars.slice(0, keep).join('')}…`;
}

// ---- the diagram -----------------------------------------------------------------------------

interface Drawn { y0: number; x0: number }

/** A label waiting for its place: lower `prio` first, then `order`. */
interface Job {
  el: SVGGraphicsElement; // a text, or a group moved as one (an action pill)
  prio: number;
  order: number;
  cands: (b: Rect) => Offset[];
  short?: string;
  box?: Rect;
  /** the segment whose arrow this label belongs to (it may sit on that arrow) */
  owner?: number;
  /** that arrow: a label pushed away from it gets a leader line back to it */
  arrow?: [number, number, number, number];
}

const stayPut: Offset[] = [[0, 0]];

const TIME = 0, CURRENT_STATE = 1, CURRENT_SEG = 2, TIMER = 3, OLD_STATE = 4, OLD_SEG = 5;

/** Keeps the time column at the visible left edge of the box (called when the box scrolls). */
export function syncTimeColumn(boxEl: HTMLElement): void {
  boxEl.querySelector('.ladder .times')?.setAttribute('transform', boxEl.scrollLeft > 0 ? `translate(${boxEl.scrollLeft} 0)` : '');
}

/** What a drawing of the ladder tells its caller: the y of the selected segment (for scrolling)
 *  and the segment that had the keyboard focus, when it was drawn anew. */
export interface LadderDrawn { ySel: number; refocus?: SVGGElement }

export function renderLadder(target: SVGSVGElement, m: Model, lay: TimeLayout, g: LadderGeometry, v: LadderView): LadderDrawn {
  const boxEl = target.parentElement;
  const active = document.activeElement;
  const focusedEl = active && target.contains(active) ? active.closest('.seg') : null;
  const focusedSeg = focusedEl ? Number(focusedEl.getAttribute('data-seg')) : undefined;
  clear(target);
  target.setAttribute('role', 'group');
  const n = m.hosts.length;
  const laneOf = new Map(m.hosts.map((h, i) => [h, i] as const));
  const ys = lay.y;
  const now = Math.min(v.now, m.events.length - 1);
  const yNow = now >= 0 ? ys[now]! : lay.y[0] ?? 0;
  const height = Math.max(yNow + 140, 240);
  // Long traces (floods, pile-ups) draw only a window above "now"; the rest is off screen anyway.
  const yMin = m.events.length > 3000 ? Math.max(0, yNow - 5000) : 0;
  target.setAttribute('viewBox', `0 ${yMin} ${g.width} ${height - yMin}`);
  target.style.width = `${g.width}px`;
  target.style.height = `${height - yMin}px`;
  target.style.minWidth = '';
  target.dataset.ymin = String(yMin);

  const layers = {
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
  layers.times.append(svg('rect', { x: 0, y: yMin, width: g.timeCol - 2, height: height - yMin, class: 'time-col' }));
  if (boxEl) syncTimeColumn(boxEl);

  const jobs: Job[] = [];
  const fixed: SVGGraphicsElement[] = [];
  const marks: Rect[] = [];
  const lines: { x1: number; y1: number; x2: number; y2: number; owner: number }[] = [];

  // Lifelines, dashed across compressed breaks.
  m.hosts.forEach((h, i) => {
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
    const mid = (b.y0 + b.y1) / 2;
    layers.breaks.append(svg('rect', { x: 0, y: b.y0 + 6, width: g.width, height: b.y1 - b.y0 - 12, class: 'break-band' }));
    layers.breaks.append(svg('path', { d: zigzag(g.timeCol, g.width - 4, b.y0 + 8), class: 'break-edge' }));
    layers.breaks.append(svg('path', { d: zigzag(g.timeCol, g.width - 4, b.y1 - 8), class: 'break-edge' }));
    const label = svg('text', { x: g.timeCol + (g.width - g.timeCol) / 2, y: mid + 5, 'text-anchor': 'middle', class: 'break-label' }, v.t('ladder.gap', { d: fmtDuration(b.gapUs) }));
    layers.breaks.append(label);
    fixed.push(label);
  }

  // Time labels at each moment with something drawn (a label that would touch the one above is left out).
  for (const grp of lay.groups) {
    if (grp.y > yNow) break;
    if (grp.y < yMin) continue;
    const el = svg('text', { x: g.timeCol - 8, y: grp.y + 4, 'text-anchor': 'end', class: 'time-label' }, fmtTime(grp.t));
    layers.times.append(el);
    jobs.push({ el, prio: TIME, order: grp.y, cands: () => stayPut });
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
    const li = laneOf.get(e.host) ?? 0;
    if ((!fewStates && i < v.stepFirst) || ys[i]! < yMin) continue;
    const x = g.laneX[li]!;
    const side = outward(li, n);
    const y = ys[i]!;
    const current = i >= v.stepFirst;
    const grp = svg('g', { class: `state-mark ${hostClass(li)}${current ? ' current' : ''}` });
    grp.append(svg('circle', { cx: x, cy: y, r: 5 }));
    marks.push({ x: x - 6, y: y - 6, w: 12, h: 12 });
    const label = stateLabel(e, v);
    grp.append(svg('title', {}, `${e.host}: ${v.stateName(e.from)} → ${label}`));
    const el = svg('text', { x: x + side * 12, y: y + 5, 'text-anchor': side < 0 ? 'end' : 'start', class: 'state-label' }, label);
    grp.append(el);
    layers.states.append(grp);
    jobs.push({ el, prio: current ? CURRENT_STATE : OLD_STATE, order: current ? i : -i, cands: beside(side), short: label !== v.stateName(e.to) ? v.stateName(e.to) : undefined });
  }

  // Timers: a bracket beside the lifeline from set to fire/cancel (or to the expiry, dashed, while pending).
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
  const tNow = now >= 0 ? m.events[now]!.t_us : 0;
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
    const cls = `timer ${hostClass(li)}${pending ? ' pending' : ''} timer-${b.ev.timer}`;
    const grp = svg('g', { class: cls, 'data-timer': b.ev.timer });
    grp.append(svg('path', { d: `M ${x - side * 5} ${y0} H ${x} V ${y1} H ${x - side * 5}`, class: 'bracket' }));
    // Only running timers and those that changed in this step are labelled; the rest keep their bracket.
    const inStep = b.set >= v.stepFirst || (b.end !== undefined && b.end >= v.stepFirst);
    let label = v.timerName(b.ev.timer);
    // A timer whose expiry is this very moment (it fires later in the same microsecond) is due,
    // not "0 µs left".
    if (pending && b.ev.expires_us !== undefined && b.ev.expires_us <= tNow) label += ` · ${v.t('ladder.timer.due')}`;
    else if (pending && b.ev.expires_us !== undefined) label += ` · ${v.t('ladder.timer.left', { d: fmtDuration(b.ev.expires_us - tNow) })}`;
    else if (pending) label += ` · ${v.t('ladder.timer.pending')}`;
    else label += ` · ${v.t(`ladder.timer.${b.endAction ?? 'cancel'}`)}`;
    grp.append(svg('title', {}, `${b.ev.host}: ${label}`));
    if (pending || inStep) {
      const el = svg('text', { x: x + side * 6, y: y0 + 20, 'text-anchor': side < 0 ? 'end' : 'start', class: 'timer-label' }, label);
      grp.append(el);
      const span = Math.max(0, y1 - y0 - 24);
      jobs.push({
        el, prio: TIMER, order: -b.set, short: v.timerName(b.ev.timer),
        cands: (bx) => {
          const r = bx.h + 2, flip = -side * (bx.w + 12 + 2 * (26 + col * 12));
          const down: Offset[] = [[0, 0], [0, -r - 12]];
          for (let d = r; d <= Math.min(span, 4 * r); d += r) down.push([0, d]);
          return [...down, [flip, 0], [flip, r], [flip, -r - 12]];
        },
      });
    }
    layers.timers.append(grp);
  }

  // Segments.
  let yFocus = yNow;
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
    const label = labelFor(s, v);
    const delivered = s.deliveries.filter((x) => x.index <= now);
    const lost = !delivered.length && s.drop !== undefined && s.drop.index <= now;
    let fate = delivered.length ? fmtTime(m.events[delivered[0]!.index]!.t_us) : '';
    if (lost) fate = v.t('ladder.lost', { reason: dropReason(v.t, s.drop!.reason) });
    const name = `#${s.id} ${label} · ${s.from} → ${s.to ?? s.send.seg.dst} · ${fmtTime(s.send.t_us)}${fate ? ` → ${fate}` : ''}`;
    const grp = svg('g', {
      class: `seg ${hostClass(fromLane)}${fresh ? ' current' : ''}${selected ? ' selected' : ''}${s.send.injected ? ' injected' : ''}`,
      'data-seg': s.id, role: 'option', tabindex: -1, 'aria-selected': String(selected), 'aria-label': name,
    });
    grp.append(svg('title', {}, `#${s.id} ${segLabel(s.send, 'abs')}${s.repeats !== undefined ? ` (${v.t('ladder.retrans')} #${s.repeats})` : ''}`));
    const d: Drawn = { x0, y0 };
    const toX = toLane !== undefined ? g.laneX[toLane]! : x0 + (fromLane === n - 1 ? -1 : 1) * g.laneGap;
    const prio = fresh || selected ? CURRENT_SEG : OLD_SEG;
    const order = fresh ? k : -k;
    let end: [number, number];
    if (delivered.length > 0) {
      delivered.forEach((dl, j) => {
        const x1 = g.laneX[laneOf.get(dl.host) ?? 0]!;
        const y1 = ys[dl.index]!;
        arrow(grp, d, x1, y1, j > 0 ? 'dup' : '', v.animate && fresh);
        lines.push({ x1: x0, y1: y0, x2: x1, y2: y1, owner: s.id });
        const inward: -1 | 1 = x1 > x0 ? -1 : 1;
        if (j > 0) {
          const el = svg('text', { x: x1 + inward * 14, y: y1 - 6, 'text-anchor': inward < 0 ? 'end' : 'start', class: 'seg-tag' }, v.t('ladder.dup'));
          grp.append(el);
          jobs.push({ el, prio, order, owner: s.id, cands: tagCands(inward) });
        }
        if (dl.discard && dl.discard.index <= now) {
          const el = svg('text', { x: x1 + inward * 10, y: y1 + 16, 'text-anchor': inward < 0 ? 'end' : 'start', class: 'seg-discard' }, `⊘ ${v.t('ladder.discarded', { reason: discardReason(v.t, dl.discard.reason) })}`);
          grp.append(el);
          jobs.push({ el, prio, order, owner: s.id, cands: tagCands(inward), short: '⊘' });
        }
      });
      end = [g.laneX[laneOf.get(delivered[0]!.host) ?? 0]!, ys[delivered[0]!.index]!];
    } else if (lost) {
      const frac = 0.45;
      const nominal = s.deliveries[0] ? ys[s.deliveries[0].index]! - y0 : 40;
      const x1 = x0 + (toX - x0) * frac;
      const y1 = y0 + Math.max(16, nominal * frac);
      arrow(grp, d, x1, y1, 'lost', v.animate && fresh, false);
      lines.push({ x1: x0, y1: y0, x2: x1, y2: y1, owner: s.id });
      grp.append(svg('path', { d: `M ${x1 - 8} ${y1 - 8} L ${x1 + 8} ${y1 + 8} M ${x1 + 8} ${y1 - 8} L ${x1 - 8} ${y1 + 8}`, class: 'lost-mark' }));
      marks.push({ x: x1 - 9, y: y1 - 9, w: 18, h: 18 });
      const dir: -1 | 1 = toX > x0 ? 1 : -1;
      const el = svg('text', { x: x1 + dir * 12, y: y1 + 16, 'text-anchor': dir > 0 ? 'start' : 'end', class: 'seg-lost' }, v.t('ladder.lost', { reason: dropReason(v.t, s.drop!.reason) }));
      grp.append(el);
      jobs.push({ el, prio, order, owner: s.id, cands: tagCands(-dir as -1 | 1), short: '✕' });
      end = [x1, y1];
    } else {
      // In flight: the arrow has left but not arrived yet.
      const dl = s.deliveries[0];
      const yArr = dl ? ys[dl.index]! : y0 + 40;
      const frac = yArr > y0 ? Math.min(0.9, Math.max(0.25, (yNow + 14 - y0) / (yArr - y0))) : 0.5;
      end = [x0 + (toX - x0) * frac, y0 + (yArr - y0) * frac];
      arrow(grp, d, end[0], end[1], 'inflight', v.animate && fresh);
      lines.push({ x1: x0, y1: y0, x2: end[0], y2: end[1], owner: s.id });
    }
    // The label rides on the arrow: its middle first, then further along either way, above or below it.
    const nx = (x0 + toX) / 2;
    const ny = y0 + (delivered[0] ? (ys[delivered[0].index]! - y0) / 2 : 14) - 6;
    const el = svg('text', { x: nx, y: ny, 'text-anchor': 'middle', class: 'seg-label' }, label);
    grp.append(el);
    const [ex, ey] = end;
    jobs.push({
      el, prio, order, owner: s.id, short: shortLabelFor(s, v), arrow: [x0, y0, end[0], end[1]],
      cands: (b) => {
        const out: Offset[] = [];
        const span = Math.abs(ex - x0);
        const fracs = span > b.w * 1.6 ? [0.5, 0.4, 0.6, 0.3, 0.7, 0.22, 0.78] : [0.5, 0.35, 0.65];
        for (const f of fracs) {
          const px = x0 + (ex - x0) * f, py = y0 + (ey - y0) * f - 6;
          out.push([px - nx, py - ny], [px - nx, py - ny + b.h + 8]);
        }
        // Crowded (several arrows leave together): a line further up or down, off the arrow.
        const r = b.h + 3;
        for (const k of [1, 2]) {
          for (const f of [0.5, 0.35, 0.65]) {
            const px = x0 + (ex - x0) * f, py = y0 + (ey - y0) * f - 6;
            out.push([px - nx, py - ny - k * r], [px - nx, py - ny + b.h + 8 + k * r]);
          }
        }
        // This step's arrows are what the reader looks at: search the neighbourhood before giving up.
        if (prio === CURRENT_SEG) {
          const mx = x0 + (ex - x0) / 2, my = y0 + (ey - y0) / 2 - 6;
          for (let k = 1; k <= 4; k++) for (const dx of [0, -40, 40, -80, 80, -120, 120]) for (const dy of [-k * r, k * r + b.h]) out.push([mx - nx + dx, my - ny + dy]);
        }
        return out;
      },
    });
    // a wide invisible hit area makes the arrow easy to click on a phone
    grp.append(svg('line', { x1: x0, y1: y0, x2: ex, y2: ey, class: 'hit' }));
    layers.arrows.append(grp);
    segEls.push(grp);
    if (selected) yFocus = y0;
  }

  // Failed calls and signals on the lifeline, where the application sees them.
  for (let i = Math.max(0, v.stepFirst - 400); i <= now; i++) {
    const e = m.events[i]!;
    const failed = e.kind === 'return' && e.errno !== undefined;
    if ((!failed && e.kind !== 'signal') || ys[i]! < yMin) continue;
    const li = laneOf.get(e.host ?? '') ?? 0;
    const side = outward(li, n);
    const x = g.laneX[li]!;
    const text = e.kind === 'return' ? `${e.call}() = ${String(e.result)} ${e.errno}` : `⚡ ${e.signal}`;
    const current = i >= v.stepFirst;
    const el = svg('text', { x: x + side * 12, y: ys[i]! + 5, 'text-anchor': side < 0 ? 'end' : 'start', class: `api-mark${current ? ' current' : ''}` }, text);
    layers.states.append(el);
    jobs.push({ el, prio: current ? CURRENT_STATE : OLD_STATE, order: current ? i : -i, cands: beside(side) });
  }

  // Crash / reboot / unplug marks.
  for (let i = 0; i <= now; i++) {
    const e = m.events[i]!;
    if (e.kind !== 'action' || ys[i]! < yMin) continue;
    const li = laneOf.get(e.host) ?? 0;
    const x = g.laneX[li]!;
    const y = ys[i]!;
    const side = -outward(li, n); // inside, away from the state labels
    const grp = svg('g', { class: `action action-${e.action}` });
    grp.append(svg('rect', { x: x + side * 70 - 58, y: y - 11, width: 116, height: 22, rx: 11 }));
    // The pill sits between two lifelines: it names its host, so a crash is never read as the
    // neighbour's.
    grp.append(svg('text', { x: x + side * 70, y: y + 5, 'text-anchor': 'middle' }, v.t('action.on', { host: e.host, action: v.t(`action.${e.action}`) })));
    layers.states.append(grp);
    jobs.push({
      el: grp, prio: i >= v.stepFirst ? CURRENT_STATE : OLD_STATE, order: -i,
      cands: (b) => {
        const r = b.h + 4, flip = -side * 2 * Math.abs(x - (b.x + b.w / 2));
        return [[0, 0], [0, r], [0, -r], [flip, 0], [flip, r], [flip, -r], [0, 2 * r]];
      },
    });
  }

  layers.now.append(svg('line', { x1: g.timeCol, y1: yNow + 14, x2: g.width, y2: yNow + 14, class: 'now-line' }));
  marks.push({ x: g.timeCol, y: yNow + 13, w: g.width - g.timeCol, h: 2 });
  const nowLabel = svg('text', { x: g.width - 6, y: yNow + 30, 'text-anchor': 'end', class: 'now-label' }, `${v.t('ladder.now')} ${fmtTime(tNow)}`);
  layers.now.append(nowLabel);
  fixed.push(nowLabel);

  placeLabels({ x: 0, y: yMin, w: g.width, h: height - yMin }, g.timeCol, jobs, fixed, marks, lines);
  return { ySel: yFocus, refocus: roving(segEls, v.selected, focusedSeg) };
}

/** Next to the end of an arrow: inside the gap first, a line lower or higher, then across. */
function tagCands(inward: -1 | 1) {
  return (b: Rect): Offset[] => {
    const r = b.h + 2, flip = -inward * (b.w + 20);
    return [[0, 0], [0, r], [0, -r], [0, 2 * r], [flip, 0], [flip, r]];
  };
}

function placeLabels(bounds: Rect, timeCol: number, jobs: Job[], fixed: SVGGraphicsElement[], marks: Rect[], lines: { x1: number; y1: number; x2: number; y2: number; owner: number }[]): void {
  // The time column is the time labels' own: nothing else goes there, they go nowhere else.
  const times = new LabelPlacer({ x: bounds.x, y: bounds.y, w: timeCol, h: bounds.h }, 1);
  const placer = new LabelPlacer({ x: bounds.x + timeCol, y: bounds.y, w: bounds.w - timeCol, h: bounds.h }, 2);
  for (const l of lines) placer.line(l.x1, l.y1, l.x2, l.y2, l.owner);
  // Read every box first (one layout), then write.
  const fixedBoxes = fixed.map((f) => box(f));
  const pills = jobs.filter((j) => j.el.classList.contains('action')).map((j) => ({ j, text: box(j.el.querySelector('text')!) }));
  for (const j of jobs) j.box = box(j.el);
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
    if (j.prio === TIME) { if (!times.place(b, stayPut)) j.el.remove(); continue; }
    // Clear of other arrows if it can be: a label on a crossing arrow reads as that arrow's.
    const o = placer.place(b, withinBounds(b, j.cands(b), placer.bounds), { owner: j.owner, lines: 'prefer' });
    if (o) apply(j, o);
    else if (j.short !== undefined) retry.push(j);
    else j.el.remove();
  }
  if (!retry.length) return;
  // Shorter words for what found no place: measured together, placed in the same order.
  for (const j of retry) j.el.textContent = j.short!;
  for (const j of retry) j.box = box(j.el);
  for (const j of retry) {
    const b = j.box!;
    const o = placer.place(b, withinBounds(b, j.cands(b), placer.bounds), { owner: j.owner, lines: 'prefer' });
    if (o) apply(j, o); else j.el.remove();
  }
}

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

/** One segment at a time is in the tab order (effects.ts moves it with ↑ ↓): the focused one,
 *  else the selected one, else the last. Returns it when it had the focus before this drawing. */
function roving(segs: SVGGElement[], selected: number | undefined, focused: number | undefined): SVGGElement | undefined {
  if (!segs.length) return undefined;
  const idOf = (e: Element): number => Number(e.getAttribute('data-seg'));
  const byId = (id: number | undefined): SVGGElement | undefined => (id === undefined || Number.isNaN(id) ? undefined : segs.find((s) => idOf(s) === id));
  const r = byId(focused) ?? byId(selected) ?? segs.at(-1)!;
  r.setAttribute('tabindex', '0');
  return focused !== undefined && !Number.isNaN(focused) ? r : undefined;
}

function arrow(grp: SVGGElement, d: Drawn, x1: number, y1: number, kind: string, animate: boolean, head = true): void {
  const line = svg('line', { x1: d.x0, y1: d.y0, x2: x1, y2: y1, class: `seg-line ${kind}${animate && kind === '' ? ' draw' : ''}` });
  grp.append(line);
  if (!head) return;
  const ang = Math.atan2(y1 - d.y0, x1 - d.x0);
  const L = 12, W = 6;
  const bx = x1 - L * Math.cos(ang), by = y1 - L * Math.sin(ang);
  const p = `${x1},${y1} ${bx - W * Math.sin(ang)},${by + W * Math.cos(ang)} ${bx + W * Math.sin(ang)},${by - W * Math.cos(ang)}`;
  grp.append(svg('polygon', { points: p, class: `seg-head ${kind}${animate ? ' draw-head' : ''}` }));
}

function zigzag(x0: number, x1: number, y: number): string {
  let d = `M ${x0} ${y}`;
  let up = true;
  for (let x = x0 + 8; x <= x1; x += 8) { d += ` L ${x} ${y + (up ? -3 : 3)}`; up = !up; }
  return d;
}
