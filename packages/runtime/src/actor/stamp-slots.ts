// The queue-wait stamp of each single-run mailbox of a thread, in a slot table, off the heap.

import { SlotTable } from './slot-table.js';

/**
 * Slots of per-thread stamps (abs ms). A mailbox whose queued messages all
 * carry one stamp (the usual case: an actor sent one message, or a burst
 * from one handler) keeps only its slot number; a run record with double
 * fields would cost each such mailbox an object and boxed numbers, which a
 * spawn tree such as Savina's Fork-join allocates and promotes for every
 * actor it creates. A mailbox frees its slot when it empties; an exiting
 * process empties its mailbox (dead letters or drain), so no slot outlives
 * its mailbox's messages.
 */
export const SLOTS = new SlotTable(256);

/** Slots in use (for tests). */
export function liveSlots(): number {
  return SLOTS.live;
}
