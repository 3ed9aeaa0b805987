// A process mailbox: a growable ring of messages with an optional capacity, FIFO plus removal from the middle.

import { AFTER, NEVER, SINGLE, StampedRing } from './stamped-ring.js';

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
 * The stamp the next `pushStamped` stores (abs ms; NaN: none): the caller
 * sets it right before the call. A field, not an argument: a double passed
 * to a call that is not inlined is boxed, a heap allocation per message, and
 * whether pushStamped is inlined into a send depends on what else that send
 * inlined (a send that had inlined the checked-copy path had no budget left
 * for it, and every in-shard send at 100% then allocated a heap number).
 */
export const STAMP_IN = { at: NaN };

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
 * contexts. The ring and the queue-wait stamps are StampedRing's
 * (stamped-ring.ts).
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
    this.buf[(this.head + this.length) & this.mask] = msg;
    if (this.mode !== NEVER && this.mode !== AFTER) this.stampTail(NaN);
    this.length++;
    return true;
  }

  /**
   * `push` with a send time for queue-wait timing, read from `STAMP_IN.at`
   * (NaN: none; see there), and a trace context (undefined: none). The
   * stamp is never passed to another call on the common path (see
   * StampedRing for where it is kept).
   */
  pushStamped(msg: unknown, trace?: unknown): boolean {
    const t = this.stamps;
    const at = STAMP_IN.at;
    // The common case: room, no trace, and a number (not NaN).
    if (trace !== undefined || this.length >= this.capacity || this.length > this.mask || at !== at) {
      return this.pushStampedSlow(msg, trace);
    }
    const i = (this.head + this.length) & this.mask;
    if (t === null) {
      // A single run: starts one in an empty mailbox, or joins the one queued; anything else goes to stampTail.
      if (this.length === 0) {
        this.lastStamp = at;
        this.mode = SINGLE;
      } else if (this.mode !== SINGLE || this.lastStamp !== at) return this.pushStampedSlow(msg, trace);
    } else t[i - this.mode] = at;
    this.buf[i] = msg;
    this.length++;
    return true;
  }

  private pushStampedSlow(msg: unknown, trace: unknown): boolean {
    const at = STAMP_IN.at;
    if (this.length >= this.capacity) return false;
    if (this.length > this.mask) this.grow();
    const i = (this.head + this.length) & this.mask;
    this.buf[i] = msg;
    if (trace !== undefined) {
      if (this.traces === null) this.traces = new Array<unknown>(this.buf.length);
      this.traces[i] = trace;
    }
    this.stampTail(at);
    this.length++;
    return true;
  }

  /** Appends ignoring capacity, marked as a system message: for EXIT and DOWN, which must never be lost. */
  pushAlways(msg: object): void {
    if (this.length > this.mask) this.grow();
    this.buf[(this.head + this.length) & this.mask] = msg;
    if (this.mode !== NEVER && this.mode !== AFTER) this.stampTail(NaN);
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
    const i = this.head;
    const msg = this.buf[i];
    this.buf[i] = undefined;
    const t = this.stamps;
    if (t !== null) this.lastStamp = t[i - this.mode]!;
    else if (this.mode !== NEVER) this.tookHead();
    const traces = this.traces;
    if (traces !== null) {
      this.lastTrace = traces[i];
      traces[i] = undefined;
    }
    this.head = (i + 1) & this.mask;
    this.length--;
    return msg;
  }

  /**
   * `shift` for the lone turn (turn-lone.ts), in code short enough that the
   * scheduler's slice inlines it with the rest of that turn (`shift` and its
   * stamp step `tookHead` were 223 bytes of bytecode of the 920 TurboFan
   * lets one function inline in all). A single run, or no stamp ever, and no
   * trace contexts (the usual): nothing to move, as a single run stays one
   * when the mailbox empties (see StampedRing); a stamp array (Savina's Big,
   * a new stamp every other message) is read here too (`shift` was a call
   * per message there, ~3 ns); AFTER, a pair or a trace is `shift`'s: one
   * compare of the mode sorts them, as those modes are the ones above
   * SINGLE (see NEVER in stamped-ring.ts). The mailbox must not be empty.
   * SINGLE is a literal: an imported constant is read with a check for its
   * temporal dead zone, bytes the lone turn cannot spare (a ring's slice
   * inlines it with this inlined: turn-lone-size.test.ts bounds both).
   */
  shiftLone(): unknown {
    const t = this.stamps;
    const m = this.mode;
    // AFTER or a pair (a stamp array's mode is its negated base, -4 or less): shift's.
    if (m > -2 || this.traces !== null) return this.shift(); // SINGLE
    const i = this.head;
    const buf = this.buf;
    if (t !== null) this.lastStamp = t[i - m]!;
    const msg = buf[i];
    buf[i] = undefined;
    this.head = (i + 1) & this.mask;
    this.length--;
    return msg;
  }

  /**
   * `shift` of a message that `headRun` counted: no stamp to copy
   * (`lastStamp` is the run's), and the mailbox is not empty. It must not be
   * traced (see `headTraced`): a trace context it held would be dropped.
   */
  shiftInRun(): unknown {
    const i = this.head;
    const msg = this.buf[i];
    this.buf[i] = undefined;
    if (this.stamps === null && this.mode !== NEVER) this.tookInRun();
    if (this.traces !== null) this.traces[i] = undefined;
    this.head = (i + 1) & this.mask;
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
    return this.buf[(this.head + i) & this.mask];
  }

  /** Removes and returns the i-th oldest message; later messages keep their order (and their stamps). */
  removeAt(i: number): unknown {
    const msg = this.at(i);
    this.removingStamp(i);
    const traces = this.traces;
    for (let k = i; k < this.length - 1; k++) {
      const to = (this.head + k) & this.mask;
      const from = (this.head + k + 1) & this.mask;
      this.buf[to] = this.buf[from];
      if (traces !== null) traces[to] = traces[from];
    }
    this.buf[(this.head + this.length - 1) & this.mask] = undefined;
    if (traces !== null) traces[(this.head + this.length - 1) & this.mask] = undefined;
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
    if (this.traces !== null) this.traces = new Array<unknown>(this.buf.length);
  }

  /** Doubles the ring with the trace contexts (the stamps: StampedRing). */
  protected override grow(): void {
    const traces = this.traces;
    if (traces !== null) {
      const t = new Array<unknown>(this.buf.length * 2);
      for (let i = 0; i < this.length; i++) t[i] = traces[(this.head + i) & this.mask];
      this.traces = t;
    }
    super.grow();
  }
}
