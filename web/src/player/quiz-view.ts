// What the quiz panel shows, as a pure function of the player's state and the open lesson's
// questions (docs/LESSONS.md "Quizzes"). Playback stops before a question's step; the learner
// answers before seeing what happens, then gets the engine-computed answer, the explanation and
// a link to the event that proves it.
//
// Several questions may stop the playback at the same moment. They are asked one after another:
// an answered one folds into a one-line summary (its explanation one click away) and the next one
// opens; "Continue" appears only after the last. Any question can be tried again. ui/quiz.ts
// draws the panel; the learner's actions are state.ts's, dispatched by effects.ts.
import type { Quiz, QuizChoice } from '../lessons';
import type { Given } from '../quizcheck';
import { STATES } from '../types';
import { firstOpenQuiz, quizDone, quizzesAt, SEGMENT_FLAGS, type PlayerState, type QuizOutcome } from './state';
import type { Words } from './view';

type QuizWords = Pick<Words, 't' | 'loc' | 'stateName'>;

/** A button under an answered question; `action` is what effects.ts dispatches for it. */
export interface QuizButton { action: 'retry' | 'reveal' | 'proof' | 'continue'; label: string; cls: string; event?: number }

/** The answer widgets of the open question. */
export type QuizWidgets =
  | { kind: 'order'; items: { id: string; text: string; up: string; down: string }[] }
  | { kind: 'choices'; legend: string; name: string; choices: { id: string; value: string; label: string }[] }
  | { kind: 'segment'; legend: string; flags: { id: string; flag: string }[]; seq: { id: string; label: string }; ack: { id: string; label: string }; hint: string }
  | { kind: 'state'; id: string; label: string; options: { value: string; text: string }[] }
  | { kind: 'number'; id: string; label: string; unit?: string };

/** The open question: its form and, once answered, what was given, the verdict and what comes next. */
export interface QuizCard {
  kind: 'card';
  quiz: string;
  quizKind: string;
  tag: string;
  prompt: string;
  widgets: QuizWidgets;
  submit: string;
  skip: string;
  feedback?: {
    tone: 'shown' | 'ok' | 'bad';
    given?: string;
    verdict?: string;
    /** only once the answer may be shown: right, skipped, or asked for after a wrong one */
    answer?: string;
    explain?: string;
    buttons: QuizButton[];
  };
}

/** An answered question above the open one: verdict and prompt; the answer and explanation fold out. */
export interface QuizFolded { kind: 'folded'; quiz: string; tag: string; prompt: string; answer: string; explain?: string; retry: string }

export interface QuizPanel {
  /** the questions asked so far at this step, the open one last; none: the panel is hidden */
  cards: (QuizCard | QuizFolded)[];
  /** the open question's widget values by element id (checked or typed) */
  values: Record<string, string | boolean>;
  /** the notice beside the open question */
  status: string;
}

function valueText(v: unknown, stateName: (s: string) => string): string {
  if (typeof v === 'string' && (STATES as readonly string[]).includes(v)) return stateName(v);
  if (v && typeof v === 'object' && !Array.isArray(v)) {
    const o = v as Record<string, unknown>;
    // Without the ACK flag a segment has no acknowledgment number worth showing.
    if ('flags' in o) return `${String(o.flags)} seq=${String(o.seq)}${String(o.flags).split(',').includes('ACK') ? ` ack=${String(o.ack)}` : ''}`;
    return JSON.stringify(v);
  }
  return String(v);
}

export function choiceLabel(c: QuizChoice, w: QuizWords): string {
  return c.text ? w.loc(c.text) : valueText(c.value, w.stateName);
}

const itemsText = (q: Quiz, ids: unknown[], w: QuizWords): string => ids.map((id) => w.loc(q.items!.find((i) => i.id === id)?.text) || String(id)).join(' → ');

