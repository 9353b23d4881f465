// The player's one state object and the pure function that changes it. Everything the page
// shows follows from a PlayerState and the open lesson (view.ts); nothing here touches the DOM,
// the URL, storage or a timer (effects.ts does, after each change).
import type { NumberMode } from '../format';
import type { Lang } from '../i18n';
import type { PlayerLesson, Quiz } from '../lessons';
import type { Model } from '../model';
import { isCorrect, type Given } from '../quizcheck';
import { stepOfEvent } from '../steps';

export type Tab = 'inspector' | 'sockets';
export interface ConnRef { host: string; conn: string }

export interface PlayerState {
  /** the open lesson's id and the seed its parameters were drawn with (training mode) */
  lesson?: string;
  seed?: number;
  /** 0-based step of the open lesson */
  step: number;
  /** the segment the inspector shows and the ladder highlights */
  selection?: number;
  mode: NumberMode;
  language: Lang;
  tab: Tab;
  /** the connection the lane heads and the state diagram follow; undefined: the step's own */
  follow?: ConnRef;
  playing: boolean;
  speed: number;
  projection: boolean;
  /** the open lesson's quizzes that no longer hold the playback: answered on this page (right
   *  or wrong, or their answer shown), or answered correctly on an earlier visit */
  answered: readonly string[];
  /** a passing message, shown once per `seq`: a quiz that holds the playback, a proof that must wait */
  notice?: { key: 'quiz.locked' | 'quiz.proofLater' | 'sd.flash'; seq: number };
  /** the questions that stop the playback at this step, as the learner is answering them */
  quiz: QuizState;
}

/** What the learner last did with a question on this page. */
export interface QuizOutcome { given?: Given; skipped: boolean; correct: boolean; revealed?: boolean }

/** The open question's widgets as the learner has left them (numbers as typed). */
export interface QuizDraft {
  quiz: string;
  choice?: string;
  state?: string;
  number?: string;
  flags?: readonly string[];
  seq?: string;
  ack?: string;
  /** an order question's items, in the learner's order */
  order?: readonly string[];
}

export type QuizField = 'choice' | 'state' | 'number' | 'seq' | 'ack';

/** Where the keyboard focus goes once the quiz is drawn. */
export type QuizFocusTarget =
  /** the open question's first widget: another question opened, or one is tried again */
  | 'first'
  /** the same, scrolled into view: a notice beside it says why the playback waits */
  | 'flash'
  /** after an answer: what to do next (Try again after a wrong one, else Continue) */
  | 'retry' | 'continue'
  /** the answer, shown on request, in view; the focus on Continue */
  | 'answer'
  /** past the last question: the step button */
  | 'step'
  /** an order question's item just moved: its button that can move it on */
  | { item: string; button: 'up' | 'down' };

export interface QuizState {
  /** the question whose form is open among those at this step (the ones before it are folded) */
  open?: string;
  /** answered on this page (right or wrong) or skipped, until tried again */
  outcomes: Readonly<Record<string, QuizOutcome>>;
  /** answered on an earlier visit, and now tried again */
  retrying: readonly string[];
  draft?: QuizDraft;
  /** a message key beside the open question */
  status?: string;
  /** done once per `seq`, after the drawing */
  focus?: { to: QuizFocusTarget; seq: number };
}

/** The flags a predict_segment question offers, in the order they are shown. */
export const SEGMENT_FLAGS = ['SYN', 'ACK', 'FIN', 'RST', 'PSH'];

export const initialState = (language: Lang, projection: boolean): PlayerState => ({
  step: 0, mode: 'rel', language, tab: 'inspector', playing: false, speed: 1, projection, answered: [],
  quiz: { outcomes: {}, retrying: [] },
});

/** What the reducer needs to know about the open lesson. */
export interface LessonContext { lesson: PlayerLesson; model: Model }

