// The RFC 9293 §3.3.2 connection state diagram (Figure 5), drawn once in its usual layout.
// Which states are lit and which transition was just taken come only from trace `state` events;
// a transition the figure does not draw (a reset, a crash, a timeout) appears as a dashed arc.
import type { StateName } from '../types';
import { clear, svg } from './dom';
import { hostClass, hostMark } from './ladder';

type NodeId = StateName | 'CLOSED_END';

const W = 156, H = 44;
export const NODES: Record<NodeId, [number, number]> = {
  CLOSED: [380, 30],
  LISTEN: [380, 120],
  SYN_RECEIVED: [110, 214],
  SYN_SENT: [650, 214],
  ESTABLISHED: [380, 292],
  FIN_WAIT_1: [110, 390],
  CLOSING: [380, 390],
  CLOSE_WAIT: [650, 356],
  LAST_ACK: [650, 440],
  FIN_WAIT_2: [110, 522],
  TIME_WAIT: [380, 522],
  CLOSED_END: [650, 522],
};

/** [from, to, catalogue key of the figure's label, perpendicular offset of a parallel pair, label placement] */
type Edge = { from: NodeId; to: NodeId; key: string; off?: number; lx?: number; ly?: number; anchor?: 'start' | 'middle' | 'end' };
export const EDGES: Edge[] = [
  { from: 'CLOSED', to: 'LISTEN', key: 'edge.passive_open', off: -8, lx: -12, ly: 4, anchor: 'end' },
  { from: 'LISTEN', to: 'CLOSED', key: 'edge.listen_close', off: 8, lx: 12, ly: 4, anchor: 'start' },
  { from: 'CLOSED', to: 'SYN_SENT', key: 'edge.active_open', off: -7, lx: 14, ly: -12, anchor: 'start' },
  { from: 'SYN_SENT', to: 'CLOSED', key: 'edge.syn_sent_close', off: 7, lx: 70, ly: -42, anchor: 'start' },
  { from: 'LISTEN', to: 'SYN_RECEIVED', key: 'edge.rcv_syn', off: -7, lx: -14, ly: -10, anchor: 'end' },
  { from: 'SYN_RECEIVED', to: 'LISTEN', key: 'edge.rcv_rst', off: 7, lx: 12, ly: 16, anchor: 'start' },
  { from: 'LISTEN', to: 'SYN_SENT', key: 'edge.listen_send', lx: -8, ly: 20, anchor: 'start' },
  { from: 'SYN_SENT', to: 'SYN_RECEIVED', key: 'edge.simultaneous', lx: 0, ly: -8, anchor: 'middle' },
  { from: 'SYN_SENT', to: 'ESTABLISHED', key: 'edge.rcv_synack', lx: 12, ly: 14, anchor: 'start' },
  { from: 'SYN_RECEIVED', to: 'ESTABLISHED', key: 'edge.rcv_ack_of_syn', lx: -12, ly: 16, anchor: 'end' },
  { from: 'SYN_RECEIVED', to: 'FIN_WAIT_1', key: 'edge.close_snd_fin', lx: -10, ly: 0, anchor: 'end' },
  { from: 'ESTABLISHED', to: 'FIN_WAIT_1', key: 'edge.close_snd_fin', lx: -10, ly: -10, anchor: 'end' },
  { from: 'ESTABLISHED', to: 'CLOSE_WAIT', key: 'edge.rcv_fin', lx: 8, ly: 20, anchor: 'middle' },
  { from: 'FIN_WAIT_1', to: 'FIN_WAIT_2', key: 'edge.rcv_ack_of_fin', lx: -10, ly: -18, anchor: 'end' },
  { from: 'FIN_WAIT_1', to: 'CLOSING', key: 'edge.rcv_fin', lx: 0, ly: -8, anchor: 'middle' },
  { from: 'FIN_WAIT_1', to: 'TIME_WAIT', key: 'edge.rcv_finack', lx: 6, ly: 20, anchor: 'start' },
  { from: 'FIN_WAIT_2', to: 'TIME_WAIT', key: 'edge.rcv_fin', lx: 0, ly: 20, anchor: 'middle' },
  { from: 'CLOSING', to: 'TIME_WAIT', key: 'edge.rcv_ack_of_fin', lx: 10, ly: -18, anchor: 'start' },
  { from: 'CLOSE_WAIT', to: 'LAST_ACK', key: 'edge.close_snd_fin', lx: 10, ly: 4, anchor: 'start' },
  { from: 'LAST_ACK', to: 'CLOSED_END', key: 'edge.rcv_ack_of_fin', lx: 10, ly: 4, anchor: 'start' },
  { from: 'TIME_WAIT', to: 'CLOSED_END', key: 'edge.two_msl', lx: 0, ly: -10, anchor: 'middle' },
];

