// The ladder (time-sequence) diagram: one lifeline per host, time runs down (compressed, see
// layout.ts), each segment an arrow from its send to its delivery. Only events up to "now" are
// drawn, so the learner never sees what has not happened yet.
import { fmtDuration, fmtTime, segLabel, type NumberMode } from '../format';
import type { Model, SegInfo } from '../model';
import type { TimeLayout } from '../layout';
import type { StateEvent, TimerEvent } from '../types';
import { discardReason, dropReason } from '../format';
import { clear, svg } from './dom';

export interface LadderGeometry { laneX: number[]; width: number; timeCol: number; laneGap: number }

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
const LABEL_SPACE = 190;
const LANE_GAP = 360;

/** Lane positions; `compact` (phones) trades label room for a larger scale. */
export function ladderGeometry(hosts: number, compact = false): LadderGeometry {
  const many = hosts > 2;
  const timeCol = compact ? 46 : TIME_COL, labelSpace = compact ? 104 : many ? 150 : LABEL_SPACE, laneGap = compact ? 270 : many ? 290 : LANE_GAP;
  const laneX: number[] = [];
  for (let i = 0; i < hosts; i++) laneX.push(timeCol + labelSpace + i * laneGap);
  const width = (laneX.at(-1) ?? timeCol + labelSpace) + labelSpace + 8;
  return { laneX, width, timeCol, laneGap };
}

/** Which side of its lifeline a host's labels go on: outwards. */
const outward = (i: number, n: number): -1 | 1 => (i === n - 1 && n > 1 ? 1 : -1);

export function hostClass(i: number): string {
  return `host-${i % 4}`;
}

/** A shape per host, so that colour is never the only way to tell the sides apart. */
export function hostMark(i: number): string {
  return ['●', '◆', '▲', '■'][i % 4]!;
}

export function renderLadderHeader(target: SVGSVGElement, m: Model, g: LadderGeometry, states: Map<string, string | undefined>, v: LadderView): void {
  clear(target);
  target.setAttribute('viewBox', `0 0 ${g.width} 64`);
  target.style.minWidth = m.hosts.length > 2 ? `${Math.round(g.width * 0.8)}px` : '';
  m.hosts.forEach((h, i) => {
    const x = g.laneX[i]!;
    const grp = svg('g', { class: `lane-head ${hostClass(i)}` });
    grp.append(svg('rect', { x: x - 110, y: 2, width: 220, height: 60, rx: 8, class: 'lane-box' }));
    grp.append(svg('text', { x, y: 22, class: 'lane-name', 'text-anchor': 'middle' }, `${h}  ${m.trace.hosts[h]?.ip ?? ''}`));
    const st = states.get(h);
    grp.append(svg('text', { x, y: 48, class: 'lane-state', 'text-anchor': 'middle', 'data-host': h }, st ? v.stateName(st) : '—'));
    target.append(grp);
  });
}

interface Drawn { y0: number; x0: number }

