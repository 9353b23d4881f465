import { describe, expect, it } from 'vitest';
import { defaultLayout, estimateWidth, fitLanes, gapPx, LabelPlacer, layoutTime, moved, overlaps, segmentHitsRect, type Offset, type Rect } from './layout';
import { example } from './lessons';

const trace = example('handshake-close').trace;

describe('time layout', () => {
  it('keeps time order: every event is at or below the one before', () => {
    const lay = layoutTime(trace.events);
    for (let i = 1; i < trace.events.length; i++) {
      if (trace.events[i]!.t_us > trace.events[i - 1]!.t_us) expect(lay.y[i]!).toBeGreaterThan(lay.y[i - 1]!);
    }
  });

  it('compresses the TIME_WAIT wait (2 s: the lesson sets a short MSL) into one labelled break', () => {
    const lay = layoutTime(trace.events);
    const big = lay.breaks.filter((b) => b.gapUs >= 1_000_000);
    expect(big).toHaveLength(1);
    expect(big[0]!.gapUs).toBeGreaterThan(1_900_000);
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

describe('lanes', () => {
  const need = { timeCol: 60, outer: 120, gapMin: 200 };

  it('spreads the lanes over a box wider than they need', () => {
    const f = fitLanes(2, 1000, need);
    expect(f.width).toBe(1000);
    expect(f.laneX[0]).toBe(180);
    expect(f.laneX[1]).toBe(1000 - 120);
    expect(f.laneGap).toBeGreaterThan(need.gapMin);
  });

  it('keeps the minimum gap and grows wider than a narrow box (which then scrolls)', () => {
    const f = fitLanes(5, 600, need);
    expect(f.laneGap).toBe(200);
    expect(f.width).toBe(60 + 2 * 120 + 4 * 200);
    for (let i = 1; i < 5; i++) expect(f.laneX[i]! - f.laneX[i - 1]!).toBe(200);
  });

  it('places a single host after the time column', () => {
    const f = fitLanes(1, 400, need);
    expect(f.laneX).toEqual([180]);
    expect(f.width).toBe(400);
  });

  it('estimates CJK characters twice as wide as monospace Latin ones', () => {
    expect(estimateWidth('ACK', 10)).toBeCloseTo(18);
    expect(estimateWidth('丢失', 10)).toBeCloseTo(20);
    expect(estimateWidth('✕ 丢失（主机）', 10)).toBeGreaterThan(estimateWidth('x lost (host)', 10) * 0.9);
  });
});

describe('label placement', () => {
  const bounds: Rect = { x: 0, y: 0, w: 400, h: 300 };
  const label = (x: number, y: number, w = 80, h = 16): Rect => ({ x, y, w, h });
  const around: Offset[] = [[0, 0], [0, 18], [0, -18], [0, 36], [90, 0], [-90, 0]];

  it('gives a label the first candidate that is free, and reserves it', () => {
    const p = new LabelPlacer(bounds, 2);
    expect(p.place(label(100, 100), around)).toEqual([0, 0]);
    expect(p.place(label(110, 104), around)).toEqual([0, 18]);
    expect(p.place(label(100, 100), around)).toEqual([0, -18]);
  });

  it('never lets two placed labels overlap, whatever is asked of it', () => {
    const p = new LabelPlacer(bounds, 2);
    const placed: Rect[] = [];
    let seed = 7;
    const rnd = (): number => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed / 2147483648; };
    for (let i = 0; i < 300; i++) {
      const b = label(rnd() * 340, rnd() * 280, 20 + rnd() * 60, 14);
      const o = p.place(b, around);
      if (o) placed.push(moved(b, o));
    }
    expect(placed.length).toBeGreaterThan(20);
    for (let i = 0; i < placed.length; i++) {
      for (let j = i + 1; j < placed.length; j++) expect(overlaps(placed[i]!, placed[j]!)).toBe(false);
      const r = placed[i]!;
      expect(r.x >= 0 && r.y >= 0 && r.x + r.w <= 400 && r.y + r.h <= 300).toBe(true);
    }
  });

  it('refuses a place outside the drawing and one on a reserved box', () => {
    const p = new LabelPlacer(bounds, 2);
    p.block({ x: 0, y: 0, w: 400, h: 50 });
    expect(p.place(label(300, 10), [[0, 0], [0, 60]])).toEqual([0, 60]);
    expect(p.place(label(10, 200), [[-20, 0], [0, 200]])).toBeUndefined();
  });

  it('prefers a place clear of other lines, but may sit on its own', () => {
    const p = new LabelPlacer(bounds, 2);
    p.line(0, 108, 400, 108, 'other');
    p.line(0, 150, 400, 150, 'mine');
    expect(p.place(label(100, 100), [[0, 0], [0, 40], [0, 80]], { owner: 'mine', lines: 'prefer' })).toEqual([0, 40]);
    // Nothing clear: 'prefer' takes a free place anyway, 'require' gives up.
    p.line(0, 160, 400, 160, 'other');
    p.line(0, 190, 400, 190, 'other');
    expect(p.place(label(100, 180), [[0, 0]], { owner: 'mine', lines: 'require' })).toBeUndefined();
    expect(p.place(label(100, 180), [[0, 0]], { owner: 'mine', lines: 'prefer' })).toEqual([0, 0]);
  });

  it('finds a segment through a box, and misses one beside it', () => {
    const r = label(10, 10, 20, 20);
    expect(segmentHitsRect(0, 0, 40, 40, r)).toBe(true);
    expect(segmentHitsRect(15, -5, 15, 100, r)).toBe(true);
    expect(segmentHitsRect(0, 40, 40, 35, r)).toBe(false);
    expect(segmentHitsRect(35, 0, 35, 40, r)).toBe(false);
    expect(segmentHitsRect(20, 20, 22, 22, r)).toBe(true); // wholly inside
  });
});
