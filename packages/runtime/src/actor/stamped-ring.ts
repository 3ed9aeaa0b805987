// The ring a mailbox keeps its messages in, each beside its queue-wait stamp: [message, stamp] pairs in one array.

/**
 * A queue-wait stamp: a tick (microseconds) of the thread's tick clock
 * (shard/tick-clock.ts), a small integer, so the ring's array stores it
 * unboxed; NO_STAMP for a message that carries none. Ticks stay above it:
 * the clock rebases before they could reach it (see StampedRing.rebase).
 */
export const NO_STAMP = -0x4000_0000;

/** A stamp older than the ticks can reach (see StampedRing.rebase): its clock (abs ms), kept exactly. */
export interface OldStamp {
  readonly ms: number;
}

/** Ring size (slots) above which an idle empty ring gives its array back (see `settleIdleRings`). */
export const SHRINK_ABOVE = 1024;
/** Ring size a ring starts again from after giving its array back. */
export const SHRUNK_SIZE = 64;
/** The head `settleIdleRings` noted for a grown ring last found holding messages. */
const NOT_SEEN = -1;

/**
 * A ring buffer over a plain array (power-of-two size, grows by doubling)
 * whose slots are pairs: a message and its stamp side by side.
 *
 * ```
 *   head                 head+length
 *    v                      v
 * [ . . a A b B c C . . . . ]   message, stamp, message, stamp ...
 * ```
 *
 * A send stores a message and its stamp in one cache line, and a take reads
 * both from it: no stamp array of the mailbox's own, no modes for runs of
 * equal stamps, and a stamp compared as an integer. (The stamps lived in a
 * per-thread table of doubles before, with a mailbox's first two runs in
 * fields and pair slots: in Savina's Big, 120 actors pinging each other
 * with a new stamp every other message, telemetry cost ~57 ms a run of
 * ~4.8 million messages against ~30 with this ring; see ARCHITECTURE.md.)
 * With telemetry off every stamp is NO_STAMP.
 */
export class StampedRing {
  /** [message, stamp] pairs: slot i's message at 2i, its stamp at 2i + 1. */
  protected buf: unknown[];
  protected mask: number;
  protected head = 0;
  /** Number of queued messages. */
  length = 0;
  /** The stamp of the message just taken (NO_STAMP: none; an OldStamp once a rebase moved it out of range). */
  lastStamp: number = NO_STAMP;

  constructor(initialSize: number) {
    this.buf = new Array<unknown>(initialSize * 2);
    this.mask = initialSize - 1;
  }

  /**
   * The stamp of the i-th oldest queued message (i < length), nothing taken.
   * A consumer that takes messages a run at a time (the observed turn, with
   * `shiftInRun`) compares the head's before each take: a run ends at the
   * first message whose stamp differs. (A count of the run read ahead of the
   * takes, as `headRun` did, read every stamp twice, a pass over the ring
   * of its own: Savina's Fork-join throughput, 10,000 messages queued per
   * actor, lost 10% of its time with telemetry on to it; see ARCHITECTURE.md.)
   */
  stampAt(i: number): number | OldStamp {
    return this.buf[(((this.head + i) & this.mask) << 1) + 1] as number | OldStamp;
  }

  /** Message `i` (from the oldest) is being removed from the middle: the pairs behind it move up. */
  protected removePair(i: number): void {
    const buf = this.buf;
    const mask = this.mask;
    for (let k = i; k < this.length - 1; k++) {
      const to = ((this.head + k) & mask) << 1;
      const from = ((this.head + k + 1) & mask) << 1;
      buf[to] = buf[from];
      buf[to + 1] = buf[from + 1];
    }
    const last = ((this.head + this.length - 1) & mask) << 1;
    buf[last] = undefined;
    buf[last + 1] = undefined;
  }

  /** Starts the (empty) ring again at SHRUNK_SIZE slots. */
  protected shrink(): void {
    this.buf = new Array<unknown>(SHRUNK_SIZE * 2);
    this.head = 0;
    this.mask = SHRUNK_SIZE - 1;
  }

