// Draws a PlayerView into the page. It reads the view and writes the DOM, and nothing else: it
// never changes the player's state, and it adds no listeners (effects.ts has them all). What it
// remembers is only what is on screen (the last view drawn), so that a step change redraws
// what changed and scrolls to what is new.
import type { Model } from '../model';
import type { TimeLayout } from '../layout';
import { byId, clear, el } from '../ui/dom';
import { renderInspector } from '../ui/inspector';
import { hostMark, renderLadder, renderLadderHeader, type LadderGeometry, type LadderView } from '../ui/ladder';
import { renderQuiz } from '../ui/quiz';
import { renderSockets } from '../ui/sockets';
import type { StateDiagram } from '../ui/statediagram';
import type { Step } from '../steps';
import type { PlayerView, Words } from './view';

export interface Scene { model: Model; layout: TimeLayout; geom: LadderGeometry }

export class Renderer {
  private last?: PlayerView;
  private lastScene?: Scene;

  constructor(private readonly sd: StateDiagram, private readonly reducedMotion: boolean) {}

  /** Whether a page has been drawn (a quiz alone can then be redrawn over it). */
  drawn(): boolean { return this.last !== undefined; }

  /** Draws `v`; `words` are the texts in the view's language. Returns the ladder's y of the
   *  selection (for scrolling) and whether the step changed since the last drawing. */
  render(v: PlayerView, scene: Scene, words: Words): { stepChanged: boolean; ySel: number; refocus?: SVGGElement } {
    const prev = this.last && this.lastScene === scene ? this.last : undefined;
    const stepChanged = !prev || prev.step !== v.step || prev.lessonKey !== v.lessonKey;
    const { model: m, layout: lay, geom: g } = scene;
    const { t } = words;

    byId('lesson-title').textContent = v.title;
    byId('step-title').textContent = v.stepTitle;
    this.narration(v, stepChanged, words);
    renderQuiz(byId('quiz'), v.quiz);

    const ladder: LadderView = {
      now: v.now, stepFirst: v.first, selected: v.selection?.id, mode: v.mode, animate: stepChanged && !this.reducedMotion,
      t, timerName: words.timerName, stateName: words.stateName,
    };
    renderLadderHeader(byId('ladder-head') as unknown as SVGSVGElement, m, g, v.headStates, ladder);
    const { ySel, refocus } = renderLadder(byId('ladder') as unknown as SVGSVGElement, m, lay, g, ladder);

    this.sd.update(v.lits);
    const sdText = byId('sd-text');
    clear(sdText);
    if (v.following) sdText.append(el('div', { class: 'sd-follow-line' }, v.following));
    if (v.lits.length === 0) sdText.append(t('sd.none'));
    for (const l of v.lits) {
      const li = el('div', { class: `sd-line host-${l.hostIndex % 4}` }, `${hostMark(l.hostIndex)} `);
      if (l.transition?.current) li.append(t('sd.transition', { host: l.host, from: l.transition.from, to: l.transition.to, why: l.transition.label }));
      else li.append(t('sd.summary', { host: l.host, state: l.state ?? '—' }));
      sdText.append(li);
    }

    this.tabs(v.tab);
    renderInspector(byId('inspector'), m, v.selection, v.now, v.mode, t, words.discardText);
    renderSockets(byId('sockets'), m, v.snap, v.first, t, words.errnoText);
    if (stepChanged && v.tab === 'sockets') {
      // This step's calls in view inside the panel (not the page).
      const cur = byId('sockets').querySelector<HTMLElement>('li.current');
      const panel = byId('detail-panel');
      if (cur) panel.scrollTop = Math.max(0, cur.offsetTop - panel.offsetTop - 90);
    }

    const range = byId<HTMLInputElement>('timeline');
    range.value = String(v.step);
    range.setAttribute('aria-valuetext', t('ctl.timeline', { n: v.step + 1, total: v.total }));
    byId('step-counter').textContent = t('ctl.step', { n: v.step + 1, total: v.total });
    byId<HTMLButtonElement>('btn-prev').disabled = v.step === 0;
    byId<HTMLButtonElement>('btn-first').disabled = v.step === 0;
    byId<HTMLButtonElement>('btn-next').disabled = v.step >= v.total - 1;
    byId<HTMLButtonElement>('btn-last').disabled = v.step >= v.total - 1;
    const params = byId('lesson-params');
    if (params.dataset.text !== (v.params ?? '') || !prev || prev.narration.key !== v.narration.key) {
      clear(params);
      params.dataset.text = v.params ?? '';
      if (v.params) params.append(el('span', { class: 'muted' }, v.params), el('button', { type: 'button', class: 'btn small', id: 'btn-reroll' }, t('params.reroll')));
    }

    this.last = v;
    this.lastScene = scene;
    return { stepChanged, ySel, refocus };
  }

