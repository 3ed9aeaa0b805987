// Side items a thread receives: how many one poll takes, and the young-generation collection that frees them once handled.

/*
 * A received side item is an ArrayBuffer that arrived by transfer: V8 counts
 * its bytes as external memory of this isolate until a collection finds it
 * dead. A thread that only receives big parts allocates almost nothing on its
 * own heap, so no scavenge ever runs, and every 64 MiB or so of received bytes
 * start a mark-compact of the whole heap ("external memory pressure"): 6-8
 * mark-compacts per 800 MiB of 8 MiB moves on the receiving shard, each marking
 * the shard's ~7 MB of modules (a bare worker's is 3.3 MB), on its thread and
 * on V8's helper threads. A scavenge frees the same dead buffers at the cost of
 * the few live young objects, but V8 only considers one when this isolate
 * allocates an ArrayBuffer (past twice the semi-space of young ArrayBuffer
 * bytes, 32 MiB on x64): a transferred buffer is attached, not allocated.
 *
 * So a poll that follows one that took side items first allocates a tiny
 * ArrayBuffer, and V8 runs that check there: between two polls the thread's
 * actors ran, so the buffers it took are usually dead by then and die young.
 * And one poll stops taking side items after POLL_SIDE_KIB (the rest stays in
 * the rings, as messages past a poll's op budget do): young received bytes then
 * pass 32 MiB at a poll's start well before the 64 MiB that start a
 * mark-compact. Measured in ARCHITECTURE.md ("Big payloads").
 */

/** KiB of side items one poll takes before it leaves the rest in the rings (a lone larger frame still goes). */
export const POLL_SIDE_KIB = 16 * 1024;

/** The last nudge: kept so the allocation cannot be optimised away. */
let nudged: ArrayBuffer | null = null;

/** Per thread: KiB of side items taken since the poll that last settled them. */
export class SideIntake {
  /** KiB taken since the last {@link settle} (a poll reads no more side frames once this reaches POLL_SIDE_KIB). */
  kib = 0;

  /** Counts a side batch just taken off a port. */
  took(kib: number): void {
    this.kib += kib;
  }

  /**
   * Start of a poll after one that took side items: lets V8 look at its young
   * ArrayBuffer bytes (a scavenge frees the buffers handled since) and starts
   * the count again.
   */
  settle(): void {
    this.kib = 0;
    nudged = new ArrayBuffer(8);
  }
}

/** The buffer of the last nudge (for tests: that it happened). */
export function lastNudge(): ArrayBuffer | null {
  return nudged;
}
