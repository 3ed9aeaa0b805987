// GenStatem's transition table: read once into maps of its own entries, event naming, and the bounded event labels of its metric.

import { InvalidOptionError } from '../errors.js';
import { preview } from '../validate.js';

/** Allowed transitions as the spec declares them: state -> event name -> next state. */
export type TransitionTable<S extends string> = { readonly [K in S]?: { readonly [event: string]: S } };

/** The table as the machine reads it: state -> event name -> next state. */
export type TransitionMaps<S extends string> = ReadonlyMap<string, ReadonlyMap<string, S>>;

/** The `event` label of invalid transitions past MAX_EVENT_LABELS event names the table does not name (per machine, per thread). */
export const OTHER_EVENT = 'other';
const MAX_EVENT_LABELS = 64;

/** Default event naming: strings name themselves; objects by `kind` or `type`. */
export function defaultEventName(event: unknown): string {
  if (typeof event === 'string') return event;
  if (typeof event === 'object' && event !== null) {
    const k = (event as { kind?: unknown; type?: unknown }).kind ?? (event as { type?: unknown }).type;
    if (typeof k === 'string') return k;
  }
  return typeof event;
}

/**
 * The table as maps of its own entries, checked: looked up on the object literal, an event or a state named
 * like an Object.prototype member (`toString`, `constructor`, `__proto__`) found that member, not "not allowed".
 */
export function tableOf<S extends string>(table: TransitionTable<S>): TransitionMaps<S> {
  if (typeof table !== 'object' || table === null) throw new InvalidOptionError(`defineGenStatem's transitions must be an object of state -> { event: next state }, got ${preview(table)}`);
  const rows = new Map<string, Map<string, S>>();
  for (const [state, row] of Object.entries(table as Record<string, Record<string, unknown> | undefined>)) {
    if (row === undefined) continue;
    if (typeof row !== 'object' || row === null) throw new InvalidOptionError(`defineGenStatem's transitions.${state} must be an object of event -> next state, got ${preview(row)}`);
    const m = new Map<string, S>();
    for (const [event, to] of Object.entries(row)) {
      if (typeof to !== 'string') throw new InvalidOptionError(`defineGenStatem's transitions.${state}.${event} must be a state name, got ${preview(to)}`);
      m.set(event, to as S);
    }
    rows.set(state, m);
  }
  return rows;
}

/**
 * The labeller of a machine's invalid events on this thread: the table's own events, and the first
 * MAX_EVENT_LABELS others; past those, `other`, so callers sending any string cannot grow the metric's
 * series (and the thread's memory) without bound.
 */
export function eventLabeller(table: TransitionMaps<string> | undefined): (event: string) => string {
  const labels = new Set(table === undefined ? [] : [...table.values()].flatMap((row) => [...row.keys()]));
  const limit = labels.size + MAX_EVENT_LABELS;
  return (event) => {
    if (labels.has(event)) return event;
    if (labels.size >= limit) return OTHER_EVENT;
    labels.add(event);
    return event;
  };
}
