// Pure text formatting of trace values (labels, times, API lines, `ss` columns).
import type { CallEvent, ReturnEvent, SendEvent, Segment, StateName } from './types';

export type NumberMode = 'rel' | 'abs';

export function flagText(flags: readonly string[]): string {
  return flags.length ? flags.join(',') : '(none)';
}

/** Wireshark-style arrow label: `SYN seq=0`, `FIN,ACK seq=101 ack=1`, `PSH,ACK seq=1 ack=1 len=100`. */
export function segLabel(ev: Pick<SendEvent, 'seg' | 'rel'>, mode: NumberMode = 'rel'): string {
  const s: Segment = ev.seg;
  const useRel = mode === 'rel' && ev.rel !== undefined;
  const seq = useRel ? ev.rel!.seq : s.seq;
  // Before the sender knows the peer's ISN there is no relative ack: the wire's value then.
  const ack = useRel ? ev.rel!.ack ?? s.ack : s.ack;
  let out = `${flagText(s.flags)} seq=${seq}`;
  if (s.flags.includes('ACK')) out += ` ack=${ack}`;
  if (s.len > 0) out += ` len=${s.len}`;
  return out;
}

const trim = (x: number, digits: number): string => {
  const s = x.toFixed(digits);
  return s.includes('.') ? s.replace(/0+$/, '').replace(/\.$/, '') : s;
};

/** A moment on the virtual clock: `0 ms`, `10.5 ms`, `60.074 s`. */
export function fmtTime(us: number): string {
  if (Math.abs(us) < 1_000_000) return `${trim(us / 1000, 3)} ms`;
  return `${trim(us / 1_000_000, 3)} s`;
}

/** A duration, rounded for reading: `200 ms`, `1 s`, `60 s`, `2 min`. */
export function fmtDuration(us: number): string {
  if (us < 1000) return `${us} µs`;
  if (us < 1_000_000) return `${trim(us / 1000, 1)} ms`;
  if (us < 120_000_000) return `${trim(us / 1_000_000, us < 10_000_000 ? 2 : 1)} s`;
  if (us < 7_200_000_000) return `${trim(us / 60_000_000, 1)} min`;
  return `${trim(us / 3_600_000_000, 1)} h`;
}

/** The state names `ss -tan` prints (iproute2 ss.c sstate_name). */
const SS_NAMES: Record<StateName, string> = {
  CLOSED: 'UNCONN', LISTEN: 'LISTEN', SYN_SENT: 'SYN-SENT', SYN_RECEIVED: 'SYN-RECV',
  ESTABLISHED: 'ESTAB', FIN_WAIT_1: 'FIN-WAIT-1', FIN_WAIT_2: 'FIN-WAIT-2', CLOSE_WAIT: 'CLOSE-WAIT',
  CLOSING: 'CLOSING', LAST_ACK: 'LAST-ACK', TIME_WAIT: 'TIME-WAIT',
};
export const ssState = (s: StateName): string => SS_NAMES[s] ?? s;

/** `ss` prints a listener's peer as `*:*` (or `0.0.0.0:*`). */
export function splitConn(conn: string): { local: string; peer: string } {
  const [local = '', peer = ''] = conn.split('>');
  return { local, peer: peer === '*' ? '*:*' : peer };
}

function argText(v: unknown): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (v === null || v === undefined) return '';
  return JSON.stringify(v);
}

/** `connect(s, server:80)`: the call as a programmer writes it. */
/** Boolean call arguments of the scenario format and the C flag they stand for. */
const CALL_FLAGS: Record<string, string> = { nosignal: 'MSG_NOSIGNAL' };

export function callText(c: Pick<CallEvent, 'call' | 'sock' | 'args'>): string {
  const parts: string[] = [];
  if (c.sock !== undefined) parts.push(c.sock);
  const flags: string[] = [];
  for (const [k, v] of Object.entries(c.args ?? {})) {
    // Flag arguments as a C programmer writes them: send(s, 100, MSG_NOSIGNAL).
    if (typeof v === 'boolean') { if (v) flags.push(CALL_FLAGS[k] ?? k); continue; }
    parts.push(argText(v));
  }
  if (flags.length) parts.push(flags.join(' | '));
  return `${c.call}(${parts.join(', ')})`;
}

/** ` = 0`, ` = -1 EPIPE`, ` = 4 (c, peer 10.0.0.1:40000)`. */
export function returnText(r: Pick<ReturnEvent, 'result' | 'errno' | 'new_sock' | 'peer'>): string {
  const res = Array.isArray(r.result) ? r.result.join('|') : String(r.result);
  let out = ` = ${res}`;
  if (r.errno) out += ` ${r.errno}`;
  const extra: string[] = [];
  if (r.new_sock) extra.push(r.new_sock);
  if (r.peer) extra.push(r.peer);
  if (extra.length) out += ` (${extra.join(' ← ')})`;
  return out;
}

/** A reason code in words: the catalogue's text (`<prefix>.<code>`), or the code made readable. */
export function reasonText(t: (k: string) => string, prefix: string, reason: string): string {
  const k = `${prefix}.${reason}`;
  const s = t(k);
  return s === k ? reason.replace(/_/g, ' ') : s;
}

export const dropReason = (t: (k: string) => string, reason: string): string => reasonText(t, 'drop', reason);
export const discardReason = (t: (k: string) => string, reason: string): string => reasonText(t, 'discard', reason);
