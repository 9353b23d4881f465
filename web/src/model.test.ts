import { describe, expect, it } from 'vitest';
import { buildModel, endpointStates, focusConn, snapshotAt } from './model';
import { defaultSteps, findStep, stepOfEvent } from './steps';
import { ssRows } from './sstable';
import { dataOffset, whyAck, whySeq } from './explain';
import { checkTrace } from './types';
import { example } from './lessons';

// The engine's runs of three lessons (scripts/generate.mjs): a handshake, data and close; a
// lost last ACK and the FIN sent again; a crash answered by a RST.
const hs = buildModel(example('handshake-close').trace);
const tw = buildModel(example('time-wait').trace);
const cr = buildModel(example('crash-reboot').trace);
const indexOf = (m: typeof hs, pred: (e: (typeof hs.events)[number]) => boolean): number => m.events.findIndex(pred);

describe('steps', () => {
  const steps = defaultSteps(hs.events);
  it('cover every event exactly once, in order', () => {
    expect(steps[0]!.first).toBe(0);
    expect(steps.at(-1)!.last).toBe(hs.events.length - 1);
    for (let i = 1; i < steps.length; i++) expect(steps[i]!.first).toBe(steps[i - 1]!.last + 1);
  });
  it('keep one host at one moment together (SYN arrives, SYN_RECEIVED, SYN,ACK leaves)', () => {
    const d = indexOf(hs, (e) => e.kind === 'deliver' && e.seg_id === 1);
    const s = indexOf(hs, (e) => e.kind === 'send' && e.seg.id === 2);
    expect(stepOfEvent(steps, d)).toBe(stepOfEvent(steps, s));
  });
  it('jump to the next segment and the next state change', () => {
    const s0 = 0;
    const nextSeg = findStep(hs, steps, s0, 1, ['send']);
    const e = hs.events.slice(steps[nextSeg]!.first, steps[nextSeg]!.last + 1);
    expect(e.some((x) => x.kind === 'send')).toBe(true);
    const nextState = findStep(hs, steps, nextSeg, 1, ['state']);
    expect(nextState).toBeGreaterThan(nextSeg);
    expect(findStep(hs, steps, steps.length - 1, 1, ['send'])).toBe(steps.length - 1);
  });
});

describe('state at a moment', () => {
  it('both sides are ESTABLISHED after the handshake and TIME_WAIT/CLOSED at the end', () => {
    const after = indexOf(hs, (e) => e.kind === 'state' && e.host === 'server' && e.to === 'ESTABLISHED');
    const snap = snapshotAt(hs, after);
    const eps = endpointStates(hs, snap, focusConn(hs, after));
    expect(eps.get('client')?.state).toBe('ESTABLISHED');
    expect(eps.get('server')?.state).toBe('ESTABLISHED');
    const tw = indexOf(hs, (e) => e.kind === 'state' && e.host === 'server' && e.to === 'CLOSED');
    const snap2 = snapshotAt(hs, tw);
    const eps2 = endpointStates(hs, snap2, focusConn(hs, tw));
    expect(eps2.get('client')?.state).toBe('TIME_WAIT');
    expect(eps2.get('server')?.state).toBe('CLOSED');
    const end = snapshotAt(hs, hs.events.length - 1);
    expect(endpointStates(hs, end, focusConn(hs, hs.events.length - 1)).get('client')?.state).toBe('CLOSED');
  });
  it('shows the listener for the server before its connection exists', () => {
    const i = indexOf(hs, (e) => e.kind === 'send' && e.seg.id === 1);
    const eps = endpointStates(hs, snapshotAt(hs, i), focusConn(hs, i));
    expect(eps.get('client')?.state).toBe('SYN_SENT');
    expect(eps.get('server')?.state).toBe('LISTEN');
  });
  it('tracks running timers: TIME_WAIT runs until it fires', () => {
    const set = indexOf(hs, (e) => e.kind === 'timer' && e.timer === 'time_wait' && e.action === 'set');
    expect([...snapshotAt(hs, set).timers.values()].map((t) => t.ev.timer)).toContain('time_wait');
    expect([...snapshotAt(hs, hs.events.length - 1).timers.values()]).toHaveLength(0);
  });
  it('pairs calls with their returns, and keeps a blocked call open', () => {
    const i = indexOf(hs, (e) => e.kind === 'send' && e.seg.id === 1);
    const api = snapshotAt(hs, i).api.get('server')!;
    const accept = api.find((l) => l.call?.call === 'accept')!;
    expect(accept.ret).toBeUndefined();
    const j = indexOf(hs, (e) => e.kind === 'return' && e.call === 'accept');
    expect(snapshotAt(hs, j).api.get('server')!.find((l) => l.call?.call === 'accept')!.ret?.result).toBe(4);
  });
});

