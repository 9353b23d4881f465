import { describe, expect, it } from 'vitest';
import { answerMatches } from './quizcheck';

describe('quiz answer comparison', () => {
  it('compares choices, states and numbers', () => {
    expect(answerMatches('b', 'b')).toBe(true);
    expect(answerMatches('time_wait', 'TIME_WAIT')).toBe(true);
    expect(answerMatches(60000, 60000)).toBe(true);
    expect(answerMatches('60000', 60000)).toBe(true);
    expect(answerMatches(59999, 60000)).toBe(false);
    expect(answerMatches('', 'a')).toBe(false);
    expect(answerMatches(undefined, 'a')).toBe(false);
  });
  it('compares a predicted segment with unordered flags', () => {
    expect(answerMatches({ flags: ['ACK', 'SYN'], seq: 0, ack: 1 }, { flags: ['SYN', 'ACK'], seq: 0, ack: 1 })).toBe(true);
    expect(answerMatches({ flags: ['SYN'], seq: 0, ack: 1 }, { flags: ['SYN', 'ACK'], seq: 0, ack: 1 })).toBe(false);
    expect(answerMatches({ flags: ['SYN', 'ACK'], seq: 0, ack: NaN }, { flags: ['SYN', 'ACK'], seq: 0, ack: 1 })).toBe(false);
  });
  it('compares an order of events exactly', () => {
    expect(answerMatches(['a', 'b', 'c'], ['a', 'b', 'c'])).toBe(true);
    expect(answerMatches(['b', 'a', 'c'], ['a', 'b', 'c'])).toBe(false);
  });
});
