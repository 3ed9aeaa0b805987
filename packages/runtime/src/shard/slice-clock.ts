// Clock reads a slice and its telemetry share: the slice's start, lent to its first timing block, and a block's end, lent back to the slice.

/**
 * The scheduler reads the clock when a slice starts its turns and, after its
 * last turns, to see whether they were slow (it times slices and slow turns
 * whatever telemetry does). With telemetry on, the first turn of a slice
 * opened its timing block with a read of its own ~100 ns after the first,
 * and the flush after a turn ended the block with another just before the
 * second: in a cross-shard ping-pong, four reads a slice where two serve.
 * `take` hands the slice's start to the first block that opens in it, once;
 * `saw` keeps a block end's read for the slice's check (`seen`), which only
 * takes a read made after the slice's last turn. Later blocks of the slice,
 * and turns run between slices (Scheduler.runNow), read the clock themselves.
 */
export class SliceClock {
  /** performance.now() at the start of the running slice's turns; NaN once taken, or after its first turn. */
  private at = Number.NaN;
  /** A read (performance.now()) made since the slice's last turn ended; NaN: none. */
  private after = Number.NaN;

  /** The slice starts its turns at `now` (performance.now()). */
  lend(now: number): void {
    this.at = now;
    this.after = Number.NaN;
  }

  /** A turn ended, or the slice did: both reads are stale. */
  expire(): void {
    this.at = Number.NaN;
    this.after = Number.NaN;
  }

  /** The slice's read (performance.now()) if no block has taken it yet, else NaN. */
  take(): number {
    const at = this.at;
    this.at = Number.NaN;
    return at;
  }

  /** A timing block ended at `now` (performance.now()). */
  saw(now: number): void {
    this.after = now;
  }

  /** A read made since the last turn ended (performance.now()), else NaN. */
  seen(): number {
    return this.after;
  }
}
