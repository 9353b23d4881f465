// Quiz UI: playback stops before the quiz's step; the learner answers before seeing what
// happens, then gets the engine-computed answer, the explanation and a link to the event that
// proves it (docs/LESSONS.md "Quizzes").
//
// Several quizzes may stop the playback at the same moment. They are asked one after another:
// an answered one folds into a one-line summary (its explanation one click away) and the next
// one opens; "Continue" appears only after the last. Any quiz can be tried again.
import './quiz.css';
import { loc } from '../i18n';
import type { Quiz, QuizChoice } from '../lessons';
import { isCorrect, type Given } from '../quizcheck';
import { STATES } from '../types';
import { clear, el } from './dom';

type T = (key: string, args?: Record<string, string | number>) => string;

export interface QuizHooks {
  t: T;
  stateName: (s: string) => string;
  /** Every submitted answer (right or wrong) and every "Show me". */
  onAnswer: (q: Quiz, correct: boolean) => void;
  /** The last quiz at this moment is answered and the learner wants to go on. */
  onContinue: () => void;
  onProof: (eventIndex: number) => void;
}

const FLAGS = ['SYN', 'ACK', 'FIN', 'RST', 'PSH'];

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

export function choiceLabel(c: QuizChoice, stateName: (s: string) => string): string {
  return c.text ? loc(c.text) : valueText(c.value, stateName);
}

/** The correct answer as the learner should read it. */
export function answerText(q: Quiz, stateName: (s: string) => string): string {
  const a = q.answer ?? {};
  if (a.choice !== undefined) {
    const c = q.choices?.find((x) => x.id === a.choice);
    if (c) return choiceLabel(c, stateName);
  }
  if (Array.isArray(a.value) && q.items) return a.value.map((id) => loc(q.items!.find((i) => i.id === id)?.text) || String(id)).join(' → ');
  const unit = q.unit ? ` ${loc(q.unit)}` : '';
  return `${valueText(a.value, stateName)}${unit}`;
}

/** What the learner last did with a quiz on this page. */
interface Outcome { given?: Given; skipped: boolean; correct: boolean; revealed?: boolean }

export class QuizView {
  private list: Quiz[] = [];
  /** index in `list` of the quiz whose form is open */
  private cur = 0;
  private outcomes = new Map<string, Outcome>();
  /** quizzes answered on an earlier visit that the learner chose to try again */
  private retrying = new Set<string>();
  private answeredBefore: (id: string) => boolean = () => false;
  /** the message key of the notice beside the open question (kept as a key: the language may change) */
  private flashKey = '';
  /** an order list's order to restore when the open question is redrawn */
  private draftOrder?: { quiz: string; order: string[] };

  constructor(private readonly root: HTMLElement, private readonly h: QuizHooks) {}

  /** The id of the quiz whose form is open, if any. */
  get openQuiz(): string | undefined {
    return this.list[this.cur]?.id;
  }

  /** Says (message key `key`) why playback cannot go on, next to the open question, and puts the focus there. */
  flash(key: string): void {
    this.flashKey = key;
    const n = this.root.querySelector('.quiz-card.open .quiz-status');
    if (n) n.textContent = this.h.t(key);
    this.root.querySelector<HTMLElement>('.quiz-card.open :is(input, select, button):not(:disabled)')?.focus();
  }

  /**
   * Shows the quizzes that stop the playback at this moment (in lesson order), or nothing.
   * `answered`: answered on an earlier visit (progress), so they do not block and start folded.
   */
  show(qs: Quiz[], answered: (id: string) => boolean): void {
    const same = qs.length === this.list.length && qs.every((q, i) => q === this.list[i]);
    this.answeredBefore = answered;
    if (same) return; // keep the learner's half-typed answer and the feedback
    this.list = qs;
    this.flashKey = '';
    const firstOpen = qs.findIndex((q) => !this.isAnswered(q.id));
    this.cur = firstOpen < 0 ? Math.max(0, qs.length - 1) : firstOpen;
    this.draw();
  }

