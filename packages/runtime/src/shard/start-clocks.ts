// The start times of a thread's typed actors (lifetime histogram): one slot per distinct clock, shared by the actors that started at it.

/** What `hold` reads the clock from (TurnTiming): in a turn the turn's clock, else `outClock`. */
export interface ClockSource {
  readonly inTurn: boolean;
  readonly clock: number;
  readonly outClock: number;
}

/**
 * One slot per distinct start clock still held, with a count of the actors
 * holding it, instead of one slot per actor. Spawns come in storms that share
 * a clock (TurnTiming serves up to 64 spawns outside a turn with one read, a
 * turn's spawns take its block's clock), so a spawn tree of a hundred
 * thousand live actors holds a few thousand slots: an exit reads its start
 * from a table that stays in cache. With one slot per actor the table was
 * 1.2 MB, read in exit order, which is not spawn order: a cache miss per
 * exit, which cost Savina's Fibonacci more than all its lifecycle counters.
 *
 * Doubles stay off the heap (a double passed to a call that is not inlined is boxed): `hold` reads the clock from
 * its source, and the start is read back from `at`.
 */
export class StartClocks {
  /** Slot i's clock (abs ms). */
  at: Float64Array;
  /** Actors holding slot i (0: free). */
  private refs: Int32Array;
  /** Freed slots, a stack: free[0..nFree). */
  private free: Int32Array;
  private nFree = 0;
  private used = 0;
  /** The slot `hold` last opened (-1: none, or freed since): the next spawn at the same clock shares it. */
  private last = -1;

  constructor(size: number) {
    this.at = new Float64Array(size);
    this.refs = new Int32Array(size);
    this.free = new Int32Array(size);
  }

  /** A slot holding the current clock of `t` (one more holder of it). */
  hold(t: ClockSource): number {
    const now = t.inTurn ? t.clock : t.outClock;
    let i = this.last;
    if (i >= 0 && this.at[i] === now) {
      this.refs[i]!++;
      return i;
    }
    if (this.nFree > 0) i = this.free[--this.nFree]!;
    else {
      i = this.used++;
      if (i === this.at.length) this.grow();
    }
    this.at[i] = now;
    this.refs[i] = 1;
    this.last = i;
    return i;
  }

  /** One holder of slot `i` is gone; the slot is free once none is left. */
  release(i: number): void {
    if (--this.refs[i]! !== 0) return;
    this.free[this.nFree++] = i;
    if (i === this.last) this.last = -1;
  }

  /** Slots in use (for tests). */
  get live(): number {
    return this.used - this.nFree;
  }

  private grow(): void {
    const n = this.at.length * 2;
    const at = new Float64Array(n);
    at.set(this.at);
    this.at = at;
    const refs = new Int32Array(n);
    refs.set(this.refs);
    this.refs = refs;
    const free = new Int32Array(n);
    free.set(this.free.subarray(0, this.nFree));
    this.free = free;
  }
}
