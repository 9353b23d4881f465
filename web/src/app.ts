// The player, put together: the engine and the lessons it resolves, one state (player/state.ts)
// changed only by dispatching actions, a pure view of it (player/view.ts) drawn by
// player/render.ts, and every side effect in player/effects.ts.
import { EngineCatalog, loadEngine, type Engine } from './engine';
import { format, getLang, loc, setLang, t, type Lang } from './i18n';
import { layoutTime, type TimeLayout } from './layout';
import { exampleLesson, fromResolved, listExamples, listLessons, type LessonEntry, type PlayerLesson } from './lessons';
import { buildModel, type Model } from './model';
import { ProgressStore } from './progress';
import { findStep, stepOfEvent } from './steps';
import { byId } from './ui/dom';
import { ladderGeometry, type LadderGeometry } from './ui/ladder';
import { StateDiagram } from './ui/statediagram';
import { mountCapture } from './ui/capture-slot';
import { renderCaptureNote, type NoteCatalog } from './capture';
import { applyStaticText, banner, clearBanners, fillConnPicker, fillTimeline, renderLessonList } from './player/chrome';
import { compactScreen, Effects, prefersReducedMotion, startLanguage, startProjection, storage, type EffectHost } from './player/effects';
import { ladderScroll, Renderer } from './player/render';
import { initialState, reduce, type Action, type PlayerState } from './player/state';
import { quizPanel } from './player/quiz-view';
import { viewOf, type Words } from './player/view';
import { renderQuiz } from './ui/quiz';

export { parseHash } from './player/effects';
export { makeHash } from './player/view';

export class App implements EffectHost {
  engine?: Engine;
  catalog = new EngineCatalog();
  private captureNotes: NoteCatalog = {};
  entries: LessonEntry[] = [];
  lesson?: PlayerLesson;
  private scene?: { model: Model; layout: TimeLayout; geom: LadderGeometry };
  private st: PlayerState;
  /** Each lesson is resolved (the engine run) once per page; back, scrub and re-opening reuse it. */
  private resolved = new Map<string, PlayerLesson>();
  private resolveErrors = new Map<string, string>();
  readonly progress: ProgressStore;
  private readonly effects = new Effects(this);
  private sd!: StateDiagram;
  private renderer!: Renderer;

  constructor() {
    this.progress = new ProgressStore(storage());
    this.st = initialState(startLanguage(), startProjection());
    setLang(this.st.language);
  }

  state(): PlayerState { return this.st; }
  model(): Model | undefined { return this.scene?.model; }
  get step(): number { return this.st.step; }

  /** The one way the state changes: the reducer, then the side effects, then a drawing. */
  dispatch(a: Action): void {
    const prev = this.st;
    const next = reduce(prev, a, this.lesson && this.scene ? { lesson: this.lesson, model: this.scene.model } : undefined);
    if (next === prev) return;
    this.st = next;
    this.effects.after(prev, next);
    // Typing an answer changes the quiz alone: redraw the quiz panel, not the whole page (a
    // heavy lesson's snapshot and ladder would cost a keystroke tens of milliseconds).
    if (onlyQuizChanged(prev, next)) this.drawQuiz();
    else this.draw();
  }

  async start(): Promise<void> {
    document.documentElement.lang = getLang();
    document.body.classList.toggle('projection', this.st.projection);
    const words = this.words();
    this.sd = new StateDiagram(byId('sd') as unknown as SVGSVGElement, (k) => t(k), words.stateName);
    this.renderer = new Renderer(this.sd, prefersReducedMotion());
    this.effects.bind();
    applyStaticText(this.st.playing);
    if (this.progress.problem) banner(t('progress.corrupt', { why: this.progress.problem }), 'warn');
    try {
      this.engine = await loadEngine();
    } catch (e) {
      banner(t('app.engine.error', { msg: (e as Error).message }), 'error');
    }
    if (this.engine?.catalog) {
      try { this.catalog = EngineCatalog.parse(this.engine.catalog()); } catch { /* keep the player's own words */ }
    }
    this.entries = [...(this.engine ? listLessons() : []), ...listExamples()];
    if (!this.engine) banner(t('app.engine.missing'), 'info');
    if (typeof this.engine?.captureNoteCatalog === 'function') {
      try { this.captureNotes = JSON.parse((this.engine.captureNoteCatalog as () => string)()) as NoteCatalog; } catch { /* notes then show their codes */ }
    }
    mountCapture(byId<HTMLButtonElement>('btn-capture'), byId('capture-slot'), {
      engine: this.engine, t: (k, a) => t(k, a), lang: () => getLang(), current: () => this.lesson,
      open: (l) => this.openLesson(l, 0),
    });
    this.relist();
    await this.effects.fromHash();
    for (const e of this.entries) {
      if (this.lesson) break;
      await this.open(e.id, 0);
    }
    document.body.classList.add('ready');
  }

