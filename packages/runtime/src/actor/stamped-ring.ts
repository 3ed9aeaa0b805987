// The ring a mailbox keeps its messages in, and each queued message's queue-wait stamp: in one field, a pair slot or an array.

import { PAIRS } from './stamp-pairs.js';
import { closeStamps, openStamps, stampChunk } from './stamp-tables.js';

/**
 * `StampedRing.mode` while it has no stamp array: never stamped (NEVER),
 * every queued message carries the stamp in `lastStamp` (SINGLE; a take
 * that empties the mailbox keeps it, `lastStamp` then the taken message's:
 * a one-message turn writes no mode), stamped once but holding no single
 * run now (AFTER: taking a message sets `lastStamp` NaN), or, 0 and up, two
 * runs in that pair slot (stamp-pairs.ts). With a stamp array it is the
 * negated base of the array's slot (-LEAD, -4, or less: stamp-tables.ts).
 * So `mode > SINGLE` is "a take must move a stamp" (AFTER or a pair), and
 * every mode but NEVER and AFTER sends a push to `stampTail`.
 * Mailbox.shiftLone compares SINGLE as a literal (bytes the lone turn
 * cannot spare): renumber it there too.
 */
export const NEVER = -3;
export const SINGLE = -2;
export const AFTER = -1;

/** Ring size (slots) above which an idle empty ring gives its arrays back (see `settleIdleRings`). */
export const SHRINK_ABOVE = 1024;
/** Ring size a ring starts again from after giving its arrays back. */
export const SHRUNK_SIZE = 64;
/** The head `settleIdleRings` noted for a grown ring last found holding messages. */
const NOT_SEEN = -1;

/**
 * A ring buffer over a plain array (power-of-two size, grows by doubling)
 * and the queue-wait stamps (send times; NaN: none) of what it holds.
 *
 * ```
 *   head            head+length
 *    v                 v
 * [ . . a b c d e . . . ]   slots are masked with (size - 1)
 * ```
 *
 * The messages a handler sends share its clock, so most mailboxes hold one
 * stamp, or two: while every queued message shares one stamp (a single run)
 * it sits in `lastStamp`, the field a take would copy it to (a push into an
 * empty mailbox sets it, taking the run's messages leaves it). A second
 * stamped run behind the first makes a pair: both stamps and the head run's
 * count in a per-thread pair slot (stamp-pairs.ts), nothing on the heap (a
 * spawned actor that gets one message, a Fibonacci parent with its two
 * children's answers). A third run, an unstamped message behind stamped ones,
 * or a removal from a pair makes the stamp array: every queued message's
 * stamp in the slot parallel to its own, written by its push and read by
 * its take, kept (and grown with the ring) from then on, until the ring
 * shrinks or `release` (its process exited). It is a slot of a chunk that
 * the thread's rings of this size share (stamp-tables.ts), the mailbox
 * holding the chunk's Float64Array and, in `mode`, the slot's negated base:
 * an array per mailbox was two cold cache lines per send in Big. Savina's Big
 * (messages from many senders, a new stamp every other message of a
 * mailbox) kept runs in a record before (run starts and stamps in arrays
 * searched at every take, a new run at every other push): the shard's CPU
 * with telemetry on was ~5% higher (0-7% in six paired runs) than with a
 * slot per message.
 *
 * `lastStamp` is read right after the take that set it, before any handler
 * runs: a push that overwrites it later, into the emptied mailbox, comes
 * after that read. So a pair whose head run is taken to its last message
 * stays, with a count of 0, until the next take or `headRun` moves the
 * second run's stamp into `lastStamp` and frees it: until then `lastStamp`
 * is the taken message's.
 */
export class StampedRing {
  protected buf: unknown[];
  protected mask: number;
  protected head = 0;
  /** Number of queued messages. */
  length = 0;
  /** The send time of the message just taken; NaN if it was not stamped. */
  lastStamp = NaN;
  /**
   * The stamp array, once made (see above): a chunk of stamp slots shared
   * with the thread's other rings of this size (stamp-tables.ts), each
   * queued message's stamp (NaN: none) at `stamps[slot - mode]` for its ring
   * slot. Null before.
   */
  protected stamps: Float64Array | null = null;
  /** NEVER, AFTER, SINGLE, a pair slot, or with `stamps` the negated base of its slot there (see NEVER). */
  protected mode = NEVER;

