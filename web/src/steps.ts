// A step is a range of trace events [first, last] shown together. Lessons bring their own steps
// (cut by the engine's lesson resolver); a bare trace is cut here: one step per host per moment,
// so "the server receives the SYN, moves to SYN_RECEIVED and answers SYN,ACK" is one step.
import type { Model } from './model';
import type { Localized, TraceEvent } from './types';

export interface Step {
  first: number;
  last: number;
  text?: Localized;
  [k: string]: unknown;
}

export function defaultSteps(events: readonly TraceEvent[]): Step[] {
  const steps: Step[] = [];
  let cur: Step | undefined;
  let curHost: string | undefined;
  let curT = -1;
  events.forEach((e, i) => {
    const host = e.host;
    if (cur && e.t_us === curT && (host === curHost || host === undefined)) {
      cur.last = i;
      return;
    }
    cur = { first: i, last: i };
    curHost = host;
    curT = e.t_us;
    steps.push(cur);
  });
  return steps;
}

/** The step that contains event `index` (the last step starting at or before it). */
export function stepOfEvent(steps: readonly Step[], index: number): number {
  let lo = 0, hi = steps.length - 1, ans = 0;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (steps[mid]!.first <= index) { ans = mid; lo = mid + 1; } else hi = mid - 1;
  }
  return ans;
}

function stepHas(m: Model, s: Step, kinds: readonly string[]): boolean {
  for (let i = s.first; i <= s.last; i++) if (kinds.includes(m.events[i]!.kind)) return true;
  return false;
}

/** Next (dir=1) or previous (dir=-1) step that contains an event of one of `kinds`. */
export function findStep(m: Model, steps: readonly Step[], from: number, dir: 1 | -1, kinds: readonly string[]): number {
  for (let s = from + dir; s >= 0 && s < steps.length; s += dir) if (stepHas(m, steps[s]!, kinds)) return s;
  return from;
}