export function renderLadder(target: SVGSVGElement, m: Model, lay: TimeLayout, g: LadderGeometry, v: LadderView, onSelect: (segId: number) => void): number {
  clear(target);
  const n = m.hosts.length;
  const laneOf = new Map(m.hosts.map((h, i) => [h, i] as const));
  const ys = lay.y;
  const now = Math.min(v.now, m.events.length - 1);
  const yNow = now >= 0 ? ys[now]! : lay.y[0] ?? 0;
  const height = Math.max(yNow + 140, 240);
  // Long traces (floods, pile-ups) draw only a window above "now"; the rest is off screen anyway.
  const yMin = m.events.length > 3000 ? Math.max(0, yNow - 5000) : 0;
  target.setAttribute('viewBox', `0 ${yMin} ${g.width} ${height - yMin}`);
  target.style.minWidth = n > 2 ? `${Math.round(g.width * 0.8)}px` : '';
  target.dataset.ymin = String(yMin);

  const layers = {
    breaks: svg('g', { class: 'breaks' }),
    lanes: svg('g', { class: 'lanes' }),
    bands: svg('g', { class: 'bands' }),
    times: svg('g', { class: 'times' }),
    timers: svg('g', { class: 'timers' }),
    states: svg('g', { class: 'states' }),
    arrows: svg('g', { class: 'arrows' }),
    now: svg('g', { class: 'now' }),
  };
  target.append(layers.breaks, layers.lanes, layers.bands, layers.times, layers.timers, layers.states, layers.arrows, layers.now);

  // Lifelines, dashed across compressed breaks.
  m.hosts.forEach((h, i) => {
    const x = g.laneX[i]!;
    layers.lanes.append(svg('line', { x1: x, y1: 0, x2: x, y2: height, class: `lifeline ${hostClass(i)}` }));
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
    layers.breaks.append(svg('text', { x: g.width / 2, y: mid + 5, 'text-anchor': 'middle', class: 'break-label' }, v.t('ladder.gap', { d: fmtDuration(b.gapUs) })));
  }

  // Time labels at each moment with something drawn.
  let lastLabelY = -100;
  for (const grp of lay.groups) {
    if (grp.y > yNow) break;
    if (grp.y < yMin) continue;
    if (grp.y - lastLabelY < 18) continue;
    lastLabelY = grp.y;
    layers.times.append(svg('text', { x: g.timeCol - 6, y: grp.y + 4, 'text-anchor': 'end', class: 'time-label' }, fmtTime(grp.t)));
  }

  // State changes: a dot on the lifeline and the new state's name outside it.
  const fewStates = m.stateIndexes.length <= 400;
  const stateSlots = new Map<string, number>();
  for (const i of m.stateIndexes) {
    if (i > now) break;
    const e = m.events[i] as StateEvent;
    const li = laneOf.get(e.host) ?? 0;
    if ((!fewStates && i < v.stepFirst) || ys[i]! < yMin) continue;
    const x = g.laneX[li]!;
    const side = outward(li, n);
    const y = ys[i]!;
    const k = `${li}|${y}`;
    const dy = (stateSlots.get(k) ?? 0);
    stateSlots.set(k, dy + 1);
    const cls = `state-mark ${hostClass(li)}${i >= v.stepFirst ? ' current' : ''}`;
    const grp = svg('g', { class: cls });
    grp.append(svg('circle', { cx: x, cy: y, r: 5 }));
    const lport = (e.conn.split('>')[0] ?? '').replace(/^.*:/, ':');
    const label = e.conn.endsWith('>*') ? `${v.stateName(e.to)} ${lport}` : v.stateName(e.to);
    grp.append(svg('text', { x: x + side * 12, y: y + 5 + dy * 16, 'text-anchor': side < 0 ? 'end' : 'start' }, label));
    layers.states.append(grp);
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
    grp.append(svg('title', {}, v.timerName(b.ev.timer)));
    // Only running timers and those that changed in this step are labelled; the rest keep their bracket.
    const inStep = b.set >= v.stepFirst || (b.end !== undefined && b.end >= v.stepFirst);
    if (pending || inStep) {
      let label = v.timerName(b.ev.timer);
      if (pending && b.ev.expires_us !== undefined) label += ` · ${v.t('ladder.timer.left', { d: fmtDuration(Math.max(0, b.ev.expires_us - tNow)) })}`;
      else if (pending) label += ` · ${v.t('ladder.timer.pending')}`;
      else label += ` · ${v.t(`ladder.timer.${b.endAction ?? 'cancel'}`)}`;
      const tx = x + side * 6;
      grp.append(svg('text', { x: tx, y: y0 + 20, 'text-anchor': side < 0 ? 'end' : 'start', class: 'timer-label' }, label));
    }
    layers.timers.append(grp);
  }

  // Segments.
  let yFocus = yNow;
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
    const retrans = s.repeats !== undefined;
    const grp = svg('g', {
      class: `seg ${hostClass(fromLane)}${fresh ? ' current' : ''}${s.id === v.selected ? ' selected' : ''}${s.send.injected ? ' injected' : ''}`,
      'data-seg': s.id,
    });
    const title = svg('title', {}, `#${s.id} ${segLabel(s.send, 'abs')}`);
    grp.append(title);
    grp.addEventListener('click', () => onSelect(s.id));
    const d: Drawn = { x0, y0 };
    let label = segLabel(s.send, v.mode);
    if (retrans) label = `${v.t('ladder.retrans')} ${label}`;
    if (s.send.injected) label = `${v.t('ladder.injected')} ${label}`;
    const delivered = s.deliveries.filter((x) => x.index <= now);
    const toX = toLane !== undefined ? g.laneX[toLane]! : x0 + (fromLane === n - 1 ? -1 : 1) * g.laneGap;
    if (delivered.length > 0) {
      delivered.forEach((dl, j) => {
        const x1 = g.laneX[laneOf.get(dl.host) ?? 0]!;
        const y1 = ys[dl.index]!;
        arrow(grp, d, x1, y1, j > 0 ? 'dup' : '', v.animate && fresh);
        if (j > 0) grp.append(svg('text', { x: x1 + (x1 > x0 ? -14 : 14), y: y1 - 6, 'text-anchor': x1 > x0 ? 'end' : 'start', class: 'seg-tag' }, v.t('ladder.dup')));
        if (dl.discard && dl.discard.index <= now) {
          grp.append(svg('text', { x: x1 + (x1 > x0 ? -10 : 10), y: y1 + 16, 'text-anchor': x1 > x0 ? 'end' : 'start', class: 'seg-discard' }, `⊘ ${v.t('ladder.discarded', { reason: discardReason(v.t, dl.discard.reason) })}`));
        }
      });
    } else if (s.drop && s.drop.index <= now) {
      const frac = 0.45;
      const nominal = s.deliveries[0] ? ys[s.deliveries[0].index]! - y0 : 40;
      const x1 = x0 + (toX - x0) * frac;
      const y1 = y0 + Math.max(16, nominal * frac);
      arrow(grp, d, x1, y1, 'lost', v.animate && fresh, false);
      grp.append(svg('path', { d: `M ${x1 - 8} ${y1 - 8} L ${x1 + 8} ${y1 + 8} M ${x1 + 8} ${y1 - 8} L ${x1 - 8} ${y1 + 8}`, class: 'lost-mark' }));
      grp.append(svg('text', { x: x1 + (toX > x0 ? 12 : -12), y: y1 + 16, 'text-anchor': toX > x0 ? 'start' : 'end', class: 'seg-lost' }, v.t('ladder.lost', { reason: dropReason(v.t, s.drop.reason) })));
    } else {
      // In flight: the arrow has left but not arrived yet.
      const dl = s.deliveries[0];
      const yArr = dl ? ys[dl.index]! : y0 + 40;
      const frac = yArr > y0 ? Math.min(0.9, Math.max(0.25, (yNow + 14 - y0) / (yArr - y0))) : 0.5;
      arrow(grp, d, x0 + (toX - x0) * frac, y0 + (yArr - y0) * frac, 'inflight', v.animate && fresh);
    }
    const lx = (x0 + toX) / 2;
    const ly = y0 + (delivered[0] ? (ys[delivered[0].index]! - y0) / 2 : 14) - 6;
    grp.append(svg('text', { x: lx, y: Math.max(ly, y0 - 4), 'text-anchor': 'middle', class: 'seg-label' }, label));
    // a wide invisible hit area makes the arrow easy to click on a phone
    const y1h = delivered[0] ? ys[delivered[0].index]! : y0 + 30;
    grp.append(svg('line', { x1: x0, y1: y0, x2: toX, y2: y1h, class: 'hit' }));
    layers.arrows.append(grp);
    if (s.id === v.selected) yFocus = y0;
  }

  // Failed calls and signals on the lifeline, where the application sees them.
  for (let i = Math.max(0, v.stepFirst - 400); i <= now; i++) {
    const e = m.events[i]!;
    const failed = e.kind === 'return' && e.errno !== undefined;
    if ((!failed && e.kind !== 'signal') || ys[i]! < yMin) continue;
    const li = laneOf.get(e.host ?? '') ?? 0;
    const side = outward(li, n);
    const x = g.laneX[li]!;
    const k = `${li}|${ys[i]}`;
    const dy = stateSlots.get(k) ?? 0;
    stateSlots.set(k, dy + 1);
    const text = e.kind === 'return' ? `${e.call}() = ${String(e.result)} ${e.errno}` : `⚡ ${e.signal}`;
    layers.states.append(svg('text', { x: x + side * 12, y: ys[i]! + 5 + dy * 16, 'text-anchor': side < 0 ? 'end' : 'start', class: `api-mark${i >= v.stepFirst ? ' current' : ''}` }, text));
  }

  // Crash / reboot / unplug marks.
  for (let i = 0; i <= now; i++) {
    const e = m.events[i]!;
    if (e.kind !== 'action' || ys[i]! < yMin) continue;
    const li = laneOf.get(e.host) ?? 0;
    const x = g.laneX[li]!;
    const y = ys[i]!;
    const cx = x - outward(li, n) * 70; // inside, away from the state labels
    const grp = svg('g', { class: `action action-${e.action}` });
    grp.append(svg('rect', { x: cx - 58, y: y - 11, width: 116, height: 22, rx: 11 }));
    grp.append(svg('text', { x: cx, y: y + 5, 'text-anchor': 'middle' }, v.t(`action.${e.action}`)));
    layers.states.append(grp);
  }

  layers.now.append(svg('line', { x1: g.timeCol, y1: yNow + 14, x2: g.width, y2: yNow + 14, class: 'now-line' }));
  layers.now.append(svg('text', { x: g.width - 4, y: yNow + 28, 'text-anchor': 'end', class: 'now-label' }, `${v.t('ladder.now')} ${fmtTime(tNow)}`));
  return yFocus;
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
