// The RFC 9293 §3.3.2 connection state diagram (Figure 5), in its usual layout.
// Which states are lit and which transition was just taken come only from trace `state` events;
// a transition the figure does not draw (a reset, a crash, a timeout), or one the trace says had
// another cause than the figure's label names, appears as a dashed arc with its own call-out.
//
// Drawn one SVG unit per CSS pixel and laid out again whenever the box changes size, so that
// the type sizes in style.css are what a reader sees (projection mode and phones set their own).
// A box smaller than the figure's smallest readable size scrolls rather than shrinking the type
// (a projector's back row still reads it). The boxes keep the figure's arrangement, stretched to
// the space there is. Labels are then placed in a fixed order (the figure's core edges, host badges, the
// transitions just taken, the optional edges), each only where it reads as its own arrow's: nearer
// to that arrow than to any other, crossing none. A label with no such place is broken in two,
// and failing that left out (its edge keeps it as a tooltip).
import type { StateName } from '../types';
import { LabelPlacer, overlaps, rectSegmentDistance, segmentHitsRect, type Rect } from '../layout';
import { clear, svg } from './dom';
import { hostClass, hostMark, measureTexts } from './ladder';
import { attach, border, clampAll, edgeCandidates, formsOf, placeBadge, quad, writeLines, type Attach, type Form, type Metric, type P } from './statediagram-geometry';

type NodeId = StateName | 'CLOSED_END';

/** Where each box sits in the figure: column (0 left, 0.5 middle, 1 right) and row (0 to 5). */
export const NODES: Record<NodeId, [number, number]> = {
  CLOSED: [0.5, 0],
  LISTEN: [0.5, 1],
  SYN_RECEIVED: [0, 2],
  SYN_SENT: [1, 2],
  ESTABLISHED: [0.5, 3],
  CLOSE_WAIT: [1, 3],
  FIN_WAIT_1: [0, 4],
  CLOSING: [0.5, 4],
  LAST_ACK: [1, 4],
  FIN_WAIT_2: [0, 5],
  TIME_WAIT: [0.5, 5],
  CLOSED_END: [1, 5],
};
const LAST_ROW = 5;

/** What an edge's label says makes the transition happen: a call by name, a segment received
 *  with the flags the label names, or a timer. Compared with the trace's own cause, so that a
 *  lit edge never claims a cause the trace does not show. */
export interface Trigger { calls?: readonly string[]; rcv?: readonly string[]; timer?: boolean }

/** A transition of the figure. `a`/`b`: where its line leaves and enters a box, when not on the
 *  line between the two boxes' centres (a pair's two arrows side by side, arrows that leave by a
 *  box's side as in the RFC's drawing). `side`: where its label would rather sit, -1 left of the
 *  line (above a level one), +1 right (below). `core`: the open and close paths every lesson
 *  walks; their labels are placed first. `note`: drawn only when taken (RFC 9293 leaves it out of
 *  Figure 5, its note 2). */
export interface Edge { from: NodeId; to: NodeId; key: string; a?: Attach; b?: Attach; side: -1 | 1; core: boolean; note?: boolean; via: Trigger }

