import { describe, expect, it } from 'vitest';
import { closedBox, EDGES, triggerMatches } from './statediagram';

const edge = (from: string, to: string) => {
  const e = EDGES.find((x) => x.from === from && x.to === to);
  if (!e) throw new Error(`no edge ${from} -> ${to}`);
  return e;
};

describe('state diagram: a lit edge names the trace\'s cause', () => {
  it('a FIN received in ESTABLISHED lights "rcv FIN", whatever else the segment carries', () => {
    expect(triggerMatches(edge('ESTABLISHED', 'CLOSE_WAIT').via, { rcv: ['FIN', 'ACK'], seg: 7 })).toBe(true);
    expect(triggerMatches(edge('ESTABLISHED', 'CLOSE_WAIT').via, { rcv: ['FIN', 'PSH', 'ACK'], seg: 7 })).toBe(true);
  });

  it('an RST is not the figure\'s "rcv FIN" or "close()": the trace\'s own cause gets an arc', () => {
    expect(triggerMatches(edge('SYN_RECEIVED', 'LISTEN').via, { rcv: ['RST'], seg: 3 })).toBe(true);
    expect(triggerMatches(edge('SYN_RECEIVED', 'ESTABLISHED').via, { rcv: ['RST', 'ACK'], seg: 3 })).toBe(false);
    expect(triggerMatches(edge('ESTABLISHED', 'CLOSE_WAIT').via, { rcv: ['RST'], seg: 3 })).toBe(false);
  });

  it('SYN_SENT -> SYN_RECEIVED needs a SYN without ACK; a SYN,ACK there is not simultaneous open', () => {
    expect(triggerMatches(edge('SYN_SENT', 'SYN_RECEIVED').via, { rcv: ['SYN'], seg: 2 })).toBe(true);
    expect(triggerMatches(edge('SYN_SENT', 'ESTABLISHED').via, { rcv: ['SYN', 'ACK'], seg: 2 })).toBe(true);
    expect(triggerMatches(edge('SYN_SENT', 'ESTABLISHED').via, { rcv: ['ACK'], seg: 2 })).toBe(false);
  });

  it('calls and timers match by kind: 2MSL is a timer, close() is a call, a crash is neither', () => {
    expect(triggerMatches(edge('TIME_WAIT', 'CLOSED_END').via, { timer: 'time_wait' })).toBe(true);
    expect(triggerMatches(edge('TIME_WAIT', 'CLOSED_END').via, { call: 'close' })).toBe(false);
    expect(triggerMatches(edge('ESTABLISHED', 'FIN_WAIT_1').via, { call: 'close' })).toBe(true);
    expect(triggerMatches(edge('ESTABLISHED', 'FIN_WAIT_1').via, { call: 'shutdown' })).toBe(false);
    expect(triggerMatches(edge('ESTABLISHED', 'FIN_WAIT_1').via, { other: 'crash' })).toBe(false);
  });

  it('CLOSED is the top box before a connection exists and the bottom one after', () => {
    expect(closedBox(undefined)).toBe('CLOSED');
    expect(closedBox('LISTEN')).toBe('CLOSED');
    expect(closedBox('SYN_SENT')).toBe('CLOSED');
    expect(closedBox('TIME_WAIT')).toBe('CLOSED_END');
    expect(closedBox('ESTABLISHED')).toBe('CLOSED_END');
  });
});