export type Action =
  | { type: 'open'; lesson: string; seed?: number; step: number; answered: readonly string[] }
  | { type: 'go'; step: number; fromUser: boolean }
  | { type: 'tick' }
  | { type: 'play' }
  | { type: 'pause' }
  | { type: 'speed'; speed: number }
  | { type: 'select'; seg: number }
  | { type: 'mode'; mode: NumberMode }
  | { type: 'language'; language: Lang }
  | { type: 'tab'; tab: Tab }
  | { type: 'follow'; follow?: ConnRef }
  | { type: 'projection'; on: boolean }
  | { type: 'answered'; quiz: string }
  | { type: 'answers-reset' }
  | { type: 'proof'; event: number }
  | QuizAction;

/** What the learner does in the quiz panel; `quiz` is the question's id. */
export type QuizAction =
  | { type: 'quiz-input'; quiz: string; field: QuizField; value: string }
  | { type: 'quiz-flag'; quiz: string; flag: string; on: boolean }
  | { type: 'quiz-move'; quiz: string; item: string; by: -1 | 1 }
  | { type: 'quiz-submit'; quiz: string }
  | { type: 'quiz-skip'; quiz: string }
  | { type: 'quiz-reveal'; quiz: string }
  | { type: 'quiz-retry'; quiz: string }
  | { type: 'quiz-continue'; quiz: string };

const SEG_KINDS = new Set(['send', 'deliver', 'drop', 'discard']);

/** The segment an event is about, if any. */
export function segOfEvent(m: Model, index: number): number | undefined {
  const e = m.events[index];
  if (!e) return undefined;
  if (e.kind === 'send') return e.seg.id;
  if (e.kind === 'deliver' || e.kind === 'drop' || e.kind === 'discard') return e.seg_id;
  return undefined;
}

/** The selection after moving to `step`: the step's focus, else the last segment sent or moved
 *  in it, else the one before; never a segment not yet sent. */
export function selectionAt(ctx: LessonContext, step: number, before: number | undefined): number | undefined {
  const { lesson: L, model: m } = ctx;
  const s = L.steps[step];
  if (!s) return before;
  const now = s.last;
  let sel: number | undefined = typeof s.focus === 'number' ? segOfEvent(m, s.focus) : undefined;
  if (sel === undefined) {
    for (let i = now; i >= s.first; i--) {
      const e = m.events[i]!;
      if (e.kind === 'send') { sel = e.seg.id; break; }
      if (e.kind === 'deliver' || e.kind === 'drop') { sel = e.seg_id; break; }
    }
  }
  sel ??= before;
  if (sel === undefined || (m.segs.get(sel)?.sendIndex ?? Infinity) > now) {
    sel = undefined;
    for (let k = m.segOrder.length - 1; k >= 0; k--) if (m.segOrder[k]!.sendIndex <= now) { sel = m.segOrder[k]!.id; break; }
  }
  return sel;
}

/** The detail tab after moving to `step`: a step that moves segments shows the inspector, one
 *  about calls only (returns, queues, signals) the sockets. */
export function tabAt(ctx: LessonContext, step: number, before: Tab): Tab {
  const s = ctx.lesson.steps[step];
  if (!s) return before;
  let calls = false;
  for (let i = s.first; i <= s.last; i++) {
    const k = ctx.model.events[i]!.kind;
    if (SEG_KINDS.has(k)) return 'inspector';
    if (k === 'return' || k === 'queue' || k === 'signal') calls = true;
  }
  return calls ? 'sockets' : before;
}

/** The first quiz not yet answered that stops a move from step `from` forward to step `to`. */
export function pendingQuiz(quizzes: readonly Quiz[], answered: readonly string[], from: number, to: number): Quiz | undefined {
  return quizzes.find((q) => q.step > from && q.step <= to && !answered.includes(q.id));
}

/** The quizzes that stop the playback after step `s` (before step s+1), in lesson order. */
export function quizzesAt(quizzes: readonly Quiz[], s: number): Quiz[] {
  return quizzes.filter((q) => q.step - 1 === s);
}

/** Whether the quiz panel counts question `id` as answered: on this page, or (unless tried
 *  again) on an earlier visit. */