  /** Re-creates the forms, e.g. after a language switch; answers given so far stay. */
  refresh(): void {
    // Keep what the learner has entered in the open question (a bilingual class switches
    // language mid-question): the widgets' values by id, and an order list's order.
    const open = this.root.querySelector<HTMLFormElement>('.quiz-card.open:not(.answered)');
    const values = new Map<string, string | boolean>();
    if (open) {
      for (const n of open.querySelectorAll<HTMLInputElement | HTMLSelectElement>('input[id], select[id]')) {
        values.set(n.id, n instanceof HTMLInputElement && (n.type === 'radio' || n.type === 'checkbox') ? n.checked : n.value);
      }
      const order = [...open.querySelectorAll<HTMLElement>('ol.order li[data-item]')].map((li) => li.dataset.item ?? '');
      if (order.length) this.draftOrder = { quiz: open.dataset.quiz ?? '', order };
    }
    this.draw();
    for (const [id, v] of values) {
      const n = this.root.querySelector<HTMLInputElement | HTMLSelectElement>(`#${CSS.escape(id)}`);
      if (!n) continue;
      if (typeof v === 'boolean') (n as HTMLInputElement).checked = v; else n.value = v;
    }
    this.draftOrder = undefined;
  }

  /** Forgets what was answered on this page, e.g. when another lesson (or seed) opens. */
  reset(): void {
    this.outcomes.clear();
    this.retrying.clear();
    this.list = [];
    this.draw();
  }

  private isAnswered(id: string): boolean {
    return this.outcomes.has(id) || (!this.retrying.has(id) && this.answeredBefore(id));
  }

  private tryAgain(q: Quiz, i: number): void {
    this.outcomes.delete(q.id);
    this.retrying.add(q.id);
    this.cur = i;
    this.flashKey = '';
    this.draw();
    this.focusOpen();
  }

  private draw(): void {
    clear(this.root);
    this.root.hidden = this.list.length === 0;
    if (this.list.length === 0) return;
    this.list.forEach((q, i) => {
      if (i > this.cur) return; // not asked yet
      this.root.append(i === this.cur ? this.card(q, i) : this.folded(q, i));
    });
  }

  private counter(i: number): string {
    const { t } = this.h;
    return this.list.length > 1 ? t('quiz.count', { n: i + 1, total: this.list.length }) : t('quiz.title');
  }

  /** An answered quiz above the open one: verdict and prompt; the answer and explanation fold out. */
  private folded(q: Quiz, i: number): HTMLElement {
    const { t } = this.h;
    const o = this.outcomes.get(q.id);
    const mark = o ? (o.skipped ? '·' : o.correct ? '✓' : '✗') : '✓';
    const details = el('details', { class: 'quiz-folded', 'data-quiz': q.id },
      el('summary', {}, el('span', { class: 'quiz-tag' }, `${mark} ${this.counter(i)} `), loc(q.prompt)));
    details.append(el('p', { class: 'answer' }, t('quiz.answer', { a: answerText(q, this.h.stateName) })));
    if (q.explain) details.append(el('p', { class: 'explain' }, loc(q.explain)));
    const again = el('button', { type: 'button', class: 'retry' }, t('quiz.retry'));
    again.addEventListener('click', () => this.tryAgain(q, i));
    details.append(el('div', { class: 'quiz-actions' }, again));
    return details;
  }

  private focusOpen(): void {
    this.root.querySelector<HTMLElement>('.quiz-card.open :is(input, select, button):not(:disabled)')?.focus({ preventScroll: true });
    this.root.querySelector('.quiz-card.open')?.scrollIntoView({ block: 'nearest' });
  }

