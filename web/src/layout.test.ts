import { describe, expect, it } from 'vitest';
import { defaultLayout, gapPx, layoutTime } from './layout';
import { checkTrace } from './types';
import handshake from './fixtures/handshake-close.trace.json';

const trace = checkTrace(handshake);

describe('time layout', () => {
  it('keeps time order: every event is at or below the one before', () => {
    const lay = layoutTime(trace.events);
    for (let i = 1; i < trace.events.length; i++) {
      if (trace.events[i]!.t_us > trace.events[i - 1]!.t_us) expect(lay.y[i]!).toBeGreaterThan(lay.y[i - 1]!);
    }
  });

  it('compresses 60 s of TIME_WAIT into one labelled break', () => {
    const lay = layoutTime(trace.events);
    const big = lay.breaks.filter((b) => b.gapUs >= 59_000_000);
    expect(big).toHaveLength(1);
    expect(big[0]!.y1 - big[0]!.y0).toBe(defaultLayout.breakPx);
    expect(lay.height).toBeLessThan(1200);
  });

  it('grows short gaps slowly and never shrinks them to nothing', () => {
    expect(gapPx(0)).toBe(0);
    expect(gapPx(1000)).toBeGreaterThan(0);
    expect(gapPx(100_000)).toBeGreaterThan(gapPx(1000));
    expect(gapPx(60_000_000)).toBe(defaultLayout.breakPx);
    expect(gapPx(1_000_000)).toBe(gapPx(60_000_000));
  });

  it('makes every delivery land below its send (arrows point down)', () => {
    const lay = layoutTime(trace.events);
    const sendAt = new Map<number, number>();
    trace.events.forEach((e, i) => {
      if (e.kind === 'send') sendAt.set(e.seg.id, i);
      if (e.kind === 'deliver') expect(lay.y[i]!).toBeGreaterThan(lay.y[sendAt.get(e.seg_id)!]!);
    });
  });

  it('lets a reply leave from the row where the segment arrived, and stacks two arrivals', () => {
    const lay = layoutTime(trace.events);
    const idx = (pred: (e: (typeof trace.events)[number]) => boolean): number => trace.events.findIndex(pred);
    const synDeliver = idx((e) => e.kind === 'deliver' && e.seg_id === 1);
    const synAckSend = idx((e) => e.kind === 'send' && e.seg.id === 2);
    expect(lay.y[synAckSend]).toBe(lay.y[synDeliver]);
    const d7 = idx((e) => e.kind === 'deliver' && e.seg_id === 7);
    const d8 = idx((e) => e.kind === 'deliver' && e.seg_id === 8);
    expect(lay.y[d8]!).toBeGreaterThan(lay.y[d7]!);
  });

  it('maps arbitrary times monotonically (timer brackets, the now line)', () => {
    const lay = layoutTime(trace.events);
    let prev = -1;
    for (const t of [0, 5000, 10000, 10500, 74000, 1_000_000, 30_000_000, 60_074_000]) {
      const y = lay.yAt(t);
      expect(y).toBeGreaterThanOrEqual(prev);
      prev = y;
    }
  });
});
