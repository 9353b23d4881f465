// Browser tests of the player on the recorded example traces (always available) and on the
// lessons resolved by the engine module. Screenshots go to test-results/ for a human to look at.
import { expect, test, type Page } from '@playwright/test';

const shot = (page: Page, name: string) => page.screenshot({ path: `test-results/${name}.png` });
const ready = (page: Page) => page.waitForSelector('body.ready');
const laneState = (page: Page, host: string) => page.locator(`.lane-state[data-host="${host}"]`);
const counter = (page: Page) => page.locator('#step-counter');

async function open(page: Page, hash: string): Promise<void> {
  await page.goto(`/${hash}`);
  await ready(page);
}

async function stepUntil(page: Page, done: () => Promise<boolean>, max = 80): Promise<void> {
  for (let i = 0; i < max; i++) {
    if (await done()) return;
    await page.keyboard.press('ArrowRight');
  }
  throw new Error('condition never reached while stepping');
}

test.beforeEach(async ({ page }) => {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  (page as unknown as { errors: string[] }).errors = errors;
});

test.afterEach(async ({ page }) => {
  expect((page as unknown as { errors: string[] }).errors).toEqual([]);
});

test('the handshake example plays: ESTABLISHED after the handshake, TIME_WAIT then CLOSED at the end', async ({ page }) => {
  await open(page, '#lesson=example-handshake-close&step=1');
  await expect(counter(page)).toHaveText(/^Step 1 \/ \d+$/);
  await expect(laneState(page, 'server')).toHaveText('LISTEN');
  await page.locator('body').click({ position: { x: 5, y: 200 } });
  await stepUntil(page, async () => (await laneState(page, 'server').textContent()) === 'ESTABLISHED');
  await expect(laneState(page, 'client')).toHaveText('ESTABLISHED');
  await expect(page.locator('.sd-node.lit[data-state="ESTABLISHED"]')).toHaveCount(1);
  await shot(page, 'handshake-established');
  await stepUntil(page, async () => (await laneState(page, 'server').textContent()) === 'CLOSED');
  await expect(laneState(page, 'client')).toHaveText('TIME_WAIT');
  await expect(page.locator('.timer.pending[data-timer="time_wait"]')).toHaveCount(1);
  // The 2 s of TIME_WAIT (the lesson's MSL is 1 s) are not drawn as a compressed gap before
  // they have passed; at the end they are (from the last ACK, just under 2 s).
  const timeWaitGap = page.locator('.break-label', { hasText: /\b(1\.9\d|2) s\b/ });
  await expect(timeWaitGap).toHaveCount(0);
  await shot(page, 'handshake-time-wait');
  await page.keyboard.press('End');
  await expect(laneState(page, 'client')).toHaveText('CLOSED');
  await expect(timeWaitGap).toHaveCount(1);
  await shot(page, 'handshake-end');
});

test('a lost segment stops half-way and its retransmission is marked', async ({ page }) => {
  await open(page, '#lesson=example-time-wait&step=1');
  await page.keyboard.press('End');
  await expect(page.locator('.lost-mark')).toHaveCount(1);
  await expect(page.locator('.seg-lost')).toContainText('lost');
  // The server's FIN, sent again because the last ACK was lost.
  await expect(page.locator('.seg[data-seg="8"] .seg-label')).toContainText('↻');
  await expect(page.locator('.seg[data-seg="6"] .seg-label')).not.toContainText('↻');
  await shot(page, 'time-wait-end');
});

test('a crash and reboot: the pill names the host, the RST answers, the call fails', async ({ page }) => {
  await open(page, '#lesson=example-crash-reboot&step=1');
  await page.keyboard.press('End');
  await expect(page.locator('.action-crash')).toHaveCount(1);
  // The pill stands between two lifelines: it names the host that crashed.
  await expect(page.locator('.action-crash text')).toHaveText('server: crash');
  await page.locator('#tab-sockets').click();
  await expect(page.locator('#sockets .ret.err').last()).toContainText('ECONNRESET');
  await shot(page, 'crash-reboot-end');
  await page.locator('.seg[data-seg="5"] .hit').click({ force: true });
  await expect(page.locator('#inspector .hf.flag.on')).toHaveText(['RST1']);
});

test('writing after the peer reset: EPIPE, then SIGPIPE, are listed', async ({ page }) => {
  await open(page, '#lesson=example-write-after-close&step=1');
  await page.keyboard.press('End');
  await page.locator('#tab-sockets').click();
  await expect(page.locator('#sockets .ret.err').last()).toContainText('EPIPE');
  await expect(page.locator('#sockets .signal')).toContainText('SIGPIPE');
});

