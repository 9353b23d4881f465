// Quizzes end to end, in both languages, on a hand-made resolved lesson (e2e/fixtures) with
// every quiz kind. The answers always come from the resolved lesson. Every real lesson is played
// to its end, every quiz answered, by student.spec.ts.
import { expect, test, type Page } from '@playwright/test';
import { readFileSync } from 'node:fs';

const resolved = JSON.parse(readFileSync(new URL('./fixtures/resolved-quizzes.json', import.meta.url), 'utf8')) as {
  quizzes: { id: string; kind: string; step: number; answer: { value?: unknown; choice?: string }; choices?: { id: string }[]; items?: { id: string }[] }[];
};
const quiz = (id: string) => resolved.quizzes.find((q) => q.id === id)!;

async function openFixture(page: Page, lang: 'en' | 'zh-CN'): Promise<void> {
  await page.addInitScript((l) => localStorage.setItem('tcplab.lang', l), lang);
  await page.goto('/#lesson=example-handshake-close&step=1');
  await page.waitForSelector('body.ready');
  await page.evaluate((r) => (window as unknown as { tcplab: { openResolved(r: unknown, id: string): void } }).tcplab.openResolved(r, 'fixture-quizzes'), resolved as unknown);
  await page.locator('#ladder-scroll').focus();
}

async function forwardToQuiz(page: Page, id: string): Promise<void> {
  const form = page.locator(`form[data-quiz="${id}"]`);
  for (let i = 0; i < 30 && !(await form.isVisible()); i++) await page.keyboard.press('ArrowRight');
  await expect(form).toBeVisible();
  // stopped before the quiz's step: that step's events are not shown yet
  await expect(page.locator('#step-counter')).toContainText(String(quiz(id).step));
}

test('quizzes stop playback, check answers against the resolved lesson, and explain (English)', async ({ page }) => {
  await openFixture(page, 'en');
  await forwardToQuiz(page, 'synack');
  await expect(page.locator('.seg[data-seg="2"]')).toHaveCount(0);
  await page.keyboard.press('ArrowRight');
  await expect(page.locator('form[data-quiz="synack"] .quiz-status')).toHaveText('Answer the question to continue.');
  const a = quiz('synack').answer.value as { flags: string; seq: number; ack: number };
  for (const f of a.flags.split(',')) await page.locator(`form[data-quiz="synack"] input[value="${f}"]`).check();
  await page.locator('form[data-quiz="synack"] input[name="seq"]').fill(String(a.seq));
  await page.locator('form[data-quiz="synack"] input[name="ack"]').fill(String(a.ack));
  await page.locator('form[data-quiz="synack"] button[type="submit"]').click();
  await expect(page.locator('.quiz-feedback .verdict')).toHaveText('✓ Right.');
  await page.screenshot({ path: 'test-results/quiz-en.png' });
  await page.locator('.quiz-feedback .proof').click();
  await expect(page.locator('.seg.selected[data-seg="2"]')).toHaveCount(1);

  await forwardToQuiz(page, 'order');
  const order = quiz('order').answer.value as string[];
  // put the items in the computed order using only the up buttons
  for (let target = 0; target < order.length; target++) {
    for (;;) {
      const ids = await page.locator('form[data-quiz="order"] li').evaluateAll((lis) => lis.map((li) => li.getAttribute('data-item')));
      const at = ids.indexOf(order[target]!);
      if (at === target) break;
      await page.locator(`form[data-quiz="order"] li[data-item="${order[target]}"] button`).first().click();
    }
  }
  await page.locator('form[data-quiz="order"] button[type="submit"]').click();
  await expect(page.locator('form[data-quiz="order"] .verdict')).toHaveText('✓ Right.');
  await page.locator('form[data-quiz="order"] .continue').click();

  await forwardToQuiz(page, 'ack-number');
  const wrong = Number(quiz('ack-number').answer.value) + 1;
  await page.locator('form[data-quiz="ack-number"] input[type="number"]').fill(String(wrong));
  await page.keyboard.press('Enter');
  await expect(page.locator('form[data-quiz="ack-number"] .verdict')).toHaveText('✗ Not quite.');
  // The right answer waits until it is asked for (a class may try again first).
  await expect(page.locator('form[data-quiz="ack-number"] .answer')).toHaveCount(0);
  await expect(page.locator('form[data-quiz="ack-number"] button.retry')).toBeFocused();
  await page.locator('form[data-quiz="ack-number"] button.reveal').click();
  await expect(page.locator('form[data-quiz="ack-number"] .answer')).toHaveText(`Answer: ${quiz('ack-number').answer.value}`);
  await expect(page.locator('form[data-quiz="ack-number"] .explain')).not.toBeEmpty();

  const progress = await page.evaluate(() => JSON.parse(localStorage.getItem('tcplab.progress')!));
  expect(progress.lessons['fixture-quizzes'].quizzes).toMatchObject({ synack: { correct: true }, order: { correct: true }, 'ack-number': { correct: false } });
});