describe('ss -tan table', () => {
  it('lists the listener with its accept queue and backlog, and connections with their queues', () => {
    const i = indexOf(hs, (e) => e.kind === 'buffers' && e.host === 'server' && e.recv_q === 100);
    const rows = ssRows(snapshotAt(hs, i), 'server');
    // The data arrives while the connection still waits in the accept queue (Recv-Q 1 of 128).
    expect(rows[0]).toMatchObject({ state: 'LISTEN', recvQ: 1, sendQ: 128, local: '10.0.0.2:80', peer: '*:*' });
    expect(rows[1]).toMatchObject({ state: 'ESTAB', recvQ: 100, sendQ: 0, local: '10.0.0.2:80', peer: hs.segs.get(1)!.send.seg.src });
  });
  it('shows unacknowledged bytes as Send-Q and leaves out CLOSED sockets', () => {
    const i = indexOf(hs, (e) => e.kind === 'buffers' && e.host === 'client' && e.send_q === 100);
    expect(ssRows(snapshotAt(hs, i), 'client')[0]).toMatchObject({ state: 'ESTAB', sendQ: 100 });
    const end = snapshotAt(hs, hs.events.length - 1);
    expect(ssRows(end, 'client')).toHaveLength(0);
    const tw = indexOf(hs, (e) => e.kind === 'state' && e.to === 'TIME_WAIT');
    expect(ssRows(snapshotAt(hs, tw), 'client')[0]!.state).toBe('TIME-WAIT');
  });
});

describe('why seq and ack are what they are (the trace\'s send.why, looked up)', () => {
  const seg = (m: typeof hs, id: number) => m.segs.get(id)!;
  it('explains the SYN,ACK ack as the SYN seq plus one', () => {
    const w = whyAck(hs, seg(hs, 2), 'rel');
    expect(w).toEqual({ key: 'why.ack.next', args: { id: 1, qseq: 0, len: 0, plus: '+SYN', value: 1, host: 'server' } });
  });
  it('explains the data ack as seq plus length, and the FIN seq after the data', () => {
    expect(seg(hs, 4).send.seg.len).toBe(100);
    expect(whyAck(hs, seg(hs, 5), 'rel')).toMatchObject({ key: 'why.ack.next', args: { id: 4, qseq: 1, len: 100, value: 101 } });
    expect(seg(hs, 8).send.seg.flags).toContain('FIN');
    expect(whySeq(hs, seg(hs, 8), 'abs')).toMatchObject({ key: 'why.seq.next', args: { id: 4, pseq: seg(hs, 4).send.seg.seq, len: 100, value: seg(hs, 4).send.seg.seq + 100 } });
    expect(whyAck(hs, seg(hs, 9), 'rel')).toMatchObject({ key: 'why.ack.next', args: { id: 8, plus: '+FIN', value: 102 } });
  });
  it('names the ISN, SND.NXT for a pure ACK, a retransmission and a RST\'s seq taken from the ACK it answers', () => {
    expect(whySeq(hs, seg(hs, 1), 'rel').key).toBe('why.seq.isn');
    expect(whySeq(hs, seg(hs, 3), 'rel')).toEqual({ key: 'why.seq.sndnxt.syn', args: { value: 1 } });
    expect(whySeq(hs, seg(hs, 4), 'rel')).toMatchObject({ key: 'why.seq.next', args: { id: 1, plus: '+SYN', value: 1 } });
    expect(seg(tw, 8).send.retransmission).toBe(true);
    expect(whySeq(tw, seg(tw, 8), 'rel')).toEqual({ key: 'why.seq.retrans', args: { id: 6 } });
    expect(seg(tw, 8).repeats).toBe(6);
    expect(seg(tw, 6).repeats).toBeUndefined();
    expect(seg(hs, 5).repeats).toBeUndefined();
    expect(seg(cr, 5).send.seg.flags).toEqual(['RST']);
    expect(whyAck(cr, seg(cr, 5), 'rel').key).toBe('why.ack.none');
    expect(whySeq(cr, seg(cr, 5), 'abs')).toEqual({ key: 'why.seq.fromack', args: { id: 4, value: seg(cr, 4).send.seg.ack } });
    expect(dataOffset(seg(hs, 1))).toBe(10);
    expect(dataOffset(seg(hs, 4))).toBe(8); // 20 bytes + timestamps (10, padded to 12)
  });
});

