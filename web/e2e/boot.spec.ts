// A page that cannot start says so in words. Opened from disk (file://), the browser refuses the
// module scripts; the built index.html then shows, in both languages, what happened and how to
// serve the folder, instead of an empty page. Served normally, the notice never shows.
import { expect, test } from '@playwright/test';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

// The build the web server of playwright.config.ts serves (it builds it before the tests).
const dist = resolve(process.env.TCPLAB_DIST ?? 'dist');

test('opened from disk, the page explains why it cannot start and what to do', async ({ page }) => {
  const index = resolve(dist, 'index.html');
  expect(existsSync(index), `${index} is missing`).toBe(true);
  await page.goto(pathToFileURL(index).href);
  const notice = page.locator('#boot-problem');
  await expect(notice).toBeVisible({ timeout: 10_000 });
  await expect(notice.locator('p[lang="en"]')).toContainText('cannot start here');
  await expect(notice.locator('p[lang="en"]')).toContainText('python3 -m http.server');
  await expect(notice.locator('p[lang="zh-CN"]')).toContainText('无法在这里启动');
  // Nothing else pretends to work: the lesson title was never filled in.
  await expect(page.locator('#lesson-title')).toHaveText('…');
});

test('served over HTTP, the notice is gone as soon as the scripts run', async ({ page }) => {
  await page.goto('/#lesson=handshake-close');
  await expect(page.locator('#lesson-title')).not.toHaveText('…');
  await expect(page.locator('#boot-problem')).toHaveCount(0);
});
