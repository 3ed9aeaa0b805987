// When each live actor of a thread started (telemetry: the lifetime histogram), kept in a typed array, off the heap.

/**
 * A start time per live actor, in slots of a Float64Array that exits free
 * for the next spawn. A Proc keeps only its slot number (a small integer):
 * a double field on an object would cost each actor a boxed number of its
 * own, one more heap object for the GC to copy and promote, and a spawn tree
 * such as Savina's Fibonacci keeps a hundred thousand actors alive at once.
 */
export class Lifetimes {
  private at = new Float64Array(1024);
  /** Freed slots, a stack: free[0..nFree). */
  private free = new Int32Array(1024);
  private nFree = 0;
  /** Slots handed out so far (the next fresh one). */
  private used = 0;

  /** A slot holding start time `t` (abs ms) for a new actor. */
  open(t: number): number {
    let i: number;
    if (this.nFree > 0) i = this.free[--this.nFree]!;
    else {
      i = this.used++;
      if (i === this.at.length) this.grow();
    }
    this.at[i] = t;
    return i;
  }

  /** The start time in slot `i` (abs ms); the slot is free again. */
  close(i: number): number {
    this.free[this.nFree++] = i;
    return this.at[i]!;
  }

  /** Live slots (for tests). */
  get live(): number {
    return this.used - this.nFree;
  }

  private grow(): void {
    const at = new Float64Array(this.at.length * 2);
    at.set(this.at);
    this.at = at;
    const free = new Int32Array(at.length);
    free.set(this.free.subarray(0, this.nFree));
    this.free = free;
  }
}
