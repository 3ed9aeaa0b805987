// A thread's metric region: a SharedArrayBuffer of float64 slots that only that thread writes.

/*
 *   slot 0 ........................................ limit        limit + OVERFLOW_SLOTS
 *   +-----------------------------------------------+---------------------------+-------+
 *   | series, bump-allocated in announcement order  | overflow scratch          | HELD  |
 *   +-----------------------------------------------+---------------------------+-------+
 *
 * A counter or gauge takes one slot; a histogram takes one slot per bucket
 * (not cumulative), then +Inf, sum and count. Slots are written with plain
 * stores by the owning thread and read by the main thread at scrape time (a
 * scrape may see a value a few writes old; never a torn float64 on x64/arm64).
 * A series that does not fit writes into the overflow area, which is never
 * exposed: the region never corrupts, the metric just stops growing.
 *
 * HELD (an int32 in the last 8 bytes, Atomics only) is 1 while the owner
 * writes telemetry its thread has already made visible elsewhere: a shard
 * publishes a frame first and records the turns behind it after, while the
 * peer works (see ShardMetrics.hold). A reader that got that frame, directly
 * or through other threads, waits for HELD to drop before it reads
 * (`waitUnheld`), so it still sees every message handled before the frame.
 */

import { performance } from 'node:perf_hooks';

/** Slots at the end of each region for series that did not fit. */
export const OVERFLOW_SLOTS = 32;

/** Default region size: 32768 series slots (256 KiB) per thread. */
export const DEFAULT_REGION_SLOTS = 32768;

export function createRegion(slots = DEFAULT_REGION_SLOTS): SharedArrayBuffer {
  return new SharedArrayBuffer(8 * (slots + OVERFLOW_SLOTS + 1));
}

/** Float64 slots of a region: its series and its overflow area (not HELD). */
export function regionSlots(region: SharedArrayBuffer): number {
  return region.byteLength / 8 - 1;
}

/** The region's HELD word, as an Int32Array of one element (index 0). */
export function heldWord(region: SharedArrayBuffer): Int32Array {
  return new Int32Array(region, region.byteLength - 8, 1);
}

/**
 * How long a reader waits for HELD to drop (ms). A hold lasts a few hundred
 * nanoseconds; only a thread preempted in one, or killed in one (its region
 * is retired soon after), keeps it longer, and then the reader goes on and
 * may see that thread's last turns a scrape late.
 */
const HELD_WAIT_MS = 50;

/**
 * Waits until `held` reads 0 (true), or `ms` (HELD_WAIT_MS) have passed
 * (false). Spins through a hold's usual length, then sleeps a millisecond at
 * a time: a writer preempted in its hold needs a core to end it, and on a
 * machine with fewer cores than threads the spinning reader would hold one.
 */
export function waitUnheld(held: Int32Array, ms = HELD_WAIT_MS): boolean {
  for (let i = 0; i < 4096; i++) if (Atomics.load(held, 0) === 0) return true;
  const until = performance.now() + ms;
  while (Atomics.load(held, 0) !== 0) {
    if (performance.now() > until) return false;
    Atomics.wait(held, 0, 1, Math.min(1, ms));
  }
  return true;
}