export function quizDone(s: PlayerState, id: string): boolean {
  return s.quiz.outcomes[id] !== undefined || (!s.quiz.retrying.includes(id) && s.answered.includes(id));
}

/** The question that opens when the playback stops at a step: the first not answered, else the last. */
export function firstOpenQuiz(s: PlayerState, list: readonly Quiz[]): string | undefined {
  return (list.find((q) => !quizDone(s, q.id)) ?? list[list.length - 1])?.id;
}

const typed = (x: string | undefined): number => (x === undefined || x === '' ? NaN : Number(x));

/** What the learner has given in `q`'s widgets so far; undefined: nothing yet. */
export function givenOf(q: Quiz, draft: QuizDraft | undefined): Given | undefined {
  const d = draft?.quiz === q.id ? draft : undefined;
  if (q.kind === 'order' && q.items) return { value: [...(d?.order ?? q.items.map((i) => i.id))] };
  if (q.choices && q.choices.length > 0) return d?.choice === undefined ? undefined : { choice: d.choice };
  if (q.kind === 'predict_segment') return { value: { flags: [...(d?.flags ?? [])], seq: typed(d?.seq), ack: typed(d?.ack) } };
  if (q.kind === 'predict_state') return d?.state ? { value: d.state } : undefined;
  return d?.number === undefined || d.number === '' ? undefined : { value: Number(d.number) };
}

/** The answers the change from `prev` to `next` gave (each is saved as the learner's progress). */
export function newAnswers(prev: PlayerState, next: PlayerState): { quiz: string; correct: boolean }[] {
  if (prev.quiz.outcomes === next.quiz.outcomes) return [];
  return Object.entries(next.quiz.outcomes).filter(([id]) => prev.quiz.outcomes[id] === undefined).map(([quiz, o]) => ({ quiz, correct: o.correct }));
}

const noticed = (s: PlayerState, key: NonNullable<PlayerState['notice']>['key']): PlayerState['notice'] => ({ key, seq: (s.notice?.seq ?? 0) + 1 });

/** Moves to `target`, or as far as the first unanswered quiz lets a forward move by the learner go. */
function go(s: PlayerState, ctx: LessonContext, target: number, fromUser: boolean): PlayerState {
  const n = ctx.lesson.steps.length;
  let step = Math.max(0, Math.min(n - 1, Number.isFinite(target) ? Math.trunc(target) : 0));
  let next: PlayerState = s;
  if (fromUser && step > s.step) {
    const q = pendingQuiz(ctx.lesson.quizzes, s.answered, s.step, step);
    if (q !== undefined) {
      step = Math.max(0, q.step - 1);
      next = { ...s, playing: false };
      if (step === s.step) return { ...next, notice: noticed(s, 'quiz.locked') };
    }
  }
  if (step === s.step && next === s) return s;
  return { ...next, step, selection: selectionAt(ctx, step, s.selection), tab: tabAt(ctx, step, s.tab) };
}

/** The next state. `ctx` is the open lesson (undefined before one is open). */
export function reduce(s: PlayerState, a: Action, ctx: LessonContext | undefined): PlayerState {
  const next = apply(s, a, ctx);
  if (next === s || !ctx) return next;
  let out = next;
  // Another step (or lesson) asks its own questions, from the first one not answered yet.
  if (next.step !== s.step || next.lesson !== s.lesson || next.seed !== s.seed || a.type === 'open' || a.type === 'answers-reset') {
    const open = firstOpenQuiz(next, quizzesAt(ctx.lesson.quizzes, next.step));
    out = { ...out, quiz: { ...out.quiz, open, draft: undefined, status: undefined } };
  }
  // Why the playback waits is said beside the open question, and the focus goes there.
  const n = out.notice;
  if (n && n.seq !== s.notice?.seq && n.key !== 'sd.flash') {
    out = { ...out, quiz: { ...out.quiz, status: n.key, focus: focusOn(out.quiz, 'flash') } };
  }
  return out;
}

