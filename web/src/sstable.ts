// An `ss -tan`-style table of one host's sockets at a moment, from state/queue/buffers events.
import { splitConn, ssState } from './format';
import type { Snapshot } from './model';

export interface SsRow { state: string; recvQ: number; sendQ: number; local: string; peer: string; conn: string }

export function ssRows(snap: Snapshot, host: string): SsRow[] {
  const rows: SsRow[] = [];
  for (const c of snap.conns.values()) {
    if (c.host !== host || c.state === 'CLOSED') continue; // ss lists no CLOSED sockets
    const { local, peer } = splitConn(c.conn);
    let recvQ = 0, sendQ = 0;
    if (c.state === 'LISTEN') {
      // For a listener ss shows the accept queue length and the backlog limit.
      const q = snap.queues.get(`${host}|${c.conn}`);
      // `backlog` when the trace carries it (what ss prints), else the accept queue's limit.
      if (q) { recvQ = q.accept_queue; sendQ = typeof q['backlog'] === 'number' ? (q['backlog'] as number) : q.accept_max; }
    } else {
      const b = snap.buffers.get(`${host}|${c.conn}`);
      if (b) { recvQ = b.recv_q; sendQ = b.send_q; }
    }
    rows.push({ state: ssState(c.state), recvQ, sendQ, local, peer, conn: c.conn });
  }
  // listeners first, then in order of appearance (like a socket table dump)
  return rows.sort((a, b) => Number(b.state === 'LISTEN') - Number(a.state === 'LISTEN'));
}
