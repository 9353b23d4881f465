import { describe, expect, it } from 'vitest';
import { example, type PlayerLesson, type Quiz } from '../lessons';
import { buildModel } from '../model';
import type { Localized } from '../types';
import { quizPanel, type QuizCard, type QuizFolded } from './quiz-view';
import { givenOf, initialState, newAnswers, reduce, type Action, type LessonContext, type PlayerState } from './state';
import type { Words } from './view';

const both = (en: string, zh: string): Localized => ({ en, 'zh-CN': zh });

// Five questions on the handshake-and-close example: two stop the playback at the same moment
// (after step index 4), then one of each other kind.
const QUIZZES: Quiz[] = [
  { id: 'pick', step: 5, kind: 'choice', prompt: both('Which?', '哪个？'), choices: [{ id: 'a', text: both('Alpha', '甲') }, { id: 'b', text: both('Beta', '乙') }], answer: { choice: 'a' }, explain: both('Because alpha.', '因为甲。'), evidence: 49 },
  { id: 'num', step: 5, kind: 'number', prompt: both('How many?', '多少？'), answer: { value: 101 }, unit: both('bytes', '字节'), evidence: 50 },
  { id: 'ord', step: 8, kind: 'order', prompt: both('Order', '排序'), items: [{ id: 'x', text: both('X', '叉') }, { id: 'y', text: both('Y', '歪') }, { id: 'z', text: both('Z', '吉') }], answer: { value: ['y', 'x', 'z'] } },
  { id: 'seg', step: 10, kind: 'predict_segment', prompt: both('Segment?', '报文段？'), answer: { value: { flags: 'FIN,ACK', seq: 1, ack: 1 } } },
  { id: 'st', step: 12, kind: 'predict_state', prompt: both('State?', '状态？'), answer: { value: 'TIME_WAIT' } },
];

function context(): LessonContext {
  const base = example('handshake-close');
  const lesson: PlayerLesson = { ...base, quizzes: QUIZZES };
  return { lesson, model: buildModel(lesson.trace) };
}

const wordsIn = (lang: 'en' | 'zh-CN'): Words => ({
  t: (k, a) => (a ? `${k} ${JSON.stringify(a)}` : k), loc: (x) => x?.[lang] ?? '', timerName: (n) => n, stateName: (s) => `<${s}>`,
  noteText: (c) => c, discardText: () => '', stateText: () => '', errnoText: (e) => e,
});
const en = wordsIn('en');

const ctx = context();
const reduceAll = (s: PlayerState, ...actions: Action[]): PlayerState => actions.reduce((x, a) => reduce(x, a, ctx), s);
const openAt = (step: number, answered: string[] = []): PlayerState =>
  reduceAll(initialState('en', false), { type: 'open', lesson: ctx.lesson.id, step: 0, answered }, { type: 'go', step, fromUser: true });
const panel = (s: PlayerState, w: Words = en) => quizPanel(s, ctx.lesson.quizzes, w);
const openCard = (s: PlayerState, w: Words = en): QuizCard => panel(s, w).cards.at(-1) as QuizCard;

