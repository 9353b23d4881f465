// Real captures in the player: a "Download capture" button for the lesson being played, with a
// choice of capture point next to it, and a drop zone (plus file picker) for .pcap/.pcapng files,
// with a choice of interface when a file holds several. Reading, explaining and writing captures
// is the capture module's (../capture/, docs/CAPTURES.md "Web API"); this file is only the UI.
// A dropped file is read and explained in the capture worker: this thread never parses its bytes.
import { captureFile, captureHosts, capturePoints, openCapture, type CaptureFile, type CaptureModule, type CapturePoint, type ConnectionPage } from '../capture';
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
  /** Opens a trace made from a capture in the player. */
  open: (lesson: PlayerLesson) => void;
}

const hasCapture = (e: Engine | undefined): e is Engine & CaptureModule =>
  !!e && typeof e.writeCapture === 'function' && typeof e.explainCapture === 'function' && typeof e.captureHosts === 'function';

/** "all" in the capture-point choice: every host, one interface each. */
const ALL = '*';

/**
 * The download button (top bar) with its capture-point choice beside it, and the drop zone
 * (lesson list). Hidden without capture support.
 */
export function mountCapture(button: HTMLButtonElement, zone: HTMLElement, host: CaptureHost): void {
  const engine = host.engine;
  if (!hasCapture(engine)) { button.hidden = true; zone.hidden = true; return; }
  button.hidden = false;

  // The capture point: a host's interface (default: `tcplab pcap`'s, from captureHosts: a server
  // that accepted several connections, else the client), or all hosts.
  // Inside a .toggle label so the page hides it wherever it hides the other top-bar toggles.
  const at = el('select', { id: 'capture-at', class: 'capture-at' }) as HTMLSelectElement;
  const atLabel = el('span', {}, host.t('capture.at'));
  const atBox = el('label', { class: 'toggle capture-at-box', for: 'capture-at' }, atLabel, ' ', at);
  button.after(atBox);
  let shownFor: PlayerLesson | undefined;
  let shownLang = '';
  let wanted = ''; // the user's last choice, kept across lessons when the next one has that host
  let defaultHost = '';
  const refresh = (): void => {
    const L = host.current();
    if (L === shownFor && host.lang() === shownLang) return;
    shownFor = L;
    shownLang = host.lang();
    atLabel.textContent = host.t('capture.at');
    at.setAttribute('aria-label', host.t('capture.at.label'));
    atBox.title = host.t('capture.at.help');
    clear(at);
    if (!L) return;
    let info: ReturnType<typeof captureHosts>;
    try {
      info = captureHosts(engine, { trace: L.trace });
    } catch {
      return;
    }
    defaultHost = info.default[0] ?? '';
    // Short labels (the select sits in the top bar); the address is in each option's title.
    for (const h of info.hosts) {
      at.append(el('option', { value: h.name, title: h.ip ? host.t('capture.at.host', { host: h.name, ip: h.ip }) : h.name }, h.name));
    }
    if (info.hosts.length > 1) at.append(el('option', { value: ALL, title: host.t('capture.at.help') }, host.t('capture.at.all')));
    at.value = wanted && [...at.options].some((o) => o.value === wanted) ? wanted : defaultHost;
  };
  at.addEventListener('change', () => { wanted = at.value; });
  at.addEventListener('focus', refresh);
  at.addEventListener('pointerdown', refresh);
  // Follow the lesson being played (its title changes with it) and the language.
  const title = document.getElementById('lesson-title');
  if (title) new MutationObserver(() => queueMicrotask(refresh)).observe(title, { childList: true, characterData: true, subtree: true });
  new MutationObserver(() => queueMicrotask(refresh)).observe(document.documentElement, { attributes: true, attributeFilter: ['lang'] });
  refresh();

  button.addEventListener('click', () => {
    refresh();
    const L = host.current();
    if (!L) return;
    const choice = at.value || defaultHost;
    try {
      // The lesson as the engine resolved it: its steps' narration becomes packet comments.
      const blob = captureFile(engine, { trace: L.trace, steps: L.steps }, {
        format: 'pcapng', lang: host.lang(), at: choice === ALL ? 'all' : choice ? [choice] : undefined,
      });
      const suffix = choice === ALL ? '-all-hosts' : choice && choice !== defaultHost ? `-${choice}` : '';
      const a = el('a', { href: URL.createObjectURL(blob), download: `tcplab-${L.id}${suffix}.pcapng` });
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

  type Choice = { label: string; onPick: () => void; cls?: string };
  // A list of choices. A long one (a capture of 100 000 connections) starts with the choices
  // given, and `more(shown)` fetches the next ones each time its end scrolls into view, until
  // `total`: the page never holds or lays out all of them.
  const choiceList = (first: Choice[], total = first.length, more?: (shown: number) => Promise<Choice[]>): HTMLElement => {
    const list = el('ol', {});
    const end = el('li', { class: 'capture-more', 'aria-hidden': 'true' });
    let shown = 0;
    const add = (items: Choice[]): void => {
      const frag = document.createDocumentFragment();
      for (const it of items) {
        const b = el('button', { type: 'button', class: `btn${it.cls ? ` ${it.cls}` : ''}` }, it.label);
        b.addEventListener('click', it.onPick);
        frag.append(el('li', {}, b));
      }
      shown += items.length;
      list.insertBefore(frag, end.isConnected ? end : null);
    };
    add(first);
    if (more && shown < total && typeof IntersectionObserver === 'function') {
      list.append(end);
      let busy = false;
      const watch = new IntersectionObserver((seen) => {
        if (busy || !seen.some((e) => e.isIntersecting)) return;
        busy = true;
        void more(shown).then((items) => {
          add(items);
          busy = false;
          if (shown >= total || items.length === 0) { watch.disconnect(); end.remove(); return; }
          // Still in view (a short page): the observer reports only changes, so look again.
          watch.unobserve(end);
          watch.observe(end);
        }, () => { watch.disconnect(); end.remove(); });
      });
      watch.observe(end);
    }
    return list;
  };

  // The file last dropped, open in its worker (closed when the next one comes).
  let open: CaptureFile | undefined;
  let loads = 0;
  const load = async (file: File): Promise<void> => {
    const mine = ++loads;
    open?.close();
    open = undefined;
    clear(chooser);
    status.textContent = host.t('capture.reading', { name: file.name });
    progress.hidden = false;
    progress.value = 0;
    try {
      const cap = await openCapture(file, { file: file.name, onProgress: (f) => { progress.value = f; } });
      if (mine !== loads) { cap.close(); return; }
      open = cap;
      // Explaining has no progress to report: an indeterminate bar while the worker explains.
      const busy = async <R>(work: Promise<R>): Promise<R> => {
        progress.hidden = false;
        progress.removeAttribute('value');
        try { return await work; } finally { progress.hidden = true; }
      };
      progress.hidden = true;
      if (cap.info.connection_count === 0) { status.textContent = host.t('capture.noconn', { name: file.name }); return; }

      // A connection (or all of them) at one capture point.
      const openConn = async (iface: string, where: string, n: number | undefined, count: number): Promise<void> => {
        try {
          const opts = { interface: iface, ...(n === undefined ? {} : { connection: n }) };
          const trace = checkTrace(await busy(cap.explain(opts)), file.name);
          if (mine !== loads) return;
          const name = [file.name, where, n === undefined ? '' : `#${n}`].filter((x) => x !== '').join(' · ');
          const title: Localized = { en: name, 'zh-CN': name };
          const id = `capture-${iface || 'auto'}-${n ?? 'all'}`;
          host.open({ id, title, trace, steps: defaultSteps(trace.events), quizzes: [], kind: 'example' });
          status.textContent = n === undefined && count > 1
            ? host.t('capture.opened.all', { name: file.name, n: count })
            : host.t('capture.opened', { name: file.name, n: n ?? 1 });
          (zone.closest('dialog') as HTMLDialogElement | null)?.close();
        } catch (e) {
          status.textContent = host.t('capture.error', { msg: (e as Error).message });
        }
      };
      // The connections the explainer finds at that capture point (numbered as it numbers them),
      // fetched from the worker a page at a time.
      const PAGE = 500;
      const pickConnection = async (iface: string, where: string): Promise<void> => {
        clear(chooser);
        let page: ConnectionPage;
        try {
          page = await busy(cap.connections(iface, 0, PAGE));
        } catch (e) {
          status.textContent = host.t('capture.error', { msg: (e as Error).message });
          return;
        }
        if (mine !== loads) return;
        const n = page.total;
        if (n <= 1) { await openConn(iface, where, n === 1 ? 1 : undefined, n); return; }
        status.textContent = host.t('capture.pickconn', { n });
        const choices = (p: ConnectionPage): Choice[] => p.connections.map((c) => ({
          label: `${c.client} ⇄ ${c.server} · ${host.t('capture.segments', { n: c.segments })}`,
          onPick: () => void openConn(iface, where, c.id, n),
        }));
        chooser.append(choiceList([
          { label: host.t('capture.allconns', { n }), cls: 'capture-all-conns', onPick: () => void openConn(iface, where, undefined, n) },
          ...choices(page),
        ], n + 1, async (shown) => choices(await cap.connections(iface, shown - 1, PAGE))));
      };

      // Several capture points carrying TCP: read one, never several merged into duplicates.
      const points = capturePoints(cap.info).filter((p) => p.tcp_packets > 0);
      if (points.length <= 1) { await pickConnection('', ''); return; }
      const label = (p: CapturePoint): string =>
        [`${p.ids.join('+')}${p.name ? ` ${p.name}` : ''}`, p.description ?? '', host.t('capture.segments', { n: p.tcp_packets })].filter((x) => x !== '').join(' · ');
      status.textContent = host.t('capture.ifaces', { n: points.length });
      chooser.append(choiceList([
        ...points.map((p) => ({ label: label(p), cls: 'capture-iface', onPick: () => void pickConnection(p.choice, p.name ?? `#${p.choice}`) })),
        { label: host.t('capture.iface.all'), cls: 'capture-iface-all', onPick: () => void pickConnection('all', '') },
      ]));
    } catch (e) {
      if (mine !== loads) return;
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
