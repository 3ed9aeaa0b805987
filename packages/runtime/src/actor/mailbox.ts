// A process mailbox: a growable ring of messages with an optional capacity, FIFO plus removal from the middle.

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
 *
 * Queue-wait stamps (send times) are kept as runs, not one per message:
 * the messages a handler sends share its clock, so stamps change rarely
 * along a mailbox. A run is where a new stamp starts, as an absolute
 * position (messages pushed so far); `shift` crosses into the next run when
 * it reaches that position. A stamped message costs a comparison on each
 * side, and a mailbox of a million messages from one handler holds one run.
 *
 * ```
 *   positions   shifted                                  pushed
 *                  v                                        v
 *   messages      [m5  m6  m7 | m8  m9 | m10 ...        m14 ]
 *   stamps         curStamp    runAt[runHead]=8  ...    tailStamp
 * ```
 */
export class Mailbox {
  private buf: unknown[];
  private mask: number;
  private head = 0;
  /** Number of queued messages. */
  length = 0;
  /** Most messages this mailbox will hold; `push` refuses past it. */
  capacity: number;
  /** The send time of the message `shift()` just returned; NaN if it was not stamped. */
  lastStamp = NaN;
  /** Trace contexts parallel to `buf` (tracing on), allocated on the first traced message. */
  private traces: unknown[] | null = null;
  /** The trace context of the message `shift()` just returned (undefined: none), once any message was traced. */
  lastTrace: unknown = undefined;
  // ---- stamp runs (null until the first stamped message: unstamped mailboxes pay nothing)
  /** Start positions of the runs the head has not reached, oldest first: runAt[runHead..runEnd). Never shrunk (no allocation once grown). */
  private runAt: number[] | null = null;
  private runStamp: number[] = [];
  private runHead = 0;
  private runEnd = 0;
  /** Where the next run starts (Infinity: none pending). */
  private nextRunAt = Infinity;
  /** Absolute positions of the head and the tail: messages shifted and pushed so far (0 again whenever the mailbox empties). */
  private shifted = 0;
  private pushed = 0;
  /** The stamp of the head's run and of the newest message (NaN: not stamped). */
  private curStamp = NaN;
  private tailStamp = NaN;
  /** The stamp pushStamped hands its rare path (see there). */
  private incoming = NaN;

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
    if (this.runAt !== null) this.stamp(NaN);
    this.length++;
    return true;
  }

  /**
   * `push` with a send time for queue-wait timing (NaN: none) and a trace
   * context (undefined: none). Small, so it is inlined into the send path,
   * and `at` is never passed to another call, not even on the rare path:
   * the optimizing compiler then boxes the double up front, on every call (a
   * heap allocation per message). The rare path reads it from a field.
   */
  pushStamped(msg: unknown, at: number, trace?: unknown): boolean {
    // The common case: room, no trace, stamps already kept, and a number (not NaN).
    if (trace !== undefined || this.length >= this.capacity || this.length > this.mask || this.runAt === null || at !== at) {
      this.incoming = at;
      return this.pushStampedSlow(msg, trace);
    }
    this.buf[(this.head + this.length) & this.mask] = msg;
    // Into an empty mailbox: the head's stamp, no run to start (positions are 0 and no run is pending).
    if (this.length === 0) this.curStamp = this.tailStamp = at;
    else if (at !== this.tailStamp) {
      this.tailStamp = at;
      this.newRun();
    }
    this.pushed++;
    this.length++;
    return true;
  }

  private pushStampedSlow(msg: unknown, trace: unknown): boolean {
    const at = this.incoming;
    if (this.length >= this.capacity) return false;
    if (this.length > this.mask) this.grow();
    const i = (this.head + this.length) & this.mask;
    this.buf[i] = msg;
    if (trace !== undefined) {
      if (this.traces === null) this.traces = new Array<unknown>(this.buf.length);
      this.traces[i] = trace;
    }
    if (at === this.tailStamp) this.pushed++;
    else this.stamp(at);
    this.length++;
    return true;
  }

  /** Appends ignoring capacity: for EXIT and DOWN messages, which must never be lost. */
  pushAlways(msg: unknown): void {
    if (this.length > this.mask) this.grow();
    this.buf[(this.head + this.length) & this.mask] = msg;
    if (this.runAt !== null) this.stamp(NaN);
    this.length++;
  }

  /** Removes and returns the oldest message (undefined when empty). */
  shift(): unknown {
    if (this.length === 0) return undefined;
    const i = this.head;
    const msg = this.buf[i];
    this.buf[i] = undefined;
    if (this.runAt !== null) {
      const pos = this.shifted++;
      if (pos >= this.nextRunAt) this.enterRun(pos);
      this.lastStamp = this.curStamp;
      // Empty now: positions start over (every run was entered: none is pending).
      if (this.length === 1) this.shifted = this.pushed = 0;
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

  /** Removes and returns the i-th oldest message; later messages keep their order (and their stamps). */
  removeAt(i: number): unknown {
    const msg = this.at(i);
    const stamps = this.runAt === null ? null : this.stampsInOrder();
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
    if (stamps !== null) {
      stamps.splice(i, 1);
      this.restamp(stamps);
    }
    return msg;
  }

  /** Empties the mailbox and returns what was in it, oldest first. */
  drain(): unknown[] {
    const out = new Array<unknown>(this.length);
    for (let i = 0; i < out.length; i++) out[i] = this.shift();
    return out;
  }

  /**
   * The message being pushed starts a run: its stamp (a number), already in
   * `tailStamp`, differs from the one before it. The stamp is read from the
   * field, not passed: a double passed to a call that is not inlined is a
   * heap allocation, and this runs for a good part of all messages.
   */
  private newRun(): void {
    const at = this.tailStamp;
    if (this.length === 0) {
      // It will be the head: its run is the current one (no run can be pending in an empty mailbox).
      this.curStamp = at;
      this.shifted = this.pushed = 0;
      this.runHead = this.runEnd = 0;
      this.nextRunAt = Infinity;
    } else {
      const k = this.runEnd++;
      this.runAt![k] = this.pushed;
      this.runStamp[k] = at;
      if (this.nextRunAt === Infinity) this.nextRunAt = this.pushed;
    }
  }

  /** The newest message has stamp `at` (NaN: none): the run bookkeeping for any stamp, from any push. */
  private stamp(at: number): void {
    if (this.runAt === null) {
      if (at !== at) return; // never stamped: nothing to keep
      // The first stamp: the messages already queued are unstamped (a NaN run at the head).
      this.runAt = [];
      this.shifted = 0;
      this.pushed = this.length;
    }
    const tail = this.tailStamp;
    // NaN after NaN is the same run; anything else starts one.
    if (at !== tail && (at === at || tail === tail)) {
      this.tailStamp = at;
      this.newRun();
    }
    this.pushed++;
  }

  /** The head reached `pos`: the last run starting at or before it is the current one. */
  private enterRun(pos: number): void {
    const at = this.runAt!;
    const end = this.runEnd;
    let h = this.runHead;
    while (h < end && at[h]! <= pos) this.curStamp = this.runStamp[h++]!;
    if (h < end) {
      this.runHead = h;
      this.nextRunAt = at[h]!;
    } else {
      this.runHead = this.runEnd = 0;
      this.nextRunAt = Infinity;
    }
  }

  /** The stamp of every queued message, oldest first. */
  private stampsInOrder(): number[] {
    const out = new Array<number>(this.length);
    let cur = this.curStamp;
    let h = this.runHead;
    const at = this.runAt!;
    for (let k = 0; k < this.length; k++) {
      const pos = this.shifted + k;
      while (h < this.runEnd && at[h]! <= pos) cur = this.runStamp[h++]!;
      out[k] = cur;
    }
    return out;
  }

  /** Rebuilds the runs from every queued message's stamp (after a removal from the middle). */
  private restamp(stamps: number[]): void {
    this.runHead = this.runEnd = 0;
    this.nextRunAt = Infinity;
    this.shifted = this.pushed = 0;
    this.curStamp = this.tailStamp = NaN;
    const length = this.length;
    this.length = 0;
    for (let k = 0; k < length; k++) {
      this.stamp(stamps[k]!);
      this.length++;
    }
  }

  private grow(): void {
    const size = this.buf.length;
    const next = new Array<unknown>(size * 2);
    for (let i = 0; i < this.length; i++) next[i] = this.buf[(this.head + i) & this.mask];
    this.buf = next;
    if (this.traces !== null) {
      const t = new Array<unknown>(size * 2);
      for (let i = 0; i < this.length; i++) t[i] = this.traces[(this.head + i) & this.mask];
      this.traces = t;
    }
    this.head = 0;
    this.mask = size * 2 - 1;
  }
}