function border(from: [number, number], to: [number, number]): [number, number] {
  const dx = to[0] - from[0], dy = to[1] - from[1];
  if (dx === 0 && dy === 0) return from;
  const sx = dx === 0 ? Infinity : (W / 2 + 4) / Math.abs(dx);
  const sy = dy === 0 ? Infinity : (H / 2 + 4) / Math.abs(dy);
  const s = Math.min(sx, sy);
  return [from[0] + dx * s, from[1] + dy * s];
}

function edgePoints(e: Edge): [number, number, number, number] {
  const a = NODES[e.from], b = NODES[e.to];
  const len = Math.hypot(b[0] - a[0], b[1] - a[1]) || 1;
  const nx = -(b[1] - a[1]) / len, ny = (b[0] - a[0]) / len;
  const o = e.off ?? 0;
  const a2: [number, number] = [a[0] + nx * o, a[1] + ny * o];
  const b2: [number, number] = [b[0] + nx * o, b[1] + ny * o];
  const p = border(a2, b2), q = border(b2, a2);
  return [p[0], p[1], q[0], q[1]];
}

export interface Lit { host: string; hostIndex: number; state?: StateName; closedAtEnd: boolean; transition?: { from: StateName; to: StateName; label: string; current: boolean } }

export class StateDiagram {
  readonly root: SVGSVGElement;
  private nodes = new Map<NodeId, SVGGElement>();
  private edges: { e: Edge; g: SVGGElement }[] = [];
  private dyn: SVGGElement;
  private badges: SVGGElement;

  constructor(root: SVGSVGElement, private t: (k: string) => string, private stateName: (s: string) => string) {
    this.root = root;
    clear(root);
    root.setAttribute('viewBox', '-30 0 820 552');
    const defs = svg('defs');
    for (const cls of ['plain', 'host-0', 'host-1', 'host-2', 'host-3']) {
      const mk = svg('marker', { id: `arrow-${cls}`, viewBox: '0 0 10 10', refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: 'auto-start-reverse' });
      mk.append(svg('path', { d: 'M0,0 L10,5 L0,10 z', class: `marker ${cls}` }));
      defs.append(mk);
    }
    root.append(defs);
    const edgeLayer = svg('g', { class: 'sd-edges' });
    this.dyn = svg('g', { class: 'sd-dyn' });
    const nodeLayer = svg('g', { class: 'sd-nodes' });
    this.badges = svg('g', { class: 'sd-badges' });
    root.append(edgeLayer, this.dyn, nodeLayer, this.badges);
    for (const e of EDGES) {
      const [x1, y1, x2, y2] = edgePoints(e);
      const g = svg('g', { class: 'sd-edge', 'data-from': e.from, 'data-to': e.to });
      g.append(svg('line', { x1, y1, x2, y2, 'marker-end': 'url(#arrow-plain)' }));
      const mx = (x1 + x2) / 2 + (e.lx ?? 0), my = (y1 + y2) / 2 + (e.ly ?? 0);
      g.append(svg('text', { x: mx, y: my, 'text-anchor': e.anchor ?? 'middle', class: 'sd-edge-label', 'data-key': e.key }, t(e.key)));
      edgeLayer.append(g);
      this.edges.push({ e, g });
    }
    for (const [id, [x, y]] of Object.entries(NODES) as [NodeId, [number, number]][]) {
      const g = svg('g', { class: 'sd-node', 'data-state': id });
      g.append(svg('rect', { x: x - W / 2, y: y - H / 2, width: W, height: H, rx: 10 }));
      g.append(svg('text', { x, y: y + 6, 'text-anchor': 'middle' }, stateName(id === 'CLOSED_END' ? 'CLOSED' : id)));
      nodeLayer.append(g);
      this.nodes.set(id, g);
    }
  }

