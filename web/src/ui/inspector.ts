// Segment inspector: the selected segment's TCP header drawn like RFC 9293 §3.1's figure, with
// absolute and relative numbers and the arithmetic that produced seq and ack.
import { dataOffset, whyAck, whySeq } from '../explain';
import { fmtTime, segLabel, type NumberMode } from '../format';
import type { Model, SegInfo } from '../model';
import { discardReason, dropReason } from '../format';
import { clear, el } from './dom';

type T = (key: string, args?: Record<string, string | number>) => string;

const FLAG_BITS = ['CWR', 'ECE', 'URG', 'ACK', 'PSH', 'RST', 'SYN', 'FIN'] as const;

function field(cls: string, span: number, name: string, value: string, sub?: string): HTMLElement {
  const c = el('div', { class: `hf ${cls}`, style: `grid-column: span ${span}` },
    el('span', { class: 'hf-name' }, name), el('span', { class: 'hf-value' }, value));
  if (sub) c.append(el('span', { class: 'hf-sub' }, sub));
  return c;
}

const port = (ep: string): string => ep.slice(ep.lastIndexOf(':') + 1);

export function renderInspector(root: HTMLElement, m: Model, s: SegInfo | undefined, now: number, mode: NumberMode, t: T, discardText: (r: string) => string = () => ''): void {
  clear(root);
  if (!s || s.sendIndex > now) {
    root.append(el('p', { class: 'muted' }, t('insp.none')));
    return;
  }
  const seg = s.send.seg;
  const rel = s.send.rel;
  const head = el('div', { class: 'insp-head' },
    el('strong', {}, `#${seg.id} ${segLabel(s.send, mode)}`),
    el('span', { class: 'muted' }, ` ${s.from} → ${s.to ?? seg.dst} · ${t('insp.sent', { t: fmtTime(s.send.t_us) })}`));
  const fate: string[] = [];
  for (const d of s.deliveries) if (d.index <= now) fate.push(d.discard && d.discard.index <= now ? t('insp.discarded', { t: fmtTime(d.t), reason: discardText(d.discard.reason) || discardReason(t, d.discard.reason) }) : t('insp.delivered', { t: fmtTime(d.t) }));
  if (s.drop && s.drop.index <= now) fate.push(t('insp.dropped', { t: fmtTime(s.drop.t), reason: dropReason(t, s.drop.reason) }));
  if (fate.length === 0) fate.push(t('insp.inflight'));
  head.append(el('div', { class: 'insp-fate' }, fate.join(' · ')));
  root.append(head);

  const grid = el('div', { class: 'hdr', role: 'group', 'aria-label': t('insp.header') });
  const bits = el('div', { class: 'hdr-bits', 'aria-hidden': 'true' });
  for (let b = 0; b < 32; b++) bits.append(el('span', {}, b % 8 === 0 ? String(b) : ''));
  grid.append(bits);
  grid.append(field('f-port', 16, t('insp.sport'), port(seg.src)), field('f-port', 16, t('insp.dport'), port(seg.dst)));
  grid.append(field('f-seq', 32, t('insp.seq'), String(seg.seq), rel ? t('insp.relative', { n: rel.seq }) : undefined));
  grid.append(field(`f-ack${seg.flags.includes('ACK') ? '' : ' off'}`, 32, t('insp.ack'), String(seg.ack), rel?.ack !== undefined && seg.flags.includes('ACK') ? t('insp.relative', { n: rel.ack }) : undefined));
  const doff = dataOffset(s);
  grid.append(field('f-doff', 4, t('insp.doff'), doff === undefined ? '—' : String(doff), doff === undefined ? undefined : `${doff * 4} B`));
  grid.append(field('f-rsv', 4, t('insp.rsv'), '0'));
  for (const f of FLAG_BITS) {
    const on = (seg.flags as readonly string[]).includes(f);
    grid.append(el('div', { class: `hf flag${on ? ' on' : ''}`, title: f, 'aria-label': `${f} ${on ? 1 : 0}` },
      el('span', { class: 'hf-name' }, f), el('span', { class: 'hf-value' }, on ? '1' : '0')));
  }
  grid.append(field('f-win', 16, t('insp.win'), String(seg.win)));
  // The trace carries no checksum (the simulated link does not corrupt) and no urgent pointer
  // (no URG data is ever sent).
  grid.append(field('f-cks', 16, t('insp.checksum'), '—'));
  grid.append(field('f-urg', 16, t('insp.urgptr'), '0'));
  const opts = seg.opts ?? {};
  const optText: string[] = [];
  if (opts.mss !== undefined) optText.push(`MSS ${opts.mss}`);
  if (opts.sack_ok) optText.push('SACK_PERM');
  if (opts.ts) optText.push(`TS val=${opts.ts[0]} ecr=${opts.ts[1]}`);
  if (opts.wscale !== undefined) optText.push(`WS ${opts.wscale} (×${2 ** opts.wscale})`);
  for (const [k, v] of Object.entries(opts)) if (!['mss', 'sack_ok', 'ts', 'wscale'].includes(k)) optText.push(`${k} ${JSON.stringify(v)}`);
  grid.append(field('f-opts', 32, t('insp.options'), optText.length ? optText.join(' · ') : t('insp.noopts')));
  grid.append(field('f-data', 32, t('insp.data'), t('insp.bytes', { n: seg.len })));
  root.append(grid);

  const why = el('ul', { class: 'why' });
  const ws = whySeq(m, s, mode);
  why.append(el('li', {}, el('b', {}, 'seq '), t(ws.key, ws.args)));
  const wa = whyAck(m, s, mode);
  why.append(el('li', {}, el('b', {}, 'ack '), t(wa.key, wa.args)));
  if (s.send.injected) why.append(el('li', {}, t('insp.injected')));
  root.append(why);
}
