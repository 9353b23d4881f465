import { describe, expect, it } from 'vitest';
import type { Flags } from './generated/trace';
import { callText, fmtDuration, fmtTime, returnText, segLabel, splitConn, ssState } from './format';

const seg = (flags: Flags, seq: number, ack: number, len = 0) => ({ id: 1, src: 'a:1', dst: 'b:2', flags, seq, ack, win: 100, len });

describe('labels', () => {
  it('writes Wireshark-style labels with relative numbers', () => {
    expect(segLabel({ seg: seg(['SYN'], 1000, 0), rel: { seq: 0, ack: 0 } })).toBe('SYN seq=0');
    expect(segLabel({ seg: seg(['FIN', 'ACK'], 1101, 5001), rel: { seq: 101, ack: 1 } })).toBe('FIN,ACK seq=101 ack=1');
    expect(segLabel({ seg: seg(['PSH', 'ACK'], 1001, 5001, 100), rel: { seq: 1, ack: 1 } })).toBe('PSH,ACK seq=1 ack=1 len=100');
  });
  it('shows absolute numbers on request, and when the trace has no relative ones', () => {
    expect(segLabel({ seg: seg(['SYN', 'ACK'], 5000, 1001), rel: { seq: 0, ack: 1 } }, 'abs')).toBe('SYN,ACK seq=5000 ack=1001');
    expect(segLabel({ seg: seg(['RST'], 5001, 0) })).toBe('RST seq=5001');
  });
  it('formats virtual times and durations', () => {
    expect(fmtTime(0)).toBe('0 ms');
    expect(fmtTime(10500)).toBe('10.5 ms');
    expect(fmtTime(60_074_000)).toBe('60.074 s');
    expect(fmtDuration(60_000_000)).toBe('60 s');
    expect(fmtDuration(200_000)).toBe('200 ms');
    expect(fmtDuration(1_500_000)).toBe('1.5 s');
    expect(fmtDuration(240_000_000)).toBe('4 min');
  });
  it('writes calls and results as a programmer reads them', () => {
    expect(callText({ call: 'connect', sock: 's', args: { to: 'server:80' } }) + returnText({ result: 0 })).toBe('connect(s, server:80) = 0');
    expect(callText({ call: 'send', sock: 's', args: { bytes: 10 } }) + returnText({ result: -1, errno: 'EPIPE' })).toBe('send(s, 10) = -1 EPIPE');
    expect(returnText({ result: 4, new_sock: 'c', peer: '10.0.0.1:40000' })).toBe(' = 4 (c ← 10.0.0.1:40000)');
  });
  it('uses ss state names and peer notation', () => {
    expect(ssState('ESTABLISHED')).toBe('ESTAB');
    expect(ssState('TIME_WAIT')).toBe('TIME-WAIT');
    expect(ssState('SYN_RECEIVED')).toBe('SYN-RECV');
    expect(splitConn('10.0.0.2:80>*')).toEqual({ local: '10.0.0.2:80', peer: '*:*' });
  });
});
