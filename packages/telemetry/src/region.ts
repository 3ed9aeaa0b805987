// A thread's metric region: a SharedArrayBuffer of float64 slots that only that thread writes.

/*
 *   slot 0 ........................................ limit        limit + OVERFLOW_SLOTS
 *   +-----------------------------------------------+---------------------------+
 *   | series, bump-allocated in announcement order  | overflow scratch          |
 *   +-----------------------------------------------+---------------------------+
 *
 * A counter or gauge takes one slot; a histogram takes one slot per bucket
 * (not cumulative), then +Inf, sum and count. Slots are written with plain
 * stores by the owning thread and read by the main thread at scrape time (a
 * scrape may see a value a few writes old; never a torn float64 on x64/arm64).
 * A series that does not fit writes into the overflow area, which is never
 * exposed: the region never corrupts, the metric just stops growing.
 */

/** Slots at the end of each region for series that did not fit. */
export const OVERFLOW_SLOTS = 32;

/** Default region size: 32768 series slots (256 KiB) per thread. */
export const DEFAULT_REGION_SLOTS = 32768;

export function createRegion(slots = DEFAULT_REGION_SLOTS): SharedArrayBuffer {
  return new SharedArrayBuffer(8 * (slots + OVERFLOW_SLOTS));
}

export function regionSlots(region: SharedArrayBuffer): number {
  return region.byteLength / 8;
}