  // ---- lessons ---------------------------------------------------------------------------------

  /** Opens a lesson; `seed` picks new values for the lesson's parameters (training mode, docs/LESSONS.md). */
  async open(id: string, step: number, seed?: number): Promise<void> {
    const e = this.entries.find((x) => x.id === id);
    clearBanners('link');
    if (!e) {
      // Say so, and keep (or open) a lesson that exists; the list shows what there is.
      for (const x of this.entries) {
        if (this.lesson) break;
        await this.open(x.id, 0);
      }
      banner(t('app.lesson.unknown', { id, shown: this.lesson ? loc(this.lesson.title) : '—' }), 'warn', 'link');
      return;
    }
    clearBanners('lesson');
    const key = seed === undefined ? id : `${id}@${seed}`;
    let lesson: PlayerLesson | undefined = this.resolved.get(key);
    if (lesson) {
      const err = this.resolveErrors.get(key);
      if (err) banner(t('app.lesson.error', { msg: err }), 'error', 'lesson');
      this.openLesson(lesson, step);
      return;
    }
    try {
      if (e.kind === 'lesson' && this.engine?.resolveLesson) {
        try {
          lesson = fromResolved(JSON.parse(this.engine.resolveLesson(e.text, e.file, seed === undefined ? '' : JSON.stringify({ seed }))) as Record<string, unknown>, e);
          lesson.seed = seed;
        } catch (err) {
          // The lesson does not fit what the engine does (yet): say so, and still show the run.
          this.resolveErrors.set(key, (err as Error).message);
          banner(t('app.lesson.error', { msg: (err as Error).message }), 'error', 'lesson');
        }
      }
      if (!lesson && e.kind === 'lesson' && this.engine) {
        const doc = JSON.parse(e.text) as { scenario?: unknown };
        const text = doc.scenario !== undefined ? JSON.stringify(doc.scenario) : e.text;
        lesson = { ...exampleLesson({ ...e, text: this.engine.runScenario(text, e.file) }), id: e.id, title: e.title, summary: e.summary, kind: 'lesson' };
      }
      if (!lesson) lesson = exampleLesson(e);
      this.resolved.set(key, lesson);
    } catch (err) {
      banner(t('app.lesson.error', { msg: (err as Error).message }), 'error', 'lesson');
      return;
    }
    this.openLesson(lesson, step);
  }

  /** Opens an already resolved lesson (docs/LESSONS.md "Resolved lesson"), e.g. one saved to a file. */
  openResolved(resolved: Record<string, unknown>, id: string, step = 0): void {
    const meta = (resolved.lesson ?? {}) as Record<string, unknown>;
    const entry: LessonEntry = { id, file: `${id}.json`, kind: 'lesson', title: (meta.title as LessonEntry['title']) ?? { en: id, 'zh-CN': id }, text: '' };
    this.openLesson(fromResolved(resolved, entry), step);
  }

  openLesson(lesson: PlayerLesson, step: number): void {
    const model = buildModel(lesson.trace);
    this.lesson = lesson;
    this.scene = { model, layout: layoutTime(lesson.trace.events), geom: ladderGeometry(model.hosts.length, compactScreen()) };
    const marks = lesson.quizzes.map((q) => Math.max(0, q.step - 1));
    if (model.stateIndexes.length <= 500) for (const i of model.stateIndexes) marks.push(stepOfEvent(lesson.steps, i));
    fillTimeline(lesson.steps.length, marks);
    const answered = Object.entries(this.progress.progress.lessons[lesson.id]?.quizzes ?? {}).filter(([, r]) => r.correct).map(([q]) => q);
    this.dispatch({ type: 'open', lesson: lesson.id, seed: lesson.seed, step, answered });
    fillConnPicker(model, undefined);
    this.relist();
  }

