// The clock a slice read at its start, lent once to the first timing block that opens in it.

/**
 * The scheduler reads the clock when a slice starts its turns (it times
 * slices and slow turns whatever telemetry does); with telemetry on, the
 * first turn of the slice opened its timing block with a read of its own
 * ~100 ns later (a cross-shard ping-pong's every slice). `take` hands the
 * slice's read to the first block that opens in the slice, once: later
 * blocks of the slice, and turns run between slices (Scheduler.runNow), read
 * the clock themselves.
 */
export class SliceClock {
  /** performance.now() at the start of the running slice's turns; NaN once taken, or between slices. */
  private at = Number.NaN;

  /** The slice starts its turns at `now` (performance.now()). */
  lend(now: number): void {
    this.at = now;
  }

  /** The slice is over: its read is stale. */
  expire(): void {
    this.at = Number.NaN;
  }

  /** The slice's read (performance.now()) if no block has taken it yet, else NaN. */
  take(): number {
    const at = this.at;
    this.at = Number.NaN;
    return at;
  }
}
