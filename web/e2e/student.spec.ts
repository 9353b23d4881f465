// A student's whole walk through every lesson, in both languages, using only the page: the Next
// button, and the quiz forms. Every quiz in the lesson file must be shown and answered — once
// wrongly, then (after "Try again") rightly — and the last step must be reached. While a quiz
// is open, nothing on the page may give its answer away (docs/LESSONS.md "Quizzes"). Any step
// that cannot be left, any quiz never shown, any console error fails the test.
//
// The right answers come from the lesson the page resolved (window.tcplab.lesson): the engine's
// answers, never hand-written ones.
import { expect, test, type Page } from '@playwright/test';
import { readdirSync, readFileSync } from 'node:fs';

interface RQuiz {
  id: string; kind: string; step: number;
  answer: { kind?: string; value?: unknown; choice?: string };
  choices?: { id: string; value?: unknown }[]; items?: { id: string }[];
  evidence?: number | null; tolerance?: number;
  prompt: Record<string, string>;
  explain?: Record<string, string>;
}
interface RLesson { id: string; quizzes: RQuiz[]; steps: { first: number; last: number }[]; trace: { events: Record<string, unknown>[] } }

const lessonsDir = new URL('../../lessons/', import.meta.url);
const lessonIds = readdirSync(lessonsDir)
  .filter((f) => f.endsWith('.json') && f !== 'schema.json' && f !== 'index.json')
  .map((f) => (JSON.parse(readFileSync(new URL(f, lessonsDir), 'utf8')) as { id: string }).id)
  .sort();

const STATES = ['CLOSED', 'LISTEN', 'SYN_SENT', 'SYN_RECEIVED', 'ESTABLISHED', 'FIN_WAIT_1', 'FIN_WAIT_2', 'CLOSE_WAIT', 'CLOSING', 'LAST_ACK', 'TIME_WAIT'];
const WORDS = {
  en: { right: '✓ Right.', wrong: '✗ Not quite.' },
  'zh-CN': { right: '✓ 答对了。', wrong: '✗ 不太对。' },
} as const;

test('there are lessons to walk', () => {
  expect(lessonIds.length).toBeGreaterThanOrEqual(22);
});

/** `token` appears in `text` as a word of its own (the resolver's rule, lesson.cpp contains_token). */
function hasToken(text: string, token: string): boolean {
  const esc = token.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`(^|[^A-Za-z0-9_.])${esc}($|[^A-Za-z0-9_]|\\.(?![0-9]))`).test(text);
}

async function lesson(page: Page): Promise<RLesson | undefined> {
  return page.evaluate(() => (window as unknown as { tcplab: { lesson?: RLesson } }).tcplab.lesson);
}

/** The rule "a quiz never shows its own answer", checked on what the page displays. */
async function checkAnswerHidden(page: Page, L: RLesson, q: RQuiz): Promise<void> {
  const where = `${L.id} quiz ${q.id}`;
  const shown = L.steps[q.step - 1]!.last;
  if (typeof q.evidence === 'number') expect(q.evidence, `${where}: evidence already on screen`).toBeGreaterThan(shown);
  const ev = typeof q.evidence === 'number' ? L.trace.events[q.evidence] : undefined;
  if (ev && ev.kind === 'send') {
    const id = (ev.seg as { id: number }).id;
    await expect(page.locator(`#ladder .seg[data-seg="${id}"]`), `${where}: the segment asked about is drawn`).toHaveCount(0);
  }
  // The lesson's own words on screen (the engine's account of the shown events is about the past).
  const text = `${await page.locator('#step-title').textContent()}\n${(await page.locator('#narration .narr-text').allTextContents()).join('\n')}`;
  const v = q.answer.value;
  if (typeof v === 'number') expect(hasToken(text, String(v)), `${where}: the narration names the answer ${v}`).toBe(false);
  if (typeof v === 'string' && (STATES.includes(v) || /^E[A-Z]{3,}$/.test(v)) && q.kind !== 'which_side') {
    expect(hasToken(text, v), `${where}: the narration names the answer ${v}`).toBe(false);
  }
  // A state asked about is not on the lane header of the host it concerns yet.
  if (ev && ev.kind === 'state' && (q.kind === 'predict_state' || q.kind === 'which_side')) {
    const state = String(ev.to);
    const hosts = q.kind === 'which_side' ? String(v).split(',') : [String(ev.host)];
    for (const h of hosts) {
      const lane = page.locator(`#ladder-head .lane-state[data-host="${h}"]`);
      if (await lane.count()) expect(await lane.textContent(), `${where}: ${h}'s lane header already shows ${state}`).not.toBe(state);
    }
  }
}