  relabel(t: (k: string) => string, stateName: (s: string) => string): void {
    this.t = t;
    this.stateName = stateName;
    for (const { g } of this.edges) {
      const txt = g.querySelector('text');
      if (txt) txt.textContent = t(txt.getAttribute('data-key') ?? '');
    }
    for (const [id, g] of this.nodes) {
      const txt = g.querySelector('text');
      if (txt) txt.textContent = stateName(id === 'CLOSED_END' ? 'CLOSED' : id);
    }
  }

  update(lits: Lit[]): void {
    clear(this.dyn);
    clear(this.badges);
    for (const g of this.nodes.values()) g.setAttribute('class', 'sd-node');
    for (const { g } of this.edges) g.setAttribute('class', 'sd-edge');
    const perNode = new Map<NodeId, Lit[]>();
    for (const l of lits) {
      if (!l.state) continue;
      const id: NodeId = l.state === 'CLOSED' && l.closedAtEnd ? 'CLOSED_END' : l.state;
      perNode.set(id, [...(perNode.get(id) ?? []), l]);
    }
    for (const [id, ls] of perNode) {
      const g = this.nodes.get(id)!;
      g.setAttribute('class', `sd-node lit ${ls.map((l) => `lit-${hostClass(l.hostIndex)}`).join(' ')}`);
      const [x, y] = NODES[id];
      // Name tags above the box's left half (edges arrive at the middle, their labels to the
      // side): the text cue that does not depend on colour.
      let bx = x - W / 2 - 6;
      ls.forEach((l) => {
        const label = l.host;
        const w = Math.max(58, label.length * 9 + 18);
        const by = y - H / 2 - 14; // straddles the box edge, clear of the labels between rows
        const b = svg('g', { class: `sd-badge ${hostClass(l.hostIndex)}` });
        b.append(svg('rect', { x: bx, y: by, width: w, height: 22, rx: 11 }));
        b.append(svg('text', { x: bx + w / 2, y: by + 16, 'text-anchor': 'middle' }, `${hostMark(l.hostIndex)} ${label}`));
        this.badges.append(b);
        bx += w + 4;
      });
    }
    for (const l of lits) {
      const tr = l.transition;
      if (!tr || !tr.current) continue;
      const toId: NodeId = tr.to === 'CLOSED' && tr.from !== 'LISTEN' && tr.from !== 'SYN_SENT' ? 'CLOSED_END' : tr.to;
      const fromId: NodeId = tr.from;
      const edge = this.edges.find(({ e }) => e.from === fromId && (e.to === toId || (toId === 'CLOSED_END' && e.to === 'CLOSED')));
      if (edge) {
        // The figure's own label says what happened; the exact segments are in the line below.
        edge.g.setAttribute('class', `sd-edge taken ${hostClass(l.hostIndex)}`);
        edge.g.querySelector('line')?.setAttribute('marker-end', `url(#arrow-${hostClass(l.hostIndex)})`);
        continue;
      }
      // Not in the figure (RST, abort, crash, a timer): a dashed arc to where it went, labelled
      // with the cause from the trace.
      const a = NODES[fromId], b = NODES[toId];
      const p = border(a, b), q = border(b, a);
      const bend = fromId === toId ? 60 : 0.25;
      const cx = fromId === toId ? p[0] + bend : (p[0] + q[0]) / 2 + (q[1] - p[1]) * bend;
      const cy = fromId === toId ? p[1] - bend : (p[1] + q[1]) / 2 - (q[0] - p[0]) * bend;
      this.dyn.append(svg('path', { d: `M ${p[0]} ${p[1]} Q ${cx} ${cy} ${q[0]} ${q[1]}`, class: `sd-extra ${hostClass(l.hostIndex)}`, 'marker-end': `url(#arrow-${hostClass(l.hostIndex)})` }));
      const mid: [number, number] = [(p[0] + 2 * cx + q[0]) / 4, (p[1] + 2 * cy + q[1]) / 4];
      const text = tr.label;
      const w = text.length * 7.6 + 16;
      const mx = Math.min(Math.max(mid[0], w / 2 - 28), 788 - w / 2);
      const call = svg('g', { class: `sd-callout ${hostClass(l.hostIndex)}` });
      call.append(svg('rect', { x: mx - w / 2, y: mid[1] - 13, width: w, height: 24, rx: 6 }));
      call.append(svg('text', { x: mx, y: mid[1] + 4, 'text-anchor': 'middle' }, text));
      this.badges.append(call);
    }
  }
}
