// Socket panel: per host, the application's calls and their results, each listener's SYN queue
// and accept queue, and an `ss -tan` view of its sockets at this moment.
import { callText, returnText } from '../format';
import type { Model, Snapshot } from '../model';
import { ssRows } from '../sstable';
import { clear, el } from './dom';
import { hostClass, hostMark } from './ladder';

type T = (key: string, args?: Record<string, string | number>) => string;

function meter(label: string, n: number, max: number, cls: string): HTMLElement {
  const pct = max > 0 ? Math.min(100, (n / max) * 100) : 0;
  const bar = el('div', { class: `meter ${cls}`, role: 'meter', 'aria-valuemin': 0, 'aria-valuemax': max, 'aria-valuenow': n, 'aria-label': label });
  bar.append(el('div', { class: 'meter-fill', style: `width:${pct.toFixed(1)}%` }));
  return el('div', { class: 'queue-row' }, el('span', { class: 'q-label' }, label), bar, el('span', { class: 'q-num' }, `${n} / ${max}`));
}

export function renderSockets(root: HTMLElement, m: Model, snap: Snapshot, stepFirst: number, t: T, errnoText: (e: string) => string): void {
  clear(root);
  m.hosts.forEach((h, hi) => {
    const col = el('section', { class: `host-col ${hostClass(hi)}`, 'aria-label': h });
    const act = snap.hostAction.get(h);
    col.append(el('h3', {}, `${hostMark(hi)} ${h} `, el('span', { class: 'muted' }, m.trace.hosts[h]?.ip ?? ''), act === 'crash' || act === 'unplug' ? el('span', { class: 'host-down' }, ` ${t(`action.${act}`)}`) : undefined));

    const api = snap.api.get(h) ?? [];
    const list = el('ol', { class: 'api', 'aria-label': t('sock.calls') });
    for (const line of api.slice(-8)) {
      const cur = line.index >= stepFirst || (line.retIndex ?? -1) >= stepFirst;
      const li = el('li', { class: cur ? 'current' : '' });
      if (line.signal) {
        li.append(el('span', { class: 'signal' }, `⚡ ${line.signal.signal}`), el('span', { class: 'muted' }, ` ${t('sock.signal')}`));
      } else {
        const c = line.call ?? line.ret!;
        li.append(el('code', {}, `${line.call?.app ?? line.ret?.app ?? ''}: ${callText({ call: c.call, sock: c.sock, args: line.call?.args })}`));
        if (line.ret) {
          const failed = line.ret.errno !== undefined;
          li.append(el('code', { class: failed ? 'ret err' : 'ret' }, returnText(line.ret)));
          if (failed) li.append(el('span', { class: 'errno-text' }, ` ${errnoText(line.ret.errno!)}`));
        } else if (line.endedBy) {
          li.append(el('span', { class: 'blocked' }, ` … ${t('sock.ended', { action: t(`action.${line.endedBy}`) })}`));
        } else {
          li.append(el('span', { class: 'blocked' }, ` … ${t('sock.blocked')}`));
        }
      }
      list.append(li);
    }
    if (api.length === 0) list.append(el('li', { class: 'muted' }, t('sock.nocalls')));
    col.append(list);

    for (const [k, q] of snap.queues) {
      if (!k.startsWith(`${h}|`)) continue;
      const box = el('div', { class: 'queues' }, el('div', { class: 'q-title' }, t('sock.listener', { l: q.listener.split('>')[0] ?? q.listener })));
      box.append(meter(t('sock.synq'), q.syn_queue, q.syn_max, 'synq'), meter(t('sock.acceptq'), q.accept_queue, q.accept_max, 'acceptq'));
      col.append(box);
    }

    const rows = ssRows(snap, h);
    const table = el('table', { class: 'ss' });
    table.append(el('caption', {}, `${h}$ ss -tan`));
    const thead = el('thead', {}, el('tr', {}, ...['State', 'Recv-Q', 'Send-Q', 'Local Address:Port', 'Peer Address:Port'].map((c) => el('th', { scope: 'col' }, c))));
    const tbody = el('tbody');
    const MAX_ROWS = 40;
    for (const r of rows.slice(0, MAX_ROWS)) tbody.append(el('tr', {}, el('td', {}, r.state), el('td', { class: 'num' }, String(r.recvQ)), el('td', { class: 'num' }, String(r.sendQ)), el('td', {}, r.local), el('td', {}, r.peer)));
    if (rows.length > MAX_ROWS) tbody.append(el('tr', {}, el('td', { colspan: 5, class: 'muted' }, t('sock.more', { n: rows.length - MAX_ROWS }))));
    if (rows.length === 0) tbody.append(el('tr', {}, el('td', { colspan: 5, class: 'muted' }, t('sock.nosockets'))));
    table.append(thead, tbody);
    col.append(el('div', { class: 'ss-wrap' }, table));
    root.append(col);
  });
}
