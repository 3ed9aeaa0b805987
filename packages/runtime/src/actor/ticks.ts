// The thread's tick clock: queue-wait stamps as small integers, microseconds from an origin that moves on.

import { NO_STAMP, type OldStamp } from './stamped-ring.js';

export { NO_STAMP };

/**
 * A tick at or past this moves the origin on (2^29 us, 8.9 minutes past
 * it): ticks stay small integers (V8 keeps them unboxed in an array below
 * 2^30, where it compresses pointers), ~9 minutes of stamps either way.
 */
export const REBASE_AT = 0x2000_0000;
/** How far the origin moves each time (2^28 us, 4.5 minutes). */
export const REBASE_BY = 0x1000_0000;

/** Whatever holds ticks besides the rings: moves them back by `by` (see onRebase). */
export type Rebaser = (by: number, originMs: number) => void;

/**
 * This thread's tick clock (module state: one per thread). `originMs` is
 * abs ms (timeOrigin + performance.now(), MetricsWriter.now()'s clock).
 */
export const TICKS = { originMs: performance.timeOrigin + performance.now() };

const rebasers: Rebaser[] = [];

/** Registered holders (for tests: a stopped system's runtime must have unregistered). */
export function rebasersLive(): number {
  return rebasers.length;
}

/**
 * Registers what must move its ticks back when the origin moves on (a
 * thread runtime's rings and the clocks it keeps per peer thread). Returns
 * what unregisters it: a main thread starts and stops systems, and a
 * stopped one must not stay reachable from here.
 */
export function onRebase(fn: Rebaser): () => void {
  rebasers.push(fn);
  return () => {
    const i = rebasers.indexOf(fn);
    if (i >= 0) rebasers.splice(i, 1);
  };
}

/** `stamp` moved back `by` ticks with its clock's origin (NO_STAMP stays; the bottom of the range holds). */
export function movedBack(stamp: number, by: number): number {
  return stamp === NO_STAMP ? stamp : Math.max(stamp - by, NO_STAMP + 1);
}

/** Whether `stamp` is one (not NO_STAMP). */
export const isStamped = (stamp: number): boolean => stamp !== NO_STAMP;

/**
 * The tick of abs clock `ms` (NaN: NO_STAMP), rounded up: a stamp is never
 * before its clock, so a traced message's receive span (which starts at its
 * stamp) never starts before its send span.
 */
export function tickOf(ms: number): number {
  if (ms !== ms) return NO_STAMP;
  const t = Math.ceil((ms - TICKS.originMs) * 1000);
  // A clock past REBASE_AT moves the origin on first (see rebase), whoever reads it: a turn's block, a peer's batch.
  if (t >= REBASE_AT) return rebase(t);
  return t > NO_STAMP ? t : NO_STAMP + 1;
}

/** The abs clock (ms) of a stamp (NaN for NO_STAMP). */
export function msOf(stamp: number | OldStamp): number {
  if (typeof stamp !== 'number') return stamp.ms;
  return stamp === NO_STAMP ? NaN : TICKS.originMs + stamp / 1000;
}

/**
 * `tick` (a tick just taken for now) is at or past REBASE_AT: the origin
 * moves on by REBASE_BY and every registered holder moves its ticks back
 * as much. Returns the tick moved (tickOf's answer).
 */
export function rebase(tick: number): number {
  const was = TICKS.originMs;
  TICKS.originMs = was + REBASE_BY / 1000;
  for (const fn of rebasers) fn(REBASE_BY, was);
  return tick - REBASE_BY;
}
