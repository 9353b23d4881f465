// What each panel shows, as a pure function of the player's state and the open lesson's trace
// model. No DOM, no storage, no clock: the same inputs always give the same view (render.ts
// draws it).
import { dropReason, fmtTime, type NumberMode } from '../format';
import type { PlayerLesson } from '../lessons';
import { endpointStates, focusConn, ipOf, snapshotAt, type Model, type SegInfo, type Snapshot } from '../model';
import { narrateEvent } from '../narrate';
import type { StateEvent, StateName } from '../types';
import type { Cause, Lit } from '../ui/statediagram';
import { quizPanel, type QuizPanel } from './quiz-view';
import type { ConnRef, PlayerState, Tab } from './state';

type T = (key: string, args?: Record<string, string | number>) => string;

/** Words in the state's language: the UI catalogue and the engine's. */
export interface Words {
  t: T;
  loc: (x: Record<string, string> | undefined) => string;
  timerName: (name: string) => string;
  stateName: (s: string) => string;
  noteText: (code: string, args: Record<string, unknown>) => string;
  discardText: (reason: string) => string;
  stateText: (state: string) => string;
  errnoText: (errno: string) => string;
}

export interface PlayerView {
  /** changes when another lesson (or another draw of its parameters) is open */
  lessonKey: string;
  step: number;
  total: number;
  /** the event range of the step: [first, now] */
  first: number;
  now: number;
  title: string;
  stepTitle: string;
  narration: { key: string; text: string; lines: string[]; states: { state: string; text: string }[] };
  quiz: QuizPanel;
  mode: NumberMode;
  selection?: SegInfo;
  /** the state shown in each host's lane head */
  headStates: Map<string, string | undefined>;
  lits: Lit[];
  /** "following connection …" when the lesson has several */
  following?: string;
  tab: Tab;
  notice: PlayerState['notice'];
  snap: Snapshot;
  params?: string;
  hash: string;
}

const connectionsCache = new WeakMap<Model, ConnRef[]>();

/** The connections of a trace, one entry per connection (not per side), in order of appearance. */
export function connectionsOf(m: Model): ConnRef[] {
  const hit = connectionsCache.get(m);
  if (hit) return hit;
  const seen = new Set<string>();
  const out: ConnRef[] = [];
  for (const [conn, hosts] of m.connHosts) {
    if (conn.endsWith('>*')) continue;
    const [a = '', b = ''] = conn.split('>');
    const key = [a, b].sort().join('|');
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ host: [...hosts][0]!, conn });
  }
  connectionsCache.set(m, out);
  return out;
}

/** "client 10.0.0.1:49173 ⇄ server 10.0.0.2:80" */
export function connLabel(m: Model, c: ConnRef): string {
  const [local = '', remote = ''] = c.conn.split('>');
  const peer = m.hostOfIp.get(ipOf(remote));
  return `${c.host} ${local} ⇄ ${peer ?? ''} ${remote}`.replace(/\s+/g, ' ').trim();
}

/** The link to a step of a lesson, with everything that decides what the page shows. */
export function makeHash(v: { lesson: string; step: number; seed?: number; lang: string }): string {
  return `#lesson=${encodeURIComponent(v.lesson)}&step=${v.step}${v.seed === undefined ? '' : `&seed=${v.seed}`}&lang=${v.lang}`;
}

const HOST_ACTIONS = ['crash', 'reboot', 'unplug', 'plug'];

/** "rcv SYN,ACK #2 / snd ACK": what caused a state change and what was sent with it, from the trace. */
export function transitionLabel(m: Model, index: number, w: Words): string {
  const e = m.events[index] as StateEvent;
  const parts: string[] = [];
  const c = e.cause;
  if (c.startsWith('seg:')) {
    const id = Number(c.slice(4));
    const s = m.segs.get(id);
    parts.push(w.t('tr.rcv', { flags: s ? s.send.seg.flags.join(',') : '?', id }));
  } else if (c.startsWith('timer:')) parts.push(w.t('tr.timer', { timer: w.timerName(c.slice(6)) }));
  else if (HOST_ACTIONS.includes(c)) parts.push(w.t(`action.${c}`));
  else if (c) parts.push(w.t('tr.call', { call: c }));
  const sent = sentWith(m, index);
  if (sent) parts.push(w.t('tr.snd', { flags: sent.send.seg.flags.join(',') }));
  return parts.join(' / ');
}