test('quizzes work in Chinese, keyboard only', async ({ page }) => {
  await openFixture(page, 'zh-CN');
  await forwardToQuiz(page, 'synack');
  await page.locator('form[data-quiz="synack"] button:has-text("直接看答案")').click();
  await expect(page.locator('form[data-quiz="synack"] .answer')).toContainText('答案：SYN,ACK');
  await page.locator('form[data-quiz="synack"] .continue').press('Enter');
  await forwardToQuiz(page, 'order');
  await page.locator('form[data-quiz="order"] button:has-text("直接看答案")').click();
  await page.locator('#ladder-scroll').focus();
  await forwardToQuiz(page, 'ack-number');
  await page.locator('form[data-quiz="ack-number"] button:has-text("直接看答案")').click();
  await page.locator('#ladder-scroll').focus();
  await forwardToQuiz(page, 'after-fin');
  const correct = quiz('after-fin').answer.choice!;
  const idx = quiz('after-fin').choices!.findIndex((c) => c.id === correct);
  await page.locator(`#q-after-fin-${idx}`).focus();
  await page.keyboard.press('Space');
  await page.keyboard.press('Enter');
  await expect(page.locator('form[data-quiz="after-fin"] .verdict')).toHaveText('✓ 答对了。');
  await expect(page.locator('form[data-quiz="after-fin"] .continue')).toBeFocused();
  await page.screenshot({ path: 'test-results/quiz-zh-CN.png' });
  await page.keyboard.press('Enter');
  await page.locator('#ladder-scroll').focus();
  await forwardToQuiz(page, 'who-tw');
  const wrongChoice = quiz('who-tw').choices!.findIndex((c) => c.id !== quiz('who-tw').answer.choice);
  await page.locator(`#q-who-tw-${wrongChoice}`).check();
  await page.locator('form[data-quiz="who-tw"] button[type="submit"]').click();
  await expect(page.locator('form[data-quiz="who-tw"] .verdict')).toHaveText('✗ 不太对。');
  await page.locator('form[data-quiz="who-tw"] button:has-text("显示答案")').click();
  await expect(page.locator('form[data-quiz="who-tw"] .answer')).toHaveText('答案：客户端');
  await page.locator('#btn-lang').click();
  await expect(page.locator('form[data-quiz="who-tw"] .answer')).toHaveText('Answer: The client');
});

// What a presenter and a bilingual class need from a question, on a real lesson.
async function openAtFirstQuiz(page: Page, lang: 'en' | 'zh-CN' = 'en'): Promise<string> {
  await page.goto(`/#lesson=handshake-close&step=1&lang=${lang}`);
  await page.waitForSelector('body.ready');
  await page.locator('#ladder-scroll').focus();
  const form = page.locator('#quiz form.quiz-card.open');
  for (let i = 0; i < 20 && !(await form.count()); i++) await page.keyboard.press('ArrowRight');
  await expect(form).toBeVisible();
  return (await form.getAttribute('data-quiz'))!;
}

test('switching language keeps a half-typed answer', async ({ page }) => {
  const id = await openAtFirstQuiz(page);
  const form = page.locator(`form.quiz-card[data-quiz="${id}"]`);
  const first = form.locator('input[type=number], input[type=radio], input[type=checkbox], select').first();
  const type = await first.evaluate((n) => (n instanceof HTMLSelectElement ? 'select' : (n as HTMLInputElement).type));
  if (type === 'number') await first.fill('42'); else if (type === 'select') await first.selectOption({ index: 2 }); else await first.check();
  await page.locator('#btn-lang').click();
  const again = page.locator(`form.quiz-card[data-quiz="${id}"]`).locator('input[type=number], input[type=radio], input[type=checkbox], select').first();
  if (type === 'number') await expect(again).toHaveValue('42');
  else if (type === 'select') expect(await again.evaluate((n) => (n as HTMLSelectElement).selectedIndex)).toBe(2);
  else await expect(again).toBeChecked();
});

test('a clicker (→ / PageDown) goes on from an answered question; Show the proof never skips a question', async ({ page }) => {
  const id = await openAtFirstQuiz(page);
  const counter = page.locator('#step-counter');
  const before = await counter.textContent();
  await page.locator(`form.quiz-card[data-quiz="${id}"] .skip-answer`).click();
  // The focus is on the question's Continue button; the arrow still steps the lesson.
  await page.keyboard.press('ArrowRight');
  await expect(counter).not.toHaveText(before ?? '');
  // Every proof stays at or before the next unanswered question.
  const L = await page.evaluate(() => (window as unknown as { tcplab: { lesson: { quizzes: { id: string; step: number; evidence: number | null }[]; steps: { first: number }[] } } }).tcplab.lesson);
  for (let guard = 0; guard < 40; guard++) {
    const open = page.locator('#quiz form.quiz-card.open');
    if (!(await open.count())) { if (await page.locator('#btn-next').isDisabled()) break; await page.keyboard.press('PageDown'); continue; }
    const qid = (await open.getAttribute('data-quiz'))!;
    await open.locator('.skip-answer').click();
    const proof = open.locator('button.proof');
    if (await proof.count()) {
      await proof.click();
      const step = Number((await counter.textContent())!.match(/\d+/)![0]) - 1;
      const pending = L.quizzes.filter((q) => q.step - 1 < step && q.id !== qid);
      const answered = await page.evaluate(() => Object.keys(JSON.parse(localStorage.getItem('tcplab.progress') ?? '{}').lessons?.['handshake-close']?.quizzes ?? {}));
      for (const q of pending) expect(answered, `the proof of ${qid} jumped over question ${q.id}`).toContain(q.id);
    }
    const cont = page.locator('#quiz button.continue');
    if (await cont.count()) await cont.first().click(); else await page.keyboard.press('PageDown');
  }
});

test('the connection picker gives the arrow keys back to the lesson', async ({ page }) => {
  await page.goto('/#lesson=time-wait-pileup&step=2&lang=en');
  await page.waitForSelector('body.ready');
  const pick = page.locator('#conn-pick');
  await pick.selectOption({ index: 2 });
  const counter = page.locator('#step-counter');
  const before = await counter.textContent();
  await page.keyboard.press('ArrowLeft');
  await expect(counter).not.toHaveText(before ?? '');
  expect(await pick.evaluate((n) => (n as HTMLSelectElement).selectedIndex)).toBe(2);
  await page.locator('#btn-lang').click();
  await expect(pick.locator('option').first()).toHaveText('跟随当前步骤');
});