export const EDGES: Edge[] = [
  { from: 'CLOSED', to: 'LISTEN', key: 'edge.passive_open', a: ['b', -7], b: ['t', -7], side: -1, core: true, via: { calls: ['listen'] } },
  { from: 'LISTEN', to: 'CLOSED', key: 'edge.listen_close', a: ['t', 7], b: ['b', 7], side: 1, core: false, via: { calls: ['close'] } },
  { from: 'CLOSED', to: 'SYN_SENT', key: 'edge.active_open', a: ['r', -5], b: ['t', 9], side: 1, core: true, via: { calls: ['connect'] } },
  { from: 'SYN_SENT', to: 'CLOSED', key: 'edge.syn_sent_close', a: ['t', -9], b: ['r', 5], side: -1, core: false, via: { calls: ['close'], timer: true } },
  { from: 'LISTEN', to: 'SYN_RECEIVED', key: 'edge.rcv_syn', a: ['l', -5], b: ['t', -9], side: -1, core: true, via: { rcv: ['SYN'] } },
  { from: 'SYN_RECEIVED', to: 'LISTEN', key: 'edge.rcv_rst', a: ['t', 9], b: ['l', 5], side: 1, core: false, via: { rcv: ['RST'] } },
  { from: 'LISTEN', to: 'SYN_SENT', key: 'edge.listen_send', a: ['r', 0], b: ['l', -6], side: -1, core: false, via: { calls: ['send'] } },
  { from: 'SYN_SENT', to: 'SYN_RECEIVED', key: 'edge.simultaneous', a: ['l', 6], b: ['r', 6], side: 1, core: false, via: { rcv: ['SYN'] } },
  { from: 'SYN_SENT', to: 'ESTABLISHED', key: 'edge.rcv_synack', side: 1, core: true, via: { rcv: ['SYN', 'ACK'] } },
  { from: 'SYN_RECEIVED', to: 'ESTABLISHED', key: 'edge.rcv_ack_of_syn', side: -1, core: true, via: { rcv: ['ACK'] } },
  { from: 'SYN_RECEIVED', to: 'FIN_WAIT_1', key: 'edge.close_snd_fin', side: 1, core: false, via: { calls: ['close'] } },
  { from: 'ESTABLISHED', to: 'FIN_WAIT_1', key: 'edge.close_snd_fin', side: -1, core: true, via: { calls: ['close'] } },
  { from: 'ESTABLISHED', to: 'CLOSE_WAIT', key: 'edge.rcv_fin', side: 1, core: true, via: { rcv: ['FIN'] } },
  { from: 'FIN_WAIT_1', to: 'FIN_WAIT_2', key: 'edge.rcv_ack_of_fin', side: 1, core: true, via: { rcv: ['ACK'] } },
  { from: 'FIN_WAIT_1', to: 'CLOSING', key: 'edge.rcv_fin', side: 1, core: true, via: { rcv: ['FIN'] } },
  { from: 'FIN_WAIT_1', to: 'TIME_WAIT', key: 'edge.rcv_finack', side: 1, core: false, note: true, via: { rcv: ['FIN', 'ACK'] } },
  { from: 'FIN_WAIT_2', to: 'TIME_WAIT', key: 'edge.rcv_fin', side: 1, core: true, via: { rcv: ['FIN'] } },
  { from: 'CLOSING', to: 'TIME_WAIT', key: 'edge.rcv_ack_of_fin', side: 1, core: true, via: { rcv: ['ACK'] } },
  { from: 'CLOSE_WAIT', to: 'LAST_ACK', key: 'edge.close_snd_fin', side: -1, core: true, via: { calls: ['close'] } },
  { from: 'LAST_ACK', to: 'CLOSED_END', key: 'edge.rcv_ack_of_fin', side: -1, core: true, via: { rcv: ['ACK'] } },
  { from: 'TIME_WAIT', to: 'CLOSED_END', key: 'edge.two_msl', side: -1, core: true, via: { timer: true } },
];

/** The trace's cause of a state change: the call's name, the flags of the segment received, a
 *  timer's name, or another code (crash, syn_cookie, …). */
export type Cause = { call: string } | { rcv: readonly string[]; seg: number } | { timer: string } | { other: string };

/** Whether an edge's label names what the trace says happened: the same call, a timer for a
 *  timeout, or a segment carrying every flag the label names and no SYN or RST it does not. */
export function triggerMatches(via: Trigger, cause: Cause | undefined): boolean {
  if (!cause) return true;
  if ('call' in cause) return via.calls?.includes(cause.call) ?? false;
  if ('timer' in cause) return via.timer === true;
  if ('rcv' in cause) {
    if (!via.rcv) return false;
    const has = new Set(cause.rcv);
    if (!via.rcv.every((f) => has.has(f))) return false;
    return ['SYN', 'RST'].every((f) => via.rcv!.includes(f) || !has.has(f));
  }
  return false;
}

/** The CLOSED box a state change into CLOSED ends in: the top one before a connection exists
 *  (from LISTEN or SYN_SENT, or a socket that never left CLOSED), the bottom one after. */
