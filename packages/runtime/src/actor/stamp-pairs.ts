// The queue-wait stamps of each mailbox of a thread holding exactly two runs, in a slot table, off the heap.

import { SlotTable } from './slot-table.js';

/**
 * Mailboxes holding two stamp runs (see Mailbox in mailbox.ts): the head
 * run's stamp, the second run's, and how many messages of the head run are
 * still queued, at `3p`, `3p + 1`, `3p + 2` for pair p. Savina's Fibonacci:
 * a parent often has both its children's answers queued, sent at two
 * different clocks, before it runs; a run record there (an object, two
 * arrays, boxed doubles: about 500 bytes kept) was most of what telemetry
 * allocated per actor. A pair is freed when the message after its head run
 * is taken (the second run's stamp then moves to `lastStamp`), or when it
 * becomes a run record; an exiting process empties its mailbox (dead letters
 * or drain), so no pair outlives its mailbox's messages.
 */
export const PAIRS = new SlotTable(64, 3);

/** Pairs in use (for tests). */
export function livePairs(): number {
  return PAIRS.live;
}
