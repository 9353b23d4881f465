// The page around the diagrams: fixed texts in the current language, the lesson list, the
// glossary, the keyboard help, banners and the connection picker. Each function writes the DOM
// from its arguments; the listeners are effects.ts's.
import { GLOSSARY, getLang, loc, t } from '../i18n';
import { learningPath, type LessonEntry } from '../lessons';
import type { Model } from '../model';
import type { ProgressStore } from '../progress';
import { byId, clear, el } from '../ui/dom';
import { connectionsOf, connLabel } from './view';

export function applyStaticText(playing: boolean): void {
  document.documentElement.lang = getLang();
  document.title = `${t('app.title')} · ${t('app.tagline')}`;
  for (const n of document.querySelectorAll<HTMLElement>('[data-i18n]')) n.textContent = t(n.dataset.i18n!);
  for (const n of document.querySelectorAll<HTMLElement>('[data-i18n-label]')) {
    const s = t(n.dataset.i18nLabel!);
    n.setAttribute('aria-label', s);
    n.title = s;
  }
  byId('btn-lang').textContent = getLang() === 'en' ? '中文' : 'English';
  byId('btn-lang').setAttribute('aria-label', getLang() === 'en' ? '切换到中文' : 'Switch to English');
  playButton(playing);
  renderGlossary();
  renderKeys();
}

export function playButton(playing: boolean): void {
  const b = byId('btn-play');
  b.textContent = playing ? '❚❚' : '▶';
  b.setAttribute('aria-label', t(playing ? 'ctl.pause' : 'ctl.play'));
  b.title = t(playing ? 'ctl.pause' : 'ctl.play');
  b.setAttribute('aria-pressed', String(playing));
}

/** The keyboard help: every key the player answers to (effects.ts onKey), in the current language. */
function renderKeys(): void {
  const body = byId('keys-body');
  clear(body);
  const rows: [string, string][] = [
    ['→  PageDown', 'keys.next'], ['←  PageUp', 'keys.prev'], ['Space', 'keys.play'], ['Home  End', 'keys.ends'],
    ['S  Shift+S', 'keys.seg'], ['T  Shift+T', 'keys.state'], ['Tab', 'keys.ladder'], ['L', 'keys.lang'], ['P', 'keys.proj'], ['?', 'keys.help'],
  ];
  for (const [k, what] of rows) body.append(el('tr', {}, el('th', { scope: 'row' }, el('kbd', {}, k)), el('td', {}, t(what))));
}

function renderGlossary(): void {
  const body = byId('glossary-body');
  clear(body);
  for (const g of GLOSSARY) {
    body.append(el('tr', {}, el('th', { scope: 'row', lang: 'zh-CN' }, g.zh), el('td', { lang: 'en' }, g.en), el('td', {}, loc(g.meaning))));
  }
}

export function banner(text: string, kind: 'info' | 'warn' | 'error', tag = ''): void {
  const close = el('button', { type: 'button', class: 'banner-close', 'aria-label': t('nav.close'), title: t('nav.close') }, '×');
  byId('banner').append(el('div', { class: `banner-item ${kind}`, 'data-tag': tag }, el('span', {}, text), close));
}

/** Removes the banners of one kind, so repeated bad links or lessons do not stack up. */
export function clearBanners(tag: string): void {
  for (const n of document.querySelectorAll(`#banner [data-tag="${tag}"]`)) n.remove();
}

export function renderLessonList(entries: readonly LessonEntry[], current: string | undefined, progress: ProgressStore): void {
  const lessons = entries.filter((e) => e.kind === 'lesson');
  byId('progress-summary').textContent = t('progress.summary', { done: lessons.filter((e) => progress.isDone(e.id)).length, total: lessons.length });
  const list = byId('lesson-list');
  clear(list);
  const groups: [string, LessonEntry[]][] = [];
  const placed = new Set<string>();
  for (const part of learningPath()) {
    const items = part.lessons.map((id) => lessons.find((e) => e.id === id)).filter((e): e is LessonEntry => e !== undefined);
    items.forEach((e) => placed.add(e.id));
    groups.push([loc(part.title), items]);
  }
  groups.push([t('lessons.title'), lessons.filter((e) => !placed.has(e.id))]);
  groups.push([t('lessons.examples'), entries.filter((e) => e.kind === 'example')]);
  for (const [title, items] of groups) {
    if (items.length === 0) continue;
    list.append(el('h3', {}, title));
    const ol = el('ol', { class: 'lessons' });
    for (const e of items) {
      const stats = progress.quizStats(e.id);
      const a = el('a', { href: `#lesson=${encodeURIComponent(e.id)}&step=1`, class: current === e.id ? 'current' : '', 'aria-current': current === e.id ? 'page' : undefined },
        el('span', { class: 'l-title' }, loc(e.title)));
      if (progress.isDone(e.id)) a.append(el('span', { class: 'l-done' }, `✓ ${t('lessons.done')}`));
      if (e.minutes) a.append(el('span', { class: 'l-min' }, t('lessons.minutes', { n: e.minutes })));
      if (stats.n) a.append(el('span', { class: 'l-quiz' }, t('lessons.quizzes', stats)));
      if (e.summary) a.append(el('span', { class: 'l-sum' }, loc(e.summary)));
      ol.append(el('li', {}, a));
    }
    list.append(ol);
  }
}

/** The connection picker: "automatic" and each connection of the trace (the first 300). */
export function fillConnPicker(m: Model | undefined, follow: { host: string; conn: string } | undefined): void {
  const pick = byId<HTMLSelectElement>('conn-pick');
  clear(pick);
  const conns = m ? connectionsOf(m) : [];
  byId('conn-follow').hidden = conns.length < 2;
  pick.append(el('option', { value: '' }, t('conn.auto')));
  const LIMIT = 300;
  conns.slice(0, LIMIT).forEach((c, i) => pick.append(el('option', { value: String(i) }, `#${i + 1} ${connLabel(m!, c)}`)));
  if (conns.length > LIMIT) pick.append(el('option', { value: '', disabled: true }, t('sock.more', { n: conns.length - LIMIT })));
  if (follow) pick.value = String(conns.findIndex((c) => c.conn === follow.conn && c.host === follow.host));
}

/** Tick marks on the timeline where a state changes or a quiz waits. */
export function fillTimeline(steps: number, marks: readonly number[]): void {
  byId<HTMLInputElement>('timeline').max = String(Math.max(0, steps - 1));
  const ticks = byId('timeline-ticks');
  clear(ticks);
  for (const s of [...new Set(marks)].sort((a, b) => a - b).slice(0, 300)) ticks.append(el('option', { value: s }));
}
