// Real captures, the way a user handles them: open a lesson, click "Download capture" (the real
// download), look at the file with tshark, compare it with `tcplab pcap lessons/<id>.json`, then
// drop it back into the page and check the player shows what the lesson showed.
//
// For every lossless lesson (nothing dropped, discarded, duplicated or injected): the download is
// byte for byte the CLI's default export; tshark finds no malformed packet, no bad checksum, no
// expert warning and no TCP analysis flag that correct traffic does not raise; the file names
// its capture point; imported back, the ladder has the capture point's segments and both ends
// reach the states the lesson reached (as far as a capture can show them).
// Lessons are grouped a few per test and share one page, to keep the whole file short.
import { expect, test, type Page } from '@playwright/test';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  analysisProblems, captureComment, decodingProblems, defaultCapturePoint, knowableStates, lessonDoc, lessonIds, lessonTrace, lossy, packetsAt,
  portsOf, requireTools, segSig, tcplabOk, tshark, tuplesOf, type Trace, type TraceEvent,
} from '../../tests/capture/lib.mjs';

const data = (name: string) => new URL(`../../tests/capture/data/${name}`, import.meta.url);
const TMP = mkdtempSync(join(tmpdir(), 'tcplab-e2e-capture-'));
const GROUP = 4;

test.describe.configure({ mode: 'serial' });

let page: Page;
const errors: string[] = [];

test.beforeAll(async ({ browser }) => {
  requireTools();
  page = await browser.newPage({ acceptDownloads: true });
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  await page.goto('/#lesson=handshake-close');
  await page.waitForSelector('body.ready');
  await expect(page.locator('#btn-capture')).toBeVisible();
});

test.afterAll(async () => {
  await page.close();
});

test.afterEach(() => {
  expect(errors).toEqual([]);
});

type PlayerState = { id: string; trace: Trace };
const playing = (): Promise<PlayerState> =>
  page.evaluate(() => {
    const l = (window as unknown as { tcplab: { lesson: PlayerState } }).tcplab.lesson;
    return { id: l.id, trace: l.trace };
  });

async function openLesson(id: string): Promise<void> {
  await page.evaluate((lid) => { location.hash = `lesson=${lid}`; }, id);
  await page.waitForFunction((lid) => (window as unknown as { tcplab?: { lesson?: { id: string } } }).tcplab?.lesson?.id === lid, id);
}

async function download(): Promise<{ name: string; path: string; bytes: Buffer }> {
  const [dl] = await Promise.all([page.waitForEvent('download'), page.locator('#btn-capture').click()]);
  const path = join(TMP, dl.suggestedFilename());
  await dl.saveAs(path);
  return { name: dl.suggestedFilename(), path, bytes: readFileSync(path) };
}

/** Opens a capture file through the lessons dialog's file picker; picks `iface` if asked. */
async function importFile(path: string, iface?: RegExp): Promise<PlayerState> {
  await page.locator('#btn-lessons').click();
  await page.locator('#capture-file').setInputFiles(path);
  if (iface) {
    await expect(page.locator('.capture-iface')).not.toHaveCount(0);
    await page.locator('.capture-iface', { hasText: iface }).click();
  }
  // Several connections: all of them, as the lesson showed them.
  const all = page.locator('.capture-all-conns');
  const dialog = page.locator('#lessons-dialog');
  await expect(all.or(page.locator('#lesson-title', { hasText: path.slice(path.lastIndexOf('/') + 1) }))).toBeVisible();
  if (await all.isVisible()) await all.click();
  await expect(dialog).toBeHidden();
  await page.waitForFunction(() => (window as unknown as { tcplab: { lesson: { id: string } } }).tcplab.lesson.id.startsWith('capture-'));
  await page.locator('#btn-last').click();
  return playing();
}

// The connection the lanes show at the end (the player's focusConn): the last one with a state
// change, a sent or a delivered segment.
function focusTuple(trace: Trace): string | undefined {
  const segs = new Map<number, string>();
  for (const e of trace.events) if (e.kind === 'send' && e.seg) segs.set(e.seg.id, `${e.seg.src}>${e.seg.dst}`);
  for (let i = trace.events.length - 1; i >= 0; i--) {
    const e = trace.events[i] as TraceEvent;
    if (e.kind === 'state' && e.conn && !e.conn.endsWith('>*')) return e.conn;
    if (e.kind === 'send' && e.seg) return `${e.seg.src}>${e.seg.dst}`;
    if (e.kind === 'deliver' && e.seg_id !== undefined) return segs.get(e.seg_id);
  }
  return undefined;
}