  private card(q: Quiz, i: number): HTMLElement {
    const { t } = this.h;
    const form = el('form', { class: 'quiz-form quiz-card open', 'aria-labelledby': `quiz-${q.id}-prompt`, 'data-quiz': q.id, 'data-kind': q.kind });
    form.append(el('h3', { id: `quiz-${q.id}-prompt`, class: 'quiz-prompt' }, el('span', { class: 'quiz-tag' }, `${this.counter(i)} `), loc(q.prompt)));
    const read = this.inputs(q, form);
    const submit = el('button', { type: 'submit', class: 'primary' }, t('quiz.submit'));
    const skip = el('button', { type: 'button', class: 'skip-answer' }, t('quiz.skip'));
    const status = el('p', { class: 'quiz-status', role: 'status' }, this.flashKey ? t(this.flashKey) : '');
    const feedback = el('div', { class: 'quiz-feedback', 'aria-live': 'polite' });
    form.append(el('div', { class: 'quiz-actions' }, submit, skip), status, feedback);

    const finish = (o: Outcome, record: boolean): void => {
      clear(feedback);
      // The form folds to one line of what was given, so the question, the verdict and the
      // explanation fit on screen together.
      form.classList.add('answered');
      if (o.given) feedback.append(el('p', { class: 'given' }, t('quiz.given', { a: this.givenText(q, o.given) })));
      feedback.className = `quiz-feedback ${o.skipped ? 'shown' : o.correct ? 'ok' : 'bad'}`;
      if (!o.skipped) feedback.append(el('p', { class: 'verdict' }, o.correct ? `✓ ${t('quiz.correct')}` : `✗ ${t('quiz.wrong')}`));
      // A wrong answer does not give the right one away: the learner (or a class) may try again
      // first; "Show the answer" reveals it.
      const reveal = o.correct || o.skipped || o.revealed === true;
      if (reveal) {
        feedback.append(el('p', { class: 'answer' }, t('quiz.answer', { a: answerText(q, this.h.stateName) })));
        if (q.explain) feedback.append(el('p', { class: 'explain' }, loc(q.explain)));
      }
      const acts = el('div', { class: 'quiz-actions' });
      const again = el('button', { type: 'button', class: reveal ? 'retry' : 'retry primary' }, t('quiz.retry'));
      again.addEventListener('click', () => this.tryAgain(q, i));
      acts.append(again);
      if (!reveal) {
        const show = el('button', { type: 'button', class: 'reveal' }, t('quiz.reveal'));
        show.addEventListener('click', () => {
          const shown = { ...o, revealed: true };
          this.outcomes.set(q.id, shown);
          finish(shown, false);
          feedback.querySelector<HTMLElement>('.answer')?.scrollIntoView({ block: 'nearest' });
          feedback.querySelector<HTMLElement>('button.continue')?.focus({ preventScroll: true });
        });
        acts.append(show);
      }
      if (reveal && typeof q.evidence === 'number') {
        const proof = el('button', { type: 'button', class: 'proof' }, t('quiz.proof'));
        proof.addEventListener('click', () => this.h.onProof(q.evidence as number));
        acts.append(proof);
      }
      const last = i === this.list.length - 1;
      const cont = el('button', { type: 'button', class: `${reveal ? 'primary ' : ''}continue${last ? '' : ' next-question'}` },
        last ? t('quiz.continue') : t('quiz.nextQuestion', { n: i + 2, total: this.list.length }));
      cont.addEventListener('click', () => {
        if (!last) { this.cur = i + 1; this.flashKey = ''; this.draw(); this.focusOpen(); return; }
        this.h.onContinue();
      });
      acts.append(cont);
      feedback.append(acts);
      for (const n of form.querySelectorAll<HTMLInputElement | HTMLButtonElement | HTMLSelectElement>('input, select, .order button')) n.disabled = true;
      submit.disabled = true;
      skip.disabled = true;
      status.textContent = '';
      this.flashKey = '';
      if (record) {
        this.outcomes.set(q.id, o);
        this.retrying.delete(q.id);
        this.h.onAnswer(q, o.correct);
        // The question stays in view above its answer; the next action gets the focus.
        (reveal ? cont : again).focus({ preventScroll: true });
        form.scrollIntoView({ block: 'nearest' });
      }
    };
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      const g = read();
      if (!g) { status.textContent = t('quiz.empty'); return; }
      finish({ given: g, skipped: false, correct: isCorrect(q, g) }, true);
    });
    skip.addEventListener('click', () => finish({ skipped: true, correct: false }, true));
    const known = this.outcomes.get(q.id);
    if (known) finish(known, false);
    else if (!this.retrying.has(q.id) && this.answeredBefore(q.id)) finish({ skipped: true, correct: false }, false);
    return form;
  }

  private givenText(q: Quiz, g: Given): string {
    if ('choice' in g) {
      const c = q.choices?.find((x) => x.id === g.choice);
      return c ? choiceLabel(c, this.h.stateName) : g.choice;
    }
    if (Array.isArray(g.value) && q.items) return g.value.map((id) => loc(q.items!.find((i) => i.id === id)?.text) || String(id)).join(' → ');
    if (g.value && typeof g.value === 'object') {
      const o = g.value as { flags?: string[]; seq?: number; ack?: number };
      return `${(o.flags ?? []).join(',') || '—'} seq=${Number.isFinite(o.seq) ? o.seq : '?'} ack=${Number.isFinite(o.ack) ? o.ack : '?'}`;
    }
    return `${valueText(g.value, this.h.stateName)}${q.unit ? ` ${loc(q.unit)}` : ''}`;
  }

  /** The answer widgets for `q`; returns a reader of what the learner gave (undefined: nothing yet). */
  private inputs(q: Quiz, form: HTMLFormElement): () => Given | undefined {
    const { t } = this.h;
    if (q.kind === 'order' && q.items) {
      const ol = el('ol', { class: 'order' });
      const items = [...q.items];
      const keep = this.draftOrder?.quiz === q.id ? this.draftOrder.order : undefined;
      if (keep) items.sort((a, b) => keep.indexOf(a.id) - keep.indexOf(b.id));
      const draw = (focusIndex?: number, which?: 0 | 1): void => {
        clear(ol);
        items.forEach((c, i) => {
          const up = el('button', { type: 'button', class: 'mini', 'aria-label': `${t('quiz.up')}: ${loc(c.text)}`, disabled: i === 0 }, '↑');
          const down = el('button', { type: 'button', class: 'mini', 'aria-label': `${t('quiz.down')}: ${loc(c.text)}`, disabled: i === items.length - 1 }, '↓');
          up.addEventListener('click', () => { [items[i - 1], items[i]] = [items[i]!, items[i - 1]!]; draw(i - 1, i - 1 === 0 ? 1 : 0); });
          down.addEventListener('click', () => { [items[i + 1], items[i]] = [items[i]!, items[i + 1]!]; draw(i + 1, i + 1 === items.length - 1 ? 0 : 1); });
          ol.append(el('li', { 'data-item': c.id }, el('span', {}, loc(c.text)), up, down));
        });
        if (focusIndex !== undefined) (ol.children[focusIndex]?.querySelectorAll('button')[which ?? 0] as HTMLElement | undefined)?.focus();
      };
      draw();
      form.append(ol);
      return () => ({ value: items.map((c) => c.id) });
    }
    if (q.choices && q.choices.length > 0) {
      const fs = el('fieldset', { class: 'choices' }, el('legend', { class: 'sr-only' }, loc(q.prompt)));
      q.choices.forEach((c, i) => {
        const id = `q-${q.id}-${i}`;
        fs.append(el('div', { class: 'choice' }, el('input', { type: 'radio', name: `q-${q.id}`, id, value: c.id }), el('label', { for: id }, choiceLabel(c, this.h.stateName))));
      });
      form.append(fs);
      return () => {
        const v = form.querySelector<HTMLInputElement>('input[type=radio]:checked')?.value;
        return v === undefined ? undefined : { choice: v };
      };
    }
    if (q.kind === 'predict_segment') {
      const fs = el('fieldset', { class: 'seg-guess' }, el('legend', {}, t('quiz.flags')));
      for (const f of FLAGS) {
        const id = `q-${q.id}-${f}`;
        fs.append(el('span', { class: 'flag-pick' }, el('input', { type: 'checkbox', id, value: f }), el('label', { for: id }, f)));
      }
      const seq = el('input', { type: 'number', inputmode: 'numeric', id: `q-${q.id}-seq`, name: 'seq' });
      const ack = el('input', { type: 'number', inputmode: 'numeric', id: `q-${q.id}-ack`, name: 'ack' });
      const abs = q.absolute === true;
      form.append(fs, el('div', { class: 'num-row' }, el('label', { for: seq.id }, t(abs ? 'quiz.seqAbs' : 'quiz.seq')), seq, el('label', { for: ack.id }, t(abs ? 'quiz.ackAbs' : 'quiz.ack')), ack),
        el('p', { class: 'quiz-hint' }, t('quiz.ackHint')));
      return () => ({
        value: {
          flags: [...fs.querySelectorAll<HTMLInputElement>('input:checked')].map((x) => x.value),
          seq: seq.value === '' ? NaN : Number(seq.value), ack: ack.value === '' ? NaN : Number(ack.value),
        },
      });
    }
    if (q.kind === 'predict_state') {
      const id = `q-${q.id}-state`;
      const sel = el('select', { id }, el('option', { value: '' }, '—'), ...STATES.map((s) => el('option', { value: s }, this.h.stateName(s))));
      form.append(el('label', { for: id }, t('quiz.state')), sel);
      return () => (sel.value ? { value: sel.value } : undefined);
    }
    const id = `q-${q.id}-num`;
    const inp = el('input', { type: 'number', id, inputmode: 'decimal', autocomplete: 'off', step: 'any' });
    form.append(el('div', { class: 'num-row' }, el('label', { for: id }, t('quiz.number')), inp, q.unit ? el('span', {}, loc(q.unit)) : undefined));
    return () => (inp.value === '' ? undefined : { value: Number(inp.value) });
  }
}
