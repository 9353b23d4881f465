// The player: wires the lesson list, the renderers, the controls, the URL hash and the stores.
import { EngineCatalog, loadEngine, type Engine } from './engine';
import { dropReason, fmtTime, type NumberMode } from './format';
import { GLOSSARY, LANGS, detectLang, format, getLang, loc, setLang, t, type Lang } from './i18n';
import { layoutTime, type TimeLayout } from './layout';
import { exampleLesson, fromResolved, learningPath, listExamples, listLessons, type LessonEntry, type PlayerLesson, type Quiz } from './lessons';
import { buildModel, endpointStates, focusConn, ipOf, snapshotAt, type Model } from './model';
import { narrateEvent } from './narrate';
import { ProgressStore } from './progress';
import { findStep, stepOfEvent } from './steps';
import type { StateEvent, StateName } from './types';
import { byId, clear, el } from './ui/dom';
import { renderInspector } from './ui/inspector';
import { hostMark, ladderGeometry, renderLadder, renderLadderHeader, type LadderGeometry } from './ui/ladder';
import { QuizView } from './ui/quiz';
import { renderSockets } from './ui/sockets';
import { StateDiagram, type Cause, type Lit } from './ui/statediagram';
import { mountCapture } from './ui/capture-slot';
import { renderCaptureNote, type NoteCatalog } from './capture';

const LANG_KEY = 'tcplab.lang';
const PROJ_KEY = 'tcplab.projection';
const SPEEDS = [0.5, 1, 2, 4];

function storage(): Storage | undefined {
  try { return window.localStorage; } catch { return undefined; }
}

