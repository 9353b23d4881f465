// Quiz UI: playback stops at a question; the learner answers before seeing what happens, then
// gets the engine-computed answer, the explanation, and a link to the proving segment or state.
import { loc } from '../i18n';
import type { Quiz } from '../lessons';
import type { Model } from '../model';
import { answerMatches } from '../quizcheck';
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

export function answerText(q: Quiz, a: unknown, stateName: (s: string) => string): string {
  if (q.choices && (typeof a === 'string' || typeof a === 'number')) {
    const c = q.choices.find((x) => String(x.id) === String(a));
    if (c) return loc(c.text);
  }
  if (Array.isArray(a)) {
    return a.map((x) => q.choices?.find((c) => String(c.id) === String(x)) ? loc(q.choices!.find((c) => String(c.id) === String(x))!.text) : String(x)).join(' → ');
  }
  if (a && typeof a === 'object') {
    const o = a as Record<string, unknown>;
    const parts: string[] = [];
    if (Array.isArray(o.flags)) parts.push(o.flags.join(','));
    for (const k of Object.keys(o)) if (k !== 'flags') parts.push(`${k}=${String(o[k])}`);
    return parts.join(' ');
  }
  if (typeof a === 'string' && (STATES as readonly string[]).includes(a)) return stateName(a);
  return String(a);
}

export class QuizView {
  private current?: Quiz;
  constructor(private readonly root: HTMLElement, private readonly h: QuizHooks) {}

  flash(text: string): void {
    const n = this.root.querySelector('.quiz-status');
    if (n) n.textContent = text;
    this.root.querySelector<HTMLElement>('input, button')?.focus();
  }

