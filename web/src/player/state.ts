// The player's one state object and the pure function that changes it. Everything the page
// shows follows from a PlayerState and the open lesson (view.ts); nothing here touches the DOM,
// the URL, storage or a timer (effects.ts does, after each change).
import type { NumberMode } from '../format';
import type { Lang } from '../i18n';
import type { PlayerLesson, Quiz } from '../lessons';
import type { Model } from '../model';
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
}

export const initialState = (language: Lang, projection: boolean): PlayerState => ({
  step: 0, mode: 'rel', language, tab: 'inspector', playing: false, speed: 1, projection, answered: [],
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
  | { type: 'proof'; event: number };

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
  switch (a.type) {
    case 'open': {
      const opened: PlayerState = { ...s, lesson: a.lesson, seed: a.seed, step: -1, selection: undefined, follow: undefined, playing: false, answered: a.answered };
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
    case 'answers-reset': return { ...s, answered: [] };
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
  }
}