const focusOn = (q: QuizState, to: QuizFocusTarget): QuizState['focus'] => ({ to, seq: (q.focus?.seq ?? 0) + 1 });

/** `s` with question `q` answered (or skipped) as `o`: the playback may go on past it. */
function answer(s: PlayerState, q: Quiz, o: QuizOutcome): PlayerState {
  const qs = s.quiz;
  // A wrong answer keeps the right one hidden: trying again comes first.
  const next: QuizFocusTarget = o.correct || o.skipped ? 'continue' : 'retry';
  return {
    ...s,
    answered: s.answered.includes(q.id) ? s.answered : [...s.answered, q.id],
    quiz: { ...qs, outcomes: { ...qs.outcomes, [q.id]: o }, retrying: qs.retrying.filter((x) => x !== q.id), status: undefined, focus: focusOn(qs, next) },
  };
}

/** The open question's draft with one change, or undefined when nothing changes. */
function drafted(q: Quiz, d: QuizDraft, a: QuizAction): { draft: QuizDraft; focus?: QuizFocusTarget } | undefined {
  switch (a.type) {
    case 'quiz-input': return d[a.field] === a.value ? undefined : { draft: { ...d, [a.field]: a.value } };
    case 'quiz-flag': {
      if (!SEGMENT_FLAGS.includes(a.flag) || (d.flags?.includes(a.flag) ?? false) === a.on) return undefined;
      return { draft: { ...d, flags: SEGMENT_FLAGS.filter((f) => (f === a.flag ? a.on : d.flags?.includes(f))) } };
    }
    case 'quiz-move': {
      const order = [...(d.order ?? (q.items ?? []).map((i) => i.id))];
      const at = order.indexOf(a.item), to = at + a.by;
      if (at < 0 || to < 0 || to >= order.length) return undefined;
      [order[at], order[to]] = [order[to]!, order[at]!];
      // At an end, the button that moves it back the other way (the one it used is disabled there).
      const button = to === 0 ? 'down' : to === order.length - 1 ? 'up' : a.by < 0 ? 'up' : 'down';
      return { draft: { ...d, order }, focus: { item: a.item, button } };
    }
    default: return undefined;
  }
}

/** What the learner does in the quiz panel. Only the questions of this step take part; only
 *  the open one takes input, and only before it is answered. */
function quizAction(s: PlayerState, a: QuizAction, ctx: LessonContext): PlayerState {
  const list = quizzesAt(ctx.lesson.quizzes, s.step);
  const i = list.findIndex((x) => x.id === a.quiz);
  const q = list[i];
  const qs = s.quiz;
  if (!q) return s;
  const done = quizDone(s, q.id);
  if (a.type === 'quiz-retry') {
    if (!done || list.findIndex((x) => x.id === qs.open) < i) return s;
    const outcomes = { ...qs.outcomes };
    delete outcomes[q.id];
    const retrying = qs.retrying.includes(q.id) ? qs.retrying : [...qs.retrying, q.id];
    return { ...s, quiz: { ...qs, open: q.id, outcomes, retrying, draft: undefined, status: undefined, focus: focusOn(qs, 'first') } };
  }
  if (q.id !== qs.open) return s;
  switch (a.type) {
    case 'quiz-submit': {
      if (done) return s;
      const g = givenOf(q, qs.draft);
      if (!g) return qs.status === 'quiz.empty' ? s : { ...s, quiz: { ...qs, status: 'quiz.empty' } };
      return answer(s, q, { given: g, skipped: false, correct: isCorrect(q, g) });
    }
    case 'quiz-skip': return done ? s : answer(s, q, { skipped: true, correct: false });
    case 'quiz-reveal': {
      const o = qs.outcomes[q.id];
      if (!o || o.correct || o.skipped || o.revealed) return s;
      return { ...s, quiz: { ...qs, outcomes: { ...qs.outcomes, [q.id]: { ...o, revealed: true } }, focus: focusOn(qs, 'answer') } };
    }
    case 'quiz-continue': {
      if (!done) return s;
      if (i < list.length - 1) return { ...s, quiz: { ...qs, open: list[i + 1]!.id, draft: undefined, status: undefined, focus: focusOn(qs, 'first') } };
      const moved = go(s, ctx, s.step + 1, true);
      return { ...moved, quiz: { ...moved.quiz, focus: focusOn(qs, 'step') } };
    }
    default: {
      if (done) return s;
      const c = drafted(q, qs.draft?.quiz === q.id ? qs.draft : { quiz: q.id }, a);
      if (!c) return s;
      return { ...s, quiz: { ...qs, draft: c.draft, focus: c.focus ? focusOn(qs, c.focus) : qs.focus } };
    }
  }
}

