// The trace format (docs/CONTRACTS.md "Trace" plus its additive fields). The player only
// reads these events; it never decides TCP behaviour by itself.

export type StateName =
  | 'CLOSED' | 'LISTEN' | 'SYN_SENT' | 'SYN_RECEIVED' | 'ESTABLISHED' | 'FIN_WAIT_1'
  | 'FIN_WAIT_2' | 'CLOSE_WAIT' | 'CLOSING' | 'LAST_ACK' | 'TIME_WAIT';

export const STATES: readonly StateName[] = [
  'CLOSED', 'LISTEN', 'SYN_SENT', 'SYN_RECEIVED', 'ESTABLISHED', 'FIN_WAIT_1',
  'FIN_WAIT_2', 'CLOSE_WAIT', 'CLOSING', 'LAST_ACK', 'TIME_WAIT',
];

export interface SegOpts {
  mss?: number;
  wscale?: number;
  sack_ok?: boolean;
  ts?: [number, number];
  [k: string]: unknown;
}

export interface Segment {
  id: number;
  src: string;
  dst: string;
  flags: string[];
  seq: number;
  ack: number;
  win: number;
  len: number;
  opts?: SegOpts;
  [k: string]: unknown;
}

interface Base {
  t_us: number;
  host?: string;
  conn?: string;
  [k: string]: unknown;
}

export interface CallEvent extends Base { kind: 'call'; host: string; app: string; call: string; sock?: string; args?: Record<string, unknown> }
export interface ReturnEvent extends Base {
  kind: 'return'; host: string; app: string; call: string; sock?: string;
  result: number | string | string[]; errno?: string; new_sock?: string; peer?: string;
}
export interface SendEvent extends Base { kind: 'send'; host: string; seg: Segment; rel?: { seq: number; ack: number }; injected?: boolean }
export interface DeliverEvent extends Base { kind: 'deliver'; host: string; seg_id: number }
export interface DropEvent extends Base { kind: 'drop'; seg_id: number; reason: string }
export interface DiscardEvent extends Base { kind: 'discard'; host: string; seg_id: number; reason: string }
export interface StateEvent extends Base { kind: 'state'; host: string; conn: string; from: StateName; to: StateName; cause: string }
export interface TimerEvent extends Base { kind: 'timer'; host: string; timer: string; action: 'set' | 'fire' | 'cancel'; expires_us?: number }
export interface QueueEvent extends Base { kind: 'queue'; host: string; listener: string; syn_queue: number; syn_max: number; accept_queue: number; accept_max: number }
export interface ActionEvent extends Base { kind: 'action'; host: string; action: string }
export interface NoteEvent extends Base { kind: 'note'; code: string; args?: Record<string, unknown> }
export interface BuffersEvent extends Base { kind: 'buffers'; host: string; conn: string; recv_q: number; send_q: number }
export interface SignalEvent extends Base { kind: 'signal'; host: string; app?: string; signal: string }
export interface OtherEvent extends Base { kind: 'other' }

export type TraceEvent =
  | CallEvent | ReturnEvent | SendEvent | DeliverEvent | DropEvent | DiscardEvent | StateEvent
  | TimerEvent | QueueEvent | ActionEvent | NoteEvent | BuffersEvent | SignalEvent | OtherEvent;

export interface Trace {
  tcplab: number;
  title?: string;
  profile?: string;
  seed?: number;
  end_us?: number;
  hosts: Record<string, { ip: string; [k: string]: unknown }>;
  events: TraceEvent[];
}

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
