// Indexes a trace once per lesson so that every step, scrub and back-step is a cheap lookup.
// Everything here is bookkeeping over trace events; no TCP rule is decided in the player (which
// segment a retransmission repeats, why a number is what it is, what a transition sent: the
// trace says).
import type {
  BuffersEvent, CallEvent, QueueEvent, ReturnEvent, SendEvent, SignalEvent, StateEvent,
  StateName, TimerEvent, Trace, TraceEvent,
} from './types';

export interface Delivery { index: number; t: number; host: string; discard?: { index: number; reason: string } }

export interface SegInfo {
  id: number;
  send: SendEvent;
  sendIndex: number;
  from: string;          // sending host
  to: string | undefined; // receiving host (by delivery, else by destination address)
  deliveries: Delivery[];
  drop?: { index: number; t: number; reason: string };
  /** a retransmission: the segment it repeats (the trace's retransmission_of, else -1 when the
   *  trace says only that it is one) */
  repeats?: number;
}

export interface Model {
  trace: Trace;
  events: TraceEvent[];
  hosts: string[];
  hostOfIp: Map<string, string>;
  segs: Map<number, SegInfo>;
  segOrder: SegInfo[];
  /** which hosts hold each connection string (two hosts may share an address, e.g. loopback captures) */
  connHosts: Map<string, Set<string>>;
  /** indexes of send events */
  sendIndexes: number[];
  /** indexes of state events */
  stateIndexes: number[];
  endUs: number;
}

export function ipOf(endpoint: string): string {
  const i = endpoint.lastIndexOf(':');
  return i < 0 ? endpoint : endpoint.slice(0, i);
}

export function buildModel(trace: Trace): Model {
  const hosts = Object.keys(trace.hosts);
  const hostOfIp = new Map<string, string>();
  for (const h of hosts) hostOfIp.set(trace.hosts[h]!.ip, h);
  const segs = new Map<number, SegInfo>();
  const segOrder: SegInfo[] = [];
  const sendIndexes: number[] = [];
  const stateIndexes: number[] = [];
  const connHosts = new Map<string, Set<string>>();
  const noteConn = (conn: unknown, host: string): void => {
    if (typeof conn !== 'string') return;
    let set = connHosts.get(conn);
    if (!set) { set = new Set(); connHosts.set(conn, set); }
    set.add(host);
  };
  trace.events.forEach((e, index) => {
    if (e.host !== undefined && !hosts.includes(e.host)) hosts.push(e.host);
    switch (e.kind) {
      case 'send': {
        const info: SegInfo = {
          id: e.seg.id, send: e, sendIndex: index, from: e.host,
          to: hostOfIp.get(ipOf(e.seg.dst)), deliveries: [],
        };
        if (e.retransmission) info.repeats = e.retransmission_of ?? -1;
        segs.set(e.seg.id, info);
        noteConn(e.conn, e.host);
        segOrder.push(info);
        sendIndexes.push(index);
        break;
      }
      case 'deliver': {
        const s = segs.get(e.seg_id);
        if (s) { s.deliveries.push({ index, t: e.t_us, host: e.host }); s.to = e.host; }
        break;
      }
      case 'discard': {
        const s = segs.get(e.seg_id);
        const d = s?.deliveries.at(-1);
        if (d) d.discard = { index, reason: e.reason };
        break;
      }
      case 'drop': {
        const s = segs.get(e.seg_id);
        if (s) s.drop = { index, t: e.t_us, reason: e.reason };
        break;
      }
      case 'state':
        stateIndexes.push(index);
        noteConn(e.conn, e.host);
        break;
      default:
        break;
    }
  });
  const last = trace.events.at(-1);
  return {
    trace, events: trace.events, hosts, hostOfIp, connHosts, segs, segOrder, sendIndexes, stateIndexes,
    endUs: Math.max(trace.end_us ?? 0, last?.t_us ?? 0),
  };
}

export interface ConnState { host: string; conn: string; state: StateName; ev: StateEvent; index: number; firstIndex: number }
export interface ActiveTimer { ev: TimerEvent; index: number }
export interface ApiLine { index: number; call?: CallEvent; ret?: ReturnEvent; retIndex?: number; signal?: SignalEvent; endedBy?: string }

export interface Snapshot {
  index: number;
  t: number;
  /** key `${host}|${conn}` */
  conns: Map<string, ConnState>;
  buffers: Map<string, BuffersEvent>;
  /** key `${host}|${listener}` */
  queues: Map<string, QueueEvent>;
  /** key `${host}|${conn}|${timer}` */
  timers: Map<string, ActiveTimer>;
  api: Map<string, ApiLine[]>;
  /** the last host action (crash, reboot, unplug, plug) per host */
  hostAction: Map<string, string>;
}

export const connKey = (host: string, conn: string): string => `${host}|${conn}`;

