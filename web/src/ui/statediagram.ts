// The RFC 9293 §3.3.2 connection state diagram (Figure 5), in its usual layout.
// Which states are lit and which transition was just taken come only from trace `state` events;
// a transition the figure does not draw (a reset, a crash, a timeout) appears as a dashed arc.
//
// Drawn one SVG unit per CSS pixel and laid out again whenever the box changes size, so that
// the type sizes in style.css are what a reader sees (projection mode and phones set their own).
// The boxes keep the figure's arrangement, stretched to the space there is; host badges and
// labels then go through a placement pass (layout.ts LabelPlacer): the transition just taken,
// the ways out of the lit states, then the rest of the figure. A label that finds no room is
// broken in two at its "/", or left out: its edge keeps it as a tooltip.
import type { StateName } from '../types';
import { LabelPlacer, overlaps, type Offset, type Rect } from '../layout';
import { clear, svg } from './dom';
import { hostClass, hostMark, measureTexts } from './ladder';

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

/** from, to, catalogue key of the figure's label, px between the two arrows of a pair, and the
 *  side of the arrow its label prefers (-1 left or above, 1 right or below). */
type Edge = { from: NodeId; to: NodeId; key: string; off?: number; side?: -1 | 1 };
export const EDGES: Edge[] = [
  { from: 'CLOSED', to: 'LISTEN', key: 'edge.passive_open', off: -7, side: -1 },
  { from: 'LISTEN', to: 'CLOSED', key: 'edge.listen_close', off: 7, side: 1 },
  { from: 'CLOSED', to: 'SYN_SENT', key: 'edge.active_open', off: -6, side: 1 },
  { from: 'SYN_SENT', to: 'CLOSED', key: 'edge.syn_sent_close', off: 6, side: 1 },
  { from: 'LISTEN', to: 'SYN_RECEIVED', key: 'edge.rcv_syn', off: -6, side: -1 },
  { from: 'SYN_RECEIVED', to: 'LISTEN', key: 'edge.rcv_rst', off: 6, side: 1 },
  { from: 'LISTEN', to: 'SYN_SENT', key: 'edge.listen_send', side: 1 },
  { from: 'SYN_SENT', to: 'SYN_RECEIVED', key: 'edge.simultaneous', side: -1 },
  { from: 'SYN_SENT', to: 'ESTABLISHED', key: 'edge.rcv_synack', side: 1 },
  { from: 'SYN_RECEIVED', to: 'ESTABLISHED', key: 'edge.rcv_ack_of_syn', side: 1 },
  { from: 'SYN_RECEIVED', to: 'FIN_WAIT_1', key: 'edge.close_snd_fin', side: -1 },
  { from: 'ESTABLISHED', to: 'FIN_WAIT_1', key: 'edge.close_snd_fin', side: 1 },
  { from: 'ESTABLISHED', to: 'CLOSE_WAIT', key: 'edge.rcv_fin', side: 1 },
  { from: 'FIN_WAIT_1', to: 'FIN_WAIT_2', key: 'edge.rcv_ack_of_fin', side: -1 },
  { from: 'FIN_WAIT_1', to: 'CLOSING', key: 'edge.rcv_fin', side: -1 },
  { from: 'FIN_WAIT_1', to: 'TIME_WAIT', key: 'edge.rcv_finack', side: 1 },
  { from: 'FIN_WAIT_2', to: 'TIME_WAIT', key: 'edge.rcv_fin', side: 1 },
  { from: 'CLOSING', to: 'TIME_WAIT', key: 'edge.rcv_ack_of_fin', side: 1 },
  { from: 'CLOSE_WAIT', to: 'LAST_ACK', key: 'edge.close_snd_fin', side: 1 },
  { from: 'LAST_ACK', to: 'CLOSED_END', key: 'edge.rcv_ack_of_fin', side: 1 },
  { from: 'TIME_WAIT', to: 'CLOSED_END', key: 'edge.two_msl', side: -1 },
];

export interface Lit { host: string; hostIndex: number; state?: StateName; closedAtEnd: boolean; transition?: { from: StateName; to: StateName; label: string; current: boolean } }

type P = [number, number];

interface Geometry { nw: number; nh: number; at: (id: NodeId) => P }

