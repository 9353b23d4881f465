// Draws the quiz panel (player/quiz-view.ts) into its box. It reads the panel and writes the DOM,
// nothing else: buttons carry data-action and widgets data-field, and effects.ts listens on the
// box and dispatches what the learner does. A card whose view has not changed is kept as it is
// (an unfolded explanation stays open, the focus stays); an answer fills the open form's feedback
// in place, so that its live region is announced; widget values and the notice are set in place,
// so that typing keeps its caret.
import './quiz.css';
import type { QuizButton, QuizCard, QuizFolded, QuizPanel, QuizWidgets } from '../player/quiz-view';
import { clear, el } from './dom';

/** What each card on screen was drawn from: the form without its feedback, and the feedback. */
const drawnFrom = new WeakMap<Element, { form: string; feedback: string }>();

export function renderQuiz(root: HTMLElement, p: QuizPanel): void {
  root.hidden = p.cards.length === 0;
  p.cards.forEach((c, i) => {
    const old = root.children[i];
    const n = c.kind === 'card' ? card(old, c) : folded(old, c);
    if (n !== old) {
      if (old) old.replaceWith(n); else root.append(n);
    }
  });
  while (root.children.length > p.cards.length) root.lastElementChild!.remove();
  const open = root.querySelector('.quiz-card.open');
  if (!open) return;
  for (const [id, v] of Object.entries(p.values)) {
    const n = open.querySelector<HTMLInputElement | HTMLSelectElement>(`#${CSS.escape(id)}`);
    if (!n) continue;
    if (typeof v === 'boolean') { if ((n as HTMLInputElement).checked !== v) (n as HTMLInputElement).checked = v; }
    else if (n.value !== v) n.value = v;
  }
  const status = open.querySelector('.quiz-status');
  if (status && status.textContent !== p.status) status.textContent = p.status;
}

function folded(old: Element | undefined, f: QuizFolded): Element {
  const sig = JSON.stringify(f);
  if (old && drawnFrom.get(old)?.form === sig) return old;
  const details = el('details', { class: 'quiz-folded', 'data-quiz': f.quiz },
    el('summary', {}, el('span', { class: 'quiz-tag' }, f.tag), f.prompt),
    el('p', { class: 'answer' }, f.answer));
  if (f.explain !== undefined) details.append(el('p', { class: 'explain' }, f.explain));
  details.append(el('div', { class: 'quiz-actions' }, el('button', { type: 'button', class: 'retry', 'data-action': 'retry' }, f.retry)));
  drawnFrom.set(details, { form: sig, feedback: '' });
  return details;
}

function card(old: Element | undefined, c: QuizCard): Element {
  const form = JSON.stringify({ ...c, feedback: undefined });
  const feedback = JSON.stringify(c.feedback ?? null);
  const was = old ? drawnFrom.get(old) : undefined;
  // The same form is kept while it stays or becomes answered; one tried again is drawn anew.
  const keep = old instanceof HTMLFormElement && was?.form === form && (c.feedback !== undefined || was.feedback === 'null');
  const n = keep ? old : newCard(c);
  if (!keep || was?.feedback !== feedback) fill(n, c);
  drawnFrom.set(n, { form, feedback });
  return n;
}

function newCard(c: QuizCard): HTMLFormElement {
  const form = el('form', { class: 'quiz-form quiz-card open', 'aria-labelledby': `quiz-${c.quiz}-prompt`, 'data-quiz': c.quiz, 'data-kind': c.quizKind });
  form.append(el('h3', { id: `quiz-${c.quiz}-prompt`, class: 'quiz-prompt' }, el('span', { class: 'quiz-tag' }, c.tag), c.prompt));
  form.append(...widgets(c.widgets));
  form.append(
    el('div', { class: 'quiz-actions' },
      el('button', { type: 'submit', class: 'primary' }, c.submit),
      el('button', { type: 'button', class: 'skip-answer', 'data-action': 'skip' }, c.skip)),
    el('p', { class: 'quiz-status', role: 'status' }),
    el('div', { class: 'quiz-feedback', 'aria-live': 'polite' }));
  return form;
}