/** State of everything after event `index` has happened (index -1: before the first event). */
export function snapshotAt(m: Model, index: number): Snapshot {
  const last = Math.min(index, m.events.length - 1);
  const snap: Snapshot = {
    index: last, t: last >= 0 ? m.events[last]!.t_us : 0,
    conns: new Map(), buffers: new Map(), queues: new Map(), timers: new Map(), api: new Map(),
    hostAction: new Map(),
  };
  const pending = new Map<string, ApiLine>();
  for (const h of m.hosts) snap.api.set(h, []);
  for (let i = 0; i <= last; i++) {
    const e = m.events[i]!;
    switch (e.kind) {
      case 'state': {
        const k = connKey(e.host, e.conn);
        const prev = snap.conns.get(k);
        snap.conns.set(k, { host: e.host, conn: e.conn, state: e.to, ev: e, index: i, firstIndex: prev?.firstIndex ?? i });
        if (e.to === 'CLOSED') {
          // A closed socket has no queues, buffers or timers left (a listener's SYN and accept
          // queues go with it), whether or not the trace cancels each timer itself.
          snap.queues.delete(k);
          snap.buffers.delete(k);
          for (const t of [...snap.timers.keys()]) if (t.startsWith(`${e.host}|${e.conn}|`)) snap.timers.delete(t);
        }
        break;
      }
      case 'buffers':
        snap.buffers.set(connKey(e.host, e.conn), e);
        break;
      case 'queue':
        snap.queues.set(connKey(e.host, e.listener), e);
        break;
      case 'timer': {
        const k = `${e.host}|${e.conn ?? ''}|${e.timer}`;
        if (e.action === 'set') snap.timers.set(k, { ev: e, index: i });
        else snap.timers.delete(k);
        break;
      }
      case 'call': {
        const line: ApiLine = { index: i, call: e };
        snap.api.get(e.host)?.push(line);
        pending.set(`${e.host}|${e.app}`, line);
        break;
      }
      case 'return': {
        const k = `${e.host}|${e.app}`;
        const line = pending.get(k);
        if (line && line.call?.call === e.call) { line.ret = e; line.retIndex = i; pending.delete(k); }
        else snap.api.get(e.host)?.push({ index: i, ret: e, retIndex: i });
        break;
      }
      case 'signal':
        snap.api.get(e.host)?.push({ index: i, signal: e });
        break;
      case 'action':
        snap.hostAction.set(e.host, e.action);
        if (e.action === 'crash' || e.action === 'reboot') {
          // A crashed host loses its timers, queues and buffers, and its processes with their
          // blocked calls; the trace reports the state changes itself.
          for (const map of [snap.timers, snap.queues, snap.buffers] as Map<string, unknown>[]) {
            for (const k of [...map.keys()]) if (k.startsWith(`${e.host}|`)) map.delete(k);
          }
          for (const [k, line] of [...pending]) {
            if (k.startsWith(`${e.host}|`)) { line.endedBy = e.action; pending.delete(k); }
          }
        }
        break;
      default:
        break;
    }
  }
  return snap;
}

/** The other end of `host`'s connection `conn` ("a>b" seen from the peer is "b>a"). */
export function peerOf(m: Model, host: string, conn: string): { host: string; conn: string } | undefined {
  const [local, remote] = conn.split('>');
  if (!local || !remote || remote === '*') return undefined;
  const conn2 = `${remote}>${local}`;
  const holders = [...(m.connHosts.get(conn2) ?? [])].filter((h) => h !== host);
  const peerHost = holders[0] ?? m.hostOfIp.get(ipOf(remote));
  if (!peerHost || peerHost === host) return undefined;
  return { host: peerHost, conn: conn2 };
}

/** The connection a step is about: the last state/send/deliver event with a connection at or before `index`. */
export function focusConn(m: Model, index: number): { host: string; conn: string } | undefined {
  for (let i = Math.min(index, m.events.length - 1); i >= 0; i--) {
    const e = m.events[i]!;
    if (e.kind === 'state' && !e.conn.endsWith('>*')) return { host: e.host, conn: e.conn };
    if (e.kind === 'send' && typeof e.conn === 'string') return { host: e.host, conn: e.conn };
    if (e.kind === 'deliver') {
      const s = m.segs.get(e.seg_id);
      if (s && typeof s.send.conn === 'string') return { host: s.from, conn: s.send.conn };
    }
  }
  // Before any connection exists: the first listener, if any.
  for (let i = 0; i <= Math.min(index, m.events.length - 1); i++) {
    const e = m.events[i]!;
    if (e.kind === 'state') return { host: e.host, conn: e.conn };
  }
  return undefined;
}

/** The state of each host's side of the focused connection (a listener stands in before its child exists). */
export function endpointStates(m: Model, snap: Snapshot, focus: { host: string; conn: string } | undefined): Map<string, ConnState | undefined> {
  const out = new Map<string, ConnState | undefined>();
  if (!focus) return out;
  const mine = snap.conns.get(connKey(focus.host, focus.conn));
  out.set(focus.host, mine);
  const peer = peerOf(m, focus.host, focus.conn);
  if (peer) {
    let theirs = snap.conns.get(connKey(peer.host, peer.conn));
    if (!theirs) {
      // No child socket yet: show the listener on the peer's local port.
      const localPort = peer.conn.split('>')[0] ?? '';
      const port = localPort.slice(localPort.lastIndexOf(':') + 1);
      for (const c of snap.conns.values()) {
        if (c.host === peer.host && c.conn.endsWith('>*') && c.conn.split('>')[0]!.endsWith(`:${port}`)) theirs = c;
      }
    }
    out.set(peer.host, theirs);
  }
  return out;
}