/** Text boxes relative to the anchor point (text-anchor middle, baseline at 0). */
type Metric = Rect;

export class StateDiagram {
  readonly root: SVGSVGElement;
  private lits: Lit[] = [];
  private size = { w: 0, h: 0 };

  constructor(root: SVGSVGElement, private t: (k: string) => string, private stateName: (s: string) => string) {
    this.root = root;
    if (typeof ResizeObserver !== 'undefined') {
      new ResizeObserver(() => {
        const w = root.clientWidth, h = root.clientHeight;
        if (Math.abs(w - this.size.w) >= 1 || Math.abs(h - this.size.h) >= 1) this.draw();
      }).observe(root);
    }
    this.draw();
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
    let w = root.clientWidth, h = root.clientHeight;
    if (w < 10 || h < 10) { this.size = { w, h }; return; }

    const lits = this.lits;
    const perNode = new Map<NodeId, Lit[]>();
    for (const l of lits) {
      if (!l.state) continue;
      const id: NodeId = l.state === 'CLOSED' && l.closedAtEnd ? 'CLOSED_END' : l.state;
      perNode.set(id, [...(perNode.get(id) ?? []), l]);
    }
    const ids = Object.keys(NODES) as NodeId[];
    const edgeText = EDGES.map((e) => this.t(e.key));
    const halves = edgeText.map((s) => splitLabel(s));
    const extra = lits.filter((l) => l.transition?.current).map((l) => l.transition!.label);
    const badgeText = (l: Lit): string => `${hostMark(l.hostIndex)} ${l.host}`;

    // One layout for every string this drawing needs.
    const centred = 'middle' as const;
    const probe = measureTexts(root, [
      ...ids.map((id) => ({ cls: 'sd-node-label', text: this.nodeName(id), anchor: centred })),
      ...edgeText.map((text) => ({ cls: 'sd-edge-label taken', text, anchor: centred })),
      ...halves.flatMap(([a, b]) => [{ cls: 'sd-edge-label taken', text: a, anchor: centred }, { cls: 'sd-edge-label taken', text: b, anchor: centred }]),
      ...lits.map((l) => ({ cls: 'sd-badge-label', text: badgeText(l), anchor: centred })),
      ...extra.map((text) => ({ cls: 'sd-callout-label', text, anchor: centred })),
    ]);
    let k = 0;
    const take = (n: number): Metric[] => { const out = probe.slice(k, k + n); k += n; return out; };
    const nodeM = take(ids.length), edgeM = take(EDGES.length), halfM = take(2 * EDGES.length), badgeM = take(lits.length), extraM = take(extra.length);

    const textH = Math.max(...nodeM.map((m) => m.h));
    const nw = Math.ceil(Math.max(...nodeM.map((m) => m.w)) + textH * 1.1);
    const nh = Math.ceil(textH + 10);
    const badgeH = Math.ceil(Math.max(textH * 0.9, ...badgeM.map((m) => m.h)) + 6);
    // The smallest box that still shows every state's name: the panel scrolls below that size
    // (a narrow phone, a projector with a quiz open) rather than the type shrinking.
    const minW = 3 * nw + 2 * 10, minH = Math.ceil(nh + 8 + LAST_ROW * (nh + 6));
    if (root.style.minWidth !== `${minW}px` || root.style.minHeight !== `${minH}px`) {
      root.style.minWidth = `${minW}px`;
      root.style.minHeight = `${minH}px`;
      w = root.clientWidth; h = root.clientHeight;
    }
    this.size = { w, h };
    root.setAttribute('viewBox', `0 0 ${w} ${h}`);
    root.setAttribute('preserveAspectRatio', 'xMinYMin meet');
    const mx = nw / 2 + 3;
    // Room above the top row and below the bottom one for a badge, if there is room at all.
    const spare = h - minH;
    const room = Math.min(badgeH - 1, Math.max(0, spare / 4));
    const top = nh / 2 + 3 + room, bottom = h - nh / 2 - 3 - room;
    const g: Geometry = {
      nw, nh,
      at: (id) => {
        const [fx, row] = NODES[id];
        return [mx + fx * Math.max(0, w - 2 * mx), top + (row / LAST_ROW) * Math.max(0, bottom - top)];
      },
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
    const badges = svg('g', { class: 'sd-badges' });
    root.append(defs, edgeLayer, dyn, nodeLayer, badges);

    const placer = new LabelPlacer({ x: 0, y: 0, w, h }, 3);
    const rects = new Map<NodeId, Rect>();
    const nodeRect = (id: NodeId): Rect => {
      let r = rects.get(id);
      if (!r) { const [x, y] = g.at(id); r = { x: x - nw / 2, y: y - nh / 2, w: nw, h: nh }; rects.set(id, r); }
      return r;
    };

    // Boxes.
    ids.forEach((id, i) => {
      const [x, y] = g.at(id);
      const ls = perNode.get(id);
      const cls = ls ? `sd-node lit ${ls.map((l) => `lit-${hostClass(l.hostIndex)}`).join(' ')}` : 'sd-node';
      const grp = svg('g', { class: cls, 'data-state': id });
      grp.append(svg('rect', { x: x - nw / 2, y: y - nh / 2, width: nw, height: nh, rx: Math.min(10, nh / 3) }));
      const m = nodeM[i]!;
      grp.append(svg('text', { x, y: y - (m.y + m.h / 2), 'text-anchor': 'middle', class: 'sd-node-label' }, this.nodeName(id)));
      nodeLayer.append(grp);
      placer.block(nodeRect(id));
    });

    // Taken transitions: the figure's edge, or a dashed arc for one it does not draw.
    const taken = new Map<number, Lit>();
    const arcs: { l: Lit; p: P; c: P; q: P; m: Metric }[] = [];
    let ei = 0;
    for (const l of lits) {
      const tr = l.transition;
      if (!tr || !tr.current) continue;
      const m = extraM[ei++]!;
      const toId: NodeId = tr.to === 'CLOSED' && tr.from !== 'LISTEN' && tr.from !== 'SYN_SENT' ? 'CLOSED_END' : tr.to;
      const fromId: NodeId = tr.from;
      const idx = EDGES.findIndex((e) => e.from === fromId && (e.to === toId || (toId === 'CLOSED_END' && e.to === 'CLOSED')));
      if (idx >= 0) { if (!taken.has(idx)) taken.set(idx, l); continue; }
      const a = g.at(fromId), b = g.at(toId);
      const p = border(a, b, nw, nh), q = border(b, a, nw, nh);
      const bend = fromId === toId ? Math.max(40, nh * 1.6) : 0.25;
      const c: P = fromId === toId ? [p[0] + bend, p[1] - bend] : [(p[0] + q[0]) / 2 + (q[1] - p[1]) * bend, (p[1] + q[1]) / 2 - (q[0] - p[0]) * bend];
      dyn.append(svg('path', { d: `M ${p[0]} ${p[1]} Q ${c[0]} ${c[1]} ${q[0]} ${q[1]}`, class: `sd-extra ${hostClass(l.hostIndex)}`, 'marker-end': `url(#arrow-${hostClass(l.hostIndex)})` }));
      const arc = { l, p, c, q, m };
      // The curve as a few straight pieces, for labels to keep off.
      let prev = p;
      for (let i = 1; i <= 6; i++) {
        const t = i / 6, u = 1 - t;
        const pt: P = [u * u * p[0] + 2 * u * t * c[0] + t * t * q[0], u * u * p[1] + 2 * u * t * c[1] + t * t * q[1]];
        placer.line(prev[0], prev[1], pt[0], pt[1], arc);
        prev = pt;
      }
      arcs.push(arc);
    }

    // Edges, their labels waiting for a place.
    const litIds = new Set(perNode.keys());
    const edgeJobs: { i: number; prio: number; grp: SVGGElement; p: P; q: P }[] = [];
    EDGES.forEach((e, i) => {
      const [x1, y1, x2, y2] = edgePoints(g, e);
      const by = taken.get(i);
      const grp = svg('g', { class: `sd-edge${by ? ` taken ${hostClass(by.hostIndex)}` : ''}`, 'data-from': e.from, 'data-to': e.to });
      grp.append(svg('title', {}, edgeText[i]!));
      grp.append(svg('line', { x1, y1, x2, y2, 'marker-end': `url(#arrow-${by ? hostClass(by.hostIndex) : 'plain'})` }));
      // A wider, invisible line to point at: an unlabelled edge still says its label on hover.
      grp.append(svg('path', { d: `M ${x1} ${y1} L ${x2} ${y2}`, class: 'sd-hit' }));
      edgeLayer.append(grp);
      placer.line(x1, y1, x2, y2, i);
      const from: NodeId = e.from;
      const prio = by ? 0 : litIds.has(from) || (from === 'CLOSED' && litIds.has('CLOSED_END')) ? 1 : litIds.has(e.to) ? 2 : 3;
      edgeJobs.push({ i, prio, grp, p: [x1, y1], q: [x2, y2] });
    });

    // Host badges sit on their box's top or bottom edge, clear of its name, else beside it; first,
    // since they say who is where.
    const drawBadge = (l: Lit, m: Metric, bw: number, at: P, text = badgeText(l)): void => {
      const grp = svg('g', { class: `sd-badge ${hostClass(l.hostIndex)}`, transform: `translate(${at[0]} ${at[1]})` });
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
      const markM = measureTexts(root, ls.map((l) => ({ cls: 'sd-badge-label', text: hostMark(l.hostIndex), anchor: centred })));
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
      // No room for a row: one by one, on an edge or beside the box.
      items.forEach((it, i) => {
        const { bw } = it;
        const cands: P[] = [];
        for (const x of [r.x - 6, r.x + r.w - bw + 6, r.x + (r.w - bw) / 2]) cands.push([x, r.y - badgeH + 3], [x, r.y + r.h - 3]);
        const midY = r.y + (r.h - badgeH) / 2;
        for (const dy of [0, -(badgeH + 2), badgeH + 2]) cands.push([r.x - bw - 4, midY + dy], [r.x + r.w + 4, midY + dy]);
        // A second tier above or below the first.
        for (const x of [r.x - 6, r.x + r.w - bw + 6]) cands.push([x, r.y - 2 * badgeH + 1], [x, r.y + r.h + badgeH - 1]);
        cands.push([r.x - 6 + i * 12, r.y - badgeH - 2], [r.x - 6 + i * 12, r.y + r.h + 2]);
        const chosen = placeBadge(placer, { x: 0, y: 0, w: bw, h: badgeH }, clampAll({ x: 0, y: 0, w: bw, h: badgeH }, cands, w, h), own, r);
        if (chosen) { drawBadge(it.l, it.m, bw, chosen); return; }
        // Too tight for the name (a small screen, a projector with a quiz open): the host's mark
        // alone, on the box's border; the lines under the figure pair the mark with the name.
        const d = badgeH, mark = hostMark(it.l.hostIndex);
        const corners: P[] = [[r.x - d + 4, midY], [r.x + r.w - 4, midY], [r.x - d / 2, r.y - d / 2], [r.x + r.w - d / 2, r.y - d / 2], [r.x - d / 2, r.y + r.h - d / 2], [r.x + r.w - d / 2, r.y + r.h - d / 2], [r.x - d - 2, midY], [r.x + r.w + 2, midY]];
        const small = placeBadge(placer, { x: 0, y: 0, w: d, h: d }, clampAll({ x: 0, y: 0, w: d, h: d }, corners, w, h), own, r);
        if (small) drawBadge(it.l, markM[i]!, d, small, mark);
      });
    }

    // Call-outs for the arcs the figure does not have: near the middle of the arc, on one line or
    // broken after its "/".
    for (const a of arcs) {
      const mid: P = [(a.p[0] + 2 * a.c[0] + a.q[0]) / 4, (a.p[1] + 2 * a.c[1] + a.q[1]) / 4];
      const label = a.l.transition!.label;
      const [first, second] = splitLabel(label);
      const forms: { lines: string[]; m: Metric[] }[] = [{ lines: [label], m: [a.m] }];
      if (second) forms.push({ lines: [first, second], m: measureTexts(root, [first, second].map((text) => ({ cls: 'sd-callout-label', text, anchor: centred }))) });
      let placed = false;
      for (const f of forms) {
        if (placed) break;
        const lineH = Math.max(...f.m.map((x) => x.h));
        const pad = Math.ceil(lineH * 0.5);
        const bw = Math.max(...f.m.map((x) => x.w)) + 2 * pad, bh = lineH * f.lines.length + 6;
        const cands: Offset[] = [];
        // Around points along the arc, in half-box steps (the gaps between rows are narrow),
        // nearest to the arc's middle first.
        const steps = [0, -0.5, 0.5, -1, 1, -1.5, 1.5, -2, 2];
        for (const t of [0.5, 0.3, 0.7, 0.15, 0.85]) {
          const u = 1 - t;
          const at: P = [u * u * a.p[0] + 2 * u * t * a.c[0] + t * t * a.q[0], u * u * a.p[1] + 2 * u * t * a.c[1] + t * t * a.q[1]];
          for (const sy of steps) for (const sx of steps) cands.push([at[0] - bw / 2 + sx * bw / 2, at[1] - bh / 2 + sy * bh]);
        }
        cands.sort((a, b) => Math.hypot(a[0] + bw / 2 - mid[0], a[1] + bh / 2 - mid[1]) - Math.hypot(b[0] + bw / 2 - mid[0], b[1] + bh / 2 - mid[1]));
        const box = { x: 0, y: 0, w: bw, h: bh };
        const o = placer.place(box, clampAll(box, cands, w, h), { owner: a, lines: 'prefer' });
        if (!o) continue;
        placed = true;
        const grp = svg('g', { class: `sd-callout ${hostClass(a.l.hostIndex)}`, transform: `translate(${o[0]} ${o[1]})` });
        grp.append(svg('rect', { x: 0, y: 0, width: bw, height: bh, rx: 6 }));
        const text = svg('text', { class: 'sd-callout-label', 'text-anchor': 'middle' });
        f.lines.forEach((line, i) => text.append(svg('tspan', { x: bw / 2, y: 3 + i * lineH + (lineH - f.m[i]!.h) / 2 - f.m[i]!.y }, line)));
        grp.append(text);
        badges.append(grp);
      }
    }

    // Edge labels by priority: one line, else two, else only the tooltip. The transition just
    // taken and the ways out of the lit states are always labelled; the rest of the figure only
    // where a label sits clear of every other line, so that no label reads as another arrow's.
    edgeJobs.sort((a, b) => a.prio - b.prio || a.i - b.i);
    for (const job of edgeJobs) {
      const e = EDGES[job.i]!;
      const one = edgeM[job.i]!, [ha, hb] = [halfM[2 * job.i]!, halfM[2 * job.i + 1]!];
      const cls = `sd-edge-label${job.prio === 0 ? ' taken' : job.prio === 1 ? ' next' : ''}`;
      const forms: { lines: string[]; m: Metric[] }[] = [{ lines: [edgeText[job.i]!], m: [one] }];
      const [a, b] = halves[job.i]!;
      if (b) forms.push({ lines: [a, b], m: [ha, hb] });
      const sized = forms.map((f) => {
        const lineH = Math.max(...f.m.map((x) => x.h));
        return { ...f, lineH, bw: Math.max(...f.m.map((x) => x.w)), bh: lineH * f.lines.length };
      });
      // Clear of other lines in either form first; crossing one only for the labels that must show.
      const passes: ('require' | undefined)[] = job.prio <= 1 ? ['require', undefined] : ['require'];
      let done = false;
      for (const lines of passes) for (const f of sized) {
        if (done) break;
        const { lineH, bw, bh } = f;
        const box = { x: 0, y: 0, w: bw, h: bh };
        const o = placer.place(box, clampAll(box, edgeCandidates(job.p, job.q, bw, bh, e.side ?? 1), w, h), lines ? { owner: job.i, lines } : {});
        if (!o) continue;
        done = true;
        const text = svg('text', { class: cls, 'text-anchor': 'middle', 'data-key': e.key });
        f.lines.forEach((line, li) => {
          const m = f.m[li]!;
          text.append(svg('tspan', { x: o[0] + bw / 2, y: o[1] + li * lineH + (lineH - m.h) / 2 - m.y }, line));
        });
        job.grp.append(text);
      }
    }
  }
}

/** Splits "rcv SYN / snd SYN,ACK" after its slash, for a label on two lines. */
function splitLabel(s: string): [string, string] {
  const i = s.indexOf(' / ');
  if (i < 0) return [s, ''];
  return [s.slice(0, i + 2).trim(), s.slice(i + 3).trim()];
}

function border(from: P, to: P, nw: number, nh: number): P {
  const dx = to[0] - from[0], dy = to[1] - from[1];
  if (dx === 0 && dy === 0) return from;
  const sx = dx === 0 ? Infinity : (nw / 2 + 3) / Math.abs(dx);
  const sy = dy === 0 ? Infinity : (nh / 2 + 3) / Math.abs(dy);
  const s = Math.min(sx, sy);
  return [from[0] + dx * s, from[1] + dy * s];
}

function edgePoints(g: Geometry, e: Edge): [number, number, number, number] {
  const a = g.at(e.from), b = g.at(e.to);
  const len = Math.hypot(b[0] - a[0], b[1] - a[1]) || 1;
  const nx = -(b[1] - a[1]) / len, ny = (b[0] - a[0]) / len;
  const o = e.off ?? 0;
  const a2: P = [a[0] + nx * o, a[1] + ny * o];
  const b2: P = [b[0] + nx * o, b[1] + ny * o];
  const p = border(a2, b2, g.nw, g.nh), q = border(b2, a2, g.nw, g.nh);
  return [p[0], p[1], q[0], q[1]];
}

/** Top-left corners for a w × h label beside the segment p → q: its middle first, then along it;
 *  the preferred side first (left/above for -1), clear of the line by the box's own extent. */
function edgeCandidates(p: P, q: P, w: number, h: number, side: -1 | 1): Offset[] {
  const dx = q[0] - p[0], dy = q[1] - p[1];
  const len = Math.hypot(dx, dy) || 1;
  // The normal that points right (or down for a horizontal edge) is side 1.
  let nx = -dy / len, ny = dx / len;
  if (nx < -1e-6 || (Math.abs(nx) <= 1e-6 && ny < 0)) { nx = -nx; ny = -ny; }
  const clear = Math.abs(nx) * w / 2 + Math.abs(ny) * h / 2 + 4;
  const out: Offset[] = [];
  for (const f of [0.5, 0.38, 0.62, 0.26, 0.74, 0.15, 0.85]) {
    const cx = p[0] + dx * f, cy = p[1] + dy * f;
    for (const s of [side, -side]) out.push([cx + s * nx * clear - w / 2, cy + s * ny * clear - h / 2]);
  }
  return out;
}

/** Each candidate, then the same one slid back inside the drawing if it stuck out. */
function clampAll(b: Rect, cands: Offset[], w: number, h: number): Offset[] {
  const out: Offset[] = [];
  for (const [x, y] of cands) {
    out.push([x, y]);
    const cx = Math.min(Math.max(x, 1), w - b.w - 1), cy = Math.min(Math.max(y, 1), h - b.h - 1);
    if (cx !== x || cy !== y) out.push([cx, cy]);
  }
  return out;
}

/** A badge may cover its own box's border but not its name, nor anything else placed. */
function placeBadge(placer: LabelPlacer, box: Rect, cands: readonly Offset[], ownName: Rect, ownBox: Rect): P | undefined {
  for (const [x, y] of cands) {
    const r = { x, y, w: box.w, h: box.h };
    if (!placer.inside(r)) continue;
    if (r.x < ownName.x + ownName.w && ownName.x < r.x + r.w && r.y < ownName.y + ownName.h && ownName.y < r.y + r.h) continue;
    // Test against everything but the own box: lift it out while checking.
    if (placer.fits(r, ownBox) && !placer.crossesLine(r)) { placer.block(r); return [x, y]; }
  }
  for (const [x, y] of cands) {
    const r = { x, y, w: box.w, h: box.h };
    if (!placer.inside(r)) continue;
    if (r.x < ownName.x + ownName.w && ownName.x < r.x + r.w && r.y < ownName.y + ownName.h && ownName.y < r.y + r.h) continue;
    if (placer.fits(r, ownBox)) { placer.block(r); return [x, y]; }
  }
  return undefined;
}
