// Each thread's stamp arrays: a mailbox's queue-wait stamps in a slot of a table of doubles kept per ring size, off the heap.

import { SlotTable } from './slot-table.js';

/**
 * Doubles at the start of every stamp table that belong to no slot: a
 * slot's base (the index of its first double) is then at least LEAD, and
 * a mailbox keeps the negated base in its mode field, where it cannot be
 * taken for one of the modes (-3 to -1) or a pair slot (0 and up): see
 * StampedRing.
 */
export const LEAD = 4;

/**
 * Largest ring size whose stamp slots share a table with the thread's
 * other rings of that size. A larger ring (a burst's sink) gets a table of
 * its own, one slot, dropped with it when it shrinks: a shared table keeps
 * the most slots it ever held.
 */
export const SHARED_UP_TO = 64;

/** Slots a new shared table starts with, in doubles (it doubles when full). */
const FIRST_DOUBLES = 512;

/**
 * The shared tables, by log2 of the ring size, made on first use. One per
 * size: Savina's Big keeps 120 mailboxes of four slots, a new stamp every
 * other message, and a stamp array per mailbox (a JSArray and its elements,
 * each touched once per ~120 messages) made a send's two costliest cache
 * misses with telemetry on; its 120 slots here are 3.8 KB read and written
 * by every send and take, so they stay in cache.
 */
const tables: (SlotTable | undefined)[] = [];

/** The table for a ring of `size` slots (a power of two): the thread's shared one for that size, or a new one of its own past SHARED_UP_TO. */
export function stampTable(size: number): SlotTable {
  if (size > SHARED_UP_TO) return new SlotTable(1, size, LEAD);
  const k = 31 - Math.clz32(size);
  return (tables[k] ??= new SlotTable(Math.max(4, FIRST_DOUBLES / size), size, LEAD));
}

/** Opens a slot of `t`, every stamp NaN (none), and returns its base; read `t.at` after this (it may have been replaced). */
export function openStamps(t: SlotTable): number {
  const base = t.lead + t.open() * t.width;
  t.at.fill(NaN, base, base + t.width);
  return base;
}

/** Frees the slot at `base` of `t` (a table of its own is simply dropped with the ring). */
export function closeStamps(t: SlotTable, base: number): void {
  t.close((base - t.lead) / t.width);
}

/** Slots in use in this thread's shared tables (for tests: each must be freed when its mailbox grows, shrinks or dies). */
export function liveStampSlots(): number {
  let n = 0;
  for (const t of tables) if (t !== undefined) n += t.live;
  return n;
}
