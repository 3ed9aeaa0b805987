// A process mailbox: a growable ring of messages with an optional capacity, FIFO plus removal from the middle.

import { NO_STAMP, StampedRing } from './stamped-ring.js';
import { movedBack, onRebase } from './ticks.js';

/**
 * The EXIT and DOWN messages the runtime queued (signals turned into
 * messages, not sends): they stay out of the thread's count of queued sends
 * (QUEUED in control-block.ts). Kept by identity, aside, so that taking a
 * message costs nothing extra while a mailbox holds none (`sysCount === 0`).
 * Counted: one object may be queued more than once (a behaviour's constant
 * timeout message, queued twice before it is taken, or by two processes).
 */
const SYSTEM = new WeakMap<object, number>();

/**
 * The stamp the next `pushStamped` stores (a tick of the thread's tick
 * clock, NO_STAMP: none; see StampedRing): the caller sets it right before
 * the call. A field, not an argument, so that a send whose push is not
 * inlined passes nothing per message.
 */
export const STAMP_IN = { at: NO_STAMP };
// A stamp set and not pushed yet when the tick clock moves on (a flush between a send's stamp and its push).
onRebase((by) => {
  STAMP_IN.at = movedBack(STAMP_IN.at, by);
});

/**
 * The `capacity` of a mailbox without a bound: a small integer (a Smi), not
 * Infinity, so the field holds no boxed number (V8 gives each object its own
 * box for a double field: one more heap object per actor). No mailbox can
 * hold this many messages (a V8 array cannot grow that long).
 */
export const UNBOUNDED = 0x3fff_ffff;

/**
 * A process mailbox: FIFO (`push`/`shift` O(1) and allocation-free once
 * grown), with removal from the middle for selective receive (`removeAt`,
 * O(n)), a capacity, the EXIT and DOWN messages the runtime queued, and trace
 * contexts. The ring and the queue-wait stamps beside the messages are
 * StampedRing's (stamped-ring.ts).
 */
export class Mailbox extends StampedRing {
  /** Most messages this mailbox will hold (UNBOUNDED: no bound); `push` refuses past it. */
  capacity: number;
  /** Trace contexts parallel to `buf` (tracing on), allocated on the first traced message. */
  private traces: unknown[] | null = null;
  /** The trace context of the message `shift()` just returned (undefined: none), once any message was traced. */
  lastTrace: unknown = undefined;
  /** EXIT and DOWN messages queued by `pushAlways` and not taken yet (see `tookSystem`). */
  sysCount = 0;

  constructor(capacity: number, initialSize = 4) {
    super(initialSize);
    this.capacity = capacity === Infinity ? UNBOUNDED : capacity;
  }

  /** Appends a message; false (nothing stored) when the mailbox is full. */
  push(msg: unknown): boolean {
    if (this.length >= this.capacity) return false;
    if (this.length > this.mask) this.grow();
    const i = ((this.head + this.length) & this.mask) << 1;
    this.buf[i] = msg;
    this.buf[i + 1] = NO_STAMP;
    this.length++;
    return true;
  }

  /**
   * `push` with the send's stamp, read from `STAMP_IN.at` (see there), and a
   * trace context (undefined: none).
   */
  pushStamped(msg: unknown, trace?: unknown): boolean {
    if (this.length >= this.capacity) return false;
    if (this.length > this.mask) this.grow();
    const i = ((this.head + this.length) & this.mask) << 1;
    const buf = this.buf;
    buf[i] = msg;
    buf[i + 1] = STAMP_IN.at;
    if (trace !== undefined) this.keepTrace(i >> 1, trace);
    this.length++;
    return true;
  }

  private keepTrace(slot: number, trace: unknown): void {
    if (this.traces === null) this.traces = new Array<unknown>(this.mask + 1);
    this.traces[slot] = trace;
  }

  /** Appends ignoring capacity, marked as a system message: for EXIT and DOWN, which must never be lost. */
  pushAlways(msg: object): void {
    if (this.length > this.mask) this.grow();
    const i = ((this.head + this.length) & this.mask) << 1;
    this.buf[i] = msg;
    this.buf[i + 1] = NO_STAMP;
    this.length++;
    SYSTEM.set(msg, (SYSTEM.get(msg) ?? 0) + 1);
    this.sysCount++;
  }

