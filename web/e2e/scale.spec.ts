// A SYN-flood-sized trace (tens of thousands of events) must stay interactive: the trace is
// indexed once, and a step, a jump to the end or a scrub never recomputes it.
import { expect, test } from '@playwright/test';

test('a 60 000-event trace opens and steps without a pause', async ({ page }) => {
  await page.goto('/#lesson=example-handshake-close&step=1');
  await page.waitForSelector('body.ready');
  const timings = await page.evaluate(() => {
    const events: Record<string, unknown>[] = [];
    const S = '10.0.0.2';
    let id = 0;
    events.push({ t_us: 0, kind: 'state', host: 'server', conn: `${S}:80>*`, from: 'CLOSED', to: 'LISTEN', cause: 'listen' });
    for (let i = 0; i < 6000; i++) {
      const t = 1000 + i * 100;
      const c = `10.9.${(i >> 8) & 255}.${i & 255}`;
      const port = 1024 + (i % 60000);
      const sc = `${S}:80>${c}:${port}`;
      id++;
      events.push({ t_us: t, kind: 'send', host: 'attacker', injected: true, seg: { id, src: `${c}:${port}`, dst: `${S}:80`, flags: ['SYN'], seq: i * 7919, ack: 0, win: 1024, len: 0 } });
      events.push({ t_us: t + 50, kind: 'deliver', host: 'server', seg_id: id });
      events.push({ t_us: t + 50, kind: 'state', host: 'server', conn: sc, from: 'LISTEN', to: 'SYN_RECEIVED', cause: `seg:${id}` });
      events.push({ t_us: t + 50, kind: 'queue', host: 'server', listener: `${S}:80>*`, syn_queue: Math.min(i + 1, 256), syn_max: 256, accept_queue: 0, accept_max: 128 });
      id++;
      events.push({ t_us: t + 50, kind: 'send', host: 'server', conn: sc, seg: { id, src: `${S}:80`, dst: `${c}:${port}`, flags: ['SYN', 'ACK'], seq: 5000, ack: i * 7919 + 1, win: 64240, len: 0 }, rel: { seq: 0, ack: 1 } });
      events.push({ t_us: t + 50, kind: 'timer', host: 'server', conn: sc, timer: 'synack_retransmit', action: 'set', expires_us: t + 1_000_050 });
      events.push({ t_us: t + 100, kind: 'drop', seg_id: id, reason: 'host_down' });
      events.push({ t_us: t + 100, kind: 'note', host: 'server', code: 'syn_flood', args: {} });
      events.push({ t_us: t + 100, kind: 'buffers', host: 'server', conn: sc, recv_q: 0, send_q: 0 });
      events.push({ t_us: t + 100, kind: 'discard', host: 'server', seg_id: id - 1, reason: 'test' });
    }
    const trace = { tcplab: 1, title: 'flood', hosts: { attacker: { ip: '10.9.0.0' }, server: { ip: S } }, events };
    const app = (window as unknown as { tcplab: { openResolved(r: unknown, id: string): void; go(n: number): void; lesson?: { steps: unknown[] } } }).tcplab;
    const t0 = performance.now();
    app.openResolved({ trace, steps: [], quizzes: [] }, 'flood');
    const t1 = performance.now();
    const n = app.lesson!.steps.length;
    app.go(n - 1);
    const t2 = performance.now();
    app.go(n - 2);
    const t3 = performance.now();
    app.go(Math.floor(n / 2));
    const t4 = performance.now();
    return { events: events.length, open: t1 - t0, end: t2 - t1, back: t3 - t2, scrub: t4 - t3 };
  });
  console.log(JSON.stringify(timings));
  expect(timings.events).toBeGreaterThan(50_000);
  expect(timings.open).toBeLessThan(1000);
  expect(timings.end).toBeLessThan(1000);
  expect(timings.back).toBeLessThan(1000);
  expect(timings.scrub).toBeLessThan(1000);
  await expect(page.locator('#step-counter')).toBeVisible();
});