export function closedBox(from: StateName | undefined): NodeId {
  return from === undefined || from === 'CLOSED' || from === 'LISTEN' || from === 'SYN_SENT' ? 'CLOSED' : 'CLOSED_END';
}

export interface Lit {
  host: string;
  hostIndex: number;
  state?: StateName;
  /** the state this host's connection came from, when it has moved at all */
  from?: StateName;
  transition?: { from: StateName; to: StateName; label: string; current: boolean; cause?: Cause; raw?: string };
}

/** A straight piece of a drawn line, with the edge (index) or arc it belongs to. */
interface Piece { x1: number; y1: number; x2: number; y2: number; owner: number }

export class StateDiagram {
  readonly root: SVGSVGElement;
  private lits: Lit[] = [];
  private size = { w: 0, h: 0 };

  constructor(root: SVGSVGElement, private t: (k: string) => string, private stateName: (s: string) => string) {
    this.root = root;
    this.draw();
  }

  /** Draws again if the box is not the size the figure was drawn at. Called when the box changes
   *  size, and in the frame after each drawing: a draw made while the page is half laid out (a
   *  step's text and question still being filled in) can see a size the box leaves again within
   *  the same frame, which no resize observer reports. */
  resized(): void {
    const w = this.root.clientWidth, h = this.root.clientHeight;
    if (Math.abs(w - this.size.w) >= 1 || Math.abs(h - this.size.h) >= 1) this.draw();
  }

  relabel(t: (k: string) => string, stateName: (s: string) => string): void {
    this.t = t;
    this.stateName = stateName;
    this.draw();
  }

  update(lits: Lit[]): void {
    this.lits = lits;
    this.draw();
  }

  private nodeName(id: NodeId): string {
    return this.stateName(id === 'CLOSED_END' ? 'CLOSED' : id);
  }