function apply(s: PlayerState, a: Action, ctx: LessonContext | undefined): PlayerState {
  switch (a.type) {
    case 'open': {
      // A lesson opened anew asks its questions anew (the focus count goes on: effects do each once).
      const quiz: QuizState = { outcomes: {}, retrying: [], focus: s.quiz.focus };
      const opened: PlayerState = { ...s, lesson: a.lesson, seed: a.seed, step: -1, selection: undefined, follow: undefined, playing: false, answered: a.answered, quiz };
      if (!ctx) return { ...opened, step: 0 };
      return go(opened, ctx, a.step, false);
    }
    case 'go': return ctx ? go(s, ctx, a.step, a.fromUser) : s;
    case 'tick': {
      if (!ctx || !s.playing) return s;
      const moved = go(s, ctx, s.step + 1, true);
      const last = ctx.lesson.steps.length - 1;
      const quizOpen = quizzesAt(ctx.lesson.quizzes, moved.step).some((q) => !moved.answered.includes(q.id));
      if (moved.step === s.step || moved.step >= last || quizOpen) return { ...moved, playing: false };
      return moved;
    }
    case 'play': {
      if (!ctx || s.playing) return s;
      const atEnd = s.step >= ctx.lesson.steps.length - 1;
      return { ...(atEnd ? go(s, ctx, 0, false) : s), playing: true };
    }
    case 'pause': return s.playing ? { ...s, playing: false } : s;
    case 'speed': return { ...s, speed: a.speed > 0 ? a.speed : 1 };
    case 'select': return { ...s, selection: a.seg, tab: 'inspector' };
    case 'mode': return { ...s, mode: a.mode };
    case 'language': return { ...s, language: a.language };
    case 'tab': return { ...s, tab: a.tab };
    case 'follow': return { ...s, follow: a.follow };
    case 'projection': return { ...s, projection: a.on };
    case 'answered':
      // Any answer, right or wrong, or a "show me", lets the lesson go on past the question.
      return s.answered.includes(a.quiz) ? s : { ...s, answered: [...s.answered, a.quiz] };
    // Forgotten progress: the questions are asked again, this page's answers included.
    case 'answers-reset': return { ...s, answered: [], quiz: { outcomes: {}, retrying: [], focus: s.quiz.focus } };
    case 'proof': {
      if (!ctx) return s;
      const target = stepOfEvent(ctx.lesson.steps, a.event);
      // The proof never jumps over a question still to be asked: its answer would be on screen.
      if (target > s.step && pendingQuiz(ctx.lesson.quizzes, s.answered, s.step, target)) {
        return { ...go(s, ctx, target, true), notice: noticed(s, 'quiz.proofLater') };
      }
      const seg = segOfEvent(ctx.model, a.event);
      let next: PlayerState = seg !== undefined ? { ...s, selection: seg } : s;
      if (target > s.step) next = { ...go(next, ctx, target, false), selection: seg ?? selectionAt(ctx, target, s.selection) };
      const isState = ctx.model.events[a.event]?.kind === 'state';
      return isState ? { ...next, notice: noticed(s, 'sd.flash') } : { ...next, tab: 'inspector' };
    }
    default: return ctx ? quizAction(s, a, ctx) : s;
  }
}
