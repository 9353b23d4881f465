// Regenerates the screenshots in docs/screenshots (used by the README):
//   TCPLAB_DOCS_SCREENSHOTS=1 npx playwright test e2e/docs-screenshots.spec.ts
import { test, type Page } from '@playwright/test';

test.skip(!process.env.TCPLAB_DOCS_SCREENSHOTS, 'set TCPLAB_DOCS_SCREENSHOTS=1 to regenerate docs/screenshots');

const out = (name: string) => `../docs/screenshots/${name}.png`;

async function at(page: Page, lang: 'en' | 'zh-CN', hash: string, projection = false): Promise<void> {
  await page.addInitScript(([l, p]) => { localStorage.setItem('tcplab.lang', l as string); localStorage.setItem('tcplab.projection', p ? '1' : '0'); }, [lang, projection] as const);
  await page.emulateMedia({ reducedMotion: 'reduce' });
  await page.goto(`/${hash}`);
  await page.waitForSelector('body.ready');
  await page.waitForTimeout(300);
}

test('desktop, English', async ({ page }) => {
  await page.setViewportSize({ width: 1440, height: 900 });
  await at(page, 'en', process.env.TCPLAB_SHOT_DESKTOP ?? '#lesson=handshake-close&step=12');
  await page.screenshot({ path: out('player-en') });
});

test('projection, Chinese, 1920×1080', async ({ page }) => {
  await page.setViewportSize({ width: 1920, height: 1080 });
  await at(page, 'zh-CN', process.env.TCPLAB_SHOT_PROJECTION ?? '#lesson=simultaneous-open&step=3', true);
  await page.screenshot({ path: out('projection-zh-CN') });
});

test('quiz, Chinese', async ({ page }) => {
  await page.setViewportSize({ width: 1440, height: 900 });
  await at(page, 'zh-CN', process.env.TCPLAB_SHOT_QUIZ ?? '#lesson=handshake-close&step=1');
  await page.locator('#ladder-scroll').focus();
  for (let i = 0; i < 20 && !(await page.locator('form.quiz-form').isVisible()); i++) await page.keyboard.press('ArrowRight');
  await page.locator('form.quiz-form button:not([type=submit])').first().click();
  await page.screenshot({ path: out('quiz-zh-CN') });
});

test('phone', async ({ page }) => {
  await page.setViewportSize({ width: 390, height: 844 });
  await at(page, 'en', process.env.TCPLAB_SHOT_PHONE ?? '#lesson=handshake-close&step=10');
  await page.screenshot({ path: out('phone') });
});