test('switching language keeps the place, and is remembered', async ({ page }) => {
  await open(page, '#lesson=example-handshake-close&step=6');
  await expect(counter(page)).toHaveText(/^Step 6 /);
  await page.locator('#btn-lang').click();
  await expect(page.locator('html')).toHaveAttribute('lang', 'zh-CN');
  await expect(counter(page)).toHaveText(/^第 6 \//);
  await expect(page.locator('#ladder-h')).toHaveText('时序图');
  await expect(page.locator('#narration')).toContainText('到达');
  await shot(page, 'zh-CN');
  await page.reload();
  await ready(page);
  await expect(page.locator('html')).toHaveAttribute('lang', 'zh-CN');
  await expect(counter(page)).toHaveText(/^第 6 \//);
  await page.locator('#btn-lang').click();
  await expect(page.locator('#ladder-h')).toHaveText('Time-sequence diagram');
  await expect(counter(page)).toHaveText(/^Step 6 /);
});

test('keyboard only: every control is reachable, focus is visible, keys step and play', async ({ page }) => {
  await open(page, '#lesson=example-handshake-close&step=1');
  const seen = new Set<string>();
  for (let i = 0; i < 40; i++) {
    await page.keyboard.press('Tab');
    const id = await page.evaluate(() => document.activeElement?.id || document.activeElement?.tagName || '');
    seen.add(id);
  }
  for (const id of ['btn-lessons', 'btn-lang', 'btn-play', 'btn-next', 'timeline', 'speed', 'ladder-scroll']) expect(seen, id).toContain(id);
  expect(seen.has('tab-inspector') || seen.has('tab-sockets'), 'the selected tab').toBe(true);
  await page.locator('#btn-next').focus();
  const outline = await page.evaluate(() => getComputedStyle(document.activeElement!).outlineStyle);
  expect(outline).not.toBe('none');
  await page.keyboard.press('Enter');
  await expect(counter(page)).toHaveText(/^Step 2 /);
  await page.locator('#ladder-scroll').focus();
  await page.keyboard.press('PageDown');
  await expect(counter(page)).toHaveText(/^Step 3 /);
  await page.keyboard.press('PageUp');
  await page.keyboard.press('ArrowLeft');
  await expect(counter(page)).toHaveText(/^Step 1 /);
  await page.keyboard.press('End');
  await expect(page.locator('#btn-next')).toBeDisabled();
  await page.keyboard.press('Home');
  await expect(counter(page)).toHaveText(/^Step 1 /);
  await page.keyboard.press('t');
  const afterT = await counter(page).textContent();
  expect(afterT).not.toMatch(/^Step 1 /);
  await page.keyboard.press(' ');
  await expect(page.locator('#btn-play')).toHaveAttribute('aria-pressed', 'true');
  await page.keyboard.press(' ');
  await expect(page.locator('#btn-play')).toHaveAttribute('aria-pressed', 'false');
  await page.locator('#btn-lessons').focus();
  await page.keyboard.press('Enter');
  await expect(page.locator('#lessons-dialog')).toBeVisible();
  await page.keyboard.press('Escape');
  await expect(page.locator('#lessons-dialog')).toBeHidden();
});

test('a deep link reopens exactly the same step after a reload', async ({ page }) => {
  await open(page, '#lesson=example-handshake-close&step=1');
  for (let i = 0; i < 6; i++) await page.keyboard.press('ArrowRight');
  await expect(page).toHaveURL(/#lesson=example-handshake-close&step=7&lang=en$/);
  const narration = await page.locator('#narration').textContent();
  await page.reload();
  await ready(page);
  await expect(counter(page)).toHaveText(/^Step 7 /);
  await expect(page.locator('#narration')).toHaveText(narration ?? '');
});

for (const [w, h] of [[1280, 720], [1920, 1080]] as const) {
  test(`projection mode fits ${w}×${h} without page scrolling`, async ({ page }) => {
    await page.setViewportSize({ width: w, height: h });
    await open(page, '#lesson=example-handshake-close&step=12');
    await page.locator('#btn-proj').click();
    await expect(page.locator('body')).toHaveClass(/projection/);
    const m = await page.evaluate(() => ({ sh: document.documentElement.scrollHeight, sw: document.documentElement.scrollWidth, ih: innerHeight, iw: innerWidth }));
    expect(m.sh).toBeLessThanOrEqual(m.ih + 1);
    expect(m.sw).toBeLessThanOrEqual(m.iw + 1);
    for (const sel of ['#ladder', '#sd', '#narration', '#btn-play']) await expect(page.locator(sel)).toBeInViewport();
    const fontPx = await page.evaluate(() => parseFloat(getComputedStyle(document.querySelector('.narr-text, .event-lines')!).fontSize));
    expect(fontPx).toBeGreaterThanOrEqual(20);
    await shot(page, `projection-${w}x${h}`);
  });
}

test('phone layout (390×844) has no sideways scrolling and keeps the controls at hand', async ({ page }) => {
  await page.setViewportSize({ width: 390, height: 844 });
  await open(page, '#lesson=example-handshake-close&step=9');
  const sw = await page.evaluate(() => document.documentElement.scrollWidth);
  expect(sw).toBeLessThanOrEqual(391);
  await expect(page.locator('#btn-next')).toBeInViewport();
  await page.locator('#btn-next').click();
  await expect(counter(page)).toHaveText(/^Step 10 /);
  await shot(page, 'phone');
});

test('a corrupt progress store is reported and reset without breaking the page', async ({ page }) => {
  await page.addInitScript(() => { if (!sessionStorage.getItem('seeded')) { localStorage.setItem('tcplab.progress', '{"version": 1, "lessons": '); sessionStorage.setItem('seeded', '1'); } });
  await open(page, '#lesson=example-handshake-close&step=1');
  await expect(page.locator('#banner')).toContainText('could not be read');
  await expect(counter(page)).toHaveText(/^Step 1 /);
  const stored = await page.evaluate(() => JSON.parse(localStorage.getItem('tcplab.progress') ?? 'null'));
  expect(stored).toEqual({ version: 1, lessons: {} });
});

test('every lesson and example opens, plays forward (to its end or its first quiz) and back without a script error', async ({ page }) => {
  test.setTimeout(180_000);
  await open(page, '#lesson=example-handshake-close&step=1');
  const ids = await page.evaluate(() => (window as unknown as { tcplab: { entries: { id: string }[] } }).tcplab.entries.map((e) => e.id));
  expect(ids.length).toBeGreaterThanOrEqual(2);
  for (const id of ids) {
    await page.evaluate((x) => { location.hash = `#lesson=${x}&step=1`; }, id);
    await expect(page).toHaveURL(new RegExp(`#lesson=${id}&step=1&lang=en$`));
    if (await page.locator('#btn-last').isEnabled()) await page.locator('#btn-last').click();
    if (await page.locator('#btn-first').isEnabled()) await page.locator('#btn-first').click();
    await expect(counter(page)).toHaveText(/^Step 1 \//);
  }
});

test('reduced motion: arrows appear without animation', async ({ page }) => {
  await page.emulateMedia({ reducedMotion: 'reduce' });
  await open(page, '#lesson=example-handshake-close&step=2');
  await page.keyboard.press('ArrowRight');
  const animated = await page.evaluate(() => [...document.querySelectorAll('.seg-line, .seg-head')].filter((n) => getComputedStyle(n).animationName !== 'none').length);
  expect(animated).toBe(0);
  await expect(page.locator('.seg.current')).not.toHaveCount(0);
});

test('the glossary pairs the Chinese interview terms with the English ones', async ({ page }) => {
  await page.addInitScript(() => localStorage.setItem('tcplab.lang', 'zh-CN'));
  await open(page, '#lesson=example-handshake-close&step=1');
  await page.locator('#btn-glossary').click();
  const rows = page.locator('#glossary-body tr');
  const term = (zh: string) => rows.filter({ has: page.locator('th', { hasText: new RegExp(`^${zh}$`) }) });
  await expect(term('半连接队列')).toContainText('SYN queue');
  await expect(term('全连接队列')).toContainText('accept queue');
  await expect(term('四次挥手')).toHaveCount(1);
  await expect(term('2MSL')).toContainText('TIME_WAIT');
  for (const zh of ['TIME_WAIT 状态', 'CLOSE_WAIT 状态', '延迟确认', 'SYN cookie']) await expect(term(zh)).toHaveCount(1);
});

test('training mode: "New numbers" re-resolves the lesson with a seed kept in the link', async ({ page }) => {
  await open(page, '#lesson=three-segment-close&step=3');
  await page.locator('#btn-reroll').click();
  await expect(page).toHaveURL(/#lesson=three-segment-close&step=3&seed=\d+&lang=en$/);
  const params = await page.locator('#lesson-params').textContent();
  const url = page.url();
  await page.reload();
  await ready(page);
  expect(page.url()).toBe(url);
  await expect(page.locator('#lesson-params')).toHaveText(params ?? '');
});

test('an unknown lesson in a link is explained, not replaced silently; repeated bad links do not stack up', async ({ page }) => {
  await open(page, '#lesson=no-such-lesson&step=4');
  const warn = page.locator('#banner .banner-item.warn');
  await expect(warn).toHaveCount(1);
  await expect(warn).toContainText('no-such-lesson');
  const shown = await page.evaluate(() => (window as unknown as { tcplab: { lesson?: { id: string } } }).tcplab.lesson?.id);
  expect(shown).toBeTruthy();
  await expect(warn).toContainText(await page.locator('#lesson-title').textContent() ?? '');
  await page.evaluate(() => { location.hash = '#lesson=still-not-here&step=1'; });
  await expect(warn).toHaveCount(1);
  await expect(warn).toContainText('still-not-here');
  await page.evaluate(() => { location.hash = '#lesson=handshake-close&step=2'; });
  await expect(warn).toHaveCount(0);
  await expect(page.locator('#banner .banner-item')).toHaveCount(0);
});

test('the language is part of the link: a Chinese link opens in Chinese, switching updates the link', async ({ page }) => {
  await page.addInitScript(() => localStorage.setItem('tcplab.lang', 'en'));
  await open(page, '#lesson=handshake-close&step=2&lang=zh-CN');
  await expect(page.locator('html')).toHaveAttribute('lang', 'zh-CN');
  await expect(counter(page)).toHaveText(/^第 2 \/ \d+ 步$/);
  await page.locator('#btn-lang').click();
  await expect(page).toHaveURL(/#lesson=handshake-close&step=2&lang=en$/);
  await expect(counter(page)).toHaveText(/^Step 2 \//);
});

test('the timeline has a real label and says where it is; copying the link is confirmed on screen', async ({ page, context }) => {
  await context.grantPermissions(['clipboard-read', 'clipboard-write']);
  await open(page, '#lesson=handshake-close&step=3');
  const range = page.locator('#timeline');
  await expect(range).toHaveAttribute('aria-label', 'Timeline');
  await expect(range).toHaveAttribute('aria-valuetext', /^Timeline: step 3 of \d+$/);
  for (const n of await page.locator('[aria-label], [title]').all()) {
    const label = `${await n.getAttribute('aria-label') ?? ''}${await n.getAttribute('title') ?? ''}`;
    expect(label, 'no unfilled {placeholder} in a label').not.toMatch(/\{\w+\}/);
  }
  await page.locator('#btn-copy').click();
  await expect(page.locator('#copy-status')).toBeVisible();
  await expect(page.locator('#copy-status')).toHaveText('Link copied');
  expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(page.url());
});

test('keyboard help is one key (?) or one button away, in both languages', async ({ page }) => {
  await open(page, '#lesson=handshake-close&step=1');
  await page.locator('#ladder-scroll').focus();
  await page.keyboard.press('?');
  const dlg = page.locator('#keys-dialog');
  await expect(dlg).toBeVisible();
  await expect(dlg.locator('tr')).toHaveCount(10);
  await expect(dlg).toContainText('Space');
  await page.keyboard.press('Escape');
  await expect(dlg).toBeHidden();
  await page.locator('#btn-lang').click();
  await page.locator('#btn-keys').click();
  await expect(dlg).toContainText('下一步');
});

test('in a lesson with many connections, the reader picks the one the header and the state diagram follow', async ({ page }) => {
  await open(page, '#lesson=time-wait-pileup&step=1');
  await page.keyboard.press('End');
  const pick = page.locator('#conn-pick');
  await expect(pick).toBeVisible();
  const options = await pick.locator('option').allTextContents();
  expect(options.length).toBeGreaterThan(3);
  await expect(page.locator('#sd-text .sd-follow-line')).toContainText('Showing');
  await pick.selectOption({ index: 2 });
  const chosen = options[2]!.replace(/^#\d+ /, '');
  await expect(page.locator('#sd-text .sd-follow-line')).toContainText(chosen);
  await pick.selectOption({ index: 0 });
  await expect(page.locator('#sd-text .sd-follow-line')).toContainText('the connection of this step');
});