  /**
   * Whether `msg`, just taken out (by `shift` or `removeAt`), was an EXIT or
   * DOWN queued by `pushAlways` rather than a send. Callers test `sysCount`
   * first, so the usual mailbox, with none, pays one field read.
   */
  tookSystem(msg: unknown): boolean {
    if (this.sysCount === 0) return false;
    const n = SYSTEM.get(msg as object);
    if (n === undefined) return false;
    if (n === 1) SYSTEM.delete(msg as object);
    else SYSTEM.set(msg as object, n - 1);
    this.sysCount--;
    return true;
  }

  /** Removes and returns the oldest message (undefined when empty); its stamp goes to `lastStamp`, its trace context to `lastTrace`. */
  shift(): unknown {
    if (this.length === 0) return undefined;
    return this.shiftLone();
  }

  /**
   * `shift` of a mailbox known not to be empty (the lone turn's,
   * turn-lone.ts: short code, which the scheduler's slice inlines with the
   * rest of that turn).
   */
  shiftLone(): unknown {
    const h = this.head;
    const i = h << 1;
    const buf = this.buf;
    const msg = buf[i];
    buf[i] = undefined;
    this.lastStamp = buf[i + 1] as number;
    if (this.traces !== null) this.tookTrace(h);
    this.head = (h + 1) & this.mask;
    this.length--;
    return msg;
  }

  private tookTrace(slot: number): void {
    const traces = this.traces!;
    this.lastTrace = traces[slot];
    traces[slot] = undefined;
  }

  /**
   * `shift` of a message of the run a consumer is taking (its stamp, equal to the run's, is already in `lastStamp`: see `stampAt`),
   * for a mailbox that is not empty. It must not be traced (see
   * `headTraced`): a trace context it held would be dropped.
   */
  shiftInRun(): unknown {
    const h = this.head;
    const i = h << 1;
    const msg = this.buf[i];
    this.buf[i] = undefined;
    if (this.traces !== null) this.traces[h] = undefined;
    this.head = (h + 1) & this.mask;
    this.length--;
    return msg;
  }

  /**
   * Whether the oldest message carries a trace context: a consumer that
   * takes messages in runs takes such a one with `shift` (which keeps it),
   * not `shiftInRun`. A field read for a mailbox that never held a traced message
   * (no count kept: a field more is 8 bytes more per actor). The mailbox
   * must not be empty.
   */
  headTraced(): boolean {
    return this.traces !== null && this.traces[this.head] !== undefined;
  }

  /** The i-th oldest message, without removing it. */
  at(i: number): unknown {
    return this.buf[((this.head + i) & this.mask) << 1];
  }

  /** Removes and returns the i-th oldest message; later messages keep their order (and their stamps). */
  removeAt(i: number): unknown {
    const msg = this.at(i);
    const traces = this.traces;
    if (traces !== null) {
      for (let k = i; k < this.length - 1; k++) traces[(this.head + k) & this.mask] = traces[(this.head + k + 1) & this.mask];
      traces[(this.head + this.length - 1) & this.mask] = undefined;
    }
    this.removePair(i);
    this.length--;
    return msg;
  }

  /** Empties the mailbox and returns what was in it, oldest first. */
  drain(): unknown[] {
    const out = new Array<unknown>(this.length);
    for (let i = 0; i < out.length; i++) out[i] = this.shift();
    return out;
  }

  /** Starts the empty ring again small, the trace contexts with it (the stamps: StampedRing). */
  protected override shrink(): void {
    super.shrink();
    if (this.traces !== null) this.traces = new Array<unknown>(this.mask + 1);
  }

  /** Doubles the ring with the trace contexts (the stamps: StampedRing). */
  protected override grow(): void {
    const traces = this.traces;
    if (traces !== null) {
      const t = new Array<unknown>((this.mask + 1) * 2);
      for (let i = 0; i < this.length; i++) t[i] = traces[(this.head + i) & this.mask];
      this.traces = t;
    }
    super.grow();
  }
}
