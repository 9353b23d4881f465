import { describe, expect, it } from 'vitest';
import { PROGRESS_KEY, ProgressStore, parseProgress, validateProgress } from './progress';

class MemStore { m = new Map<string, string>(); getItem(k: string) { return this.m.get(k) ?? null; } setItem(k: string, v: string) { this.m.set(k, v); } removeItem(k: string) { this.m.delete(k); } }

describe('progress store', () => {
  it('starts empty and records lessons and quiz results', () => {
    const mem = new MemStore();
    const p = new ProgressStore(mem);
    expect(p.problem).toBeUndefined();
    p.markDone('handshake');
    p.recordQuiz('handshake', 'q1', false);
    p.recordQuiz('handshake', 'q1', true);
    p.recordQuiz('handshake', 'q2', false);
    const again = new ProgressStore(mem);
    expect(again.isDone('handshake')).toBe(true);
    expect(again.quizStats('handshake')).toEqual({ ok: 1, n: 2 });
    expect(again.progress.lessons.handshake!.quizzes.q1).toEqual({ correct: true, tries: 2 });
  });
  it('reports and resets corrupt JSON without throwing', () => {
    const mem = new MemStore();
    mem.setItem(PROGRESS_KEY, '{"version":1,"less');
    const p = new ProgressStore(mem);
    expect(p.problem).toMatch(/not JSON/);
    expect(p.progress.lessons).toEqual({});
    expect(JSON.parse(mem.getItem(PROGRESS_KEY)!)).toEqual({ version: 1, lessons: {} });
  });
  it('reports an old format by its field', () => {
    expect(parseProgress(JSON.stringify({ done: ['a'] })).problem).toBe('/version: expected 1, found undefined');
    expect(parseProgress(JSON.stringify({ version: 0, lessons: {} })).problem).toMatch(/^\/version/);
    expect(validateProgress({ version: 1, lessons: { a: { done: 'yes', quizzes: {} } } })).toBe('/lessons/a/done: expected true or false');
    expect(validateProgress({ version: 1, lessons: { a: { done: true, quizzes: { q: { correct: 1 } } } } })).toMatch('/lessons/a/quizzes/q');
  });
  it('exports and imports a file, refusing a bad one and keeping what it had', () => {
    const a = new ProgressStore(new MemStore());
    a.markDone('x');
    const text = a.exportText();
    const b = new ProgressStore(new MemStore());
    expect(b.importText(text)).toBeUndefined();
    expect(b.isDone('x')).toBe(true);
    expect(b.importText('[]')).toBe('/: expected an object');
    expect(b.isDone('x')).toBe(true);
  });
  it('works when storage is unavailable', () => {
    const p = new ProgressStore(undefined);
    p.markDone('y');
    expect(p.isDone('y')).toBe(true);
    const throwing = { getItem: () => { throw new Error('denied'); }, setItem: () => { throw new Error('denied'); }, removeItem: () => undefined };
    const q = new ProgressStore(throwing);
    q.markDone('z');
    expect(q.isDone('z')).toBe(true);
  });
});
