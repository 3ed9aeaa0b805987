// Pids inside plain data that crosses a MessagePort (structured clone drops the Pid class): marked, then revived.

import { Pid } from './pid.js';

/** A copy of `value` with every Pid replaced by `{ $pid: '<n.s.s>' }` (plain data only: arrays and plain objects are walked). */
export function markPids(value: unknown): unknown {
  if (value instanceof Pid) return { $pid: value.toString() };
  if (Array.isArray(value)) return value.map(markPids);
  if (value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = markPids(v);
    return out;
  }
  return value;
}

/** The inverse of {@link markPids}: marked pids become Pid objects again. */
export function revivePids<T>(value: unknown): T {
  if (Array.isArray(value)) return value.map((v) => revivePids(v)) as T;
  if (value !== null && typeof value === 'object') {
    const o = value as Record<string, unknown>;
    if (typeof o.$pid === 'string' && Object.keys(o).length === 1) return Pid.parse(o.$pid) as T;
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(o)) out[k] = revivePids(v);
    return out as T;
  }
  return value as T;
}
