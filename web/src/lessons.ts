// The lesson list: lesson files from ../lessons (bundled as text) and the example traces, plain
// runs of a few lessons' scenarios that the engine computed at build time (scripts/generate.mjs).
import { checkTrace, type Localized, type Trace } from './types';
import { defaultSteps, type Step } from './steps';

const lessonFiles = import.meta.glob('../../lessons/*.json', { query: '?raw', import: 'default', eager: true }) as Record<string, string>;
const exampleFiles = import.meta.glob('./generated/examples/*.trace.json', { query: '?raw', import: 'default', eager: true }) as Record<string, string>;

export interface LessonEntry {
  id: string;
  file: string;
  kind: 'lesson' | 'example';
  title: Localized;
  summary?: Localized;
  minutes?: number;
  level?: string;
  text: string;
}

export interface QuizChoice { id: string; text?: Localized; value?: unknown }
export interface QuizItem { id: string; text: Localized; event?: number }
/** A resolved quiz (docs/LESSONS.md "Resolved lesson"): `step` is the step it stops before. */
export interface Quiz {
  id: string;
  step: number;
  kind: string;
  prompt: Localized;
  choices?: QuizChoice[];
  items?: QuizItem[];
  answer: { kind?: string; value?: unknown; choice?: string };
  explain?: Localized;
  evidence?: number | null;
  unit?: Localized;
  tolerance?: number;
  /** predict_segment: seq/ack as on the wire rather than relative to the ISNs */
  absolute?: boolean;
  [k: string]: unknown;
}

export interface PlayerLesson {
  id: string;
  title: Localized;
  summary?: Localized;
  trace: Trace;
  steps: Step[];
  quizzes: Quiz[];
  kind: 'lesson' | 'example';
  /** training mode: parameter values used, their declarations, and the seed that picked them */
  params?: Record<string, unknown>;
  paramSpec?: Record<string, { label?: Localized; [k: string]: unknown }>;
  seed?: number;
}

const baseName = (p: string): string => p.slice(p.lastIndexOf('/') + 1).replace(/\.trace\.json$|\.json$/, '');
const same = (s: string): Localized => ({ en: s, 'zh-CN': s });

export interface PathPart { id: string; title: Localized; lessons: string[] }

/** The learning path (lessons/index.json): parts in order, each an ordered list of lesson ids. */
export function learningPath(): PathPart[] {
  const text = Object.entries(lessonFiles).find(([p]) => baseName(p) === 'index')?.[1];
  if (!text) return [];
  try {
    const j = JSON.parse(text) as { path?: PathPart[] };
    return Array.isArray(j.path) ? j.path.filter((p) => p && Array.isArray(p.lessons)) : [];
  } catch {
    return [];
  }
}

export function listLessons(): LessonEntry[] {
  const out: LessonEntry[] = [];
  for (const [path, text] of Object.entries(lessonFiles)) {
    const name = baseName(path);
    if (name === 'schema' || name === 'index') continue;
    try {
      const j = JSON.parse(text) as Record<string, unknown>;
      if (j.tcplab_lesson === undefined) continue;
      out.push({
        id: typeof j.id === 'string' ? j.id : name, file: `lessons/${name}.json`, kind: 'lesson',
        title: (j.title as Localized) ?? same(name), summary: j.summary as Localized | undefined,
        minutes: typeof j.minutes === 'number' ? j.minutes : undefined, level: typeof j.level === 'string' ? j.level : undefined,
        text,
      });
    } catch {
      out.push({ id: name, file: `lessons/${name}.json`, kind: 'lesson', title: same(name), text });
    }
  }
  const order = learningPath().flatMap((p) => p.lessons);
  const rank = (e: LessonEntry): number => { const i = order.indexOf(e.id); return i < 0 ? order.length + lessonOrder(e) : i; };
  out.sort((a, b) => (rank(a) - rank(b)) || a.id.localeCompare(b.id));
  return out;
}

const LEVELS = ['basics', 'intermediate', 'failures'];
const lessonOrder = (e: LessonEntry): number => {
  const i = LEVELS.indexOf(e.level ?? '');
  return i < 0 ? LEVELS.length : i;
};

export function listExamples(): LessonEntry[] {
  return Object.entries(exampleFiles).map(([path, text]) => {
    const id = `example-${baseName(path)}`;
    let title = same(baseName(path));
    try { const j = JSON.parse(text) as { title?: string }; if (j.title) title = same(j.title); } catch { /* keep the file name */ }
    return { id, file: `lessons/${baseName(path)}.json`, kind: 'example' as const, title, text };
  });
}

/** The example run of lesson `name` (its scenario's trace, steps cut by the player). */
export function example(name: string): PlayerLesson {
  const e = listExamples().find((x) => x.id === `example-${name}`);
  if (!e) throw new Error(`no example trace "${name}": web/scripts/generate.mjs writes them when the engine is built`);
  return exampleLesson(e);
}

export function exampleLesson(e: LessonEntry): PlayerLesson {
  const trace = checkTrace(JSON.parse(e.text), e.file);
  return { id: e.id, title: e.title, trace, steps: defaultSteps(trace.events), quizzes: [], kind: 'example' };
}

/** A resolved lesson (docs/LESSONS.md "Resolved lesson") as the player uses it. */
export function fromResolved(r: Record<string, unknown>, e: LessonEntry): PlayerLesson {
  const trace = checkTrace(r.trace, e.file);
  const meta = (r.lesson ?? {}) as Record<string, unknown>;
  const rawSteps = Array.isArray(r.steps) ? (r.steps as Record<string, unknown>[]) : [];
  const steps: Step[] = rawSteps
    .filter((s) => typeof s.first === 'number' && typeof s.last === 'number')
    .map((s) => ({ ...s, first: s.first as number, last: s.last as number, text: s.text as Localized | undefined }));
  const quizzes = (Array.isArray(r.quizzes) ? (r.quizzes as Quiz[]) : []).filter((q) => typeof q === 'object' && q !== null);
  return {
    id: e.id, title: (meta.title as Localized) ?? e.title, summary: (meta.summary as Localized) ?? e.summary,
    trace, steps: steps.length ? steps : defaultSteps(trace.events), quizzes, kind: 'lesson',
    params: (r.params ?? undefined) as Record<string, unknown> | undefined,
    paramSpec: (meta.params ?? undefined) as PlayerLesson['paramSpec'],
  };
}
