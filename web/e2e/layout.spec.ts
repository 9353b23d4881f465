// Layout of the two diagrams at every step of every lesson, on a desktop, on two projectors and
// on a phone: no two pieces of text on top of each other, none cut off where no scrolling can
// reach it, none too small to read from where its audience sits, none too faint. Plus the
// keyboard path into the ladder's segments.
//
// One page per viewport and one page.evaluate per step (it moves to the step and measures), so
// the whole sweep stays within a few minutes on a small machine.
import { expect, test, type Page } from '@playwright/test';

interface Viewport {
  name: string;
  width: number;
  height: number;
  projection: boolean;
  /** smallest font size (CSS px, as rendered) a diagram label may have */
  minFont: number;
}

const VIEWPORTS: Viewport[] = [
  { name: 'desktop 1440×900', width: 1440, height: 900, projection: false, minFont: 12 },
  { name: 'projection 1280×720', width: 1280, height: 720, projection: true, minFont: 14 },
  { name: 'projection 1920×1080', width: 1920, height: 1080, projection: true, minFont: 14 },
  { name: 'phone 390×844', width: 390, height: 844, projection: false, minFont: 11 },
];

// Every step in both languages (Chinese labels are wider in places). TCPLAB_LAYOUT_LANGS=en
// (or zh-CN) halves the sweep while working on the layout.
const LANGS = (process.env.TCPLAB_LAYOUT_LANGS ?? 'en,zh-CN').split(',').map((l) => l.trim()).filter(Boolean);

/** Overlap allowed between two text boxes (px): glyph boxes of neighbouring lines may touch. */
const TOLERANCE = 1.5;
/** WCAG 2 AA for text. */
const MIN_CONTRAST = 4.5;

interface StepReport {
  counts: Record<string, number>;
  problems: string[];
}

/** Runs in the page: moves to `step` and checks every visible text of the diagrams. */
async function checkStep(arg: { step: number; minFont: number; tolerance: number; minContrast: number; phone: boolean }): Promise<StepReport> {
  const app = (window as unknown as { tcplab: { go(step: number, fromUser: boolean): void } }).tcplab;
  app.go(arg.step, false);
  // What the reader sees is the next frame: a diagram whose box changed size with this step
  // (a quiz opened, the text under it grew) has been laid out again by then.
  await new Promise<void>((resolve) => requestAnimationFrame(() => setTimeout(resolve, 0)));
  const problems: string[] = [];
  const counts: Record<string, number> = {};
  const short = (s: string | null): string => JSON.stringify((s ?? '').replace(/\s+/g, ' ').trim().slice(0, 60));
  const opacityCache = new Map<Element, number>();
  const opacity = (el: Element | null, stop: Element): number => {
    if (!el || el === stop.parentElement) return 1;
    const hit = opacityCache.get(el);
    if (hit !== undefined) return hit;
    const v = parseFloat(getComputedStyle(el).opacity || '1') * opacity(el.parentElement, stop);
    opacityCache.set(el, v);
    return v;
  };
  const lum = (c: number[]): number => {
    const [r, g, b] = c.map((v) => { const s = v / 255; return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4; }) as [number, number, number];
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const viewW = document.documentElement.clientWidth, viewH = document.documentElement.clientHeight;
  for (const id of ['ladder-head', 'ladder', 'sd']) {
    const root = document.getElementById(id) as unknown as SVGSVGElement | null;
    if (!root) { problems.push(`#${id} is missing`); continue; }
    const area = root.getBoundingClientRect();
    // The box that scrolls each diagram must be where the reader can get to it: inside the
    // viewport, or (a phone, scrolling the page down) inside its width.
    if (id === 'sd' || id === 'ladder-head') {
      const scroller = id === 'sd' ? 'sd-panel' : 'ladder-scroll';
      const box = document.getElementById(scroller)!.getBoundingClientRect();
      if (box.left < -1 || box.right > viewW + 1 || (!arg.phone && (box.top < -1 || box.bottom > viewH + 1))) {
        problems.push(`#${scroller} is outside the viewport (${Math.round(box.left)},${Math.round(box.top)} – ${Math.round(box.right)},${Math.round(box.bottom)})`);
      }
    }
    // The time column stays at the left edge while the lanes scroll sideways under it: what is
    // under it then is hidden, not overlapping (scrolling back shows it).
    const scroller = document.getElementById('ladder-scroll')!;
    const frozen = id === 'ladder' && scroller.scrollLeft > 0 ? root.querySelector('.time-col')?.getBoundingClientRect() : undefined;
    const items: { r: DOMRect; text: string; time: boolean; under: boolean }[] = [];
    for (const t of root.querySelectorAll('text')) {
      const cs = getComputedStyle(t);
      if (cs.display === 'none' || cs.visibility !== 'visible' || !(t.textContent ?? '').trim()) continue;
      const r = t.getBoundingClientRect();
      if (r.width < 0.5 || r.height < 0.5) continue;
      const text = t.textContent ?? '';
      const time = t.classList.contains('time-label');
      const under = !time && frozen !== undefined && r.left < frozen.right - arg.tolerance;
      items.push({ r, text, time, under });
      // A countdown at zero is a timer due now, and says so.
      if (/(^|[^0-9.])0 µs left|剩余 0 µs/.test(text)) problems.push(`#${id}: ${short(text)} counts down to zero`);
      // An SVG scaled down by its viewBox renders its type smaller than its CSS size says.
      const scale = t.getScreenCTM()?.a ?? 1;
      const px = parseFloat(cs.fontSize) * scale;
      if (px < arg.minFont - 0.05) problems.push(`#${id}: ${short(text)} is ${px.toFixed(1)} px (minimum ${arg.minFont})`);
      // SVG clips at its own box: text past it can be reached by no scrolling.
      if (r.left < area.left - 1 || r.right > area.right + 1 || r.top < area.top - 1 || r.bottom > area.bottom + 1) {
        problems.push(`#${id}: ${short(text)} is cut off by the diagram's edge`);
      }
      if (!t.closest('.sd-badge')) {
        const m = /rgba?\(([^)]+)\)/.exec(cs.fill);
        if (m) {
          const [r0, g0, b0, a0 = 1] = m[1]!.split(',').map((x) => parseFloat(x));
          const a = a0 * parseFloat(cs.fillOpacity || '1') * opacity(t, root);
          const blend = [r0!, g0!, b0!].map((c) => c * a + 255 * (1 - a));
          const ratio = 1.05 / (lum(blend) + 0.05);
          if (ratio < arg.minContrast) problems.push(`#${id}: ${short(text)} has contrast ${ratio.toFixed(2)}:1 on white`);
        }
      }
    }
    counts[id] = items.length;
    items.sort((a, b) => a.r.top - b.r.top);
    for (let i = 0; i < items.length; i++) {
      const a = items[i]!;
      for (let j = i + 1; j < items.length; j++) {
        const b = items[j]!;
        if (b.r.top >= a.r.bottom - arg.tolerance) break;
        if ((a.time && b.under) || (b.time && a.under)) continue;
        const ox = Math.min(a.r.right, b.r.right) - Math.max(a.r.left, b.r.left);
        const oy = Math.min(a.r.bottom, b.r.bottom) - Math.max(a.r.top, b.r.top);
        if (ox > arg.tolerance && oy > arg.tolerance) problems.push(`#${id}: ${short(a.text)} overlaps ${short(b.text)} (${ox.toFixed(1)} × ${oy.toFixed(1)} px)`);
      }
    }
  }
  return { counts, problems };
}

