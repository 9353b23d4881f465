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
//
// A real capture dropped on the page is read and explained in the capture worker (never on the
// page's thread): its connections are listed and one plays; a damaged file shows the reader's
// message with its byte offset; and while a large capture (about 100 MB, made from a real one by
// wasm/bench/big-capture.mjs) is read and explained, the page keeps answering (measured).
import { expect, test, type Page, type Worker } from '@playwright/test';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  analysisProblems, captureComment, decodingProblems, defaultCapturePoint, knowableStates, lessonDoc, lessonIds, lessonTrace, lossy, packetsAt,
  portsOf, requireTools, segSig, tcplabOk, tshark, tuplesOf, type Trace, type TraceEvent,
} from '../../tests/capture/lib.mjs';
import { repeatCapture } from '../../wasm/bench/big-capture.mjs';

const data = (name: string) => new URL(`../../tests/capture/data/${name}`, import.meta.url);
const TMP = mkdtempSync(join(tmpdir(), 'tcplab-e2e-capture-'));
const GROUP = 4;

test.describe.configure({ mode: 'serial' });

let page: Page;
const errors: string[] = [];

test.beforeAll(async ({ browser }) => {
  test.setTimeout(120_000); // the first load compiles the wasm module; slow on a busy machine
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
    test.setTimeout(180_000); // tshark and the engine four times over, on a shared machine
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

// ---- Dropped files, read in the capture worker ---------------------------------------------

/** Drops a file on the page the way a user drags one from a file manager. */
async function drop(path: string): Promise<void> {
  const name = path.slice(path.lastIndexOf('/') + 1);
  const dt = await page.evaluateHandle(([b64, n]) => {
    const t = new DataTransfer();
    t.items.add(new File([Uint8Array.from(atob(b64), (c) => c.charCodeAt(0))], n));
    return t;
  }, [readFileSync(path).toString('base64'), name] as const);
  await page.dispatchEvent('body', 'dragover', { dataTransfer: dt });
  await page.dispatchEvent('body', 'drop', { dataTransfer: dt });
}

const workers: { url: string; closed: boolean }[] = [];
const watchWorkers = (w: Worker): void => {
  const entry = { url: w.url(), closed: false };
  workers.push(entry);
  w.on('close', () => { entry.closed = true; });
};

test('a real capture dropped on the page: read and explained in a worker, its connections listed, one played', async () => {
  page.on('worker', watchWorkers);
  const name = 'mid-connection.pcap';
  const golden = JSON.parse(readFileSync(new URL(`../../tests/golden/out/capture/${name}.explain.json`, import.meta.url), 'utf8')) as Trace;
  const conns = (golden.capture as { connections: { id: number; client: string; server: string; segments: number }[] }).connections;
  expect(conns).toHaveLength(3);
  await drop(data(name).pathname);
  await expect(page.locator('#lessons-dialog')).toBeVisible();
  await expect(page.locator('.capture-status')).toHaveText(`The capture has ${conns.length} connections; pick one:`);
  await expect(page.locator('.capture-conns li')).toHaveText([
    `All ${conns.length} connections`,
    ...conns.map((c) => `${c.client} ⇄ ${c.server} · ${c.segments} segments`),
  ]);
  // Read and explained by a capture worker, which stays open for the next choice.
  expect(workers.filter((w) => /worker/.test(w.url))).toHaveLength(1);
  expect(workers[0]?.closed).toBe(false);

  await page.locator('.capture-conns li').nth(2).locator('button').click();
  await expect(page.locator('#lessons-dialog')).toBeHidden();
  await expect(page.locator('#lesson-title')).toContainText(`${name} · #2`);
  await page.locator('#btn-last').click();
  await expect(page.locator('#ladder .seg')).toHaveCount(conns[1]?.segments as number);
  const played = await playing();
  expect(played.id).toBe('capture-auto-2');
  const sends = played.trace.events.filter((e) => e.kind === 'send').map((e) => `${e.seg?.src}>${e.seg?.dst}`);
  expect(new Set(sends)).toEqual(new Set([`${conns[1]?.client}>${conns[1]?.server}`, `${conns[1]?.server}>${conns[1]?.client}`]));
});

test('a damaged file dropped on the page shows the reader\'s message with its byte offset', async () => {
  const errors = JSON.parse(readFileSync(data('errors.json'), 'utf8')) as Record<string, string>;
  const message = errors['bad-block-length.pcapng'] as string;
  expect(message).toMatch(/^bad-block-length\.pcapng: byte 76: /);
  await drop(data('bad-block-length.pcapng').pathname);
  await expect(page.locator('.capture-status')).toHaveText(`The capture could not be read: ${message}`);
  await expect(page.locator('.capture-conns li')).toHaveCount(0);
  // The previous file's worker and the damaged file's are both gone.
  expect(workers.length).toBe(2);
  await expect.poll(() => workers.every((w) => w.closed)).toBe(true);
  await page.keyboard.press('Escape');
  page.off('worker', watchWorkers);
});

test('the page keeps answering while a 100 MB capture is read and explained', async () => {
  test.setTimeout(600_000);
  const big = repeatCapture(readFileSync(data('normal.pcap')), Number(process.env.TCPLAB_E2E_CAPTURE_MB ?? 100) * 1e6);
  const path = join(TMP, 'big.pcap');
  writeFileSync(path, big.bytes);

  // On the page: the longest wait of a 10 ms timer, and the long tasks (over 50 ms) of its thread.
  await page.evaluate(() => {
    const g = { max: 0, last: performance.now(), ticks: 0, long: [] as number[], stop: false };
    (window as unknown as { gaps: typeof g }).gaps = g;
    const tick = (): void => {
      const now = performance.now();
      g.max = Math.max(g.max, now - g.last);
      g.last = now;
      g.ticks++;
      if (!g.stop) setTimeout(tick, 10);
    };
    setTimeout(tick, 10);
    new PerformanceObserver((l) => { for (const e of l.getEntries()) g.long.push(e.duration); }).observe({ type: 'longtask' });
  });
  await page.locator('#btn-lessons').click();
  const start = Date.now();
  await page.locator('#capture-file').setInputFiles(path);
  // Meanwhile, from outside: how long the page takes to answer, and the progress it shows.
  const answers: number[] = [];
  const progress = new Set<number>();
  const status = page.locator('.capture-status');
  for (;;) {
    const t0 = Date.now();
    const p = await page.evaluate(() => (document.querySelector('#capture-slot progress') as HTMLProgressElement | null)?.value ?? -1);
    answers.push(Date.now() - t0);
    if (p > 0 && p < 1) progress.add(Math.round(p * 100));
    if (/pick one/.test((await status.textContent()) ?? '')) break;
    expect(Date.now() - start, 'reading and explaining the capture').toBeLessThan(540_000);
    await page.waitForTimeout(100);
  }
  const elapsed = Date.now() - start;
  await expect(status).toHaveText(`The capture has ${big.connections} connections; pick one:`);
  // The list shows "all" and 500 connections, and 500 more when its end scrolls into view.
  const items = page.locator('.capture-conns li:not(.capture-more)');
  await expect(items).toHaveCount(501);
  await page.locator('.capture-more').scrollIntoViewIfNeeded();
  await expect(items).toHaveCount(1001);
  const gaps = await page.evaluate(() => {
    const g = (window as unknown as { gaps: { max: number; ticks: number; long: number[]; stop: boolean } }).gaps;
    g.stop = true;
    return { max: g.max, ticks: g.ticks, long: g.long };
  });
  const figure = `${(big.bytes.length / 1e6).toFixed(0)} MB, ${big.packets} packets, ${big.connections} connections: ` +
    `read and explained in ${(elapsed / 1000).toFixed(1)} s; page thread: longest timer wait ${gaps.max.toFixed(0)} ms, ` +
    `${gaps.long.length} long tasks (longest ${Math.max(0, ...gaps.long).toFixed(0)} ms); page answered in at most ${Math.max(...answers)} ms ` +
    `(${answers.length} probes); progress seen at ${progress.size} values`;
  test.info().annotations.push({ type: 'responsiveness', description: figure });
  console.log(figure);
  // Reading on the page's thread would stop it for the whole read (8 s and more for 100 MB); the
  // worker leaves it free: no task of its thread over 500 ms, and progress along the way. (Timer
  // waits and answers also include the time the busy machine gives other processes: looser.)
  expect(progress.size).toBeGreaterThanOrEqual(3);
  expect(Math.max(0, ...gaps.long)).toBeLessThan(500);
  expect(gaps.max).toBeLessThan(3000);
  expect(Math.max(...answers)).toBeLessThan(3000);

  // One of them plays.
  await expect(items.nth(1000)).toHaveText('10.1.0.1:2023 ⇄ 127.0.0.1:5000 · 11 segments');
  await items.nth(1000).locator('button').click();
  await expect(page.locator('#lesson-title')).toContainText('big.pcap · #1000', { timeout: 300_000 }); // explained again, in the worker
  await page.locator('#btn-last').click();
  await expect(page.locator('#ladder .seg')).toHaveCount(11);
});