/** The correct answer as the learner should read it. */
export function answerText(q: Quiz, w: QuizWords): string {
  const a = q.answer ?? {};
  if (a.choice !== undefined) {
    const c = q.choices?.find((x) => x.id === a.choice);
    if (c) return choiceLabel(c, w);
  }
  if (Array.isArray(a.value) && q.items) return itemsText(q, a.value, w);
  const unit = q.unit ? ` ${w.loc(q.unit)}` : '';
  return `${valueText(a.value, w.stateName)}${unit}`;
}

/** What the learner gave, as they should read it back. */
export function givenText(q: Quiz, g: Given, w: QuizWords): string {
  if ('choice' in g) {
    const c = q.choices?.find((x) => x.id === g.choice);
    return c ? choiceLabel(c, w) : g.choice;
  }
  if (Array.isArray(g.value) && q.items) return itemsText(q, g.value, w);
  if (g.value && typeof g.value === 'object') {
    const o = g.value as { flags?: string[]; seq?: number; ack?: number };
    return `${(o.flags ?? []).join(',') || '—'} seq=${Number.isFinite(o.seq) ? o.seq : '?'} ack=${Number.isFinite(o.ack) ? o.ack : '?'}`;
  }
  return `${valueText(g.value, w.stateName)}${q.unit ? ` ${w.loc(q.unit)}` : ''}`;
}

/** The widgets of `q`, with the ids its label, links and the draft's values use. */
function widgetsOf(q: Quiz, order: readonly string[] | undefined, w: QuizWords): QuizWidgets {
  const { t } = w;
  if (q.kind === 'order' && q.items) {
    const items = order ? order.map((id) => q.items!.find((i) => i.id === id)!).filter(Boolean) : q.items;
    return { kind: 'order', items: items.map((c) => ({ id: c.id, text: w.loc(c.text), up: `${t('quiz.up')}: ${w.loc(c.text)}`, down: `${t('quiz.down')}: ${w.loc(c.text)}` })) };
  }
  if (q.choices && q.choices.length > 0) {
    return { kind: 'choices', legend: w.loc(q.prompt), name: `q-${q.id}`, choices: q.choices.map((c, i) => ({ id: `q-${q.id}-${i}`, value: c.id, label: choiceLabel(c, w) })) };
  }
  if (q.kind === 'predict_segment') {
    const abs = q.absolute === true;
    return {
      kind: 'segment', legend: t('quiz.flags'), flags: SEGMENT_FLAGS.map((f) => ({ id: `q-${q.id}-${f}`, flag: f })),
      seq: { id: `q-${q.id}-seq`, label: t(abs ? 'quiz.seqAbs' : 'quiz.seq') }, ack: { id: `q-${q.id}-ack`, label: t(abs ? 'quiz.ackAbs' : 'quiz.ack') },
      hint: t('quiz.ackHint'),
    };
  }
  if (q.kind === 'predict_state') {
    return { kind: 'state', id: `q-${q.id}-state`, label: t('quiz.state'), options: [{ value: '', text: '—' }, ...STATES.map((s) => ({ value: s, text: w.stateName(s) }))] };
  }
  return { kind: 'number', id: `q-${q.id}-num`, label: t('quiz.number'), unit: q.unit ? w.loc(q.unit) : undefined };
}

/** The widgets' values by element id, from the learner's draft. */
function valuesOf(widgets: QuizWidgets, d: PlayerState['quiz']['draft']): Record<string, string | boolean> {
  const out: Record<string, string | boolean> = {};
  switch (widgets.kind) {
    case 'order': break;
    case 'choices': for (const c of widgets.choices) out[c.id] = d?.choice === c.value; break;
    case 'segment':
      for (const f of widgets.flags) out[f.id] = d?.flags?.includes(f.flag) ?? false;
      out[widgets.seq.id] = d?.seq ?? '';
      out[widgets.ack.id] = d?.ack ?? '';
      break;
    case 'state': out[widgets.id] = d?.state ?? ''; break;
    case 'number': out[widgets.id] = d?.number ?? ''; break;
  }
  return out;
}

