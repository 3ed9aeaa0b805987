// Sampling by sequence: which of a thread's events a rate keeps, decided for one event or for a run of them at once.

/**
 * A rate of `rate` percent keeps event k (k = 1, 2, 3... on one thread)
 * when `k % 100 < rate`: `rate` of every 100 in a row, with no random draw
 * (a count of n keeps n * rate / 100 to within `rate`). Deciding per event
 * costs a count and a compare; the runtime counts events in bulk instead
 * (a turn's sends, a timing block's messages, a run of equal queue waits)
 * and asks how many of the next `n` the rate keeps: the same total as `n`
 * decisions one by one, in O(1).
 */
export class Sequence {
  /** The rate in percent: 0 keeps nothing, 100 (or more) keeps everything. */
  readonly rate: number;
  /** The last event's number, modulo 100 (kept small: a double counting forever would lose integers after 2^53). */
  private at = 0;

  constructor(rate: number) {
    this.rate = rate;
  }

  /** Is the next event kept? */
  next(): boolean {
    const r = this.rate;
    if (r >= 100) return true;
    if (r <= 0) return false;
    const k = this.at + 1;
    this.at = k === 100 ? 0 : k;
    return k % 100 < r;
  }

  /** How many of the next `n` events are kept (`n` at 100%): as many as `n` calls of `next` would keep. */
  take(n: number): number {
    const r = this.rate;
    if (r >= 100) return n;
    if (r <= 0) return 0;
    const from = this.at + 1;
    this.at = (this.at + n) % 100;
    return keptBelow(from + n, r) - keptBelow(from, r);
  }
}

/** How many of 0, 1, ..., x - 1 a rate of `r` percent keeps (those whose remainder by 100 is under r). */
function keptBelow(x: number, r: number): number {
  const rest = x % 100;
  return (x - rest) / 100 * r + (rest < r ? rest : r);
}