/** The segment this endpoint sent as part of the state change at `index`, as the trace says. */
export function sentWith(m: Model, index: number): SegInfo | undefined {
  const e = m.events[index] as StateEvent;
  return e.sent !== undefined ? m.segs.get(e.sent) : undefined;
}

/** The trace's cause of a state change, in the diagram's terms. */
export function causeOf(m: Model, c: string): Cause {
  const seg = c.startsWith('seg:') ? m.segs.get(Number(c.slice(4))) : undefined;
  if (seg) return { rcv: seg.send.seg.flags, seg: seg.id };
  if (c.startsWith('timer:')) return { timer: c.slice(6) };
  if (/^[a-z_]+$/.test(c) && ![...HOST_ACTIONS, 'syn_cookie', 'tw_reuse'].includes(c)) return { call: c };
  return { other: c };
}

function anyState(snap: Snapshot, host: string): string | undefined {
  let best: { state: string; index: number } | undefined;
  for (const c of snap.conns.values()) if (c.host === host && (!best || c.index > best.index)) best = { state: c.state, index: c.index };
  return best?.state;
}

export function viewOf(s: PlayerState, L: PlayerLesson, m: Model, w: Words): PlayerView {
  const step = L.steps[s.step]!;
  const now = step.last;
  const snap = snapshotAt(m, now);

  const lines: string[] = [];
  for (let i = step.first; i <= now; i++) {
    const line = narrateEvent(m, m.events[i]!, {
      t: w.t, mode: s.mode, timerName: w.timerName, stateName: w.stateName, noteText: w.noteText,
      reason: (r) => dropReason((k) => w.t(k), r), discardText: w.discardText,
    });
    if (line) lines.push(line);
  }
  const states: { state: string; text: string }[] = [];
  for (let i = step.first; i <= now; i++) {
    const e = m.events[i]!;
    if (e.kind !== 'state' || states.some((x) => x.state === e.to)) continue;
    const d = w.stateText(e.to);
    if (d) states.push({ state: e.to, text: d });
  }

  const focus = s.follow ?? focusConn(m, now);
  const eps = endpointStates(m, snap, focus);
  const headStates = new Map<string, string | undefined>();
  for (const h of m.hosts) headStates.set(h, eps.get(h)?.state ?? anyState(snap, h));
  const lits: Lit[] = [];
  m.hosts.forEach((h, hi) => {
    if (!eps.has(h)) return;
    const cs = eps.get(h);
    const ev = cs?.ev;
    const transition: Lit['transition'] = ev && cs
      ? { from: ev.from, to: ev.to, label: transitionLabel(m, cs.index, w), current: cs.index >= step.first && cs.index <= now, cause: causeOf(m, ev.cause), raw: ev.cause }
      : undefined;
    lits.push({ host: h, hostIndex: hi, state: cs?.state as StateName | undefined, from: ev?.from, transition });
  });
  const several = connectionsOf(m).length > 1;

  const names = Object.keys(L.paramSpec ?? {});
  const params = names.length ? names.map((n) => `${w.loc(L.paramSpec![n]!.label) || n} = ${String(L.params?.[n] ?? '')}`).join(' · ') : undefined;

  return {
    lessonKey: `${L.id}@${L.seed ?? ''}`,
    step: s.step, total: L.steps.length, first: step.first, now,
    title: w.loc(L.title),
    stepTitle: w.loc(step.title as Record<string, string> | undefined) || `${w.t('ctl.step', { n: s.step + 1, total: L.steps.length })} · ${fmtTime(m.events[now]?.t_us ?? 0)}`,
    narration: { key: `${L.id}|${L.seed ?? ''}|${s.step}|${s.language}|${s.mode}`, text: w.loc(step.text), lines, states },
    quiz: quizPanel(s, L.quizzes, w),
    mode: s.mode,
    selection: s.selection !== undefined ? m.segs.get(s.selection) : undefined,
    headStates, lits,
    following: focus && several ? w.t(s.follow ? 'conn.following' : 'conn.followingAuto', { conn: connLabel(m, focus) }) : undefined,
    tab: s.tab, notice: s.notice, snap, params,
    hash: makeHash({ lesson: L.id, step: s.step + 1, seed: L.seed, lang: s.language }),
  };
}