  private narration(v: PlayerView, stepChanged: boolean, w: Words): void {
    const narr = byId('narration');
    if (stepChanged) {
      // A new step starts at its title, not where the previous one was scrolled to.
      byId('narration-panel').scrollTop = 0;
      narr.scrollTop = 0;
    }
    // Rebuilt (and so announced again) only when there is something new to say.
    if (narr.dataset.key === v.narration.key) return;
    narr.dataset.key = v.narration.key;
    clear(narr);
    const { text, lines, states } = v.narration;
    if (text) narr.append(el('p', { class: 'narr-text' }, text));
    const descNodes = states.map((d) => el('p', { class: 'state-desc' }, el('b', {}, `${d.state}: `), d.text));
    if (!lines.length && !descNodes.length) return;
    const list = el('ul', { class: 'event-lines' }, ...lines.map((l) => el('li', {}, l)));
    // A lesson's own words first; the engine's account of the step is one click away.
    if (text) narr.append(el('details', { class: 'events' }, el('summary', {}, w.t('narr.events')), list, ...descNodes));
    else narr.append(list, ...descNodes);
  }

  private tabs(which: 'inspector' | 'sockets'): void {
    if (byId(which).hidden) byId('detail-panel').scrollTop = 0;
    for (const id of ['inspector', 'sockets'] as const) {
      const tab = byId(`tab-${id}`);
      const on = id === which;
      tab.setAttribute('aria-selected', String(on));
      tab.tabIndex = on ? 0 : -1;
      byId(id).hidden = !on;
    }
  }
}


/** Where the ladder's box should scroll to after a step change: "now" near the bottom, the
 *  selection below the lane heads and, with more lanes than fit, the lanes this step is about. */
export function ladderScroll(scene: Scene, step: Step, now: number, ySel: number): ScrollToOptions {
  const { model: m, layout, geom } = scene;
  const box = byId('ladder-scroll');
  const svgEl = byId('ladder');
  const r = svgEl.getBoundingClientRect();
  const scale = r.width / (geom.width || 1);
  const off = r.top - box.getBoundingClientRect().top + box.scrollTop;
  const headH = byId('ladder-head').getBoundingClientRect().height;
  const yMin = Number(svgEl.dataset.ymin ?? 0);
  const yNow = off + ((layout.y[now] ?? 0) - yMin) * scale;
  const ySelPx = off + (ySel - yMin) * scale;
  let top = yNow - box.clientHeight * 0.7;
  if (ySelPx < top + headH + 24) top = ySelPx - headH - 24;
  let left = box.scrollLeft;
  if (box.scrollWidth > box.clientWidth + 4) {
    const xs: number[] = [];
    for (let i = step.first; i <= step.last; i++) {
      const e = m.events[i]!;
      const hosts = e.kind === 'send' ? [e.host, m.segs.get(e.seg.id)?.to] : [e.host];
      for (const h of hosts) { const li = h === undefined ? -1 : m.hosts.indexOf(h); if (li >= 0) xs.push(geom.laneX[li]!); }
    }
    if (xs.length) {
      // Room for the labels beside the lanes; the time column stays over the left edge.
      const pad = Math.min(170, geom.laneGap / 2);
      const x0 = (Math.min(...xs) - pad - geom.timeCol) * scale, x1 = (Math.max(...xs) + pad) * scale;
      if (x0 < left || x1 > left + box.clientWidth) left = Math.max(0, x1 - x0 > box.clientWidth ? x0 : (x0 + x1) / 2 - box.clientWidth / 2);
    }
  }
  return { top: Math.max(0, top), left };
}
