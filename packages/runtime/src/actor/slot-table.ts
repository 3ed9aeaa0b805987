// A per-thread table of doubles in the slots of a Float64Array, with a free list: numbers kept off the heap.

/**
 * Doubles that objects refer to by slot number (a small integer) instead of
 * holding them: a double field on an object costs each object a boxed
 * number of its own, one more heap object for the GC to copy and promote,
 * and a spawn tree such as Savina's Fibonacci keeps a hundred thousand
 * actors alive at once. Used for two-run mailboxes' queue-wait stamps
 * (actors' start times share slots by clock: shard/start-clocks.ts).
 *
 * The caller stores the value itself (`table.at[i] = t`), after `open()`:
 * a new slot may replace `at`, and a double passed to a call that is not
 * inlined is boxed. A table of `width` > 1 holds that many doubles a slot,
 * slot i's at `at[lead + i * width]` and after (`lead` doubles at the start
 * belong to no slot: see stamp-tables.ts).
 */
export class SlotTable {
  at: Float64Array;
  /** Doubles per slot. */
  readonly width: number;
  /** Doubles before slot 0's. */
  readonly lead: number;
  /** Freed slots, a stack: free[0..nFree). */
  private free: Int32Array;
  private nFree = 0;
  /** Slots handed out so far (the next fresh one). */
  private used = 0;

  constructor(size: number, width = 1, lead = 0) {
    this.width = width;
    this.lead = lead;
    this.at = new Float64Array(lead + size * width);
    this.free = new Int32Array(size);
  }

  /** A slot for a new value; the caller stores it in `at`. */
  open(): number {
    if (this.nFree > 0) return this.free[--this.nFree]!;
    const i = this.used++;
    if (i === this.free.length) this.grow();
    return i;
  }

  /** Slot `i` is free again (its value stays readable until the next `open`). */
  close(i: number): void {
    this.free[this.nFree++] = i;
  }

  /** Whether every slot is in use: the next `open` would replace `at`. */
  get full(): boolean {
    return this.nFree === 0 && this.used === this.free.length;
  }

  /** Slots in use (for tests). */
  get live(): number {
    return this.used - this.nFree;
  }

  private grow(): void {
    const at = new Float64Array(this.lead + this.free.length * 2 * this.width);
    at.set(this.at);
    this.at = at;
    const free = new Int32Array(this.free.length * 2);
    free.set(this.free.subarray(0, this.nFree));
    this.free = free;
  }
}