function feedbackOf(q: Quiz, o: QuizOutcome, last: boolean, next: { n: number; total: number }, w: QuizWords): QuizCard['feedback'] {
  const { t } = w;
  // A wrong answer does not give the right one away: the learner (or a class) may try again
  // first; "Show the answer" reveals it.
  const reveal = o.correct || o.skipped || o.revealed === true;
  const buttons: QuizButton[] = [{ action: 'retry', label: t('quiz.retry'), cls: reveal ? 'retry' : 'retry primary' }];
  if (!reveal) buttons.push({ action: 'reveal', label: t('quiz.reveal'), cls: 'reveal' });
  if (reveal && typeof q.evidence === 'number') buttons.push({ action: 'proof', label: t('quiz.proof'), cls: 'proof', event: q.evidence });
  buttons.push({
    action: 'continue', cls: `${reveal ? 'primary ' : ''}continue${last ? '' : ' next-question'}`,
    label: last ? t('quiz.continue') : t('quiz.nextQuestion', next),
  });
  return {
    tone: o.skipped ? 'shown' : o.correct ? 'ok' : 'bad',
    given: o.given ? t('quiz.given', { a: givenText(q, o.given, w) }) : undefined,
    verdict: o.skipped ? undefined : o.correct ? `✓ ${t('quiz.correct')}` : `✗ ${t('quiz.wrong')}`,
    answer: reveal ? t('quiz.answer', { a: answerText(q, w) }) : undefined,
    explain: reveal && q.explain ? w.loc(q.explain) : undefined,
    buttons,
  };
}

const EMPTY: QuizPanel = { cards: [], values: {}, status: '' };

/** The quiz panel at the state's step: the questions asked so far, the open one last. */
export function quizPanel(s: PlayerState, quizzes: readonly Quiz[], w: QuizWords): QuizPanel {
  const list = quizzesAt(quizzes, s.step);
  if (list.length === 0) return EMPTY;
  const { t } = w;
  let cur = list.findIndex((q) => q.id === s.quiz.open);
  if (cur < 0) cur = list.findIndex((q) => q.id === firstOpenQuiz(s, list));
  const tag = (i: number): string => (list.length > 1 ? t('quiz.count', { n: i + 1, total: list.length }) : t('quiz.title'));
  const cards: QuizPanel['cards'] = list.slice(0, cur).map((q, i) => {
    const o = s.quiz.outcomes[q.id];
    // answered on an earlier visit counts as right (only right answers are remembered as answered)
    const mark = o ? (o.skipped ? '·' : o.correct ? '✓' : '✗') : '✓';
    return {
      kind: 'folded', quiz: q.id, tag: `${mark} ${tag(i)} `, prompt: w.loc(q.prompt),
      answer: t('quiz.answer', { a: answerText(q, w) }), explain: q.explain ? w.loc(q.explain) : undefined, retry: t('quiz.retry'),
    };
  });
  const q = list[cur]!;
  const draft = s.quiz.draft?.quiz === q.id ? s.quiz.draft : undefined;
  const widgets = widgetsOf(q, draft?.order, w);
  // Answered on an earlier visit: open with the answer shown, as if "Show me" had been pressed.
  const o = s.quiz.outcomes[q.id] ?? (quizDone(s, q.id) ? { skipped: true, correct: false } : undefined);
  cards.push({
    kind: 'card', quiz: q.id, quizKind: q.kind, tag: `${tag(cur)} `, prompt: w.loc(q.prompt), widgets,
    submit: t('quiz.submit'), skip: t('quiz.skip'),
    feedback: o ? feedbackOf(q, o, cur === list.length - 1, { n: cur + 2, total: list.length }, w) : undefined,
  });
  return { cards, values: valuesOf(widgets, draft), status: s.quiz.status ? t(s.quiz.status) : '' };
}