  constructor(initialSize: number) {
    this.buf = new Array<unknown>(initialSize);
    this.mask = initialSize - 1;
  }

  /**
   * How many queued messages from the oldest on, at most `max`, share the
   * oldest one's stamp (all of them in a mailbox that was never stamped),
   * and sets `lastStamp` to it: for a consumer that takes messages a run at
   * a time (the observed turn) with `shiftInRun`, which keeps no stamps
   * (or `shift`, for a traced one: it reads the same stamp).
   * The mailbox must not be empty.
   */
  headRun(max?: number): number {
    const cap = max === undefined || max > this.length ? this.length : max;
    const st = this.stamps;
    if (st !== null) {
      const b = -this.mode;
      const h = this.head;
      const mask = this.mask;
      const s = st[b + h]!;
      this.lastStamp = s;
      let k = 1;
      if (s === s) {
        while (k < cap && st[b + ((h + k) & mask)] === s) k++;
      } else {
        // NaN after NaN: unstamped ones are a run too.
        for (; k < cap; k++) {
          const x = st[b + ((h + k) & mask)]!;
          if (x === x) break;
        }
      }
      return k;
    }
    const p = this.mode;
    if (p >= 0) {
      const b = p * 3;
      const left = PAIRS.at[b + 2]!;
      if (left > 0) {
        this.lastStamp = PAIRS.at[b]!;
        return left < cap ? left : cap;
      }
      // The head run was taken: the second is a single run now, its stamp in lastStamp.
      this.lastStamp = PAIRS.at[b + 1]!;
      PAIRS.close(p);
      this.mode = SINGLE;
    } else if (p === AFTER) this.lastStamp = NaN;
    return cap;
  }

  /**
   * The oldest message is being taken by `shift`, with no stamp array: its
   * stamp goes to `lastStamp`. (SINGLE: it is there already, and stays
   * there when the take empties the mailbox, see `stampTail`.)
   */
  protected tookHead(): void {
    if (this.mode === AFTER) this.lastStamp = NaN;
    else if (this.mode >= 0) this.takePair(true);
  }

  /** The oldest message is being taken by `shiftInRun`, with no stamp array (`headRun` set `lastStamp`). */
  protected tookInRun(): void {
    if (this.mode >= 0) this.takePair(false);
  }

  /**
   * The newest message (being pushed, at slot head + length) has stamp `at`
   * (NaN: none): for any push but the common stamped one, which stores it
   * itself. A stamp read from a parameter here is on the rare path only.
   */
  protected stampTail(at: number): void {
    const st = this.stamps;
    if (st !== null) {
      st[((this.head + this.length) & this.mask) - this.mode] = at;
      return;
    }
    if (this.mode === SINGLE) {
      if (at === this.lastStamp) return; // the single run goes on
      if (this.length === 0) {
        // Emptied by a take, which kept SINGLE (lastStamp, read right after it, is no longer needed): a new start.
        if (at === at) this.lastStamp = at;
        else this.mode = AFTER;
        return;
      }
      if (at === at) {
        // A second stamped run: a pair, the queued messages its head run.
        const p = PAIRS.open(); // before reading PAIRS.at, which a new slot may replace
        const b = p * 3;
        PAIRS.at[b] = this.lastStamp;
        PAIRS.at[b + 1] = at;
        PAIRS.at[b + 2] = this.length;
        this.mode = p;
        return;
      }
    } else if (this.mode >= 0) {
      const b = this.mode * 3;
      const pa = PAIRS.at;
      if (at === pa[b + 1]) return; // the second run goes on
      if (at === at && pa[b + 2] === 0) {
        // The head run was taken (its stamp is still lastStamp's): the second run is the head of a new pair.
        pa[b] = pa[b + 1]!;
        pa[b + 1] = at;
        pa[b + 2] = this.length;
        return;
      }
    } else if (at !== at) return; // no stamp queued: nothing to keep
    else if (this.length === 0) {
      this.lastStamp = at;
      this.mode = SINGLE;
      return;
    }
    // A third run, an unstamped message behind stamped ones, or a stamped one behind unstamped ones.
    this.toArray();
    this.stamps![((this.head + this.length) & this.mask) - this.mode] = at;
  }

