import { describe, expect, it } from 'vitest';
import { example, type PlayerLesson } from '../lessons';
import { buildModel } from '../model';
import { initialState, reduce, type Action, type LessonContext, type PlayerState } from './state';
import { transitionLabel, viewOf, type Words } from './view';

const words: Words = {
  t: (k, a) => (a ? `${k} ${JSON.stringify(a)}` : k), loc: (x) => x?.en ?? '', timerName: (n) => n, stateName: (s) => s,
  noteText: (c) => c, discardText: () => '', stateText: () => '', errnoText: (e) => e,
};

function lessonWithQuiz(): LessonContext {
  const base = example('handshake-close');
  const lesson: PlayerLesson = {
    ...base,
    quizzes: [{ id: 'q1', step: 5, kind: 'choice', prompt: { en: '?', 'zh-CN': '？' }, answer: { choice: 'a' } }],
  };
  return { lesson, model: buildModel(lesson.trace) };
}

const run = (ctx: LessonContext, ...actions: Action[]): PlayerState =>
  actions.reduce((s, a) => reduce(s, a, ctx), initialState('en', false));

describe('the player state', () => {
  const ctx = lessonWithQuiz();
  const open: Action = { type: 'open', lesson: ctx.lesson.id, step: 0, answered: [] };

  it('stops a forward move before an unanswered quiz, and says so when it cannot move at all', () => {
    // The quiz stops the playback after step index 4 (before the quiz's step 5's events).
    const s = run(ctx, open, { type: 'go', step: 20, fromUser: true });
    expect(s.step).toBe(4);
    const again = reduce(s, { type: 'go', step: 20, fromUser: true }, ctx);
    expect(again.step).toBe(4);
    expect(again.notice?.key).toBe('quiz.locked');
    // A link (not the learner's move) goes straight there; an answer lets the learner on.
    expect(reduce(s, { type: 'go', step: 10, fromUser: false }, ctx).step).toBe(10);
    const answered = reduce(s, { type: 'answered', quiz: 'q1' }, ctx);
    expect(reduce(answered, { type: 'go', step: 10, fromUser: true }, ctx).step).toBe(10);
  });

  it('selects the step\'s segment and never one not yet sent; a step of calls shows the sockets', () => {
    const s = run(ctx, open);
    expect(s.selection).toBeUndefined();
    const m = ctx.model;
    for (let step = 0; step < ctx.lesson.steps.length; step++) {
      const t = reduce(s, { type: 'go', step, fromUser: false }, ctx);
      const last = ctx.lesson.steps[step]!.last;
      if (t.selection !== undefined) expect(m.segs.get(t.selection)!.sendIndex).toBeLessThanOrEqual(last);
      const kinds = m.events.slice(ctx.lesson.steps[step]!.first, last + 1).map((e) => e.kind);
      if (kinds.some((k) => k === 'send' || k === 'deliver')) expect(t.tab).toBe('inspector');
    }
    const first = ctx.lesson.steps.findIndex((st) => m.events.slice(st.first, st.last + 1).every((e) => e.kind === 'call' || e.kind === 'return'));
    if (first > 0) expect(reduce(s, { type: 'go', step: first, fromUser: false }, ctx).tab).toBe('sockets');
  });

  it('plays step by step, and stops at the end or before a question', () => {
    let s = run(ctx, open, { type: 'play' });
    expect(s.playing).toBe(true);
    for (let i = 0; i < 10 && s.playing; i++) s = reduce(s, { type: 'tick' }, ctx);
    expect(s.playing).toBe(false);
    expect(s.step).toBe(4);
  });

  it('returns the same object when nothing changes, so nothing is drawn again', () => {
    const s = run(ctx, open);
    expect(reduce(s, { type: 'pause' }, ctx)).toBe(s);
    expect(reduce(s, { type: 'go', step: 0, fromUser: true }, ctx)).toBe(s);
  });
});

describe('the view', () => {
  const ctx = lessonWithQuiz();
  const m = ctx.model;

  it('names what caused a transition and the segment sent with it, from the trace', () => {
    const synSent = m.events.findIndex((e) => e.kind === 'state' && e.to === 'SYN_SENT');
    expect(transitionLabel(m, synSent, words)).toBe('tr.call {"call":"connect"} / tr.snd {"flags":"SYN"}');
    const established = m.events.findIndex((e) => e.kind === 'state' && e.host === 'client' && e.to === 'ESTABLISHED');
    expect(transitionLabel(m, established, words)).toBe('tr.rcv {"flags":"SYN,ACK","id":2} / tr.snd {"flags":"ACK"}');
    const closeWait = m.events.findIndex((e) => e.kind === 'state' && e.to === 'CLOSE_WAIT');
    // The ACK of the FIN leaves later (a delayed ACK): it is not part of the transition.
    expect(transitionLabel(m, closeWait, words)).toBe('tr.rcv {"flags":"FIN,ACK","id":8}');
  });

  it('is a function of the state: the same state gives the same view, the link says where it is', () => {
    const s = run(ctx, { type: 'open', lesson: ctx.lesson.id, step: 6, answered: ['q1'] });
    const a = viewOf(s, ctx.lesson, m, words), b = viewOf(s, ctx.lesson, m, words);
    expect(a.hash).toBe(`#lesson=${ctx.lesson.id}&step=7&lang=en`);
    expect(a.narration).toEqual(b.narration);
    expect(a.lits).toEqual(b.lits);
    expect(a.headStates.get('client')).toBe('ESTABLISHED');
  });
});