/** Answers the open quiz `q` rightly (the engine's answer) or wrongly (anything else). */
async function answer(page: Page, q: RQuiz, right: boolean): Promise<void> {
  const form = page.locator(`form.quiz-card[data-quiz="${q.id}"]`);
  if (q.kind === 'order' && q.items) {
    const order = q.answer.value as string[];
    const current = async (): Promise<string[]> => form.locator('li').evaluateAll((lis) => lis.map((li) => li.getAttribute('data-item') ?? ''));
    if (right) {
      for (let target = 0; target < order.length; target++) {
        for (let guard = 0; guard < 20; guard++) {
          if ((await current()).indexOf(order[target]!) === target) break;
          await form.locator(`li[data-item="${order[target]}"] button`).first().click();
        }
      }
    } else if ((await current()).join() === order.join()) {
      await form.locator('li').first().locator('button').nth(1).click(); // move the first one down
    }
  } else if (q.choices && q.choices.length) {
    const correct = q.answer.choice;
    const i = q.choices.findIndex((c) => (c.id === correct) === right);
    await form.locator(`#q-${q.id}-${i}`).check();
  } else if (q.kind === 'predict_segment') {
    const v = q.answer.value as { flags: string; seq: number; ack: number };
    for (const f of v.flags.split(',')) await form.locator(`input[type=checkbox][value="${f}"]`).check();
    await form.locator('input[name="seq"]').fill(String(right ? v.seq : v.seq + 1));
    await form.locator('input[name="ack"]').fill(String(v.ack));
  } else if (q.kind === 'predict_state') {
    const v = String(q.answer.value);
    await form.locator('select').selectOption(right ? v : STATES.find((s) => s !== v)!);
  } else {
    const v = Number(q.answer.value);
    await form.locator('input[type="number"]').fill(String(right ? v : v + (q.tolerance ?? 0) + 1));
  }
  await form.locator('button[type="submit"]').click();
}

for (const lang of ['en', 'zh-CN'] as const) {
  for (const id of lessonIds) {
    test(`a student plays ${id} to the end in ${lang}, every quiz wrong then right, no answer shown early`, async ({ page }) => {
      test.setTimeout(90_000);
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
      await page.goto(`/#lesson=${id}&step=1&lang=${lang}`);
      await page.waitForSelector('body.ready');
      await expect(page.locator('#banner .banner-item.error')).toHaveCount(0);
      const L = await lesson(page);
      expect(L?.id, 'the page resolved the lesson').toBe(id);
      expect(L!.steps.length).toBeGreaterThan(1);
      const total = L!.steps.length;
      const counter = page.locator('#step-counter');
      const asked = new Set<string>();
      let step = 1;
      for (let guard = 0; guard < total * 4 + L!.quizzes.length * 4; guard++) {
        const open = page.locator('#quiz form.quiz-card.open');
        if (await open.count()) {
          const qid = (await open.getAttribute('data-quiz'))!;
          const q = L!.quizzes.find((x) => x.id === qid)!;
          expect(q, `${id}: the open quiz ${qid} is in the lesson`).toBeTruthy();
          expect(asked.has(qid), `${id}: quiz ${qid} asked twice`).toBe(false);
          expect(q.step - 1, `${id}: quiz ${qid} shown at the wrong step`).toBe(step - 1);
          await checkAnswerHidden(page, L!, q);
          // Next does not pass an open question.
          await page.locator('#btn-next').click();
          await expect(open.locator('.quiz-status')).not.toBeEmpty();
          await expect(counter).toContainText(String(step));
          await answer(page, q, false);
          await expect(open.locator('.verdict')).toHaveText(WORDS[lang].wrong);
          // A wrong answer does not show the right one: another try comes first.
          await expect(open.locator('.answer')).toHaveCount(0);
          await expect(open.locator('.explain')).toHaveCount(0);
          await open.locator('button.retry').click();
          await answer(page, q, true);
          const form = page.locator(`form.quiz-card[data-quiz="${qid}"]`);
          await expect(form.locator('.verdict')).toHaveText(WORDS[lang].right);
          if (q.explain) await expect(form.locator('.explain')).not.toBeEmpty();
          await expect(form.locator('.quiz-prompt'), `${id}: the question stays in view with its answer`).toBeInViewport();
          await expect(form.locator('button.continue')).toBeInViewport();
          asked.add(qid);
          await form.locator('button.continue').click();
          step = Number((await counter.textContent())!.match(/\d+/)![0]);
          continue;
        }
        if (step === total) break;
        await page.locator('#btn-next').click();
        const now = Number((await counter.textContent())!.match(/\d+/)![0]);
        const quizWaiting = (await page.locator('#quiz form.quiz-card.open').count()) > 0;
        expect(now > step || quizWaiting, `${id}: step ${step} cannot be left`).toBe(true);
        step = now;
      }
      expect(step, `${id}: the last step was reached`).toBe(total);
      expect([...asked].sort(), `${id}: every quiz was shown`).toEqual(L!.quizzes.map((q) => q.id).sort());
      const progress = await page.evaluate(() => JSON.parse(localStorage.getItem('tcplab.progress') ?? '{}'));
      expect(progress.lessons?.[id]?.done, `${id}: recorded as done`).toBe(true);
      for (const q of L!.quizzes) expect(progress.lessons[id].quizzes[q.id]).toEqual({ correct: true, tries: 2 });
      expect(errors).toEqual([]);
    });
  }
}
