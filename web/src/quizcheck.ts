// Comparing a learner's answer with the answer the engine computed for the resolved lesson
// (docs/LESSONS.md "Resolved lesson"). The player never knows the right answer by itself.
import type { Quiz } from './lessons';

export type Given = { choice: string } | { value: unknown };

const flagSet = (x: unknown): string =>
  (Array.isArray(x) ? x.map(String) : String(x ?? '').split(','))
    .map((f) => f.trim().toUpperCase()).filter(Boolean).sort().join(',');

/** True when `given` equals `expected`: strings case-insensitive, flag sets unordered, numbers within `tolerance`. */
export function valuesMatch(given: unknown, expected: unknown, tolerance = 0): boolean {
  if (typeof expected === 'number') {
    const g = typeof given === 'string' ? (given.trim() === '' ? NaN : Number(given)) : Number(given);
    return Number.isFinite(g) && Math.abs(g - expected) <= tolerance;
  }
  if (typeof expected === 'string') return typeof given === 'string' && given.trim().toUpperCase() === expected.toUpperCase();
  if (typeof expected === 'boolean') return given === expected;
  if (Array.isArray(expected)) return Array.isArray(given) && given.length === expected.length && expected.every((x, i) => valuesMatch(given[i], x));
  if (expected && typeof expected === 'object') {
    if (!given || typeof given !== 'object') return false;
    const exp = expected as Record<string, unknown>;
    // A segment without the ACK flag has no acknowledgment number (RFC 9293 §3.1: the field is
    // only valid with ACK set): whatever the learner typed there does not count.
    const noAck = 'flags' in exp && !flagSet(exp.flags).split(',').includes('ACK');
    return Object.entries(exp).every(([k, v]) =>
      k === 'flags' ? flagSet((given as Record<string, unknown>)[k]) === flagSet(v)
        : k === 'ack' && noAck ? true
        : valuesMatch((given as Record<string, unknown>)[k], v));
  }
  return given === expected;
}

export function isCorrect(q: Quiz, given: Given | undefined): boolean {
  if (!given) return false;
  const a = q.answer ?? {};
  if ('choice' in given) {
    if (a.choice !== undefined) return given.choice === a.choice;
    const c = q.choices?.find((x) => x.id === given.choice);
    return c !== undefined && a.value !== undefined && valuesMatch(c.value, a.value);
  }
  if (a.value === undefined) return false;
  return valuesMatch(given.value, a.value, typeof q.tolerance === 'number' ? q.tolerance : 0);
}
