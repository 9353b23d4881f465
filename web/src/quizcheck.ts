// Comparing a learner's answer with the answer the engine computed for the resolved lesson.
// The player never knows the right answer by itself; it only compares.

export type Answer = string | number | string[] | { flags?: string[]; seq?: number; ack?: number; [k: string]: unknown };

const norm = (x: unknown): unknown => {
  if (typeof x === 'string') return x.trim().toUpperCase();
  if (Array.isArray(x)) return x.map(norm);
  if (x && typeof x === 'object') {
    const o: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(x as Record<string, unknown>)) o[k] = k === 'flags' && Array.isArray(v) ? [...v].map(norm).sort() : norm(v);
    return o;
  }
  return x;
};

function eq(a: unknown, b: unknown): boolean {
  if (typeof a === 'number' || typeof b === 'number') return Number(a) === Number(b);
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => eq(x, b[i]));
  if (a && b && typeof a === 'object' && typeof b === 'object') {
    const ka = Object.keys(b as object);
    return ka.every((k) => eq((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
  }
  return a === b;
}

/** True when `given` matches `expected` (strings case-insensitive, flag sets unordered, numbers by value). */
export function answerMatches(given: unknown, expected: unknown): boolean {
  return eq(norm(given), norm(expected));
}
