// Quiz UI: playback stops before the quiz's step; the learner answers before seeing what
// happens, then gets the engine-computed answer, the explanation and a link to the event that
// proves it (docs/LESSONS.md "Quizzes").
import { loc } from '../i18n';
import type { Quiz, QuizChoice } from '../lessons';
import { isCorrect, type Given } from '../quizcheck';
import { STATES } from '../types';
import { clear, el } from './dom';

type T = (key: string, args?: Record<string, string | number>) => string;

export interface QuizHooks {
  t: T;
  stateName: (s: string) => string;
  onAnswer: (q: Quiz, correct: boolean) => void;
  onContinue: () => void;
  onProof: (eventIndex: number) => void;
}

const FLAGS = ['SYN', 'ACK', 'FIN', 'RST', 'PSH'];

function valueText(v: unknown, stateName: (s: string) => string): string {
  if (typeof v === 'string' && (STATES as readonly string[]).includes(v)) return stateName(v);
  if (v && typeof v === 'object' && !Array.isArray(v)) {
    const o = v as Record<string, unknown>;
    if ('flags' in o) return `${String(o.flags)} seq=${String(o.seq)} ack=${String(o.ack)}`;
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

export class QuizView {
  private current?: Quiz;
  private done = false;
  constructor(private readonly root: HTMLElement, private readonly h: QuizHooks) {}

  flash(text: string): void {
    const n = this.root.querySelector('.quiz-status');
    if (n) n.textContent = text;
    this.root.querySelector<HTMLElement>('input:not(:disabled), select:not(:disabled), button:not(:disabled)')?.focus();
  }

  /** Shows `q` (or nothing). `answered`: already answered in an earlier visit, so it does not block. */
  show(q: Quiz | undefined, answered: boolean): void {
    if (q && q === this.current) return; // keep the learner's half-typed answer and the feedback
    this.current = q;
    this.done = answered;
    clear(this.root);
    this.root.hidden = !q;
    if (!q) return;
    this.build(q, answered);
  }

  /** Re-creates the form, e.g. after a language switch. */
  refresh(): void {
    const q = this.current;
    if (!q) return;
    clear(this.root);
    this.build(q, this.done);
  }

  private build(q: Quiz, answered: boolean): void {
    const { t } = this.h;
    const form = el('form', { class: 'quiz-form', 'aria-labelledby': `quiz-${q.id}-prompt`, 'data-quiz': q.id, 'data-kind': q.kind });
    form.append(el('h3', { id: `quiz-${q.id}-prompt` }, el('span', { class: 'quiz-tag' }, `${t('quiz.title')} `), loc(q.prompt)));
    let read: () => Given | undefined;
    const kind = q.kind;
    if (kind === 'order' && q.items) {
      const ol = el('ol', { class: 'order' });
      const items = [...q.items];
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
      read = () => ({ value: items.map((c) => c.id) });
    } else if (q.choices && q.choices.length > 0) {
      const fs = el('fieldset', { class: 'choices' }, el('legend', { class: 'sr-only' }, loc(q.prompt)));
      q.choices.forEach((c, i) => {
        const id = `q-${q.id}-${i}`;
        fs.append(el('div', { class: 'choice' }, el('input', { type: 'radio', name: `q-${q.id}`, id, value: c.id }), el('label', { for: id }, choiceLabel(c, this.h.stateName))));
      });
      form.append(fs);
      read = () => {
        const v = form.querySelector<HTMLInputElement>('input[type=radio]:checked')?.value;
        return v === undefined ? undefined : { choice: v };
      };
    } else if (kind === 'predict_segment') {
      const fs = el('fieldset', { class: 'seg-guess' }, el('legend', {}, t('quiz.flags')));
      for (const f of FLAGS) {
        const id = `q-${q.id}-${f}`;
        fs.append(el('span', { class: 'flag-pick' }, el('input', { type: 'checkbox', id, value: f }), el('label', { for: id }, f)));
      }
      const seq = el('input', { type: 'number', inputmode: 'numeric', id: `q-${q.id}-seq`, name: 'seq' });
      const ack = el('input', { type: 'number', inputmode: 'numeric', id: `q-${q.id}-ack`, name: 'ack' });
      form.append(fs, el('div', { class: 'num-row' }, el('label', { for: seq.id }, t('quiz.seq')), seq, el('label', { for: ack.id }, t('quiz.ack')), ack));
      read = () => ({
        value: {
          flags: [...fs.querySelectorAll<HTMLInputElement>('input:checked')].map((x) => x.value),
          seq: seq.value === '' ? NaN : Number(seq.value), ack: ack.value === '' ? NaN : Number(ack.value),
        },
      });
    } else if (kind === 'predict_state') {
      const id = `q-${q.id}-state`;
      const sel = el('select', { id }, el('option', { value: '' }, '—'), ...STATES.map((s) => el('option', { value: s }, this.h.stateName(s))));
      form.append(el('label', { for: id }, t('quiz.state')), sel);
      read = () => (sel.value ? { value: sel.value } : undefined);
    } else {
      const id = `q-${q.id}-num`;
      const inp = el('input', { type: 'number', id, inputmode: 'decimal', autocomplete: 'off', step: 'any' });
      form.append(el('div', { class: 'num-row' }, el('label', { for: id }, t('quiz.number')), inp, q.unit ? el('span', {}, loc(q.unit)) : undefined));
      read = () => (inp.value === '' ? undefined : { value: Number(inp.value) });
    }
    const submit = el('button', { type: 'submit', class: 'primary' }, t('quiz.submit'));
    const skip = el('button', { type: 'button' }, t('quiz.skip'));
    const status = el('p', { class: 'quiz-status', role: 'status' });
    const feedback = el('div', { class: 'quiz-feedback', 'aria-live': 'polite' });
    form.append(el('div', { class: 'quiz-actions' }, submit, skip), status, feedback);
    const finish = (given: Given | undefined, skipped: boolean, record: boolean): void => {
      const ok = !skipped && isCorrect(q, given);
      clear(feedback);
      feedback.className = `quiz-feedback ${skipped ? 'shown' : ok ? 'ok' : 'bad'}`;
      if (!skipped) feedback.append(el('p', { class: 'verdict' }, ok ? `✓ ${t('quiz.correct')}` : `✗ ${t('quiz.wrong')}`));
      feedback.append(el('p', { class: 'answer' }, t('quiz.answer', { a: answerText(q, this.h.stateName) })));
      if (q.explain) feedback.append(el('p', { class: 'explain' }, loc(q.explain)));
      const acts = el('div', { class: 'quiz-actions' });
      if (typeof q.evidence === 'number') {
        const proof = el('button', { type: 'button', class: 'proof' }, t('quiz.proof'));
        proof.addEventListener('click', () => this.h.onProof(q.evidence as number));
        acts.append(proof);
      }
      const cont = el('button', { type: 'button', class: 'primary continue' }, t('quiz.continue'));
      cont.addEventListener('click', () => this.h.onContinue());
      acts.append(cont);
      feedback.append(acts);
      for (const n of form.querySelectorAll<HTMLInputElement | HTMLButtonElement | HTMLSelectElement>('input, select, .order button')) n.disabled = true;
      submit.disabled = true;
      skip.disabled = true;
      this.done = true;
      if (record) { this.h.onAnswer(q, ok); cont.focus(); }
    };
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      const g = read();
      if (!g) { status.textContent = t('quiz.empty'); return; }
      finish(g, false, true);
    });
    skip.addEventListener('click', () => finish(undefined, true, true));
    this.root.append(form);
    if (answered) finish(undefined, true, false);
  }
}
