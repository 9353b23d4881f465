// Learner progress in localStorage: lessons done and quiz results. Versioned; anything that is
// not a valid current-version store (corrupt JSON, an old format, a hand-edited file) is
// reported and replaced by an empty store instead of breaking the page.
export const PROGRESS_KEY = 'tcplab.progress';
export const PROGRESS_VERSION = 1;

export interface QuizResult { correct: boolean; tries: number }
export interface LessonProgress { done: boolean; quizzes: Record<string, QuizResult> }
export interface Progress { version: 1; lessons: Record<string, LessonProgress> }

export const emptyProgress = (): Progress => ({ version: PROGRESS_VERSION, lessons: {} });

/** Returns an error text naming the offending field, or undefined when `x` is a valid store. */
export function validateProgress(x: unknown): string | undefined {
  if (typeof x !== 'object' || x === null || Array.isArray(x)) return '/: expected an object';
  const o = x as Record<string, unknown>;
  if (o.version !== PROGRESS_VERSION) return `/version: expected ${PROGRESS_VERSION}, found ${JSON.stringify(o.version)}`;
  if (typeof o.lessons !== 'object' || o.lessons === null || Array.isArray(o.lessons)) return '/lessons: expected an object';
  for (const [id, l] of Object.entries(o.lessons as Record<string, unknown>)) {
    if (typeof l !== 'object' || l === null) return `/lessons/${id}: expected an object`;
    const lp = l as Record<string, unknown>;
    if (typeof lp.done !== 'boolean') return `/lessons/${id}/done: expected true or false`;
    if (typeof lp.quizzes !== 'object' || lp.quizzes === null || Array.isArray(lp.quizzes)) return `/lessons/${id}/quizzes: expected an object`;
    for (const [q, r] of Object.entries(lp.quizzes as Record<string, unknown>)) {
      const rr = r as Record<string, unknown> | null;
      if (typeof rr !== 'object' || rr === null || typeof rr.correct !== 'boolean' || typeof rr.tries !== 'number') {
        return `/lessons/${id}/quizzes/${q}: expected {"correct": boolean, "tries": number}`;
      }
    }
  }
  return undefined;
}

export function parseProgress(text: string | null): { progress: Progress; problem?: string } {
  if (text === null || text === '') return { progress: emptyProgress() };
  let x: unknown;
  try { x = JSON.parse(text); } catch (e) { return { progress: emptyProgress(), problem: `not JSON (${(e as Error).message})` }; }
  const err = validateProgress(x);
  if (err) return { progress: emptyProgress(), problem: err };
  return { progress: x as Progress };
}

export interface KeyValueStore { getItem(k: string): string | null; setItem(k: string, v: string): void; removeItem(k: string): void }

export class ProgressStore {
  progress: Progress;
  /** Set when the stored data had to be reset; the UI shows it once. */
  problem?: string;

  constructor(private readonly store: KeyValueStore | undefined) {
    let text: string | null = null;
    try { text = store?.getItem(PROGRESS_KEY) ?? null; } catch { text = null; }
    const r = parseProgress(text);
    this.progress = r.progress;
    if (r.problem) { this.problem = r.problem; this.save(); }
  }

  private lesson(id: string): LessonProgress {
    return (this.progress.lessons[id] ??= { done: false, quizzes: {} });
  }

  save(): void {
    try { this.store?.setItem(PROGRESS_KEY, JSON.stringify(this.progress)); } catch { /* storage full or disabled: keep it in memory */ }
  }

  markDone(id: string): void {
    const l = this.lesson(id);
    if (!l.done) { l.done = true; this.save(); }
  }

  recordQuiz(id: string, quiz: string, correct: boolean): void {
    const l = this.lesson(id);
    const prev = l.quizzes[quiz];
    l.quizzes[quiz] = { correct: prev?.correct === true || correct, tries: (prev?.tries ?? 0) + 1 };
    this.save();
  }

  isDone(id: string): boolean { return this.progress.lessons[id]?.done === true; }

  quizStats(id: string): { ok: number; n: number } {
    const q = Object.values(this.progress.lessons[id]?.quizzes ?? {});
    return { ok: q.filter((r) => r.correct).length, n: q.length };
  }

  exportText(): string { return JSON.stringify(this.progress, null, 2) + '\n'; }

  /** Replaces the store with a file's content; returns an error text when the file is not valid. */
  importText(text: string): string | undefined {
    const r = parseProgress(text);
    if (r.problem) return r.problem;
    this.progress = r.progress;
    this.save();
    return undefined;
  }

  reset(): void { this.progress = emptyProgress(); this.save(); }
}