  // ---- what effects.ts asks for ----------------------------------------------------------------

  jump(kinds: string[], dir: 1 | -1): void {
    if (!this.scene || !this.lesson) return;
    this.dispatch({ type: 'go', step: findStep(this.scene.model, this.lesson.steps, this.st.step, dir, kinds), fromUser: true });
  }

  relabel(): void {
    this.sd.relabel((k) => t(k), this.words().stateName);
    fillConnPicker(this.scene?.model, this.st.follow);
    this.relist();
  }

  resized(): void {
    if (this.scene) this.scene = { ...this.scene, geom: ladderGeometry(this.scene.model.hosts.length, compactScreen()) };
    this.draw();
  }

  sdResized(): void { this.sd?.resized(); }
  stepCount(): number { return this.lesson?.steps.length ?? 0; }
  markDone(): void { if (this.lesson) this.progress.markDone(this.lesson.id); }
  recordQuiz(quiz: string, correct: boolean): void {
    if (!this.lesson) return;
    this.progress.recordQuiz(this.lesson.id, quiz, correct);
    this.relist();
  }
  reroll(): void { if (this.lesson) void this.open(this.lesson.id, this.st.step, Math.floor(Math.random() * 2 ** 31)); }
  progressExport(): string { return this.progress.exportText(); }
  progressImport(text: string): string {
    const err = this.progress.importText(text);
    this.relist();
    return err ? t('progress.badfile', { why: err }) : t('progress.imported');
  }
  progressReset(): void { this.progress.reset(); this.dispatch({ type: 'answers-reset' }); this.relist(); }

  // ---- for tests and the console ---------------------------------------------------------------

  go(step: number, fromUser = true): void { this.dispatch({ type: 'go', step, fromUser }); }
  setLanguage(l: Lang): void { this.dispatch({ type: 'language', language: l }); }

  // ---- drawing ---------------------------------------------------------------------------------

  private relist(): void { renderLessonList(this.entries, this.lesson?.id, this.progress); }

  /** The texts of the current language, the engine's catalogue included. */
  private words(): Words {
    const lookup = (section: string, key: string): string => loc(this.catalog.lookup(section, key));
    return {
      t: (k, a) => t(k, a),
      loc: (x) => loc(x),
      stateName: (s) => s,
      timerName: (name) => { const k = `timer.${name}`; const own = t(k); return own !== k ? own : lookup('timers', name) || name; },
      noteText: (code, args) => {
        if (this.captureNotes[code]) return renderCaptureNote(this.captureNotes, code, args, getLang());
        const tmpl = lookup('notes', code);
        if (!tmpl) return `${code} ${Object.keys(args).length ? JSON.stringify(args) : ''}`.trim();
        const flat: Record<string, string | number> = {};
        for (const [k, v] of Object.entries(args)) flat[k] = typeof v === 'number' ? v : String(v);
        return format(tmpl.replace(/\{\{(\w+)\}\}/g, '{$1}'), flat);
      },
      discardText: (r) => lookup('discard', r),
      stateText: (s) => lookup('states', s),
      errnoText: (e) => lookup('errno', e),
    };
  }

  private drawQuiz(): void {
    const L = this.lesson;
    if (!L || !this.renderer?.drawn()) return this.draw();
    renderQuiz(byId('quiz'), quizPanel(this.st, L.quizzes, this.words()));
    this.effects.focusQuiz(this.st.quiz.focus);
  }

  private draw(): void {
    const L = this.lesson, scene = this.scene;
    if (!L || !scene || !this.renderer) return;
    const words = this.words();
    const v = viewOf(this.st, L, scene.model, words);
    const { stepChanged, ySel, refocus } = this.renderer.render(v, scene, words);
    this.effects.refocus(refocus);
    this.effects.focusQuiz(this.st.quiz.focus);
    if (stepChanged) this.effects.scrollLadder(() => ladderScroll(scene, L.steps[v.step]!, v.now, ySel));
    this.effects.drawn(v.hash);
  }
}

/** True when `next` differs from `prev` in the quiz's state only. */
function onlyQuizChanged(prev: PlayerState, next: PlayerState): boolean {
  for (const k of Object.keys(next) as (keyof PlayerState)[]) if (k !== 'quiz' && next[k] !== prev[k]) return false;
  return prev.quiz !== next.quiz;
}