describe('faults', () => {
  it('records the dropped segment, the RST after a crash and the error it gives', () => {
    expect(tw.segs.get(7)!.drop?.reason).toBe('fault');
    expect(tw.segs.get(7)!.deliveries).toHaveLength(0);
    expect(tw.segs.get(8)!.deliveries).toHaveLength(1);
    const end = snapshotAt(cr, cr.events.length - 1);
    expect(end.hostAction.get('server')).toBe('reboot');
    expect(end.api.get('client')!.filter((l) => l.ret).at(-1)!.ret?.errno).toBe('ECONNRESET');
  });
});

describe('trace checks', () => {
  it('names the JSON pointer of a bad trace', () => {
    expect(() => checkTrace({ hosts: {}, events: [{ t_us: 'x', kind: 'send' }] }, 'f.json')).toThrow('f.json: /events/0/t_us: expected a number');
    expect(() => checkTrace({ hosts: {}, events: [{ t_us: 5, kind: 'a' }, { t_us: 1, kind: 'b' }] }, 'f.json')).toThrow('/events/1/t_us: expected events in time order');
    expect(() => checkTrace([], 'f.json')).toThrow('f.json: : expected a JSON object');
    expect(() => checkTrace({ events: [] }, 'f.json')).toThrow('f.json: /events: expected at least one event');
  });
});

describe('hosts that share an address (a loopback capture)', () => {
  it('finds the peer by its connection, not by its address', () => {
    const t = checkTrace({
      hosts: { client: { ip: '127.0.0.1' }, server: { ip: '127.0.0.1' } },
      events: [
        { t_us: 0, kind: 'state', host: 'server', conn: '127.0.0.1:80>*', from: 'CLOSED', to: 'LISTEN', cause: 'listen' },
        { t_us: 1, kind: 'state', host: 'client', conn: '127.0.0.1:5000>127.0.0.1:80', from: 'CLOSED', to: 'SYN_SENT', cause: 'connect' },
        { t_us: 2, kind: 'state', host: 'server', conn: '127.0.0.1:80>127.0.0.1:5000', from: 'LISTEN', to: 'SYN_RECEIVED', cause: 'seg:1' },
      ],
    });
    const m = buildModel(t);
    const eps = endpointStates(m, snapshotAt(m, 2), focusConn(m, 2));
    expect(eps.get('server')?.state).toBe('SYN_RECEIVED');
    expect(eps.get('client')?.state).toBe('SYN_SENT');
  });
});