/** The answer widgets; each says which part of the draft it is (data-field). */
function widgets(w: QuizWidgets): HTMLElement[] {
  switch (w.kind) {
    case 'order':
      return [el('ol', { class: 'order' }, ...w.items.map((c, i) => el('li', { 'data-item': c.id }, el('span', {}, c.text),
        el('button', { type: 'button', class: 'mini', 'data-action': 'up', 'aria-label': c.up, disabled: i === 0 }, '↑'),
        el('button', { type: 'button', class: 'mini', 'data-action': 'down', 'aria-label': c.down, disabled: i === w.items.length - 1 }, '↓'))))];
    case 'choices': {
      const fs = el('fieldset', { class: 'choices' }, el('legend', { class: 'sr-only' }, w.legend));
      for (const c of w.choices) {
        fs.append(el('div', { class: 'choice' },
          el('input', { type: 'radio', name: w.name, id: c.id, value: c.value, 'data-field': 'choice' }),
          el('label', { for: c.id }, c.label)));
      }
      return [fs];
    }
    case 'segment': {
      const fs = el('fieldset', { class: 'seg-guess' }, el('legend', {}, w.legend));
      for (const f of w.flags) fs.append(el('span', { class: 'flag-pick' }, el('input', { type: 'checkbox', id: f.id, value: f.flag, 'data-field': 'flag' }), el('label', { for: f.id }, f.flag)));
      const num = (x: { id: string }, name: string): HTMLInputElement => el('input', { type: 'number', inputmode: 'numeric', id: x.id, name, 'data-field': name });
      return [fs,
        el('div', { class: 'num-row' }, el('label', { for: w.seq.id }, w.seq.label), num(w.seq, 'seq'), el('label', { for: w.ack.id }, w.ack.label), num(w.ack, 'ack')),
        el('p', { class: 'quiz-hint' }, w.hint)];
    }
    case 'state':
      return [el('label', { for: w.id }, w.label), el('select', { id: w.id, 'data-field': 'state' }, ...w.options.map((o) => el('option', { value: o.value }, o.text)))];
    case 'number':
      return [el('div', { class: 'num-row' }, el('label', { for: w.id }, w.label),
        el('input', { type: 'number', id: w.id, inputmode: 'decimal', autocomplete: 'off', step: 'any', 'data-field': 'number' }),
        w.unit !== undefined ? el('span', {}, w.unit) : undefined)];
  }
}

/** The form's feedback; answered, the form folds to one line of what was given, so the question,
 *  the verdict and the explanation fit on screen together. */
function fill(form: Element, c: QuizCard): void {
  const fb = form.querySelector('.quiz-feedback')!;
  clear(fb);
  const f = c.feedback;
  if (!f) { fb.className = 'quiz-feedback'; return; }
  form.classList.add('answered');
  for (const n of form.querySelectorAll<HTMLInputElement | HTMLButtonElement | HTMLSelectElement>('input, select, .order button, .quiz-actions button')) n.disabled = true;
  fb.className = `quiz-feedback ${f.tone}`;
  if (f.given !== undefined) fb.append(el('p', { class: 'given' }, f.given));
  if (f.verdict !== undefined) fb.append(el('p', { class: 'verdict' }, f.verdict));
  if (f.answer !== undefined) fb.append(el('p', { class: 'answer' }, f.answer));
  if (f.explain !== undefined) fb.append(el('p', { class: 'explain' }, f.explain));
  fb.append(el('div', { class: 'quiz-actions' }, ...f.buttons.map(button)));
}

const button = (b: QuizButton): HTMLButtonElement =>
  el('button', { type: 'button', class: b.cls, 'data-action': b.action, 'data-event': b.event }, b.label);