  show(q: Quiz | undefined, answered: boolean, m: Model): void {
    void m;
    if (q === this.current && this.root.childElementCount > 0 && !answered) return;
    this.current = q;
    clear(this.root);
    this.root.hidden = !q;
    if (!q) return;
    const { t } = this.h;
    const form = el('form', { class: 'quiz-form', 'aria-labelledby': `quiz-${q.id}-prompt` });
    form.append(el('h3', { id: `quiz-${q.id}-prompt` }, `${t('quiz.title')}: `, loc(q.prompt)));
    let read: () => unknown;
    const kind = q.kind;
    if (q.choices && kind !== 'order') {
      const fs = el('fieldset', { class: 'choices' }, el('legend', { class: 'sr-only' }, loc(q.prompt)));
      q.choices.forEach((c, i) => {
        const id = `q-${q.id}-${i}`;
        fs.append(el('div', { class: 'choice' }, el('input', { type: 'radio', name: `q-${q.id}`, id, value: String(c.id) }), el('label', { for: id }, loc(c.text))));
      });
      form.append(fs);
      read = () => (form.querySelector<HTMLInputElement>('input[type=radio]:checked')?.value ?? '');
    } else if (kind === 'order') {
      const ol = el('ol', { class: 'order' });
      const items = [...(q.choices ?? [])];
      const draw = (): void => {
        clear(ol);
        items.forEach((c, i) => {
          const up = el('button', { type: 'button', 'aria-label': `${t('quiz.up')}: ${loc(c.text)}`, disabled: i === 0 }, '↑');
          const down = el('button', { type: 'button', 'aria-label': `${t('quiz.down')}: ${loc(c.text)}`, disabled: i === items.length - 1 }, '↓');
          up.addEventListener('click', () => { [items[i - 1], items[i]] = [items[i]!, items[i - 1]!]; draw(); (ol.children[i - 1]?.querySelector('button') as HTMLElement | null)?.focus(); });
          down.addEventListener('click', () => { [items[i + 1], items[i]] = [items[i]!, items[i + 1]!]; draw(); (ol.children[i + 1]?.querySelectorAll('button')[1] as HTMLElement | undefined)?.focus(); });
          ol.append(el('li', {}, el('span', {}, loc(c.text)), up, down));
        });
      };
      draw();
      form.append(ol);
      read = () => items.map((c) => c.id);
    } else if (kind === 'segment' || kind === 'predict_segment') {
      const fs = el('fieldset', { class: 'seg-guess' }, el('legend', {}, t('quiz.flags')));
      for (const f of FLAGS) {
        const id = `q-${q.id}-${f}`;
        fs.append(el('span', { class: 'flag-pick' }, el('input', { type: 'checkbox', id, value: f }), el('label', { for: id }, f)));
      }
      const seq = el('input', { type: 'number', inputmode: 'numeric', id: `q-${q.id}-seq` });
      const ack = el('input', { type: 'number', inputmode: 'numeric', id: `q-${q.id}-ack` });
      form.append(fs, el('label', { for: seq.id }, t('quiz.seq')), seq, el('label', { for: ack.id }, t('quiz.ack')), ack);
      read = () => {
        const a: Record<string, unknown> = { flags: [...fs.querySelectorAll<HTMLInputElement>('input:checked')].map((x) => x.value) };
        const ex = q.answer as Record<string, unknown>;
        if (ex && 'seq' in ex) a.seq = seq.value === '' ? NaN : Number(seq.value);
        if (ex && 'ack' in ex) a.ack = ack.value === '' ? NaN : Number(ack.value);
        return a;
      };
    } else if (kind === 'state' || kind === 'predict_state') {
      const id = `q-${q.id}-state`;
      const sel = el('select', { id }, el('option', { value: '' }, '—'), ...STATES.map((s) => el('option', { value: s }, this.h.stateName(s))));
      form.append(el('label', { for: id }, t('quiz.state')), sel);
      read = () => sel.value;
    } else {
      const id = `q-${q.id}-num`;
      const inp = el('input', { type: kind === 'number' ? 'number' : 'text', id, inputmode: kind === 'number' ? 'decimal' : undefined, autocomplete: 'off' });
      form.append(el('label', { for: id }, t('quiz.number')), inp);
      read = () => (kind === 'number' ? Number(inp.value) : inp.value);
    }
    const submit = el('button', { type: 'submit', class: 'primary' }, t('quiz.submit'));
    const skip = el('button', { type: 'button' }, t('quiz.skip'));
    const status = el('p', { class: 'quiz-status', role: 'status' });
    const feedback = el('div', { class: 'quiz-feedback', 'aria-live': 'polite' });
    form.append(el('div', { class: 'quiz-actions' }, submit, skip), status, feedback);
    const finish = (given: unknown, skipped: boolean): void => {
      const ok = !skipped && answerMatches(given, q.answer);
      clear(feedback);
      feedback.className = `quiz-feedback ${ok ? 'ok' : 'bad'}`;
      feedback.append(el('p', { class: 'verdict' }, ok ? `✓ ${t('quiz.correct')}` : `✗ ${skipped ? '' : t('quiz.wrong')}`.trim()));
      feedback.append(el('p', {}, t('quiz.answer', { a: answerText(q, q.answer, this.h.stateName) })));
      if (q.explain) feedback.append(el('p', { class: 'explain' }, loc(q.explain)));
      const acts = el('div', { class: 'quiz-actions' });
      if (typeof q.evidence === 'number') {
        const proof = el('button', { type: 'button' }, t('quiz.proof', { what: `#${q.evidence}` }));
        proof.addEventListener('click', () => this.h.onProof(q.evidence as number));
        acts.append(proof);
      }
      const cont = el('button', { type: 'button', class: 'primary' }, t('quiz.continue'));
      cont.addEventListener('click', () => this.h.onContinue());
      acts.append(cont);
      feedback.append(acts);
      for (const n of form.querySelectorAll<HTMLInputElement | HTMLButtonElement | HTMLSelectElement>('fieldset input, .quiz-actions:first-of-type button, select, input')) n.disabled = true;
      this.h.onAnswer(q, ok);
      cont.focus();
    };
    form.addEventListener('submit', (ev) => { ev.preventDefault(); finish(read(), false); });
    skip.addEventListener('click', () => finish(undefined, true));
    this.root.append(form);
  }
}
