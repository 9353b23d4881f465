// The ladder's geometry and lane heads, its labels' texts, and the measuring of text that both
// diagrams share.
//
// The diagram is drawn at one SVG unit per CSS pixel, so the type sizes in style.css are the
// sizes on screen (projection mode and phones set their own). The lanes are fitted to the
// scroll box: spare width widens the gaps, too little makes the diagram scroll sideways.
import { fmtTime, segLabel, type NumberMode } from '../format';
import type { Model, SegInfo } from '../model';
import { estimateWidth, fitLanes, type Rect } from '../layout';
import type { StateEvent } from '../types';
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
export const outward = (i: number, n: number): -1 | 1 => (i === n - 1 && n > 1 ? 1 : -1);

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

export function box(e: SVGGraphicsElement): Rect {
  try {
    const b = e.getBBox();
    return { x: b.x, y: b.y, w: b.width, h: b.height };
  } catch {
    return { x: 0, y: 0, w: 0, h: 0 };
  }
}

export function stateLabel(e: StateEvent, v: LadderView): string {
  const lport = (e.conn.split('>')[0] ?? '').replace(/^.*:/, ':');
  return e.conn.endsWith('>*') ? `${v.stateName(e.to)} ${lport}` : v.stateName(e.to);
}

export function labelFor(s: SegInfo, v: LadderView): string {
  let label = segLabel(s.send, v.mode);
  if (s.repeats !== undefined) label = `${v.t('ladder.retrans')} ${label}`;
  if (s.send.injected) label = `${v.t('ladder.injected')} ${label}`;
  return label;
}

export function shortLabelFor(s: SegInfo, v: LadderView): string {
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
