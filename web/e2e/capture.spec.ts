// Real captures: download the played trace as pcapng; open a .pcap from disk (the capture
// module reads and explains it) and play it; a damaged file is reported with its byte offset.
import { expect, test } from '@playwright/test';
import { readFileSync } from 'node:fs';

const data = (name: string) => new URL(`../../tests/capture/data/${name}`, import.meta.url);

test.beforeEach(async ({ page }) => {
  await page.goto('/#lesson=example-handshake-close&step=1');
  await page.waitForSelector('body.ready');
  const supported = await page.locator('#btn-capture').isVisible();
  test.skip(!supported, 'the engine module has no capture bindings');
});

test('"Download capture" saves the trace being played as pcapng', async ({ page }) => {
  const [download] = await Promise.all([page.waitForEvent('download'), page.locator('#btn-capture').click()]);
  expect(download.suggestedFilename()).toBe('tcplab-example-handshake-close.pcapng');
  const path = await download.path();
  const bytes = readFileSync(path);
  expect(bytes.readUInt32LE(0)).toBe(0x0a0d0d0a); // pcapng Section Header Block
  expect(bytes.length).toBeGreaterThan(200);
});

test('a .pcap opened from disk plays in the ladder; a damaged file is reported, not a crash', async ({ page }) => {
  await page.locator('#btn-lessons').click();
  await page.locator('#capture-file').setInputFiles(data('half-close.pcap').pathname);
  await expect(page.locator('#lesson-title')).toContainText('half-close.pcap');
  await expect(page.locator('#lessons-dialog')).toBeHidden();
  await page.locator('#btn-last').click();
  await expect(page.locator('#ladder .seg').nth(3)).toBeAttached();
  await page.screenshot({ path: 'test-results/capture-opened.png' });
  await page.locator('#btn-lessons').click();
  await page.locator('#capture-file').setInputFiles(data('bad-block-length.pcapng').pathname);
  await expect(page.locator('.capture-status')).toContainText(/byte \d+/);
});