async function roundTrip(id: string): Promise<string> {
  const trace = lessonTrace(id);
  const why = lossy(trace, lessonDoc(id));
  if (why) return `${id}: not lossless (${why})`;
  await openLesson(id);
  // The lesson as the player holds it (its quizzes stop the playback, so it is not stepped to
  // the end here: its trace says what it shows).
  const lesson = await playing();
  expect(lesson.trace.events.length).toBe(trace.events.length);

  // The capture point offered by default is `tcplab pcap`'s (the server of a lesson about a
  // server, else the client), and every host can be chosen.
  const at = defaultCapturePoint(lesson.trace);
  await expect(page.locator('#capture-at')).toHaveValue(at);
  await expect(page.locator('#capture-at option')).toHaveCount(Object.keys(lesson.trace.hosts).length + 1);

  const file = await download();
  expect(file.name).toBe(`tcplab-${id}.pcapng`);
  // The CLI's bytes, with the same (default) options.
  expect(file.bytes.equals(tcplabOk('pcap', `lessons/${id}.json`, '-o', '-')), `${id}: the download is \`tcplab pcap\`'s output`).toBe(true);
  const pkts = packetsAt(lesson.trace, at);
  const rows = tshark(file.path, portsOf(pkts));
  expect([...decodingProblems(file.path, rows, pkts), ...analysisProblems(file.path, rows, pkts)]).toEqual([]);
  expect(captureComment(file.path)).toContain(`Captured at the interface of host ${at} (${lesson.trace.hosts[at]?.ip})`);

  // Back into the page: the capture point's segments, in order, and the lesson's states.
  const imported = await importFile(file.path);
  await expect(page.locator('#ladder .seg')).toHaveCount(pkts.length);
  const shown = imported.trace.events.filter((e) => e.kind === 'send').sort((a, b) => (a.frame as number) - (b.frame as number));
  expect(shown.map((e) => segSig(e.seg!))).toEqual(pkts.map(segSig));
  const only = tuplesOf(pkts);
  expect(knowableStates(imported.trace.events, only)).toEqual(knowableStates(lesson.trace.events, only));
  // What the lanes show at the end: each end's last state in the lesson, as far as the capture shows.
  const focus = focusTuple(imported.trace);
  expect(focus).toBeDefined();
  const [a, b] = (focus as string).split('>') as [string, string];
  const want = knowableStates(lesson.trace.events, only);
  for (const [name, h] of Object.entries(imported.trace.hosts)) {
    const local = [a, b].find((ep) => ep.slice(0, ep.lastIndexOf(':')) === h.ip);
    if (!local) continue;
    const remote = local === a ? b : a;
    const states = want[`${local}>${remote}`];
    if (!states) continue;
    await expect(page.locator(`.lane-state[data-host="${name}"]`)).toHaveText(states.at(-1) as string);
  }
  return `${id}: ${pkts.length} segments at ${at}, ${rows.length} packets tshark-clean, imported with the same states`;
}

const IDS = lessonIds();
for (let g = 0; g < IDS.length; g += GROUP) {
  const group = IDS.slice(g, g + GROUP);
  test(`download, check and import again: ${group.join(', ')}`, async () => {
    for (const id of group) test.info().annotations.push({ type: 'lesson', description: await roundTrip(id) });
  });
}

test('another capture point: the server, or every host with one interface each', async () => {
  await openLesson('handshake-close');
  const lesson = await playing();
  await page.locator('#capture-at').selectOption('server');
  const srv = await download();
  expect(srv.name).toBe('tcplab-handshake-close-server.pcapng');
  expect(srv.bytes.equals(tcplabOk('pcap', 'lessons/handshake-close.json', '--at', 'server', '-o', '-'))).toBe(true);
  expect(captureComment(srv.path)).toContain('Captured at the interface of host server (');

  await page.locator('#capture-at').selectOption('*');
  const all = await download();
  expect(all.name).toBe('tcplab-handshake-close-all-hosts.pcapng');
  expect(all.bytes.equals(tcplabOk('pcap', 'lessons/handshake-close.json', '--at', 'all', '-o', '-'))).toBe(true);
  expect(captureComment(all.path)).toContain('Wireshark shows a segment once per interface');
  await page.locator('#capture-at').selectOption('client');

  // A file with two interfaces: the page asks which one, and reads only that one.
  await page.locator('#btn-lessons').click();
  await page.locator('#capture-file').setInputFiles(all.path);
  await expect(page.locator('.capture-iface')).toHaveCount(2);
  await expect(page.locator('.capture-iface-all')).toHaveCount(1);
  await page.locator('.capture-iface', { hasText: 'server' }).click();
  await expect(page.locator('#lessons-dialog')).toBeHidden();
  await expect(page.locator('#lesson-title')).toContainText('server');
  await page.locator('#btn-last').click();
  const imported = await playing();
  const pkts = packetsAt(lesson.trace, 'server');
  await expect(page.locator('#ladder .seg')).toHaveCount(pkts.length);
  expect((imported.trace.capture as { interface: unknown }).interface).toEqual({ ids: [1], how: 'chosen' });
  expect(imported.trace.events.some((e) => e.kind === 'note' && e.code === 'cap_interface_chosen')).toBe(true);
});

test('a .pcap opened from disk plays in the ladder; a damaged file is reported, not a crash', async () => {
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
  await page.keyboard.press('Escape');
});