describe('the quiz state', () => {
  it('opens the first question where the playback stops, and wants an answer before checking', () => {
    const s = openAt(20);
    expect(s.step).toBe(4);
    expect(s.quiz.open).toBe('pick');
    const empty = reduce(s, { type: 'quiz-submit', quiz: 'pick' }, ctx);
    expect(empty.quiz.status).toBe('quiz.empty');
    expect(empty.quiz.outcomes).toEqual({});
    expect(empty.answered).toEqual([]);
    // The same again changes nothing (nothing is drawn again).
    expect(reduce(empty, { type: 'quiz-submit', quiz: 'pick' }, ctx)).toBe(empty);
  });

  it('checks an answer against the resolved lesson; a wrong one lets the lesson go on but keeps the answer hidden until asked', () => {
    const s = reduceAll(openAt(20), { type: 'quiz-input', quiz: 'pick', field: 'choice', value: 'b' }, { type: 'quiz-submit', quiz: 'pick' });
    expect(s.quiz.outcomes.pick).toEqual({ given: { choice: 'b' }, skipped: false, correct: false });
    expect(s.answered).toEqual(['pick']);
    expect(s.quiz.focus?.to).toBe('retry');
    expect(newAnswers(openAt(20), s)).toEqual([{ quiz: 'pick', correct: false }]);
    const wrong = openCard(s);
    expect(wrong.feedback).toMatchObject({ tone: 'bad', verdict: '✗ quiz.wrong', given: 'quiz.given {"a":"Beta"}' });
    expect(wrong.feedback?.answer).toBeUndefined();
    expect(wrong.feedback?.explain).toBeUndefined();
    // Nowhere in the panel: neither the answer nor the explanation.
    expect(JSON.stringify(panel(s))).not.toMatch(/quiz\.answer|Because alpha/);
    expect(wrong.feedback?.buttons.map((b) => `${b.action}:${b.cls}`)).toEqual(['retry:retry primary', 'reveal:reveal', 'continue:continue next-question']);

    const shown = reduce(s, { type: 'quiz-reveal', quiz: 'pick' }, ctx);
    expect(shown.quiz.outcomes.pick?.revealed).toBe(true);
    expect(shown.quiz.focus).toEqual({ to: 'answer', seq: s.quiz.focus!.seq + 1 });
    expect(newAnswers(s, shown)).toEqual([]); // showing the answer is not another answer
    const card = openCard(shown);
    expect(card.feedback?.answer).toBe('quiz.answer {"a":"Alpha"}');
    expect(card.feedback?.explain).toBe('Because alpha.');
    expect(card.feedback?.buttons.map((b) => b.action)).toEqual(['retry', 'proof', 'continue']);
    expect(card.feedback?.buttons.find((b) => b.action === 'proof')?.event).toBe(49);
  });

  it('asks the questions of one moment one after another; Continue after the last goes on and gives the step button the focus', () => {
    let s = reduceAll(openAt(20), { type: 'quiz-skip', quiz: 'pick' });
    expect(s.quiz.outcomes.pick).toEqual({ skipped: true, correct: false });
    expect(s.quiz.focus?.to).toBe('continue');
    expect(openCard(s).feedback?.tone).toBe('shown');
    // "num" is not asked yet: its actions do nothing.
    expect(reduce(s, { type: 'quiz-input', quiz: 'num', field: 'number', value: '3' }, ctx)).toBe(s);
    s = reduce(s, { type: 'quiz-continue', quiz: 'pick' }, ctx);
    expect(s.quiz.open).toBe('num');
    expect(s.quiz.focus?.to).toBe('first');
    const p = panel(s);
    expect(p.cards.map((c) => c.kind)).toEqual(['folded', 'card']);
    expect((p.cards[0] as QuizFolded).tag).toBe('· quiz.count {"n":1,"total":2} ');
    expect((p.cards[0] as QuizFolded).answer).toBe('quiz.answer {"a":"Alpha"}');

    s = reduceAll(s, { type: 'quiz-input', quiz: 'num', field: 'number', value: '10' }, { type: 'quiz-input', quiz: 'num', field: 'number', value: '101' });
    expect(panel(s).values).toEqual({ 'q-num-num': '101' });
    const before = s;
    s = reduce(s, { type: 'quiz-submit', quiz: 'num' }, ctx);
    expect(newAnswers(before, s)).toEqual([{ quiz: 'num', correct: true }]);
    expect(openCard(s).feedback?.answer).toBe('quiz.answer {"a":"101 bytes"}');
    expect(openCard(s).feedback?.buttons.at(-1)).toMatchObject({ action: 'continue', cls: 'primary continue', label: 'quiz.continue' });
    s = reduce(s, { type: 'quiz-continue', quiz: 'num' }, ctx);
    expect(s.step).toBe(5);
    expect(s.quiz.focus?.to).toBe('step');
    expect(panel(s).cards).toEqual([]);
  });

  it('tries a question again: the answer goes, the form comes back empty, and the lesson is not held again', () => {
    const answered = reduceAll(openAt(20), { type: 'quiz-input', quiz: 'pick', field: 'choice', value: 'b' }, { type: 'quiz-submit', quiz: 'pick' },
      { type: 'quiz-continue', quiz: 'pick' }, { type: 'quiz-skip', quiz: 'num' });
    const again = reduce(answered, { type: 'quiz-retry', quiz: 'pick' }, ctx);
    expect(again.quiz.open).toBe('pick');
    expect(again.quiz.outcomes.pick).toBeUndefined();
    expect(again.quiz.draft).toBeUndefined();
    expect(again.quiz.focus?.to).toBe('first');
    expect(again.answered).toContain('pick');
    expect(panel(again).cards.map((c) => c.quiz)).toEqual(['pick']); // "num" waits its turn again
    expect(panel(again).values).toEqual({ 'q-pick-0': false, 'q-pick-1': false });
    const right = reduceAll(again, { type: 'quiz-input', quiz: 'pick', field: 'choice', value: 'a' }, { type: 'quiz-submit', quiz: 'pick' });
    expect(newAnswers(again, right)).toEqual([{ quiz: 'pick', correct: true }]);
    // The lesson goes on past the questions all along.
    expect(reduce(again, { type: 'go', step: 6, fromUser: true }, ctx).step).toBe(6);
  });

  it('moves an order question\'s items, with the focus on the button that moves the item on', () => {
    let s = openAt(20, ['pick', 'num']);
    expect(s.step).toBe(7);
    expect(s.quiz.open).toBe('ord');
    // At the top, "up" does nothing.
    expect(reduce(s, { type: 'quiz-move', quiz: 'ord', item: 'x', by: -1 }, ctx)).toBe(s);
    s = reduce(s, { type: 'quiz-move', quiz: 'ord', item: 'y', by: -1 }, ctx);
    expect(s.quiz.draft?.order).toEqual(['y', 'x', 'z']);
    expect(s.quiz.focus?.to).toEqual({ item: 'y', button: 'down' }); // at the top now: only "down" works
    s = reduce(s, { type: 'quiz-move', quiz: 'ord', item: 'x', by: 1 }, ctx);
    expect(s.quiz.focus?.to).toEqual({ item: 'x', button: 'up' }); // at the bottom now
    s = reduce(s, { type: 'quiz-move', quiz: 'ord', item: 'x', by: -1 }, ctx);
    expect(s.quiz.focus?.to).toEqual({ item: 'x', button: 'up' });
    const card = openCard(s);
    expect(card.widgets.kind === 'order' && card.widgets.items.map((i) => i.id)).toEqual(['y', 'x', 'z']);
    expect(card.widgets.kind === 'order' && card.widgets.items[0]!.up).toBe('quiz.up: Y');
    s = reduce(s, { type: 'quiz-submit', quiz: 'ord' }, ctx);
    expect(s.quiz.outcomes.ord).toMatchObject({ correct: true, given: { value: ['y', 'x', 'z'] } });
    // Answered, the widgets take no more input.
    expect(reduce(s, { type: 'quiz-move', quiz: 'ord', item: 'z', by: -1 }, ctx)).toBe(s);
  });

  it('reads a segment guess from the ticked flags (in the order shown) and the numbers as typed', () => {
    const q = QUIZZES[3]!;
    let s = openAt(20, ['pick', 'num', 'ord']);
    expect(s.quiz.open).toBe('seg');
    s = reduceAll(s, { type: 'quiz-flag', quiz: 'seg', flag: 'ACK', on: true }, { type: 'quiz-flag', quiz: 'seg', flag: 'FIN', on: true },
      { type: 'quiz-flag', quiz: 'seg', flag: 'URG', on: true }, { type: 'quiz-input', quiz: 'seg', field: 'seq', value: '1' });
    expect(s.quiz.draft?.flags).toEqual(['ACK', 'FIN']);
    expect(givenOf(q, s.quiz.draft)).toEqual({ value: { flags: ['ACK', 'FIN'], seq: 1, ack: NaN } });
    expect(panel(s).values).toMatchObject({ 'q-seg-ACK': true, 'q-seg-FIN': true, 'q-seg-SYN': false, 'q-seg-seq': '1', 'q-seg-ack': '' });
    const wrong = reduce(s, { type: 'quiz-submit', quiz: 'seg' }, ctx);
    expect(wrong.quiz.outcomes.seg?.correct).toBe(false);
    expect(openCard(wrong).feedback?.given).toBe('quiz.given {"a":"ACK,FIN seq=1 ack=?"}');
    const right = reduceAll(s, { type: 'quiz-input', quiz: 'seg', field: 'ack', value: '1' }, { type: 'quiz-submit', quiz: 'seg' });
    expect(right.quiz.outcomes.seg?.correct).toBe(true);
    expect(openCard(right).feedback?.answer).toBe('quiz.answer {"a":"FIN,ACK seq=1 ack=1"}');
  });

  it('opens a question answered on an earlier visit with its answer shown, and lets it be tried again', () => {
    const s = openAt(4, ['pick']);
    expect(s.quiz.open).toBe('num');
    const folded = panel(s).cards[0] as QuizFolded;
    expect(folded.tag.startsWith('✓ ')).toBe(true);
    const st = openAt(20, ['pick', 'num', 'ord', 'seg', 'st']);
    expect(st.step).toBe(14);
    const back = reduce(st, { type: 'go', step: 11, fromUser: true }, ctx);
    expect(back.quiz.open).toBe('st');
    expect(openCard(back).feedback).toMatchObject({ tone: 'shown', answer: 'quiz.answer {"a":"<TIME_WAIT>"}' });
    const again = reduce(back, { type: 'quiz-retry', quiz: 'st' }, ctx);
    expect(again.quiz.retrying).toEqual(['st']);
    expect(openCard(again).feedback).toBeUndefined();
    expect(openCard(again).widgets).toMatchObject({ kind: 'state', id: 'q-st-state' });
    expect(reduceAll(again, { type: 'quiz-input', quiz: 'st', field: 'state', value: 'TIME_WAIT' }, { type: 'quiz-submit', quiz: 'st' }).quiz.outcomes.st?.correct).toBe(true);
  });

  it('says beside the open question why the playback waits, and forgets a half-given answer on another step', () => {
    const s = reduceAll(openAt(20), { type: 'quiz-input', quiz: 'pick', field: 'choice', value: 'a' });
    const locked = reduce(s, { type: 'go', step: 6, fromUser: true }, ctx);
    expect(locked.notice?.key).toBe('quiz.locked');
    expect(locked.quiz.status).toBe('quiz.locked');
    expect(locked.quiz.focus?.to).toBe('flash');
    expect(panel(locked).status).toBe('quiz.locked');
    expect(locked.quiz.draft).toEqual({ quiz: 'pick', choice: 'a' });
    const back = reduce(locked, { type: 'go', step: 3, fromUser: true }, ctx);
    expect(back.quiz.draft).toBeUndefined();
    expect(back.quiz.status).toBeUndefined();
    expect(panel(back).cards).toEqual([]);
  });

  it('keeps the half-given answer across a language switch, and shows the question in the new language', () => {
    const s = reduceAll(openAt(20), { type: 'quiz-input', quiz: 'pick', field: 'choice', value: 'b' });
    const zh = reduce(s, { type: 'language', language: 'zh-CN' }, ctx);
    expect(zh.quiz).toBe(s.quiz);
    const card = openCard(zh, wordsIn('zh-CN'));
    expect(card.prompt).toBe('哪个？');
    expect(card.widgets.kind === 'choices' && card.widgets.choices.map((c) => c.label)).toEqual(['甲', '乙']);
    expect(panel(zh, wordsIn('zh-CN')).values).toEqual({ 'q-pick-0': false, 'q-pick-1': true });
  });

  it('forgets this page\'s answers when the progress is reset or a lesson is opened, and keeps counting focus moves', () => {
    const s = reduceAll(openAt(20), { type: 'quiz-skip', quiz: 'pick' });
    const seq = s.quiz.focus!.seq;
    const reset = reduce(s, { type: 'answers-reset' }, ctx);
    expect(reset.quiz.outcomes).toEqual({});
    expect(reset.quiz.open).toBe('pick');
    expect(reset.quiz.focus?.seq).toBe(seq);
    const reopened = reduce(s, { type: 'open', lesson: ctx.lesson.id, step: 4, answered: [] }, ctx);
    expect(reopened.quiz.outcomes).toEqual({});
    expect(reopened.quiz.focus?.seq).toBe(seq);
    expect(openCard(reopened).feedback).toBeUndefined();
  });
});
