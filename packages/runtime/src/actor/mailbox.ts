// A process mailbox: a growable ring of messages with an optional capacity, FIFO plus removal from the middle.

/**
 * The EXIT and DOWN messages the runtime queued (signals turned into
 * messages, not sends): they stay out of the thread's count of queued sends
 * (QUEUED in control-block.ts). Kept by identity, aside, so that taking a
 * message costs nothing extra while a mailbox holds none (`sysCount === 0`).
 */
const SYSTEM = new WeakSet<object>();

/**
 * Ring buffer over a plain array (power-of-two size, grows by doubling).
 * `push`/`shift` are O(1) and allocation-free once grown; `removeAt` (for
 * selective receive) shifts the tail, O(n).
 *
 * ```
 *   head            head+length
 *    v                 v
 * [ . . a b c d e . . . ]   slots are masked with (size - 1)
 * ```
 */
export class Mailbox {
  private buf: unknown[];
  /** Send times (abs ms) parallel to `buf`, allocated on the first stamped message (queue-wait telemetry). */
  private times: number[] | null = null;
  /** The send time of the message `shift()` just returned; NaN if it was not stamped. */
  lastStamp = NaN;
  /** Trace contexts parallel to `buf` (tracing on), allocated on the first traced message. */
  private traces: unknown[] | null = null;
  /** The trace context of the message `shift()` just returned (undefined: none). */
  lastTrace: unknown = undefined;
  private mask: number;
  private head = 0;
  /** Number of queued messages. */
  length = 0;
  /** Most messages this mailbox will hold; `push` refuses past it. */
  capacity: number;
  /** EXIT and DOWN messages queued by `pushAlways` and not taken yet (see `tookSystem`). */
  sysCount = 0;

  constructor(capacity: number, initialSize = 4) {
    this.capacity = capacity;
    this.buf = new Array<unknown>(initialSize);
    this.mask = initialSize - 1;
  }

  /** Appends a message; false (nothing stored) when the mailbox is full. */
  push(msg: unknown): boolean {
    if (this.length >= this.capacity) return false;
    if (this.length > this.mask) this.grow();
    this.buf[(this.head + this.length) & this.mask] = msg;
    this.length++;
    return true;
  }

  /** `push` with a send time for queue-wait timing (NaN: none) and a trace context (undefined: none). */
  pushStamped(msg: unknown, at: number, trace?: unknown): boolean {
    if (this.length >= this.capacity) return false;
    if (this.length > this.mask) this.grow();
    const i = (this.head + this.length) & this.mask;
    this.buf[i] = msg;
    if (!Number.isNaN(at)) {
      if (this.times === null) this.times = new Array<number>(this.buf.length).fill(NaN);
      this.times[i] = at;
    }
    if (trace !== undefined) {
      if (this.traces === null) this.traces = new Array<unknown>(this.buf.length);
      this.traces[i] = trace;
    }
    this.length++;
    return true;
  }

  /** Appends ignoring capacity, marked as a system message: for EXIT and DOWN, which must never be lost. */
  pushAlways(msg: object): void {
    if (this.length > this.mask) this.grow();
    this.buf[(this.head + this.length) & this.mask] = msg;
    this.length++;
    SYSTEM.add(msg);
    this.sysCount++;
  }

  /**
   * Whether `msg`, just taken out (by `shift` or `removeAt`), was an EXIT or
   * DOWN queued by `pushAlways` rather than a send. Callers test `sysCount`
   * first, so the usual mailbox, with none, pays one field read.
   */
  tookSystem(msg: unknown): boolean {
    if (this.sysCount === 0 || !SYSTEM.delete(msg as object)) return false;
    this.sysCount--;
    return true;
  }

  /** Removes and returns the oldest message (undefined when empty). */
  shift(): unknown {
    if (this.length === 0) return undefined;
    const i = this.head;
    const msg = this.buf[i];
    this.buf[i] = undefined;
    const times = this.times;
    if (times !== null) {
      this.lastStamp = times[i]!;
      times[i] = NaN;
    }
    const traces = this.traces;
    if (traces !== null) {
      this.lastTrace = traces[i];
      traces[i] = undefined;
    }
    this.head = (i + 1) & this.mask;
    this.length--;
    return msg;
  }

  /** The i-th oldest message, without removing it. */
  at(i: number): unknown {
    return this.buf[(this.head + i) & this.mask];
  }

  /** Removes and returns the i-th oldest message; later messages keep their order. */
  removeAt(i: number): unknown {
    const msg = this.at(i);
    const times = this.times;
    const traces = this.traces;
    for (let k = i; k < this.length - 1; k++) {
      const to = (this.head + k) & this.mask;
      const from = (this.head + k + 1) & this.mask;
      this.buf[to] = this.buf[from];
      if (times !== null) times[to] = times[from]!;
      if (traces !== null) traces[to] = traces[from];
    }
    this.buf[(this.head + this.length - 1) & this.mask] = undefined;
    if (times !== null) times[(this.head + this.length - 1) & this.mask] = NaN;
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

  private grow(): void {
    const size = this.buf.length;
    const next = new Array<unknown>(size * 2);
    for (let i = 0; i < this.length; i++) next[i] = this.buf[(this.head + i) & this.mask];
    this.buf = next;
    if (this.times !== null) {
      const t = new Array<number>(size * 2).fill(NaN);
      for (let i = 0; i < this.length; i++) t[i] = this.times[(this.head + i) & this.mask]!;
      this.times = t;
    }
    if (this.traces !== null) {
      const t = new Array<unknown>(size * 2);
      for (let i = 0; i < this.length; i++) t[i] = this.traces[(this.head + i) & this.mask];
      this.traces = t;
    }
    this.head = 0;
    this.mask = size * 2 - 1;
  }
}
