import { describe, expect, it } from 'vitest';
import { isCorrect, valuesMatch } from './quizcheck';
import type { Quiz } from './lessons';

const q = (over: Partial<Quiz>): Quiz => ({ id: 'q', kind: 'choice', step: 1, prompt: { en: 'p', 'zh-CN': 'p' }, answer: {}, ...over });

describe('quiz answers (compared with the engine-computed answer)', () => {
  it('accepts the choice the resolver marked as correct, and only that one', () => {
    const quiz = q({ choices: [{ id: 'a', value: 'CLOSE_WAIT' }, { id: 'b', value: 'LAST_ACK' }], answer: { kind: 'fact', value: 'CLOSE_WAIT', choice: 'a' } });
    expect(isCorrect(quiz, { choice: 'a' })).toBe(true);
    expect(isCorrect(quiz, { choice: 'b' })).toBe(false);
    expect(isCorrect(quiz, undefined)).toBe(false);
  });
  it('compares numbers with the quiz tolerance', () => {
    expect(isCorrect(q({ kind: 'number', answer: { kind: 'fact', value: 2000 } }), { value: '2000' })).toBe(true);
    expect(isCorrect(q({ kind: 'number', answer: { kind: 'fact', value: 2000 } }), { value: '' })).toBe(false);
    expect(isCorrect(q({ kind: 'number', tolerance: 5, answer: { kind: 'fact', value: 2000 } }), { value: 1996 })).toBe(true);
    expect(isCorrect(q({ kind: 'number', answer: { kind: 'fact', value: 2000 } }), { value: 1996 })).toBe(false);
  });
  it('compares a predicted segment: flag set in any order, relative seq and ack', () => {
    const quiz = q({ kind: 'predict_segment', answer: { kind: 'fact', value: { flags: 'SYN,ACK', seq: 0, ack: 1 } } });
    expect(isCorrect(quiz, { value: { flags: ['ACK', 'SYN'], seq: 0, ack: 1 } })).toBe(true);
    expect(isCorrect(quiz, { value: { flags: ['SYN'], seq: 0, ack: 1 } })).toBe(false);
    expect(isCorrect(quiz, { value: { flags: ['SYN', 'ACK'], seq: 0, ack: NaN } })).toBe(false);
  });
  it('compares an order of events exactly', () => {
    const quiz = q({ kind: 'order', answer: { kind: 'fact', value: ['connect', 'server-est', 'accept'] } });
    expect(isCorrect(quiz, { value: ['connect', 'server-est', 'accept'] })).toBe(true);
    expect(isCorrect(quiz, { value: ['server-est', 'connect', 'accept'] })).toBe(false);
  });
  it('compares states case-insensitively', () => {
    expect(valuesMatch('time_wait', 'TIME_WAIT')).toBe(true);
    expect(valuesMatch(undefined, 'TIME_WAIT')).toBe(false);
  });
});
