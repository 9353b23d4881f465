// Every side effect of the player, in one place: the URL, localStorage, timers, focus, and every
// listener on the page (controls, keys, the hash, the window size, the quiz panel's forms). The rest of the player is a
// state (state.ts), a pure view of it (view.ts) and a drawing of that view (render.ts).
import { detectLang, LANGS, setLang, t, type Lang } from '../i18n';
import { byId, el } from '../ui/dom';
import { syncTimeColumn } from '../ui/ladder';
import { applyStaticText, clearBanners, playButton } from './chrome';
import { newAnswers, type Action, type PlayerState, type QuizField, type QuizState } from './state';
import { connectionsOf } from './view';
import type { Model } from '../model';

const LANG_KEY = 'tcplab.lang';
const PROJ_KEY = 'tcplab.projection';
export const SPEEDS = [0.5, 1, 2, 4];

export function storage(): Storage | undefined {
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

/** The language to start in: a link's (what its sender saw), else the remembered one, else the browser's. */
export function startLanguage(): Lang {
  return parseHash(location.hash).lang ?? detectLang(storage()?.getItem(LANG_KEY) ?? null, navigator.languages ?? [navigator.language]);
}

export const startProjection = (): boolean => storage()?.getItem(PROJ_KEY) === '1';

export const prefersReducedMotion = (): boolean => window.matchMedia?.('(prefers-reduced-motion: reduce)').matches ?? false;

export const compactScreen = (): boolean => window.matchMedia?.('(max-width: 760px)').matches ?? false;

/** What effects need from the player. */
export interface EffectHost {
  state(): PlayerState;
  model(): Model | undefined;
  dispatch(a: Action): void;
  /** opens a lesson (resolving it with the engine if needed) at 0-based `step` */
  open(id: string, step: number, seed?: number): Promise<void>;
  /** the lesson list, the timeline and the picker in the current language */
  relabel(): void;
  /** redraws everything for a new box size */
  resized(): void;
  /** redraws the state diagram if its box is not the size it was drawn at */
  sdResized(): void;
  jump(kinds: string[], dir: 1 | -1): void;
  progressExport(): string;
  /** imports a progress file; returns what to tell the learner */
  progressImport(text: string): string;
  progressReset(): void;
  markDone(): void;
  /** saves an answer to question `quiz` of the open lesson in the learner's progress */
  recordQuiz(quiz: string, correct: boolean): void;
  reroll(): void;
  stepCount(): number;
}

export class Effects {
  private playTimer?: number;
  private copyTimer?: number;
  private flashTimer?: number;
  private sdFrame = 0;
  private quizFocusSeq = 0;
  private readonly reducedMotion = prefersReducedMotion();

  constructor(private readonly host: EffectHost) {}

  /** After every change of state: storage, language, playback timer, notices, progress. */
  after(prev: PlayerState, next: PlayerState): void {
    if (prev.language !== next.language) {
      setLang(next.language);
      storage()?.setItem(LANG_KEY, next.language);
      applyStaticText(next.playing);
      this.host.relabel();
    }
    if (prev.projection !== next.projection) {
      document.body.classList.toggle('projection', next.projection);
      storage()?.setItem(PROJ_KEY, next.projection ? '1' : '0');
      byId('btn-proj').setAttribute('aria-pressed', String(next.projection));
    }
    if (prev.playing !== next.playing || (next.playing && prev.step !== next.step)) {
      playButton(next.playing);
      window.clearTimeout(this.playTimer);
      this.playTimer = undefined;
      if (next.playing) {
        const first = !prev.playing;
        const delay = first ? (this.reducedMotion ? 0 : 300) : 1600;
        this.playTimer = window.setTimeout(() => this.host.dispatch({ type: 'tick' }), delay / next.speed);
      }
    }
    for (const r of newAnswers(prev, next)) this.host.recordQuiz(r.quiz, r.correct);
    if (next.lesson !== undefined && next.step === this.host.stepCount() - 1 && (prev.step !== next.step || prev.lesson !== next.lesson)) this.host.markDone();
    // (A quiz's notice is the quiz panel's: the reducer puts it beside the open question.)
    if (next.notice && next.notice.seq !== prev.notice?.seq && next.notice.key === 'sd.flash') {
      byId('sd-panel').classList.add('flash');
      window.clearTimeout(this.flashTimer);
      this.flashTimer = window.setTimeout(() => byId('sd-panel').classList.remove('flash'), 1200);
    }
  }

  /** After the page is drawn: the URL names exactly what is shown. */
  drawn(hash: string): void {
    if (location.hash !== hash) history.replaceState(null, '', hash);
    // The state diagram once more in the next frame, at the size its box has settled to.
    if (!this.sdFrame && typeof requestAnimationFrame !== 'undefined') {
      this.sdFrame = requestAnimationFrame(() => { this.sdFrame = 0; this.host.sdResized(); });
    }
  }

  /** Scrolls the ladder so that "now" and the selection are in view. */
  scrollLadder(scroll: () => ScrollToOptions): void {
    byId('ladder-scroll').scrollTo({ ...scroll(), behavior: this.reducedMotion ? 'auto' : 'smooth' });
  }

  async fromHash(): Promise<void> {
    const h = parseHash(location.hash);
    const s = this.host.state();
    if (h.lang && h.lang !== s.language) this.host.dispatch({ type: 'language', language: h.lang });
    if (!h.lesson) return;
    if (s.lesson === h.lesson && s.seed === h.seed) { clearBanners('link'); this.host.dispatch({ type: 'go', step: (h.step ?? 1) - 1, fromUser: false }); return; }
    await this.host.open(h.lesson, (h.step ?? 1) - 1, h.seed);
  }

  /** Every listener of the page. */
  bind(): void {
    const { host } = this;
    const d = (a: Action): void => host.dispatch(a);
    const stop = (a: Action): void => { d({ type: 'pause' }); d(a); };
    const step = (delta: number): Action => ({ type: 'go', step: host.state().step + delta, fromUser: true });
    const on = (id: string, f: () => void): void => byId(id).addEventListener('click', f);
    on('btn-play', () => d({ type: host.state().playing ? 'pause' : 'play' }));
    on('btn-prev', () => stop(step(-1)));
    on('btn-next', () => stop(step(1)));
    on('btn-first', () => stop({ type: 'go', step: 0, fromUser: true }));
    on('btn-last', () => stop({ type: 'go', step: Number.MAX_SAFE_INTEGER, fromUser: true }));
    on('btn-prev-seg', () => { d({ type: 'pause' }); host.jump(['send'], -1); });
    on('btn-next-seg', () => { d({ type: 'pause' }); host.jump(['send'], 1); });
    on('btn-prev-state', () => { d({ type: 'pause' }); host.jump(['state'], -1); });
    on('btn-next-state', () => { d({ type: 'pause' }); host.jump(['state'], 1); });
    on('btn-lang', () => d({ type: 'language', language: host.state().language === 'en' ? 'zh-CN' : 'en' }));
    on('btn-copy', () => this.copyLink());
    on('btn-proj', () => d({ type: 'projection', on: !host.state().projection }));
    byId('btn-proj').setAttribute('aria-pressed', String(host.state().projection));
    const abs = byId<HTMLInputElement>('chk-abs');
    abs.addEventListener('change', () => d({ type: 'mode', mode: abs.checked ? 'abs' : 'rel' }));
    const range = byId<HTMLInputElement>('timeline');
    range.addEventListener('input', () => stop({ type: 'go', step: Number(range.value), fromUser: true }));
    const speed = byId<HTMLSelectElement>('speed');
    for (const s of SPEEDS) speed.append(el('option', { value: s, selected: s === 1 }, `${s}×`));
    speed.addEventListener('change', () => d({ type: 'speed', speed: Number(speed.value) || 1 }));
    const dialog = (btn: string, id: string): void => on(btn, () => (byId(id) as HTMLDialogElement).showModal());
    dialog('btn-lessons', 'lessons-dialog');
    dialog('btn-glossary', 'glossary-dialog');
    on('btn-glossary-2', () => { (byId('lessons-dialog') as HTMLDialogElement).close(); (byId('glossary-dialog') as HTMLDialogElement).showModal(); });
    dialog('btn-progress', 'progress-dialog');
    dialog('btn-keys', 'keys-dialog');
    for (const b of document.querySelectorAll<HTMLButtonElement>('[data-close]')) b.addEventListener('click', () => (b.closest('dialog') as HTMLDialogElement).close());
    // A lesson picked from the list closes the list (the link's hash opens it).
    byId('lesson-list').addEventListener('click', (ev) => { if ((ev.target as Element).closest('a')) (byId('lessons-dialog') as HTMLDialogElement).close(); });
    byId('banner').addEventListener('click', (ev) => { (ev.target as Element).closest('.banner-close')?.closest('.banner-item')?.remove(); });
    byId('lesson-params').addEventListener('click', (ev) => { if ((ev.target as Element).closest('#btn-reroll')) host.reroll(); });
    this.bindQuiz();
    for (const id of ['inspector', 'sockets'] as const) on(`tab-${id}`, () => d({ type: 'tab', tab: id }));
    byId('tablist').addEventListener('keydown', (ev) => {
      if (ev.key !== 'ArrowLeft' && ev.key !== 'ArrowRight') return;
      ev.preventDefault(); ev.stopPropagation();
      const next = host.state().tab === 'inspector' ? 'sockets' : 'inspector';
      d({ type: 'tab', tab: next });
      byId(`tab-${next}`).focus();
    });
    const pick = byId<HTMLSelectElement>('conn-pick');
    pick.addEventListener('change', () => {
      const m = host.model();
      d({ type: 'follow', follow: pick.value === '' || !m ? undefined : connectionsOf(m)[Number(pick.value)] });
      // The arrow keys step the lesson again, instead of changing the connection.
      pick.blur();
    });
    on('btn-export', () => {
      const blob = new Blob([host.progressExport()], { type: 'application/json' });
      const a = el('a', { href: URL.createObjectURL(blob), download: 'tcplab-progress.json' });
      document.body.append(a); a.click(); a.remove();
    });
    const imp = byId<HTMLInputElement>('file-import');
    imp.addEventListener('change', async () => {
      const f = imp.files?.[0];
      if (!f) return;
      byId('progress-status').textContent = host.progressImport(await f.text());
      imp.value = '';
    });
    on('btn-reset', () => host.progressReset());
    this.bindLadder();
    document.addEventListener('keydown', (ev) => this.onKey(ev));
    window.addEventListener('hashchange', () => void this.fromHash());
    window.matchMedia?.('(max-width: 760px)').addEventListener('change', () => host.resized());
    const box = byId('ladder-scroll');
    box.addEventListener('scroll', () => syncTimeColumn(box), { passive: true });
    if (typeof ResizeObserver !== 'undefined') {
      let width = box.clientWidth;
      new ResizeObserver(() => { if (Math.abs(width - box.clientWidth) >= 1) { width = box.clientWidth; host.resized(); } }).observe(box);
      new ResizeObserver(() => host.sdResized()).observe(byId('sd'));
    }
  }

  /** The ladder's segments: a click or Enter selects one; ↑ ↓ move the focus between them (one at a time is in the tab order). */
  private bindLadder(): void {
    const ladder = byId('ladder');
    const segOf = (t: EventTarget | null): SVGGElement | null => (t instanceof Element ? t.closest<SVGGElement>('.seg') : null);
    ladder.addEventListener('click', (ev) => {
      const g = segOf(ev.target);
      if (g) this.host.dispatch({ type: 'select', seg: Number(g.dataset.seg) });
    });
    ladder.addEventListener('keydown', (ev) => {
      const cur = segOf(ev.target);
      if (!cur) return;
      const segs = [...ladder.querySelectorAll<SVGGElement>('.arrows .seg')];
      const i = segs.indexOf(cur);
      const move = (to: SVGGElement | undefined): void => {
        if (!to) return;
        cur.setAttribute('tabindex', '-1');
        to.setAttribute('tabindex', '0');
        to.focus();
      };
      switch (ev.key) {
        case 'ArrowDown': move(segs[i + 1]); break;
        case 'ArrowUp': move(segs[i - 1]); break;
        case 'Enter': case ' ': this.host.dispatch({ type: 'select', seg: Number(cur.dataset.seg) }); break;
        default: return;
      }
      ev.preventDefault(); ev.stopPropagation();
    });
  }

  /** The quiz panel's forms, one listener per kind of event on the panel: each turns what the
   *  learner did into an action (ui/quiz.ts marks buttons with data-action, widgets with data-field). */
  private bindQuiz(): void {
    const root = byId('quiz');
    const d = (a: Action): void => this.host.dispatch(a);
    const quizOf = (n: Element): string | undefined => n.closest<HTMLElement>('[data-quiz]')?.dataset.quiz;
    root.addEventListener('submit', (ev) => {
      ev.preventDefault();
      const quiz = quizOf(ev.target as Element);
      if (quiz !== undefined) d({ type: 'quiz-submit', quiz });
    });
    root.addEventListener('input', (ev) => {
      const n = ev.target;
      if (!(n instanceof HTMLInputElement || n instanceof HTMLSelectElement)) return;
      const quiz = quizOf(n), field = n.dataset.field;
      if (quiz === undefined || field === undefined) return;
      if (field === 'flag') d({ type: 'quiz-flag', quiz, flag: n.value, on: (n as HTMLInputElement).checked });
      else d({ type: 'quiz-input', quiz, field: field as QuizField, value: n.value });
    });
    root.addEventListener('click', (ev) => {
      const b = (ev.target as Element).closest<HTMLButtonElement>('button[data-action]');
      const quiz = b ? quizOf(b) : undefined;
      if (!b || quiz === undefined) return;
      const item = b.closest<HTMLElement>('[data-item]')?.dataset.item ?? '';
      switch (b.dataset.action) {
        case 'skip': d({ type: 'quiz-skip', quiz }); break;
        case 'retry': d({ type: 'quiz-retry', quiz }); break;
        case 'reveal': d({ type: 'quiz-reveal', quiz }); break;
        case 'continue': d({ type: 'quiz-continue', quiz }); break;
        case 'proof': d({ type: 'proof', event: Number(b.dataset.event) }); break;
        case 'up': d({ type: 'quiz-move', quiz, item, by: -1 }); break;
        case 'down': d({ type: 'quiz-move', quiz, item, by: 1 }); break;
        default: break;
      }
    });
  }

  /** After the quiz panel is drawn: the focus where the learner's last action there sends it, once. */
  focusQuiz(f: QuizState['focus']): void {
    if (!f || f.seq === this.quizFocusSeq) return;
    this.quizFocusSeq = f.seq;
    const card = byId('quiz').querySelector<HTMLElement>('.quiz-card.open');
    const first = card?.querySelector<HTMLElement>(':is(input, select, button):not(:disabled)');
    const near = (): void => card?.scrollIntoView({ block: 'nearest' });
    const to = f.to;
    if (typeof to === 'object') {
      card?.querySelector<HTMLElement>(`li[data-item="${CSS.escape(to.item)}"] button[data-action="${to.button}"]`)?.focus();
      return;
    }
    switch (to) {
      case 'flash': first?.focus(); break;
      case 'first': first?.focus({ preventScroll: true }); near(); break;
      // The question stays in view above its answer; the next action gets the focus.
      case 'retry': case 'continue': card?.querySelector<HTMLElement>(`.quiz-feedback button.${to}`)?.focus({ preventScroll: true }); near(); break;
      case 'answer':
        card?.querySelector('.quiz-feedback .answer')?.scrollIntoView({ block: 'nearest' });
        card?.querySelector<HTMLElement>('.quiz-feedback button.continue')?.focus({ preventScroll: true });
        break;
      case 'step': byId('btn-next').focus({ preventScroll: true }); break;
    }
  }

  /** Keeps the keyboard focus on the ladder's segment it was on when that segment was drawn anew. */
  refocus(seg: SVGGElement | undefined): void {
    seg?.focus({ preventScroll: true });
  }

  private copyLink(): void {
    const done = (ok: boolean): void => {
      const s = byId('copy-status');
      s.textContent = t(ok ? 'ctl.copied' : 'ctl.copyFailed');
      s.classList.add('shown');
      window.clearTimeout(this.copyTimer);
      this.copyTimer = window.setTimeout(() => { s.classList.remove('shown'); s.textContent = ''; }, 2500);
    };
    if (navigator.clipboard?.writeText) navigator.clipboard.writeText(location.href).then(() => done(true), () => done(false));
    else done(false);
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
    const { host } = this;
    const d = (a: Action): void => host.dispatch(a);
    const act = (f: () => void): void => { ev.preventDefault(); f(); };
    const go = (step: number): void => { d({ type: 'pause' }); d({ type: 'go', step, fromUser: true }); };
    const jump = (kinds: string[], dir: 1 | -1): void => { d({ type: 'pause' }); host.jump(kinds, dir); };
    const s = host.state();
    switch (ev.key) {
      case 'ArrowRight': case 'PageDown': act(() => go(s.step + 1)); break;
      case 'ArrowLeft': case 'PageUp': act(() => go(s.step - 1)); break;
      case ' ':
        if (tag === 'BUTTON' || tag === 'A') return;
        act(() => d({ type: s.playing ? 'pause' : 'play' })); break;
      case 'Home': act(() => go(0)); break;
      case 'End': act(() => go(Number.MAX_SAFE_INTEGER)); break;
      case 's': case 'S': act(() => jump(['send'], ev.shiftKey ? -1 : 1)); break;
      case 't': case 'T': act(() => jump(['state'], ev.shiftKey ? -1 : 1)); break;
      case 'l': case 'L': act(() => d({ type: 'language', language: LANGS[(LANGS.indexOf(s.language) + 1) % LANGS.length]! })); break;
      case 'p': case 'P': act(() => byId('btn-proj').click()); break;
      case '?': act(() => (byId('keys-dialog') as HTMLDialogElement).showModal()); break;
      default: break;
    }
  }
}