async function openLesson(page: Page, id: string): Promise<number> {
  await page.evaluate((x) => { location.hash = `#lesson=${x}&step=1`; }, id);
  // The lesson is open when the app says so; an error banner naming it means it never will be.
  await page.waitForFunction((x) => {
    const w = window as unknown as { tcplab: { lesson?: { id: string } } };
    if (w.tcplab.lesson?.id === x) return true;
    return [...document.querySelectorAll('#banner [data-tag="lesson"]')].some((b) => (b.textContent ?? '').includes(`${x}.json`));
  }, id, { timeout: 15_000 });
  return page.evaluate((x) => {
    const w = window as unknown as { tcplab: { lesson?: { id: string; steps: unknown[] } } };
    return w.tcplab.lesson?.id === x ? w.tcplab.lesson.steps.length : 0;
  }, id);
}

for (const vp of VIEWPORTS) {
  test(`diagram text at every step of every lesson: ${vp.name}`, async ({ page }) => {
    test.setTimeout(200_000);
    const started = Date.now();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.setViewportSize({ width: vp.width, height: vp.height });
    await page.emulateMedia({ reducedMotion: 'reduce' });
    await page.addInitScript(([lang, proj]) => {
      localStorage.setItem('tcplab.lang', lang as string);
      localStorage.setItem('tcplab.projection', proj ? '1' : '0');
    }, [LANGS[0]!, vp.projection] as const);
    await page.goto('/');
    await page.waitForSelector('body.ready');
    expect(await page.evaluate(() => document.body.classList.contains('projection'))).toBe(vp.projection);
    const ids = await page.evaluate(() => (window as unknown as { tcplab: { entries: { id: string; kind: string }[] } }).tcplab.entries.filter((e) => e.kind === 'lesson').map((e) => e.id));
    expect(ids.length, 'lessons listed').toBeGreaterThanOrEqual(20);

    const failures: string[] = [];
    const notOpened: string[] = [];
    let stepsChecked = 0;
    const perLesson: string[] = [];
    for (const id of ids) {
      const steps = await openLesson(page, id);
      if (steps === 0) { notOpened.push(id); continue; }
      let worst = 0;
      for (const lang of LANGS) {
        await page.evaluate((l) => {
          const app = (window as unknown as { tcplab: { setLanguage(l: string): void } }).tcplab;
          if (document.documentElement.lang !== l) app.setLanguage(l);
        }, lang);
        for (let s = 0; s < steps; s++) {
          const r = await page.evaluate(checkStep, { step: s, minFont: vp.minFont, tolerance: TOLERANCE, minContrast: MIN_CONTRAST, phone: vp.width < 760 });
          stepsChecked++;
          // Every drawing has text: the state boxes' names, a lane head per host, a time.
          if ((r.counts.sd ?? 0) < 12) r.problems.push(`#sd shows ${r.counts.sd ?? 0} texts (expected the 12 state names at least)`);
          if ((r.counts['ladder-head'] ?? 0) < 2) r.problems.push(`#ladder-head shows ${r.counts['ladder-head'] ?? 0} texts`);
          if ((r.counts.ladder ?? 0) < 1) r.problems.push('#ladder shows no text');
          worst = Math.max(worst, r.problems.length);
          for (const p of r.problems) failures.push(`${id} step ${s + 1} (${lang}) @ ${vp.name}: ${p}`);
        }
      }
      perLesson.push(`${id}: ${steps} steps${worst ? `, up to ${worst} problems in a step` : ''}`);
    }
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    const kinds = (re: RegExp): number => failures.filter((f) => re.test(f)).length;
    console.log(`${vp.name} (${LANGS.join(', ')}): ${ids.length - notOpened.length}/${ids.length} lessons, ${stepsChecked} steps, ${failures.length} problems `
      + `(${kinds(/ overlaps /)} overlaps, ${kinds(/ px \(minimum/)} too small, ${kinds(/cut off|outside the viewport/)} cut off, ${kinds(/contrast/)} faint), ${seconds} s`);
    if (failures.length) console.log(failures.slice(0, 60).join('\n'));
    test.info().annotations.push({ type: 'lessons', description: perLesson.join('; ') });
    expect(errors, 'page errors').toEqual([]);
    expect(stepsChecked, 'steps checked').toBeGreaterThan(100 * LANGS.length);
    expect(failures, `${failures.length} layout problems:\n${failures.slice(0, 120).join('\n')}`).toEqual([]);
    expect(notOpened, 'lessons that did not open (so their layout was not checked)').toEqual([]);
  });
}

