// The queue-wait stamp of each single-run mailbox of a thread, in slots of a Float64Array, off the heap.

/**
 * Slots of per-thread stamps (abs ms). A mailbox whose queued messages all
 * carry one stamp (the usual case: an actor sent one message, or a burst
 * from one handler) keeps only its slot number, a small integer; a double
 * field on an object would cost each such mailbox a boxed number and an
 * object of its own (the run record), which a spawn tree such as Savina's
 * Fork-join allocates and promotes for every actor it creates.
 *
 * The caller writes the stamp itself (`SLOTS.at[i] = t`): a double passed
 * to a call that is not inlined is boxed. A mailbox frees its slot when it
 * empties; an exiting process empties its mailbox (dead letters or drain),
 * so no slot outlives its mailbox's messages.
 */
export const SLOTS = { at: new Float64Array(256) };

/** Freed slots, a stack: free[0..nFree). */
let free = new Int32Array(256);
let nFree = 0;
/** Slots handed out so far (the next fresh one). */
let used = 0;

/** A free slot; the caller stores its stamp in `SLOTS.at`. */
export function openSlot(): number {
  if (nFree > 0) return free[--nFree]!;
  const i = used++;
  if (i === SLOTS.at.length) {
    const at = new Float64Array(i * 2);
    at.set(SLOTS.at);
    SLOTS.at = at;
    const f = new Int32Array(i * 2);
    f.set(free.subarray(0, nFree));
    free = f;
  }
  return i;
}

/** Slot `i` is free again. */
export function closeSlot(i: number): void {
  free[nFree++] = i;
}

/** Slots in use (for tests). */
export function liveSlots(): number {
  return used - nFree;
}