export function parseHash(hash: string): { lesson?: string; step?: number; seed?: number; lang?: Lang } {
  const p = new URLSearchParams(hash.replace(/^#/, ''));
  const step = Number(p.get('step'));
  const seed = p.get('seed') === null ? NaN : Number(p.get('seed'));
  const lang = p.get('lang');
  return {
    lesson: p.get('lesson') ?? undefined,
    step: Number.isInteger(step) && step >= 1 ? step : undefined,
    seed: Number.isInteger(seed) && seed >= 0 ? seed : undefined,
    lang: (LANGS as readonly string[]).includes(lang ?? '') ? (lang as Lang) : undefined,
  };
}

/** The link to a step of a lesson, with everything that decides what the page shows. */
export function makeHash(v: { lesson: string; step: number; seed?: number; lang: Lang }): string {
  return `#lesson=${encodeURIComponent(v.lesson)}&step=${v.step}${v.seed === undefined ? '' : `&seed=${v.seed}`}&lang=${v.lang}`;
}

export class App {
  engine?: Engine;
  catalog = new EngineCatalog();
  private captureNotes: NoteCatalog = {};
  entries: LessonEntry[] = [];
  lesson?: PlayerLesson;
  model?: Model;
  layout?: TimeLayout;
  geom?: LadderGeometry;
  step = 0;
  selected?: number;
  mode: NumberMode = 'rel';
  playing = false;
  speed = 1;
  private timer?: number;
  private copyTimer?: number;
  private sd!: StateDiagram;
  private quiz!: QuizView;
  private answered = new Set<string>();
  /** The connection the lane headers and the state diagram follow; undefined: the step's own. */
  private follow?: { host: string; conn: string };
  /** How many connections (not listeners) the trace has. */
  private connCount = 0;
  /** Each lesson is resolved (the engine run) once per page; back, scrub and re-opening reuse it. */
  private resolved = new Map<string, PlayerLesson>();
  private resolveErrors = new Map<string, string>();
  private lastRenderedStep = -1;
  readonly progress: ProgressStore;
  private reducedMotion = window.matchMedia?.('(prefers-reduced-motion: reduce)').matches ?? false;

  constructor() {
    this.progress = new ProgressStore(storage());
    // A link that names a language wins over the remembered one: it is what its sender saw.
    setLang(parseHash(location.hash).lang ?? detectLang(storage()?.getItem(LANG_KEY) ?? null, navigator.languages ?? [navigator.language]));
  }

  async start(): Promise<void> {
    document.documentElement.lang = getLang();
    if (storage()?.getItem(PROJ_KEY) === '1') document.body.classList.add('projection');
    this.sd = new StateDiagram(byId<SVGSVGElement & HTMLElement>('sd') as unknown as SVGSVGElement, (k) => t(k), (s) => this.stateName(s));
    this.quiz = new QuizView(byId('quiz'), {
      t: (k, a) => t(k, a),
      stateName: (s) => this.stateName(s),
      onAnswer: (q, correct) => this.onQuizAnswer(q, correct),
      onContinue: () => { this.next(); byId('btn-next').focus({ preventScroll: true }); },
      onProof: (index) => this.showProof(index),
    });
    this.bindControls();
    this.applyStaticText();
    if (this.progress.problem) this.banner(t('progress.corrupt', { why: this.progress.problem }), 'warn');
    try {
      this.engine = await loadEngine();
    } catch (e) {
      this.banner(t('app.engine.error', { msg: (e as Error).message }), 'error');
    }
    if (this.engine?.catalog) {
      try { this.catalog = EngineCatalog.parse(this.engine.catalog()); } catch { /* keep the player's own words */ }
    }
    const lessons = this.engine ? listLessons() : [];
    this.entries = [...lessons, ...listExamples()];
    if (!this.engine) this.banner(t('app.engine.missing'), 'info');
    if (typeof this.engine?.captureNoteCatalog === 'function') {
      try { this.captureNotes = JSON.parse((this.engine.captureNoteCatalog as () => string)()) as NoteCatalog; } catch { /* notes then show their codes */ }
    }
    mountCapture(byId<HTMLButtonElement>('btn-capture'), byId('capture-slot'), {
      engine: this.engine, t: (k, a) => t(k, a), lang: () => getLang(), current: () => this.lesson,
      open: (l) => this.openLesson(l, 0),
    });
    this.renderLessonList();
    window.addEventListener('hashchange', () => this.fromHash());
    window.matchMedia?.('(max-width: 760px)').addEventListener('change', () => {
      if (this.model) { this.geom = ladderGeometry(this.model.hosts.length, this.compact()); this.render(); }
    });
    await this.fromHash();
    for (const e of this.entries) {
      if (this.lesson) break;
      await this.open(e.id, 0);
    }
    document.body.classList.add('ready');
  }

  // ---- lessons ---------------------------------------------------------------------------------

  private async fromHash(): Promise<void> {
    const h = parseHash(location.hash);
    if (h.lang && h.lang !== getLang()) this.setLanguage(h.lang);
    if (!h.lesson) return;
    if (this.lesson?.id === h.lesson && this.lesson.seed === h.seed) { this.clearBanners('link'); this.go((h.step ?? 1) - 1, false); return; }
    await this.open(h.lesson, (h.step ?? 1) - 1, h.seed);
  }

  /** Opens a lesson; `seed` picks new values for the lesson's parameters (training mode, docs/LESSONS.md). */
  async open(id: string, step: number, seed?: number): Promise<void> {
    const e = this.entries.find((x) => x.id === id);
    this.clearBanners('link');
    if (!e) {
      // Say so, and keep (or open) a lesson that exists; the list shows what there is.
      for (const x of this.entries) {
        if (this.lesson) break;
        await this.open(x.id, 0);
      }
      this.banner(t('app.lesson.unknown', { id, shown: this.lesson ? loc(this.lesson.title) : '—' }), 'warn', 'link');
      return;
    }
    this.clearBanners('lesson');
    const key = seed === undefined ? id : `${id}@${seed}`;
    let lesson: PlayerLesson | undefined = this.resolved.get(key);
    if (lesson) {
      const err = this.resolveErrors.get(key);
      if (err) this.banner(t('app.lesson.error', { msg: err }), 'error', 'lesson');
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
          this.banner(t('app.lesson.error', { msg: (err as Error).message }), 'error', 'lesson');
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
      this.banner(t('app.lesson.error', { msg: (err as Error).message }), 'error', 'lesson');
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
    this.pause();
    this.lesson = lesson;
    this.model = buildModel(lesson.trace);
    this.layout = layoutTime(lesson.trace.events);
    this.geom = ladderGeometry(this.model.hosts.length, this.compact());
    this.selected = undefined;
    this.follow = undefined;
    this.quiz.reset();
    this.fillConnPicker();
    this.answered = new Set(Object.entries(this.progress.progress.lessons[lesson.id]?.quizzes ?? {}).filter(([, r]) => r.correct).map(([q]) => q));
    this.lastRenderedStep = -1;
    const range = byId<HTMLInputElement>('timeline');
    range.max = String(Math.max(0, lesson.steps.length - 1));
    // Tick marks on the timeline where a state changes or a quiz waits.
    const ticks = byId('timeline-ticks');
    clear(ticks);
    const marked = new Set<number>(lesson.quizzes.map((q) => Math.max(0, q.step - 1)));
    if (this.model.stateIndexes.length <= 500) for (const i of this.model.stateIndexes) marked.add(stepOfEvent(lesson.steps, i));
    for (const s of [...marked].sort((a, b) => a - b).slice(0, 300)) ticks.append(el('option', { value: s }));
    this.go(step, false);
    this.renderLessonList();
  }

  private compact(): boolean {
    return window.matchMedia?.('(max-width: 760px)').matches ?? false;
  }

  // ---- navigation ------------------------------------------------------------------------------

  go(step: number, fromUser = true): void {
    if (!this.lesson) return;
    const n = this.lesson.steps.length;
    const target = Math.max(0, Math.min(n - 1, Number.isFinite(step) ? step : 0));
    // A quiz stops a forward move before its step until it is answered.
    if (fromUser && target > this.step) {
      const q = this.pendingQuiz(this.step, target);
      if (q !== undefined) {
        const stopAt = Math.max(0, q.step - 1);
        const moved = stopAt !== this.step;
        this.step = stopAt;
        this.pause();
        this.render();
        if (!moved) this.quiz.flash('quiz.locked');
        return;
      }
    }
    this.step = target;
    if (this.step === n - 1) this.progress.markDone(this.lesson.id);
    this.render();
  }

  private pendingQuiz(from: number, to: number): Quiz | undefined {
    return this.lesson?.quizzes.find((q) => q.step > from && q.step <= to && !this.answered.has(q.id));
  }

  next(): void { this.go(this.step + 1); }
  prev(): void { this.go(this.step - 1); }

  jump(kinds: string[], dir: 1 | -1): void {
    if (!this.model || !this.lesson) return;
    this.go(findStep(this.model, this.lesson.steps, this.step, dir, kinds));
  }

  play(): void {
    if (!this.lesson || this.playing) return;
    if (this.step >= this.lesson.steps.length - 1) this.go(0, false);
    this.playing = true;
    this.updatePlayButton();
    const tick = (): void => {
      if (!this.playing || !this.lesson) return;
      const before = this.step;
      this.next();
      if (this.step === before || this.step >= this.lesson.steps.length - 1 || this.quizOpen()) { this.pause(); return; }
      this.timer = window.setTimeout(tick, 1600 / this.speed);
    };
    this.timer = window.setTimeout(tick, this.reducedMotion ? 0 : 300 / this.speed);
  }

  pause(): void {
    this.playing = false;
    if (this.timer !== undefined) window.clearTimeout(this.timer);
    this.timer = undefined;
    this.updatePlayButton();
  }

  private quizOpen(): boolean {
    return this.quizzesAt(this.step).some((q) => !this.answered.has(q.id));
  }

  /** The quizzes that stop the playback after step `s` (before step s+1), in lesson order. */
  quizzesAt(s: number): Quiz[] {
    return this.lesson?.quizzes.filter((q) => q.step - 1 === s) ?? [];
  }

  // ---- rendering -------------------------------------------------------------------------------

  stateName(s: string): string {
    return s;
  }

  timerName(name: string): string {
    const k = `timer.${name}`;
    const own = t(k);
    if (own !== k) return own;
    return loc(this.catalog.lookup('timers', name)) || name;
  }

  render(): void {
    const L = this.lesson, m = this.model, lay = this.layout, g = this.geom;
    if (!L || !m || !lay || !g) return;
    const step = L.steps[this.step]!;
    const now = step.last;
    const snap = snapshotAt(m, now);
    const stepChanged = this.lastRenderedStep !== this.step;

    // Selected segment: the step's focus, else the last segment sent in the step, else keep.
    if (stepChanged) {
      const focus = typeof step.focus === 'number' ? (step.focus as number) : undefined;
      let sel: number | undefined;
      if (focus !== undefined) {
        const fe = m.events[focus];
        if (fe?.kind === 'send') sel = fe.seg.id;
        else if (fe && (fe.kind === 'deliver' || fe.kind === 'drop' || fe.kind === 'discard')) sel = fe.seg_id;
      }
      if (sel === undefined) {
        for (let i = now; i >= step.first; i--) { const e = m.events[i]!; if (e.kind === 'send') { sel = e.seg.id; break; } if (e.kind === 'deliver' || e.kind === 'drop') { sel = e.seg_id; break; } }
      }
      if (sel !== undefined) this.selected = sel;
      if (this.selected === undefined || (m.segs.get(this.selected)?.sendIndex ?? Infinity) > now) {
        this.selected = [...m.segOrder].reverse().find((s) => s.sendIndex <= now)?.id;
      }
    }

    // Title, narration.
    byId('lesson-title').textContent = loc(L.title);
    const stepTitle = byId('step-title');
    stepTitle.textContent = loc(step.title as Record<string, string> | undefined) || `${t('ctl.step', { n: this.step + 1, total: L.steps.length })} · ${fmtTime(m.events[now]?.t_us ?? 0)}`;
    const narr = byId('narration');
    if (stepChanged) {
      // A new step starts at its title, not where the previous one was scrolled to.
      byId('narration-panel').scrollTop = 0;
      narr.scrollTop = 0;
    }
    // Rebuild (and so re-announce) the narration only when there is something new to say.
    const narrKey = `${L.id}|${L.seed ?? ''}|${this.step}|${getLang()}|${this.mode}`;
    const sameNarration = narr.dataset.key === narrKey;
    narr.dataset.key = narrKey;
    if (!sameNarration) clear(narr);
    const text = loc(step.text);
    const lines: string[] = [];
    for (let i = step.first; i <= step.last; i++) {
      const line = narrateEvent(m, m.events[i]!, {
        t: (k, a) => t(k, a), mode: this.mode, timerName: (x) => this.timerName(x), stateName: (s) => this.stateName(s),
        noteText: (code, args) => this.noteText(code, args), reason: (r) => dropReason((k) => t(k), r),
        discardText: (r) => loc(this.catalog.lookup('discard', r)),
      });
      if (line) lines.push(line);
    }
    if (text && !sameNarration) {
      narr.append(el('p', { class: 'narr-text' }, text));
    }
    const descs = sameNarration ? [] : this.stateDescriptions(m, step.first, step.last);
    const descNodes = descs.map((d) => el('p', { class: 'state-desc' }, el('b', {}, `${d.state}: `), d.text));
    if (!sameNarration && (lines.length || descNodes.length)) {
      const list = el('ul', { class: 'event-lines' }, ...lines.map((l) => el('li', {}, l)));
      if (text) {
        // A lesson's own words first; the engine's account of the step is one click away.
        narr.append(el('details', { class: 'events' }, el('summary', {}, t('narr.events')), list, ...descNodes));
      } else {
        narr.append(list, ...descNodes);
      }
    }
    // The quizzes that stop the playback here, asked one after another.
    this.quiz.show(this.quizzesAt(this.step), (id) => this.answered.has(id));

    // Ladder.
    const focus = this.follow ?? focusConn(m, now);
    const eps = endpointStates(m, snap, focus);
    const headStates = new Map<string, string | undefined>();
    for (const h of m.hosts) headStates.set(h, eps.get(h)?.state ?? this.anyState(snap, h));
    const view = {
      now, stepFirst: step.first, selected: this.selected, mode: this.mode, animate: stepChanged && !this.reducedMotion,
      t: (k: string, a?: Record<string, string | number>) => t(k, a), timerName: (x: string) => this.timerName(x), stateName: (s: string) => this.stateName(s),
    };
    renderLadderHeader(byId('ladder-head') as unknown as SVGSVGElement, m, g, headStates, view);
    const ySel = renderLadder(byId('ladder') as unknown as SVGSVGElement, m, lay, g, view, (id) => { this.selected = id; this.render(); this.showTab('inspector'); });
    if (stepChanged) this.scrollLadder(now, ySel);

    // State diagram.
    const lits: Lit[] = [];
    m.hosts.forEach((h, hi) => {
      const cs = eps.get(h);
      if (!eps.has(h)) return;
      const ev: StateEvent | undefined = cs?.ev;
      let transition: Lit['transition'];
      if (ev) {
        // The cause as the trace gives it: the diagram lights the figure's edge only when its label names it.
        const c = ev.cause ?? '';
        const seg = c.startsWith('seg:') ? m.segs.get(Number(c.slice(4))) : undefined;
        const cause: Cause = seg ? { rcv: seg.send.seg.flags, seg: seg.id } : c.startsWith('timer:') ? { timer: c.slice(6) } : /^[a-z_]+$/.test(c) && !['crash', 'reboot', 'unplug', 'plug', 'syn_cookie', 'tw_reuse'].includes(c) ? { call: c } : { other: c };
        transition = { from: ev.from, to: ev.to, label: this.transitionLabel(m, cs!.index), current: cs!.index >= step.first && cs!.index <= now, cause, raw: c };
      }
      lits.push({ host: h, hostIndex: hi, state: cs?.state as StateName | undefined, from: ev?.from, transition });
    });
    this.sd.update(lits);
    const sdText = byId('sd-text');
    clear(sdText);
    if (focus && this.connCount > 1) {
      // In a lesson with many connections, say which one the header and the diagram follow.
      sdText.append(el('div', { class: 'sd-follow-line' }, t(this.follow ? 'conn.following' : 'conn.followingAuto', { conn: this.connLabel(m, focus) })));
    }
    if (lits.length === 0) sdText.append(t('sd.none'));
    for (const l of lits) {
      const li = el('div', { class: `sd-line host-${l.hostIndex % 4}` }, `${hostMark(l.hostIndex)} `);
      if (l.transition?.current) li.append(t('sd.transition', { host: l.host, from: l.transition.from, to: l.transition.to, why: l.transition.label }));
      else li.append(t('sd.summary', { host: l.host, state: l.state ?? '—' }));
      sdText.append(li);
    }

    // Inspector and sockets: a step about calls (no segment moves) opens the socket panel.
    if (stepChanged) {
      let segs = false, calls = false;
      for (let i = step.first; i <= step.last; i++) {
        const k = m.events[i]!.kind;
        if (k === 'send' || k === 'deliver' || k === 'drop' || k === 'discard') segs = true;
        if (k === 'return' || k === 'queue' || k === 'signal') calls = true;
      }
      if (segs) this.showTab('inspector'); else if (calls) this.showTab('sockets');
    }
    renderInspector(byId('inspector'), m, this.selected !== undefined ? m.segs.get(this.selected) : undefined, now, this.mode, (k, a) => t(k, a), (r) => loc(this.catalog.lookup('discard', r)));
    renderSockets(byId('sockets'), m, snap, step.first, (k, a) => t(k, a), (e) => this.errnoText(e));
    if (stepChanged && !byId('sockets').hidden) {
      // bring this step's calls into view inside the panel (not the page)
      const cur = byId('sockets').querySelector<HTMLElement>('li.current');
      const panel = byId('detail-panel');
      if (cur) panel.scrollTop = Math.max(0, cur.offsetTop - panel.offsetTop - 90);
    }

    // Controls and URL.
    const range = byId<HTMLInputElement>('timeline');
    range.value = String(this.step);
    range.setAttribute('aria-valuetext', t('ctl.timeline', { n: this.step + 1, total: L.steps.length }));
    byId('step-counter').textContent = t('ctl.step', { n: this.step + 1, total: L.steps.length });
    byId<HTMLButtonElement>('btn-prev').disabled = this.step === 0;
    byId<HTMLButtonElement>('btn-first').disabled = this.step === 0;
    byId<HTMLButtonElement>('btn-next').disabled = this.step >= L.steps.length - 1;
    byId<HTMLButtonElement>('btn-last').disabled = this.step >= L.steps.length - 1;
    const hash = makeHash({ lesson: L.id, step: this.step + 1, seed: L.seed, lang: getLang() });
    // Training mode: the lesson's parameters, and a button for new ones.
    const params = byId('lesson-params');
    clear(params);
    const names = Object.keys(L.paramSpec ?? {});
    if (names.length) {
      const values = names.map((n) => `${loc(L.paramSpec![n]!.label) || n} = ${String(L.params?.[n] ?? '')}`).join(' · ');
      const reroll = el('button', { type: 'button', class: 'btn small', id: 'btn-reroll' }, t('params.reroll'));
      reroll.addEventListener('click', () => { void this.open(L.id, this.step, Math.floor(Math.random() * 2 ** 31)); });
      params.append(el('span', { class: 'muted' }, values), reroll);
    }
    if (location.hash !== hash) history.replaceState(null, '', hash);
    this.lastRenderedStep = this.step;
  }

  private anyState(snap: ReturnType<typeof snapshotAt>, host: string): string | undefined {
    let best: { state: string; index: number } | undefined;
    for (const c of snap.conns.values()) if (c.host === host && (!best || c.index > best.index)) best = { state: c.state, index: c.index };
    return best?.state;
  }

  private stateDescriptions(m: Model, first: number, last: number): { state: string; text: string }[] {
    const out: { state: string; text: string }[] = [];
    const seen = new Set<string>();
    for (let i = first; i <= last; i++) {
      const e = m.events[i]!;
      if (e.kind !== 'state' || seen.has(e.to)) continue;
      seen.add(e.to);
      const d = loc(this.catalog.lookup('states', e.to));
      if (d) out.push({ state: e.to, text: d });
    }
    return out;
  }

  /** "rcv SYN,ACK #2 / snd ACK": what caused a state change and what was sent with it, from the trace. */
  transitionLabel(m: Model, index: number): string {
    const e = m.events[index] as StateEvent;
    const parts: string[] = [];
    const c = e.cause ?? '';
    if (c.startsWith('seg:')) {
      const id = Number(c.slice(4));
      const s = m.segs.get(id);
      parts.push(t('tr.rcv', { flags: s ? s.send.seg.flags.join(',') : '?', id }));
    } else if (c.startsWith('timer:')) parts.push(t('tr.timer', { timer: this.timerName(c.slice(6)) }));
    else if (['crash', 'reboot', 'unplug', 'plug'].includes(c)) parts.push(t(`action.${c}`));
    else if (c) parts.push(t('tr.call', { call: c }));
    for (let i = index + 1; i < m.events.length; i++) {
      const x = m.events[i]!;
      if (x.t_us !== e.t_us || x.host !== e.host) break;
      if (x.kind === 'state') break;
      // Another segment arriving at the same moment (a request right behind the handshake's ACK)
      // has its own answer: what follows it is not this transition's.
      if (x.kind === 'deliver') break;
      if (x.kind === 'send' && x.conn === e.conn) { parts.push(t('tr.snd', { flags: x.seg.flags.join(',') })); break; }
    }
    return parts.join(' / ');
  }

  private noteText(code: string, args: Record<string, unknown>): string {
    if (this.captureNotes[code]) return renderCaptureNote(this.captureNotes, code, args, getLang());
    const tmpl = loc(this.catalog.lookup('notes', code));
    if (!tmpl) return `${code} ${Object.keys(args).length ? JSON.stringify(args) : ''}`.trim();
    const flat: Record<string, string | number> = {};
    for (const [k, v] of Object.entries(args)) flat[k] = typeof v === 'number' ? v : String(v);
    return format(tmpl.replace(/\{\{(\w+)\}\}/g, '{$1}'), flat);
  }

  /** "client 10.0.0.1:49173 ⇄ server 10.0.0.2:80" */
  private connLabel(m: Model, c: { host: string; conn: string }): string {
    const [local = '', remote = ''] = c.conn.split('>');
    const peer = m.hostOfIp.get(ipOf(remote));
    return `${c.host} ${local} ⇄ ${peer ?? ''} ${remote}`.replace(/\s+/g, ' ').trim();
  }

  /** The connections of the trace, one entry per connection (not per side), in order of appearance. */
  private fillConnPicker(): void {
    const m = this.model;
    const pick = byId<HTMLSelectElement>('conn-pick');
    const box = byId('conn-follow');
    clear(pick);
    const seen = new Set<string>();
    const conns: { host: string; conn: string }[] = [];
    if (m) {
      for (const [conn, hosts] of m.connHosts) {
        if (conn.endsWith('>*')) continue;
        const [a = '', b = ''] = conn.split('>');
        const key = [a, b].sort().join('|');
        if (seen.has(key)) continue;
        seen.add(key);
        conns.push({ host: [...hosts][0]!, conn });
      }
    }
    this.connCount = conns.length;
    box.hidden = conns.length < 2;
    pick.append(el('option', { value: '' }, t('conn.auto')));
    const LIMIT = 300;
    conns.slice(0, LIMIT).forEach((c, i) => pick.append(el('option', { value: String(i) }, `#${i + 1} ${this.connLabel(m!, c)}`)));
    if (conns.length > LIMIT) pick.append(el('option', { value: '', disabled: true }, t('sock.more', { n: conns.length - LIMIT })));
    pick.onchange = () => {
      this.follow = pick.value === '' ? undefined : conns[Number(pick.value)];
      this.render();
      // The arrow keys step the lesson again, instead of changing the connection.
      pick.blur();
    };
    if (this.follow) pick.value = String(conns.findIndex((c) => c.conn === this.follow!.conn && c.host === this.follow!.host));
  }

  private errnoText(e: string): string {
    return loc(this.catalog.lookup('errno', e));
  }

  private scrollLadder(now: number, ySel: number): void {
    const box = byId('ladder-scroll');
    const svgEl = byId('ladder');
    const r = svgEl.getBoundingClientRect();
    const scale = r.width / (this.geom?.width ?? 1);
    const off = r.top - box.getBoundingClientRect().top + box.scrollTop;
    const headH = byId('ladder-head').getBoundingClientRect().height;
    const yMin = Number(svgEl.dataset.ymin ?? 0);
    const yNow = off + ((this.layout?.y[now] ?? 0) - yMin) * scale;
    const ySelPx = off + (ySel - yMin) * scale;
    let top = yNow - box.clientHeight * 0.7;
    if (ySelPx < top + headH + 24) top = ySelPx - headH - 24;
    // With more lanes than fit, bring the lanes this step is about into view.
    let left = box.scrollLeft;
    const m = this.model, step = this.lesson?.steps[this.step];
    if (m && step && this.geom && box.scrollWidth > box.clientWidth + 4) {
      const xs: number[] = [];
      for (let i = step.first; i <= step.last; i++) {
        const e = m.events[i]!;
        const hosts = e.kind === 'send' ? [e.host, m.segs.get(e.seg.id)?.to] : [e.host];
        for (const h of hosts) { const li = h === undefined ? -1 : m.hosts.indexOf(h); if (li >= 0) xs.push(this.geom.laneX[li]!); }
      }
      if (xs.length) {
        // Room for the labels beside the lanes; the time column stays over the left edge.
        const pad = Math.min(170, this.geom.laneGap / 2);
        const x0 = (Math.min(...xs) - pad - this.geom.timeCol) * scale, x1 = (Math.max(...xs) + pad) * scale;
        if (x0 < left || x1 > left + box.clientWidth) left = Math.max(0, x1 - x0 > box.clientWidth ? x0 : (x0 + x1) / 2 - box.clientWidth / 2);
      }
    }
    box.scrollTo({ top: Math.max(0, top), left, behavior: this.reducedMotion ? 'auto' : 'smooth' });
  }

  private showProof(index: number): void {
    if (!this.model || !this.lesson) return;
    const e = this.model.events[index];
    const s = stepOfEvent(this.lesson.steps, index);
    // The proof never jumps over a question still to be asked: its answer would be on screen.
    if (s > this.step && this.pendingQuiz(this.step, s)) {
      this.go(s);
      this.quiz.flash('quiz.proofLater');
      return;
    }
    if (e?.kind === 'send') this.selected = e.seg.id;
    else if (e && (e.kind === 'deliver' || e.kind === 'drop' || e.kind === 'discard')) this.selected = e.seg_id;
    if (s > this.step) this.go(s, false); else this.render();
    if (e?.kind === 'state') this.flashState(e.host);
    else this.showTab('inspector');
  }

  private flashState(host: string): void {
    byId('sd-panel').classList.add('flash');
    window.setTimeout(() => byId('sd-panel').classList.remove('flash'), 1200);
    void host;
  }

  private onQuizAnswer(q: Quiz, correct: boolean): void {
    if (!this.lesson) return;
    this.progress.recordQuiz(this.lesson.id, q.id, correct);
    this.answered.add(q.id);
    this.renderLessonList();
  }

  // ---- chrome ----------------------------------------------------------------------------------

  banner(text: string, kind: 'info' | 'warn' | 'error', tag = ''): void {
    const b = byId('banner');
    const close = el('button', { type: 'button', class: 'banner-close', 'aria-label': t('nav.close'), title: t('nav.close') }, '×');
    const item = el('div', { class: `banner-item ${kind}`, 'data-tag': tag }, el('span', {}, text), close);
    close.addEventListener('click', () => item.remove());
    b.append(item);
  }

  /** Removes the banners of one kind, so repeated bad links or lessons do not stack up. */
  private clearBanners(tag: string): void {
    for (const n of document.querySelectorAll(`#banner [data-tag="${tag}"]`)) n.remove();
  }

  private applyStaticText(): void {
    document.documentElement.lang = getLang();
    document.title = `${t('app.title')} · ${t('app.tagline')}`;
    for (const n of document.querySelectorAll<HTMLElement>('[data-i18n]')) n.textContent = t(n.dataset.i18n!);
    for (const n of document.querySelectorAll<HTMLElement>('[data-i18n-label]')) {
      const s = t(n.dataset.i18nLabel!);
      n.setAttribute('aria-label', s);
      n.title = s;
    }
    byId('btn-lang').textContent = getLang() === 'en' ? '中文' : 'English';
    byId('btn-lang').setAttribute('aria-label', getLang() === 'en' ? '切换到中文' : 'Switch to English');
    this.updatePlayButton();
    this.renderGlossary();
    this.renderKeys();
  }

  /** The keyboard help: every key the player answers to (onKey), in the current language. */
  private renderKeys(): void {
    const body = byId('keys-body');
    clear(body);
    const rows: [string, string][] = [
      ['→  PageDown', 'keys.next'], ['←  PageUp', 'keys.prev'], ['Space', 'keys.play'], ['Home  End', 'keys.ends'],
      ['S  Shift+S', 'keys.seg'], ['T  Shift+T', 'keys.state'], ['Tab', 'keys.ladder'], ['L', 'keys.lang'], ['P', 'keys.proj'], ['?', 'keys.help'],
    ];
    for (const [k, what] of rows) body.append(el('tr', {}, el('th', { scope: 'row' }, el('kbd', {}, k)), el('td', {}, t(what))));
  }

  private updatePlayButton(): void {
    const b = byId('btn-play');
    b.textContent = this.playing ? '❚❚' : '▶';
    b.setAttribute('aria-label', t(this.playing ? 'ctl.pause' : 'ctl.play'));
    b.title = t(this.playing ? 'ctl.pause' : 'ctl.play');
    b.setAttribute('aria-pressed', String(this.playing));
  }

  setLanguage(l: Lang): void {
    setLang(l);
    storage()?.setItem(LANG_KEY, l);
    this.applyStaticText();
    this.sd.relabel((k) => t(k), (s) => this.stateName(s));
    this.fillConnPicker();
    this.renderLessonList();
    this.render();
    this.quiz.refresh();
  }

  private renderLessonList(): void {
    const lessonsAll = this.entries.filter((e) => e.kind === 'lesson');
    byId('progress-summary').textContent = t('progress.summary', { done: lessonsAll.filter((e) => this.progress.isDone(e.id)).length, total: lessonsAll.length });
    const list = byId('lesson-list');
    clear(list);
    const lessons = this.entries.filter((e) => e.kind === 'lesson');
    const groups: [string, LessonEntry[]][] = [];
    const placed = new Set<string>();
    for (const part of learningPath()) {
      const items = part.lessons.map((id) => lessons.find((e) => e.id === id)).filter((e): e is LessonEntry => e !== undefined);
      items.forEach((e) => placed.add(e.id));
      groups.push([loc(part.title), items]);
    }
    groups.push([t('lessons.title'), lessons.filter((e) => !placed.has(e.id))]);
    groups.push([t('lessons.examples'), this.entries.filter((e) => e.kind === 'example')]);
    for (const [title, items] of groups) {
      if (items.length === 0) continue;
      list.append(el('h3', {}, title));
      const ol = el('ol', { class: 'lessons' });
      for (const e of items) {
        const stats = this.progress.quizStats(e.id);
        const a = el('a', { href: `#lesson=${encodeURIComponent(e.id)}&step=1`, class: this.lesson?.id === e.id ? 'current' : '', 'aria-current': this.lesson?.id === e.id ? 'page' : undefined },
          el('span', { class: 'l-title' }, loc(e.title)));
        if (this.progress.isDone(e.id)) a.append(el('span', { class: 'l-done' }, `✓ ${t('lessons.done')}`));
        if (e.minutes) a.append(el('span', { class: 'l-min' }, t('lessons.minutes', { n: e.minutes })));
        if (stats.n) a.append(el('span', { class: 'l-quiz' }, t('lessons.quizzes', stats)));
        if (e.summary) a.append(el('span', { class: 'l-sum' }, loc(e.summary)));
        a.addEventListener('click', () => (byId('lessons-dialog') as HTMLDialogElement).close());
        ol.append(el('li', {}, a));
      }
      list.append(ol);
    }
  }

  private renderGlossary(): void {
    const body = byId('glossary-body');
    clear(body);
    for (const g of GLOSSARY) {
      body.append(el('tr', {}, el('th', { scope: 'row', lang: 'zh-CN' }, g.zh), el('td', { lang: 'en' }, g.en), el('td', {}, loc(g.meaning))));
    }
  }

  showTab(which: 'inspector' | 'sockets'): void {
    if (byId(which).hidden) byId('detail-panel').scrollTop = 0;
    for (const id of ['inspector', 'sockets'] as const) {
      const tab = byId(`tab-${id}`);
      const on = id === which;
      tab.setAttribute('aria-selected', String(on));
      tab.tabIndex = on ? 0 : -1;
      byId(id).hidden = !on;
    }
  }

  private bindControls(): void {
    const on = (id: string, f: () => void): void => byId(id).addEventListener('click', f);
    on('btn-play', () => (this.playing ? this.pause() : this.play()));
    on('btn-prev', () => { this.pause(); this.prev(); });
    on('btn-next', () => { this.pause(); this.next(); });
    on('btn-first', () => { this.pause(); this.go(0); });
    on('btn-last', () => { this.pause(); this.go(Number.MAX_SAFE_INTEGER); });
    on('btn-prev-seg', () => { this.pause(); this.jump(['send'], -1); });
    on('btn-next-seg', () => { this.pause(); this.jump(['send'], 1); });
    on('btn-prev-state', () => { this.pause(); this.jump(['state'], -1); });
    on('btn-next-state', () => { this.pause(); this.jump(['state'], 1); });
    on('btn-lang', () => this.setLanguage(getLang() === 'en' ? 'zh-CN' : 'en'));
    on('btn-copy', () => {
      const done = (ok: boolean): void => {
        const s = byId('copy-status');
        s.textContent = ok ? t('ctl.copied') : t('ctl.copyFailed');
        s.classList.add('shown');
        window.clearTimeout(this.copyTimer);
        this.copyTimer = window.setTimeout(() => { s.classList.remove('shown'); s.textContent = ''; }, 2500);
      };
      if (navigator.clipboard?.writeText) navigator.clipboard.writeText(location.href).then(() => done(true), () => done(false));
      else done(false);
    });
    on('btn-proj', () => {
      const p = document.body.classList.toggle('projection');
      storage()?.setItem(PROJ_KEY, p ? '1' : '0');
      byId('btn-proj').setAttribute('aria-pressed', String(p));
      this.render();
    });
    byId('btn-proj').setAttribute('aria-pressed', String(document.body.classList.contains('projection')));
    const abs = byId<HTMLInputElement>('chk-abs');
    abs.addEventListener('change', () => { this.mode = abs.checked ? 'abs' : 'rel'; this.render(); });
    const range = byId<HTMLInputElement>('timeline');
    range.addEventListener('input', () => { this.pause(); this.go(Number(range.value)); });
    const speed = byId<HTMLSelectElement>('speed');
    for (const s of SPEEDS) speed.append(el('option', { value: s, selected: s === 1 }, `${s}×`));
    speed.addEventListener('change', () => { this.speed = Number(speed.value) || 1; });
    const dialog = (btn: string, id: string): void => on(btn, () => (byId(id) as HTMLDialogElement).showModal());
    dialog('btn-lessons', 'lessons-dialog');
    dialog('btn-glossary', 'glossary-dialog');
    on('btn-glossary-2', () => { (byId('lessons-dialog') as HTMLDialogElement).close(); (byId('glossary-dialog') as HTMLDialogElement).showModal(); });
    dialog('btn-progress', 'progress-dialog');
    dialog('btn-keys', 'keys-dialog');
    for (const b of document.querySelectorAll<HTMLButtonElement>('[data-close]')) b.addEventListener('click', () => (b.closest('dialog') as HTMLDialogElement).close());
    for (const id of ['inspector', 'sockets'] as const) on(`tab-${id}`, () => this.showTab(id));
    byId('tablist').addEventListener('keydown', (ev) => {
      if (ev.key === 'ArrowLeft' || ev.key === 'ArrowRight') {
        ev.preventDefault(); ev.stopPropagation();
        const next = byId('inspector').hidden ? 'inspector' : 'sockets';
        this.showTab(next); byId(`tab-${next}`).focus();
      }
    });
    on('btn-export', () => {
      const blob = new Blob([this.progress.exportText()], { type: 'application/json' });
      const a = el('a', { href: URL.createObjectURL(blob), download: 'tcplab-progress.json' });
      document.body.append(a); a.click(); a.remove();
    });
    const imp = byId<HTMLInputElement>('file-import');
    imp.addEventListener('change', async () => {
      const f = imp.files?.[0];
      if (!f) return;
      const err = this.progress.importText(await f.text());
      byId('progress-status').textContent = err ? t('progress.badfile', { why: err }) : t('progress.imported');
      imp.value = '';
      this.renderLessonList();
    });
    on('btn-reset', () => { this.progress.reset(); this.answered.clear(); this.renderLessonList(); this.render(); });
    document.addEventListener('keydown', (ev) => this.onKey(ev));
  }

  private onKey(ev: KeyboardEvent): void {
    if (ev.altKey || ev.ctrlKey || ev.metaKey) return;
    const target = ev.target as HTMLElement | null;
    const tag = target?.tagName ?? '';
    if (tag === 'INPUT' && (target as HTMLInputElement).type !== 'checkbox' && !((target as HTMLInputElement).type === 'range' && ev.key === ' ')) return; // a range slider handles its own keys
    if (tag === 'TEXTAREA' || tag === 'SELECT' || document.querySelector('dialog[open]')) return;
    // Inside a question, its own widgets keep their keys (radio buttons and checkboxes use the
    // arrows, a button takes Space); from its buttons the arrows and a clicker still step.
    if (target?.closest('#quiz') && (tag === 'INPUT' || ev.key === ' ')) return;
    const act = (f: () => void): void => { ev.preventDefault(); f(); };
    switch (ev.key) {
      case 'ArrowRight': case 'PageDown': act(() => { this.pause(); this.next(); }); break;
      case 'ArrowLeft': case 'PageUp': act(() => { this.pause(); this.prev(); }); break;
      case ' ':
        if (tag === 'BUTTON' || tag === 'A') return;
        act(() => (this.playing ? this.pause() : this.play())); break;
      case 'Home': act(() => { this.pause(); this.go(0); }); break;
      case 'End': act(() => { this.pause(); this.go(Number.MAX_SAFE_INTEGER); }); break;
      case 's': case 'S': act(() => { this.pause(); this.jump(['send'], ev.shiftKey ? -1 : 1); }); break;
      case 't': case 'T': act(() => { this.pause(); this.jump(['state'], ev.shiftKey ? -1 : 1); }); break;
      case 'l': case 'L': act(() => this.setLanguage(LANGS[(LANGS.indexOf(getLang()) + 1) % LANGS.length]!)); break;
      case 'p': case 'P': act(() => byId('btn-proj').click()); break;
      case '?': act(() => (byId('keys-dialog') as HTMLDialogElement).showModal()); break;
      default: break;
    }
  }
}