  /** Lays the figure out in the box it has now and draws it with the current lits. */
  private draw(): void {
    const root = this.root;
    clear(root);
    const boxW = root.clientWidth, boxH = root.clientHeight;
    this.size = { w: boxW, h: boxH };
    if (boxW < 10 || boxH < 10) return;

    const lits = this.lits;
    const nodeOf = (l: Lit): NodeId | undefined => (l.state === 'CLOSED' ? closedBox(l.from) : l.state);
    const perNode = new Map<NodeId, Lit[]>();
    for (const l of lits) {
      const id = nodeOf(l);
      if (id) perNode.set(id, [...(perNode.get(id) ?? []), l]);
    }
    const ids = Object.keys(NODES) as NodeId[];
    const edgeText = EDGES.map((e) => this.t(e.key));
    const extra = lits.filter((l) => l.transition?.current).map((l) => l.transition!.label);
    const badgeText = (l: Lit): string => `${hostMark(l.hostIndex)} ${l.host}`;

    // One layout for every string this drawing needs.
    const centred = 'middle' as const;
    const probe = measureTexts(root, [
      ...ids.map((id) => ({ cls: 'sd-node-label', text: this.nodeName(id), anchor: centred })),
      ...lits.map((l) => ({ cls: 'sd-badge-label', text: badgeText(l), anchor: centred })),
      ...lits.map((l) => ({ cls: 'sd-badge-label', text: hostMark(l.hostIndex), anchor: centred })),
    ]);
    const nodeM = probe.slice(0, ids.length);
    const badgeM = probe.slice(ids.length, ids.length + lits.length);
    const markM = probe.slice(ids.length + lits.length);
    const forms = (text: string, cls: string): Form[] => formsOf(root, text, cls);

    const textH = Math.max(...nodeM.map((m) => m.h));
    const nw = Math.ceil(Math.max(...nodeM.map((m) => m.w)) + textH * 1.1);
    const nh = Math.ceil(textH + 10);
    const badgeH = Math.ceil(Math.max(textH * 0.9, ...badgeM.map((m) => m.h)) + 6);
    // The smallest box that still shows every state's name at its own type size: the panel
    // scrolls below that size (a narrow phone, a projector with a question open) rather than the
    // type shrinking under what a room can read.
    const minW = 3 * nw + 40, minH = 6 * nh + 5 * 6 + 6;
    if (root.style.minWidth !== `${minW}px` || root.style.minHeight !== `${minH}px`) {
      root.style.minWidth = `${minW}px`;
      root.style.minHeight = `${minH}px`;
    }
    const w = root.clientWidth, h = root.clientHeight;
    this.size = { w: root.clientWidth, h: root.clientHeight };
    root.setAttribute('viewBox', `0 0 ${w} ${h}`);
    root.setAttribute('preserveAspectRatio', 'xMinYMin meet');
    const mx = nw / 2 + 3;
    // Room above the top row and below the bottom one for a badge or a label, if there is room.
    const spare = h - minH;
    const room = Math.min(badgeH - 1, Math.max(0, spare / 4));
    const top = nh / 2 + 3 + room, bottom = h - nh / 2 - 3 - room;
    const at = (id: NodeId): P => {
      const [fx, row] = NODES[id];
      return [mx + fx * Math.max(0, w - 2 * mx), top + (row / LAST_ROW) * Math.max(0, bottom - top)];
    };

    const defs = svg('defs');
    for (const cls of ['plain', 'host-0', 'host-1', 'host-2', 'host-3']) {
      const mk = svg('marker', { id: `arrow-${cls}`, viewBox: '0 0 10 10', refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: 'auto-start-reverse' });
      mk.append(svg('path', { d: 'M0,0 L10,5 L0,10 z', class: `marker ${cls}` }));
      defs.append(mk);
    }
    const edgeLayer = svg('g', { class: 'sd-edges' });
    const dyn = svg('g', { class: 'sd-dyn' });
    const nodeLayer = svg('g', { class: 'sd-nodes' });
    const labelLayer = svg('g', { class: 'sd-labels' });
    const badges = svg('g', { class: 'sd-badges' });
    root.append(defs, edgeLayer, dyn, nodeLayer, labelLayer, badges);

    const placer = new LabelPlacer({ x: 0, y: 0, w, h }, 3);
    const rects = new Map<NodeId, Rect>();
    const nodeRect = (id: NodeId): Rect => {
      let r = rects.get(id);
      if (!r) { const [x, y] = at(id); r = { x: x - nw / 2, y: y - nh / 2, w: nw, h: nh }; rects.set(id, r); }
      return r;
    };

    // Boxes.
    ids.forEach((id, i) => {
      const [x, y] = at(id);
      const ls = perNode.get(id);
      const cls = ls ? `sd-node lit ${ls.map((l) => `lit-${hostClass(l.hostIndex)}`).join(' ')}` : 'sd-node';
      const grp = svg('g', { class: cls, 'data-state': id });
      grp.append(svg('rect', { x: x - nw / 2, y: y - nh / 2, width: nw, height: nh, rx: Math.min(10, nh / 3) }));
      const m = nodeM[i]!;
      grp.append(svg('text', { x, y: y - (m.y + m.h / 2), 'text-anchor': 'middle', class: 'sd-node-label' }, this.nodeName(id)));
      nodeLayer.append(grp);
      placer.block(nodeRect(id));
    });

    // Every drawn line as straight pieces: the figure's edges, then the arcs.
    const pieces: Piece[] = [];
    const edgeLines = EDGES.map((e): [P, P] => {
      const a = at(e.from), b = at(e.to);
      return [e.a ? attach(a, e.a, nw, nh) : border(a, b, nw, nh), e.b ? attach(b, e.b, nw, nh) : border(b, a, nw, nh)];
    });

    // Transitions just taken: the figure's edge when its label names the trace's cause, else a
    // dashed arc of its own.
    const taken = new Map<number, Lit>();
    const arcs: { l: Lit; p: P; c: P; q: P; owner: number }[] = [];
    for (const l of lits) {
      const tr = l.transition;
      if (!tr || !tr.current) continue;
      const toId: NodeId = tr.to === 'CLOSED' ? closedBox(tr.from) : tr.to;
      const fromId: NodeId = tr.from;
      const idx = EDGES.findIndex((e) => e.from === fromId && e.to === toId);
      if (idx >= 0 && triggerMatches(EDGES[idx]!.via, tr.cause)) { if (!taken.has(idx)) taken.set(idx, l); continue; }
      const a = at(fromId), b = at(toId);
      const p = border(a, b, nw, nh), q = border(b, a, nw, nh);
      // Beside the figure's own edge when there is one, so the two never look like one line.
      const bend = fromId === toId ? Math.max(40, nh * 1.6) : idx >= 0 ? 0.18 : 0.25;
      const c: P = fromId === toId ? [p[0] + bend, p[1] - bend] : [(p[0] + q[0]) / 2 + (q[1] - p[1]) * bend, (p[1] + q[1]) / 2 - (q[0] - p[0]) * bend];
      const owner = EDGES.length + arcs.length;
      const path = svg('path', {
        d: `M ${p[0]} ${p[1]} Q ${c[0]} ${c[1]} ${q[0]} ${q[1]}`, class: `sd-extra ${hostClass(l.hostIndex)}`,
        'marker-end': `url(#arrow-${hostClass(l.hostIndex)})`, 'data-host': l.host, 'data-from': fromId, 'data-to': toId,
      });
      dyn.append(path);
      let prev = p;
      for (let i = 1; i <= 8; i++) {
        const pt = quad(p, c, q, i / 8);
        pieces.push({ x1: prev[0], y1: prev[1], x2: pt[0], y2: pt[1], owner });
        prev = pt;
      }
      arcs.push({ l, p, c, q, owner });
    }
    // The figure's edges (one RFC 9293 leaves out only when taken), pieces of lines like the arcs.
    const drawn = EDGES.map((e, i) => !e.note || taken.has(i));
    edgeLines.forEach(([[x1, y1], [x2, y2]], i) => { if (drawn[i]) pieces.push({ x1, y1, x2, y2, owner: i }); });
    for (const pc of pieces) placer.line(pc.x1, pc.y1, pc.x2, pc.y2, pc.owner);

    // Edges.
    const groups = EDGES.map((e, i) => {
      if (!drawn[i]) return undefined;
      const [[x1, y1], [x2, y2]] = edgeLines[i]!;
      const by = taken.get(i);
      const grp = svg('g', { class: `sd-edge${by ? ` taken ${hostClass(by.hostIndex)}` : ''}`, 'data-from': e.from, 'data-to': e.to, 'data-key': e.key, 'data-edge': i });
      if (e.core) grp.dataset.core = '1';
      if (by) { grp.dataset.host = by.host; grp.dataset.cause = by.transition?.raw ?? ''; }
      grp.append(svg('title', {}, edgeText[i]!));
      grp.append(svg('line', { x1, y1, x2, y2, 'marker-end': `url(#arrow-${by ? hostClass(by.hostIndex) : 'plain'})` }));
      // A wider, invisible line to point at: an unlabelled edge still says its label on hover.
      grp.append(svg('path', { d: `M ${x1} ${y1} L ${x2} ${y2}`, class: 'sd-hit' }));
      edgeLayer.append(grp);
      return grp;
    });

    /** Whether a label box at `r` reads as `owner`'s: it crosses no line, and its own line is
     *  nearer than any other by a clear margin. */
    const reads = (r: Rect, owner: number): boolean => {
      let own = Infinity, other = Infinity;
      for (const pc of pieces) {
        const d = rectSegmentDistance(r, pc.x1, pc.y1, pc.x2, pc.y2);
        if (pc.owner === owner) own = Math.min(own, d); else other = Math.min(other, d);
        if (d <= 0.5) return false;
      }
      return own <= Math.max(14, r.h) && other >= own + 5;
    };

    /** Places one edge label beside its line (any of its forms, preferred side first). */
    const placeEdgeLabel = (i: number): boolean => {
      const e = EDGES[i]!;
      const [p, q] = edgeLines[i]!;
      for (const f of forms(edgeText[i]!, 'sd-edge-label taken')) {
        for (const [x, y] of clampAll({ x: 0, y: 0, w: f.w, h: f.h }, edgeCandidates(p, q, f.w, f.h, e.side), w, h)) {
          const r = { x, y, w: f.w, h: f.h };
          if (!placer.fits(r) || !reads(r, i)) continue;
          placer.block(r);
          const by = taken.get(i);
          const text = svg('text', { class: `sd-edge-label${by ? ' taken' : ''}`, 'text-anchor': 'middle', 'data-key': e.key });
          writeLines(text, f, r);
          groups[i]?.append(text);
          return true;
        }
      }
      return false;
    };

    // 1. The core edges' labels, always in the same order: they stay put from step to step.
    EDGES.forEach((e, i) => { if (e.core && drawn[i]) placeEdgeLabel(i); });
    // 2. The optional edges that were just taken.
    for (const i of taken.keys()) if (!EDGES[i]!.core) placeEdgeLabel(i);

    // 3. Host badges, on their box's top or bottom edge, clear of its name, else beside it.
    const drawBadge = (l: Lit, m: Metric, bw: number, pos: P, text = badgeText(l)): void => {
      const grp = svg('g', { class: `sd-badge ${hostClass(l.hostIndex)}`, transform: `translate(${pos[0]} ${pos[1]})`, 'data-host': l.host });
      grp.append(
        svg('title', {}, `${l.host}: ${l.state ?? ''}`),
        svg('rect', { x: 0, y: 0, width: bw, height: badgeH, rx: badgeH / 2 }),
        svg('text', { x: bw / 2, y: badgeH / 2 - (m.y + m.h / 2), 'text-anchor': 'middle', class: 'sd-badge-label' }, text),
      );
      badges.append(grp);
    };
    for (const [id, ls] of perNode) {
      const r = nodeRect(id);
      const nm = nodeM[ids.indexOf(id)]!;
      // A badge may overlap its own box's border, not its name.
      const own = { x: r.x + (r.w - nm.w) / 2 - 2, y: r.y + (r.h - textH) / 2, w: nm.w + 4, h: textH };
      const items = ls.map((l) => { const m = badgeM[lits.indexOf(l)]!; return { l, m, bw: Math.ceil(m.w + badgeH * 0.9) }; });
      const total = items.reduce((sum, it) => sum + it.bw, 0) + 4 * (items.length - 1);
      // All of a box's badges in one row on its top edge (or bottom edge), left, right or centred.
      const xs = [r.x - 6, r.x + r.w - total + 6, r.x + (r.w - total) / 2].map((x) => Math.min(Math.max(x, 1), w - total - 1));
      let done = false;
      for (const clearOfLines of [true, false]) for (const y of [r.y - badgeH + 3, r.y + r.h - 3]) for (const x0 of xs) {
        if (done) break;
        let x = x0;
        const row = items.map((it) => { const b = { x, y, w: it.bw, h: badgeH }; x += it.bw + 4; return b; });
        if (!row.every((b) => placer.inside(b) && !overlaps(b, own) && placer.fits(b, r) && (!clearOfLines || !placer.crossesLine(b)))) continue;
        row.forEach((b, i) => { placer.block(b); drawBadge(items[i]!.l, items[i]!.m, items[i]!.bw, [b.x, b.y]); });
        done = true;
      }
      if (done) continue;
      // No room for a row: one by one, on an edge, over the box's border beside its name, or beside the box.
      items.forEach((it, i) => {
        const { bw } = it;
        const cands: P[] = [];
        for (const x of [r.x - 6, r.x + r.w - bw + 6, r.x + (r.w - bw) / 2]) cands.push([x, r.y - badgeH + 3], [x, r.y + r.h - 3]);
        const midY = r.y + (r.h - badgeH) / 2;
        const inset = Math.max(0, own.x - r.x - 3);
        for (const dy of [0, -(badgeH - 4), badgeH - 4]) cands.push([r.x - bw + inset, midY + dy], [r.x + r.w - inset, midY + dy]);
        for (const dy of [0, -(badgeH + 2), badgeH + 2]) cands.push([r.x - bw - 4, midY + dy], [r.x + r.w + 4, midY + dy]);
        // A second tier above or below the first.
        for (const x of [r.x - 6, r.x + r.w - bw + 6]) cands.push([x, r.y - 2 * badgeH + 1], [x, r.y + r.h + badgeH - 1]);
        cands.push([r.x - 6 + i * 12, r.y - badgeH - 2], [r.x - 6 + i * 12, r.y + r.h + 2]);
        const chosen = placeBadge(placer, { x: 0, y: 0, w: bw, h: badgeH }, clampAll({ x: 0, y: 0, w: bw, h: badgeH }, cands, w, h), own, r);
        if (chosen) { drawBadge(it.l, it.m, bw, chosen); return; }
        // Nowhere for the name: the host's mark alone on the box's border (the name is its tooltip).
        const d = badgeH, mark = hostMark(it.l.hostIndex);
        const corners: P[] = [[r.x - d + 4, midY], [r.x + r.w - 4, midY], [r.x - d / 2, r.y - d / 2], [r.x + r.w - d / 2, r.y - d / 2], [r.x - d / 2, r.y + r.h - d / 2], [r.x + r.w - d / 2, r.y + r.h - d / 2], [r.x - d - 2, midY], [r.x + r.w + 2, midY]];
        const small = placeBadge(placer, { x: 0, y: 0, w: d, h: d }, clampAll({ x: 0, y: 0, w: d, h: d }, corners, w, h), own, r);
        if (small) drawBadge(it.l, markM[lits.indexOf(it.l)]!, d, small, mark);
      });
    }

    // 4. Call-outs for the arcs: the trace's own words for the transition, beside its arc.
    for (const a of arcs) {
      const label = a.l.transition!.label;
      const mid = quad(a.p, a.c, a.q, 0.5);
      let placed = false;
      for (const f of forms(label, 'sd-callout-label')) {
        if (placed) break;
        const pad = Math.ceil(f.lineH * 0.5);
        const bw = f.w + 2 * pad, bh = f.h + 6;
        const cands: P[] = [];
        const steps = [0, -0.5, 0.5, -1, 1, -1.5, 1.5, -2, 2];
        for (const t of [0.5, 0.35, 0.65, 0.2, 0.8]) {
          const pt = quad(a.p, a.c, a.q, t);
          for (const sy of steps) for (const sx of steps) cands.push([pt[0] - bw / 2 + sx * bw / 2, pt[1] - bh / 2 + sy * bh]);
        }
        cands.sort((u, v) => Math.hypot(u[0] + bw / 2 - mid[0], u[1] + bh / 2 - mid[1]) - Math.hypot(v[0] + bw / 2 - mid[0], v[1] + bh / 2 - mid[1]));
        const box = { x: 0, y: 0, w: bw, h: bh };
        for (const strict of [true, false]) {
          if (placed) break;
          for (const [x, y] of clampAll(box, cands, w, h)) {
            const r = { x, y, w: bw, h: bh };
            if (!placer.fits(r)) continue;
            // Its own arc nearest; failing that, at least off every other line.
            if (strict ? !reads(r, a.owner) : pieces.some((pc) => pc.owner !== a.owner && segmentHitsRect(pc.x1, pc.y1, pc.x2, pc.y2, r))) continue;
            placer.block(r);
            placed = true;
            const grp = svg('g', { class: `sd-callout ${hostClass(a.l.hostIndex)}`, transform: `translate(${x} ${y})`, 'data-host': a.l.host, 'data-cause': a.l.transition!.raw ?? '' });
            grp.append(svg('rect', { x: 0, y: 0, width: bw, height: bh, rx: 6 }));
            const text = svg('text', { class: 'sd-callout-label', 'text-anchor': 'middle' });
            writeLines(text, f, { x: 0, y: 3, w: bw, h: f.h });
            grp.append(text);
            badges.append(grp);
            break;
          }
        }
      }
    }

    // 5. The optional edges, where room is left.
    EDGES.forEach((e, i) => { if (!e.core && !taken.has(i) && drawn[i]) placeEdgeLabel(i); });
  }
}