  /** Message `i` (from the oldest) is being removed from the middle: the stamps behind it move up with their messages. */
  protected removingStamp(i: number): void {
    if (this.stamps === null && this.mode >= 0) this.toArray();
    const st = this.stamps;
    if (st !== null) {
      const b = -this.mode;
      for (let k = i; k < this.length - 1; k++) st[b + ((this.head + k) & this.mask)] = st[b + ((this.head + k + 1) & this.mask)]!;
    } else if (this.length === 1 && this.mode === SINGLE) this.mode = AFTER;
  }

  /**
   * Starts the (empty) ring again at SHRUNK_SIZE slots, without its stamp
   * array (AFTER then: a third run makes a new one). Otherwise the mode and
   * `lastStamp` stay.
   */
  protected shrink(): void {
    this.dropStamps();
    this.buf = new Array<unknown>(SHRUNK_SIZE);
    this.head = 0;
    this.mask = SHRUNK_SIZE - 1;
  }

  /** Doubles the ring (and the stamp array with it), the oldest message at slot 0. */
  protected grow(): void {
    const size = this.buf.length;
    const next = new Array<unknown>(size * 2);
    for (let i = 0; i < this.length; i++) next[i] = this.buf[(this.head + i) & this.mask];
    this.buf = next;
    const from = this.stamps;
    if (from !== null) {
      // A slot of the next size's chunks: its stamps from 0, with the messages; the old slot is freed.
      const b = -this.mode;
      const c = stampChunk(size * 2);
      const b2 = openStamps(c);
      const to = c.at;
      for (let i = 0; i < this.length; i++) to[b2 + i] = from[b + ((this.head + i) & this.mask)]!;
      closeStamps(from, b);
      this.stamps = to;
      this.mode = -b2;
    }
    this.head = 0;
    this.mask = size * 2 - 1;
    // Past SHRINK_ABOVE for the first time since it started small: listed for settleIdleRings (a field per ring would cost every actor 8 bytes).
    if (this.mask === SHRINK_ABOVE * 2 - 1) {
      grown.push(this);
      seen.push(NOT_SEEN);
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

  /**
   * A message is taken from a pair (`shift`; `shiftInRun` with `stamp`
   * false, its `headRun` having set `lastStamp`). While the head run lasts,
   * its stamp goes to `lastStamp` and its count down, to 0 after its last
   * message, which keeps the pair: `lastStamp` must stay that message's
   * stamp until the next take. The take after it (the count already 0) moves
   * the second run's stamp to `lastStamp`, a single run's now (AFTER if that
   * message was the last), and frees the pair.
   */
  private takePair(stamp: boolean): void {
    const p = this.mode;
    const b = p * 3;
    const at = PAIRS.at;
    const left = at[b + 2]!;
    if (left > 0) {
      if (stamp) this.lastStamp = at[b]!;
      at[b + 2] = left - 1;
      return;
    }
    this.lastStamp = at[b + 1]!;
    PAIRS.close(p);
    this.mode = this.length === 1 ? AFTER : SINGLE;
  }

  /**
   * The mailbox's process is gone and the mailbox empty (exits.ts): its
   * stamp slot, or pair, is freed (a chunk keeps a slot until then).
   */
  release(): void {
    if (this.stamps !== null) this.dropStamps();
    else if (this.mode >= 0) {
      PAIRS.close(this.mode);
      this.mode = AFTER;
    }
    // A grown ring gives its arrays back now: on a thread that never parks, settleIdleRings would never come for it.
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

  /** Frees the stamp array's slot, if any: no stamp is queued (AFTER; `lastStamp` stays). */
  private dropStamps(): void {
    const st = this.stamps;
    if (st === null) return;
    closeStamps(st, -this.mode);
    this.stamps = null;
    this.mode = AFTER;
  }

  /** Makes the stamp array from what the mode says of the queued messages (a pair is freed); `lastStamp` stays. */
  private toArray(): void {
    const c = stampChunk(this.buf.length);
    const base = openStamps(c);
    const st = c.at;
    const p = this.mode;
    let first = NaN;
    let rest = NaN;
    let left = 0;
    if (p === SINGLE) {
      rest = this.lastStamp;
    } else if (p >= 0) {
      const b = p * 3;
      first = PAIRS.at[b]!;
      rest = PAIRS.at[b + 1]!;
      left = PAIRS.at[b + 2]!;
      PAIRS.close(p);
    }
    for (let k = 0; k < this.length; k++) st[base + ((this.head + k) & this.mask)] = k < left ? first : rest;
    this.stamps = st;
    this.mode = -base;
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
