// Each thread's stamp arrays: a mailbox's queue-wait stamps in a slot of a shared array of doubles, one set per ring size, off the heap.

import { SlotTable } from './slot-table.js';

/**
 * Doubles at the start of every stamp chunk that belong to no slot: a
 * slot's base (the index of its first double) is then at least LEAD, and
 * a mailbox keeps the negated base in its mode field, where it cannot be
 * taken for one of the modes (-3 to -1) or a pair slot (0 and up): see
 * StampedRing.
 */
export const LEAD = 4;

/**
 * Largest ring size whose stamp slots share chunks with the thread's other
 * rings of that size. A larger ring (a burst's sink) gets an array of its
 * own, dropped with it when it shrinks: a chunk stays once made.
 */
export const SHARED_UP_TO = 64;

/** Doubles in a chunk's slots (8 KB): 256 slots of a four-slot ring. */
const CHUNK_DOUBLES = 1024;

/**
 * The thread's shared chunks with a free slot, a stack per ring size (by
 * log2 of the size). A chunk's `at` is never replaced (a full chunk gets a
 * sibling), so a mailbox holds its chunk's Float64Array itself and reads
 * its stamps with no hop through a table. Savina's Big keeps 120 mailboxes
 * of four slots, a new stamp every other message: an array per mailbox (a
 * JSArray and its elements, each touched once per ~120 messages) made a
 * send's two costliest cache misses with telemetry on; its 120 slots here
 * are 3.8 KB of one array that every send and take uses. `stampChunk`
 * takes the top chunk, without looking through every chunk (a million
 * actors with stamp arrays would be 4,000 chunks of four slots); a chunk
 * leaves its stack when its last slot is taken (`openStamps`) and comes
 * back when one is freed (`closeStamps`).
 */
const roomy: SlotTable[][] = [];
/** Each shared chunk by its array: to free a slot by the array a mailbox holds. */
const byArray = new Map<Float64Array, SlotTable>();

/** The stack of shared chunks with room for rings of `size` slots (a power of two, at most SHARED_UP_TO). */
function roomFor(size: number): SlotTable[] {
  return (roomy[31 - Math.clz32(size)] ??= []);
}

/** A chunk with a free slot for a ring of `size` slots (a power of two): a shared one, or past SHARED_UP_TO one of its own. */
export function stampChunk(size: number): SlotTable {
  if (size > SHARED_UP_TO) return new SlotTable(1, size, LEAD);
  const free = roomFor(size);
  if (free.length > 0) return free[free.length - 1]!;
  const c = new SlotTable(CHUNK_DOUBLES / size, size, LEAD);
  free.push(c);
  byArray.set(c.at, c);
  return c;
}

/** Opens a slot of chunk `c` (from `stampChunk`), every stamp NaN (none), and returns its base in `c.at`. */
export function openStamps(c: SlotTable): number {
  const base = c.lead + c.open() * c.width;
  c.at.fill(NaN, base, base + c.width);
  if (c.full && c.width <= SHARED_UP_TO) roomFor(c.width).pop(); // it was the top: see stampChunk
  return base;
}

/** Frees the slot at `base` of the stamp array `at` (an array of its own is simply dropped with its ring). */
export function closeStamps(at: Float64Array, base: number): void {
  const c = byArray.get(at);
  if (c === undefined) return;
  if (c.full) roomFor(c.width).push(c);
  c.close((base - c.lead) / c.width);
}

/** Slots in use in this thread's shared chunks (for tests: each must be freed when its mailbox grows, shrinks or dies). */
export function liveStampSlots(): number {
  let n = 0;
  for (const c of byArray.values()) n += c.live;
  return n;
}