test('keyboard: Tab reaches the ladder segments, arrow keys move between them, Enter selects one', async ({ page }) => {
  await page.setViewportSize({ width: 1440, height: 900 });
  await page.emulateMedia({ reducedMotion: 'reduce' });
  await page.addInitScript(() => { localStorage.setItem('tcplab.lang', 'en'); localStorage.setItem('tcplab.projection', '0'); });
  await page.goto('/#lesson=example-handshake-close&step=1');
  await page.waitForSelector('body.ready');
  // Far enough for several segments to be drawn.
  await page.evaluate(() => {
    const app = (window as unknown as { tcplab: { go(s: number, u: boolean): void; lesson?: { steps: unknown[] } } }).tcplab;
    app.go(Math.min(8, app.lesson!.steps.length - 1), false);
  });
  const segs = await page.locator('#ladder .seg').count();
  expect(segs).toBeGreaterThanOrEqual(3);
  await expect(page.locator('#ladder .seg[tabindex="0"]')).toHaveCount(1);

  await page.locator('#ladder-scroll').focus();
  await page.keyboard.press('Tab');
  const first = await page.evaluate(() => ({ seg: document.activeElement?.getAttribute('data-seg'), role: document.activeElement?.getAttribute('role'), name: document.activeElement?.getAttribute('aria-label') }));
  expect(first.seg, 'Tab after the ladder box lands on a segment').toBeTruthy();
  expect(first.role).toBe('option');
  expect(first.name).toMatch(new RegExp(`^#${first.seg} `));

  await page.keyboard.press('ArrowUp');
  await page.keyboard.press('ArrowUp');
  const up = await page.evaluate(() => document.activeElement?.getAttribute('data-seg'));
  expect(Number(up)).toBeLessThan(Number(first.seg));
  await page.keyboard.press('ArrowDown');
  const target = await page.evaluate(() => document.activeElement?.getAttribute('data-seg'));
  expect(Number(target)).toBeGreaterThan(Number(up));
  // Moving between segments neither changes the step nor selects anything.
  await expect(page.locator('#step-counter')).toHaveText(/^Step 9 /);

  await page.keyboard.press('Enter');
  await expect(page.locator(`#ladder .seg.selected[data-seg="${target}"]`)).toHaveCount(1);
  await expect(page.locator(`#ladder .seg[data-seg="${target}"]`)).toHaveAttribute('aria-selected', 'true');
  await expect(page.locator('#inspector .insp-head')).toContainText(`#${target} `);
  await expect(page.locator('#inspector')).toBeVisible();
  // The ladder is drawn again on selection; the focus stays on the same segment.
  expect(await page.evaluate(() => document.activeElement?.getAttribute('data-seg'))).toBe(target);
  await page.screenshot({ path: 'test-results/layout-keyboard.png' });
});
