import { describe, expect, it } from 'vitest';
import { EngineCatalog } from './engine';
import { example, fromResolved, learningPath, listExamples, listLessons } from './lessons';

const handshake = example('handshake-close').trace;

describe('lesson list', () => {
  it('lists every lesson file (not the schema or the index) in learning-path order', () => {
    const lessons = listLessons();
    expect(lessons.length).toBeGreaterThan(0);
    expect(lessons.map((l) => l.id)).not.toContain('schema');
    expect(lessons.map((l) => l.id)).not.toContain('index');
    for (const l of lessons) { expect(l.title.en).not.toBe(''); expect(l.title['zh-CN']).not.toBe(''); }
    const path = learningPath().flatMap((p) => p.lessons).filter((id) => lessons.some((l) => l.id === id));
    expect(lessons.slice(0, path.length).map((l) => l.id)).toEqual(path);
  });
  it('offers the example runs the engine computed at build time', () => {
    expect(listExamples().map((e) => e.id).sort()).toEqual(['example-crash-reboot', 'example-handshake-close', 'example-time-wait', 'example-write-after-close']);
  });
});

describe('resolved lessons', () => {
  const entry = { id: 'x', file: 'lessons/x.json', kind: 'lesson' as const, title: { en: 'X', 'zh-CN': '叉' }, text: '' };
  it('takes steps, quizzes and metadata from the resolver', () => {
    const r = {
      lesson: { id: 'x', title: { en: 'Handshake', 'zh-CN': '握手' } },
      steps: [{ id: 'a', first: 0, last: 8, text: { en: 'a', 'zh-CN': '甲' }, focus: 5 }, { id: 'b', first: 9, last: handshake.events.length - 1 }],
      quizzes: [{ id: 'q', kind: 'number', step: 1, prompt: { en: '?', 'zh-CN': '？' }, answer: { kind: 'fact', value: 1 }, evidence: 3 }],
      trace: handshake,
    };
    const l = fromResolved(r, entry);
    expect(l.title['zh-CN']).toBe('握手');
    expect(l.steps).toHaveLength(2);
    expect(l.steps[0]!.focus).toBe(5);
    expect(l.quizzes[0]!.answer.value).toBe(1);
  });
  it('cuts steps itself when the resolver gave none, and rejects a broken trace by its pointer', () => {
    expect(fromResolved({ trace: handshake }, entry).steps.length).toBeGreaterThan(5);
    expect(() => fromResolved({ trace: { hosts: {}, events: 3 } }, entry)).toThrow('lessons/x.json: /events: expected an array of events');
  });
});

describe('engine catalogue', () => {
  it('finds localized text in the shapes a catalogue may use', () => {
    const c = new EngineCatalog({
      states: { TIME_WAIT: { description: { en: 'waits 2MSL', 'zh-CN': '等待 2MSL' } } },
      errno: { EPIPE: { en: 'broken pipe', 'zh-CN': '管道破裂' } },
      notes: [{ code: 'rst_no_socket', template: { en: 'no socket for {port}', 'zh-CN': '端口 {port} 没有 socket' } }],
    });
    expect(c.lookup('states', 'TIME_WAIT')?.en).toBe('waits 2MSL');
    expect(c.lookup('errno', 'EPIPE')?.['zh-CN']).toBe('管道破裂');
    expect(c.lookup('notes', 'rst_no_socket')?.en).toBe('no socket for {port}');
    expect(c.lookup('states', 'NOPE')).toBeUndefined();
    expect(EngineCatalog.parse('{bad').lookup('states', 'X')).toBeUndefined();
  });
});
