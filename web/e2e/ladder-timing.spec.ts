// How long a step change takes on the largest lesson (time-wait-pileup: the most events and
// segments), and that the ladder keeps what it drew: a step change updates the diagram in place,
// it does not tear it down. The timings are printed (median and worst of every step change,
// forwards and back, a few times over) so that a change to the drawing can be compared.
import { expect, test } from '@playwright/test';

const LESSON = 'time-wait-pileup';

test(`a step change on ${LESSON}: timing`, async ({ page }) => {
  test.setTimeout(120_000);
  await page.setViewportSize({ width: 1440, height: 900 });
  await page.emulateMedia({ reducedMotion: 'reduce' });
  await page.goto(`/#lesson=${LESSON}&step=1&lang=en`);
  await page.waitForSelector('body.ready');
  const r = await page.evaluate(async () => {
    const app = (window as unknown as { tcplab: { go(n: number, fromUser: boolean): void; lesson: { steps: unknown[] } } }).tcplab;
    const n = app.lesson.steps.length;
    const times: number[] = [];
    const frame = (): Promise<void> => new Promise((res) => requestAnimationFrame(() => setTimeout(res, 0)));
    for (let pass = 0; pass < 3; pass++) {
      const order = [...Array(n).keys()];
      for (const s of [...order.slice(1), ...order.reverse().slice(1)]) {
        await frame();
        const t0 = performance.now();
        app.go(s, false);
        // What the reader waits for: the drawing laid out, not only the DOM written.
        void document.getElementById('ladder')!.getBoundingClientRect();
        times.push(performance.now() - t0);
      }
    }
    times.sort((a, b) => a - b);
    return { steps: n, changes: times.length, least: times[0]!, median: times[Math.floor(times.length / 2)]!, worst: times.at(-1)! };
  });
  console.log(`${LESSON}: ${r.changes} step changes over ${r.steps} steps, least ${r.least.toFixed(1)} ms, median ${r.median.toFixed(1)} ms, worst ${r.worst.toFixed(1)} ms`);
  expect(r.changes).toBeGreaterThan(8);
});

test(`a step change on ${LESSON} keeps the ladder's drawn segments and changes only what moved`, async ({ page }) => {
  await page.setViewportSize({ width: 1440, height: 900 });
  await page.emulateMedia({ reducedMotion: 'reduce' });
  await page.goto(`/#lesson=${LESSON}&step=1&lang=en`);
  await page.waitForSelector('body.ready');
  const r = await page.evaluate(() => {
    const app = (window as unknown as { tcplab: { go(n: number, fromUser: boolean): void; lesson: { steps: unknown[] } } }).tcplab;
    const n = app.lesson.steps.length;
    app.go(n - 2, false);
    const before = new Map<string, Element>();
    for (const g of document.querySelectorAll('#ladder .seg')) before.set(g.getAttribute('data-seg')!, g);
    app.go(n - 1, false);
    let kept = 0, redrawn = 0;
    for (const g of document.querySelectorAll('#ladder .seg')) {
      const old = before.get(g.getAttribute('data-seg')!);
      if (old === g) kept++; else if (old) redrawn++;
    }
    const current = document.querySelectorAll('#ladder .seg.current').length;
    return { before: before.size, kept, redrawn, current };
  });
  console.log(`segments drawn before: ${r.before}, kept: ${r.kept}, drawn anew: ${r.redrawn}, current: ${r.current}`);
  expect(r.before).toBeGreaterThan(20);
  // Only segments whose drawing changed (this step's, the one that lost its "current" mark) are new.
  expect(r.kept).toBeGreaterThan(r.before / 2);
});