  /** Doubles the ring, the oldest message at slot 0. */
  protected grow(): void {
    const size = this.mask + 1;
    const buf = this.buf;
    const next = new Array<unknown>(size * 4);
    for (let i = 0; i < this.length; i++) {
      const from = ((this.head + i) & this.mask) << 1;
      next[2 * i] = buf[from];
      next[2 * i + 1] = buf[from + 1];
    }
    this.buf = next;
    this.head = 0;
    this.mask = size * 2 - 1;
    // Past SHRINK_ABOVE for the first time since it started small: listed for settleIdleRings (a field per ring would cost every actor 8 bytes).
    if (this.mask === SHRINK_ABOVE * 2 - 1) {
      grown.push(this);
      seen.push(NOT_SEEN);
    }
  }

  /**
   * The thread's tick clock moved its origin `by` ticks on (tick-clock.ts):
   * every queued stamp moves back as much. One that would fall to NO_STAMP
   * or below becomes an OldStamp holding its clock (`originMs`: the old
   * origin's abs ms), which the wait count reads the long way.
   */
  rebase(by: number, originMs: number): void {
    const buf = this.buf;
    for (let i = 0; i < this.length; i++) {
      const j = ((((this.head + i) & this.mask) << 1) + 1);
      const s = buf[j];
      if (typeof s !== 'number' || s === NO_STAMP) continue;
      buf[j] = s - by > NO_STAMP ? s - by : ({ ms: originMs + s / 1000 } satisfies OldStamp);
    }
  }

  /** See `settleIdleRings`: shrinks this ring if it is empty and its head is still `seenHead`; true when it did. */
  settleIdle(seenHead: number): boolean {
    if (this.length !== 0 || this.head !== seenHead) return false;
    this.shrink();
    return true;
  }

  /** See `settleIdleRings`: the head to compare at the next look (NOT_SEEN while it holds messages). */
  idleHead(): number {
    return this.length === 0 ? this.head : NOT_SEEN;
  }

  /** The mailbox's process is gone and the mailbox empty (exits.ts): a grown ring gives its array back. */
  release(): void {
    // On a thread that never parks, settleIdleRings would never come for it.
    if (this.mask >= SHRINK_ABOVE * 2 - 1) {
      const i = grown.indexOf(this);
      if (i >= 0) {
        grown[i] = grown[grown.length - 1]!;
        seen[i] = seen[seen.length - 1]!;
        grown.pop();
        seen.pop();
      }
      this.shrink();
    }
  }
}

/** Rings of this thread that grew past SHRINK_ABOVE slots and have not given their arrays back yet. */
const grown: StampedRing[] = [];
/** For each ring of `grown`, its head when the last look found it empty (NOT_SEEN: it was not). */
const seen: number[] = [];

/**
 * Gives the arrays of idle grown rings back: a ring that grew past
 * SHRINK_ABOVE slots for a burst, and that this call and the one before it
 * both found empty, with nothing taken in between (its head had not moved),
 * starts again at SHRUNK_SIZE slots. The scheduler calls it when its thread
 * is about to park, at most once a second, so a ring in use keeps its size
 * (shrinking one at every turn that emptied it made Savina's Counting,
 * a million messages a run through one mailbox, regrow it every run: 30 -> 43 ms)
 * and a sink grown by an old burst does not hold its memory for good (a
 * shard heap kept over 8 MB makes V8 collect big payloads with more
 * mark-compacts, ARCHITECTURE.md, *Big payloads*). A dead process's ring
 * leaves the list at its release. Nothing on the message path.
 */
export function settleIdleRings(): void {
  for (let i = 0; i < grown.length; ) {
    const r = grown[i]!;
    if (r.settleIdle(seen[i]!)) {
      grown[i] = grown[grown.length - 1]!;
      seen[i] = seen[seen.length - 1]!;
      grown.pop();
      seen.pop();
    } else {
      seen[i] = r.idleHead();
      i++;
    }
  }
}
