// Real captures in the player: a "Download capture" button for the trace being played and a drop
// zone (plus file picker) for .pcap/.pcapng files. Reading, explaining and writing captures is
// the capture module's (../capture/, docs/CAPTURES.md "Web API"); this file is only the UI.
import { captureFile, explainCapture, parseCapture, type CaptureModule } from '../capture';
import type { Engine } from '../engine';
import { checkTrace, type Localized } from '../types';
import { defaultSteps } from '../steps';
import type { PlayerLesson } from '../lessons';
import { clear, el } from './dom';

type T = (key: string, args?: Record<string, string | number>) => string;

export interface CaptureHost {
  engine: Engine | undefined;
  t: T;
  lang: () => 'en' | 'zh-CN';
  /** The lesson being played (for "Download capture"). */
  current: () => PlayerLesson | undefined;
  /** Step narration in the current language, for comments in the capture file. */
  stepText: (i: number) => string;
  /** Opens a trace made from a capture in the player. */
  open: (lesson: PlayerLesson) => void;
}

const hasCapture = (e: Engine | undefined): e is Engine & CaptureModule =>
  !!e && typeof e.writeCapture === 'function' && typeof e.explainCapture === 'function';

/** The download button (top bar) and the drop zone (lesson list). Hidden without capture support. */
export function mountCapture(button: HTMLButtonElement, zone: HTMLElement, host: CaptureHost): void {
  const engine = host.engine;
  if (!hasCapture(engine)) { button.hidden = true; zone.hidden = true; return; }
  button.hidden = false;
  button.addEventListener('click', () => {
    const L = host.current();
    if (!L) return;
    const steps = L.steps.map((s, i) => ({ first: s.first, text: host.stepText(i) })).filter((s) => s.text !== '');
    try {
      const blob = captureFile(engine, L.trace, { format: 'pcapng', lang: host.lang(), steps, at: ['*'] });
      const a = el('a', { href: URL.createObjectURL(blob), download: `tcplab-${L.id}.pcapng` });
      document.body.append(a);
      a.click();
      a.remove();
      window.setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
    } catch (e) {
      window.alert(host.t('capture.error', { msg: (e as Error).message }));
    }
  });

  clear(zone);
  zone.hidden = false;
  const status = el('p', { class: 'capture-status', role: 'status' });
  const input = el('input', { type: 'file', accept: '.pcap,.pcapng,.cap,application/vnd.tcpdump.pcap', id: 'capture-file' });
  const picker = el('label', { class: 'btn file', for: 'capture-file' }, el('span', {}, host.t('capture.pick')), input);
  const progress = el('progress', { max: 1, value: 0, hidden: true });
  const chooser = el('div', { class: 'capture-conns' });
  zone.append(el('h3', {}, host.t('capture.title')), el('p', { class: 'drop-hint' }, host.t('capture.drop')), picker, progress, status, chooser);

  const load = async (file: File): Promise<void> => {
    clear(chooser);
    status.textContent = host.t('capture.reading', { name: file.name });
    progress.hidden = false;
    progress.value = 0;
    try {
      const bytes = new Uint8Array(await file.arrayBuffer());
      const parsed = await parseCapture(bytes, (f) => { progress.value = f; }, file.name);
      progress.hidden = true;
      if (parsed.connections.length === 0) { status.textContent = host.t('capture.noconn', { name: file.name }); return; }
      const openConn = (n: number): void => {
        try {
          const trace = checkTrace(explainCapture(engine, bytes, { file: file.name, connection: n }), file.name);
          const title: Localized = { en: `${file.name} · #${n}`, 'zh-CN': `${file.name} · #${n}` };
          host.open({ id: `capture-${n}`, title, trace, steps: defaultSteps(trace.events), quizzes: [], kind: 'example' });
          status.textContent = host.t('capture.opened', { name: file.name, n });
          (zone.closest('dialog') as HTMLDialogElement | null)?.close();
        } catch (e) {
          status.textContent = host.t('capture.error', { msg: (e as Error).message });
        }
      };
      if (parsed.connections.length === 1) { openConn(1); return; }
      status.textContent = host.t('capture.pickconn', { n: parsed.connections.length });
      const list = el('ol', {});
      parsed.connections.forEach((c, i) => {
        const b = el('button', { type: 'button', class: 'btn' }, `${c.a} ⇄ ${c.b} · ${host.t('capture.segments', { n: c.segments })}`);
        b.addEventListener('click', () => openConn(i + 1));
        list.append(el('li', {}, b));
      });
      chooser.append(list);
    } catch (e) {
      progress.hidden = true;
      status.textContent = host.t('capture.error', { msg: (e as Error).message });
    }
  };
  input.addEventListener('change', () => { const f = input.files?.[0]; input.value = ''; if (f) void load(f); });
  // Drop anywhere on the page.
  window.addEventListener('dragover', (ev) => { if (ev.dataTransfer?.types.includes('Files')) { ev.preventDefault(); document.body.classList.add('dropping'); } });
  window.addEventListener('dragleave', (ev) => { if (ev.relatedTarget === null) document.body.classList.remove('dropping'); });
  window.addEventListener('drop', (ev) => {
    document.body.classList.remove('dropping');
    const f = ev.dataTransfer?.files?.[0];
    if (!f) return;
    ev.preventDefault();
    const dlg = zone.closest('dialog') as HTMLDialogElement | null;
    if (dlg && !dlg.open) dlg.showModal();
    void load(f);
  });
}
