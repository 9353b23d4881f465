// The trace's types are generated from core/schema/trace.schema.json (scripts/generate.mjs);
// this file adds only what the player checks at run time before it trusts a trace.
import type { Event, StateName, Trace } from './generated/trace';

export type {
  ActionEvent, BuffersEvent, CallEvent, DeliverEvent, DiscardEvent, DropEvent, NoteEvent, QueueEvent,
  ReturnEvent, Segment, SendEvent, SignalEvent, StateEvent, StateName, TimerEvent, Trace,
} from './generated/trace';
export type TraceEvent = Event;

/** The states in the order the diagram and the quizzes list them (RFC 9293 §3.3.2). */
export const STATES: readonly StateName[] = [
  'CLOSED', 'LISTEN', 'SYN_SENT', 'SYN_RECEIVED', 'ESTABLISHED', 'FIN_WAIT_1',
  'FIN_WAIT_2', 'CLOSE_WAIT', 'CLOSING', 'LAST_ACK', 'TIME_WAIT',
];

/** Text in both languages, as lessons and the engine catalogue carry it. */
export type Localized = { en: string; 'zh-CN': string } & Record<string, string>;

/** Checks the shape the player relies on; returns a message naming the JSON pointer on failure. */
export function checkTrace(x: unknown, file = 'trace'): Trace {
  const fail = (ptr: string, what: string): never => {
    throw new Error(`${file}: ${ptr}: ${what}`);
  };
  if (typeof x !== 'object' || x === null || Array.isArray(x)) fail('', 'expected a JSON object');
  const o = x as Record<string, unknown>;
  if (o.hosts === undefined) o.hosts = {};
  if (typeof o.hosts !== 'object' || o.hosts === null) fail('/hosts', 'expected an object of hosts');
  if (!Array.isArray(o.events)) fail('/events', 'expected an array of events');
  const events = o.events as unknown[];
  if (events.length === 0) fail('/events', 'expected at least one event (the run produced none)');
  let last = -Infinity;
  events.forEach((e, i) => {
    if (typeof e !== 'object' || e === null) fail(`/events/${i}`, 'expected an object');
    const ev = e as Record<string, unknown>;
    if (typeof ev.t_us !== 'number') fail(`/events/${i}/t_us`, 'expected a number (µs)');
    if (typeof ev.kind !== 'string') fail(`/events/${i}/kind`, 'expected a string');
    if ((ev.t_us as number) < last) fail(`/events/${i}/t_us`, 'expected events in time order');
    last = ev.t_us as number;
    if (ev.kind === 'send') {
      const s = ev.seg as Record<string, unknown> | undefined;
      if (!s || typeof s.id !== 'number') fail(`/events/${i}/seg/id`, 'expected a segment with a numeric id');
      if (!Array.isArray(s!.flags)) fail(`/events/${i}/seg/flags`, 'expected an array of flags');
    }
  });
  return o as unknown as Trace;
}
