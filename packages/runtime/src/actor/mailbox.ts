// A process mailbox: a growable ring of messages with an optional capacity, FIFO plus removal from the middle.

import { PAIRS } from './stamp-pairs.js';
import { NONE, Runs, enterRun, newRun, stampsInOrder } from './stamp-runs.js';

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
 *
 * While every queued message shares one stamp (a single run: most
 * mailboxes, most of the time) the stamp sits in `lastStamp`, the field
 * `shift` would copy it to: a push into an empty mailbox sets it, and taking
 * the run's messages leaves it as it is. A second stamped run behind the
 * first makes a pair: both stamps and the head run's count in a per-thread
 * pair slot (stamp-pairs.ts). The run state, its own object, is made when a
 * third run starts (or an unstamped message follows stamped ones, or
 * `removeAt` takes from a pair), and kept from then on. A mailbox that is
 * never stamped (an idle actor, telemetry off) has neither. (`lastStamp` is
 * read right after the `shift` or `headRun` that set it, before any handler
 * runs: a push that overwrites it later, into the emptied mailbox, comes
 * after that read. So a pair whose head run is taken to its last message
 * stays, with a count of 0, until the next `shift` or `headRun` moves the
 * second run's stamp into `lastStamp` and frees it: until then `lastStamp`
 * is the taken message's.)
 */

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
 * `Mailbox.mode` while it has no run state: never stamped (NEVER), stamped
 * once but holding no single run now (AFTER: `shift` sets `lastStamp` NaN),
 * every queued message carries the stamp in `lastStamp` (SINGLE), or, 0 and
 * up, two runs in that pair slot (PAIRS): `mode >= SINGLE` is "stamps queued".
 */
const NEVER = -3;
const AFTER = -2;
const SINGLE = -1;

export class Mailbox {
  private buf: unknown[];
  private mask: number;
  private head = 0;
  /** Number of queued messages. */
  length = 0;
  /** Most messages this mailbox will hold (UNBOUNDED: no bound); `push` refuses past it. */
  capacity: number;
  /** The send time of the message `shift()` just returned; NaN if it was not stamped. */
  lastStamp = NaN;
  /** Trace contexts parallel to `buf` (tracing on), allocated on the first traced message. */
  private traces: unknown[] | null = null;
  /** The trace context of the message `shift()` just returned (undefined: none), once any message was traced. */
  lastTrace: unknown = undefined;
  /** Stamp runs (null until the first stamped message: unstamped mailboxes pay nothing). */
  private runs: Runs | null = null;
  /** With `runs` null: NEVER, AFTER, SINGLE or a pair slot (see there). */
  private mode = NEVER;
  /** EXIT and DOWN messages queued by `pushAlways` and not taken yet (see `tookSystem`). */
  sysCount = 0;

  constructor(capacity: number, initialSize = 4) {
    this.capacity = capacity === Infinity ? UNBOUNDED : capacity;
    this.buf = new Array<unknown>(initialSize);
    this.mask = initialSize - 1;
  }

  /** Appends a message; false (nothing stored) when the mailbox is full. */
  push(msg: unknown): boolean {
    if (this.length >= this.capacity) return false;
    if (this.length > this.mask) this.grow();
    this.buf[(this.head + this.length) & this.mask] = msg;
    if (this.runs !== null || this.mode >= SINGLE) this.stamp(NaN);
    this.length++;
    return true;
  }

  /**
   * `push` with a send time for queue-wait timing, read from `STAMP_IN.at`
   * (NaN: none; see there), and a trace context (undefined: none). The
   * stamp is never passed to another call, not even on the rare path, which
   * reads the same field.
   */
  pushStamped(msg: unknown, trace?: unknown): boolean {
    const r = this.runs;
    const at = STAMP_IN.at;
    // The common case: room, no trace, and a number (not NaN).
    if (trace !== undefined || this.length >= this.capacity || this.length > this.mask || at !== at) {
      return this.pushStampedSlow(msg, trace);
    }
    if (r === null) {
      // A single run: starts one in an empty mailbox, or joins the one queued; anything else makes the runs.
      if (this.length === 0) {
        this.lastStamp = at;
        this.mode = SINGLE;
      } else if (this.mode !== SINGLE || this.lastStamp !== at) return this.pushStampedSlow(msg, trace);
      this.buf[(this.head + this.length) & this.mask] = msg;
      this.length++;
      return true;
    }
    this.buf[(this.head + this.length) & this.mask] = msg;
    // Into an empty mailbox: the head's stamp, no run to start (positions are 0 and no run is pending).
    if (this.length === 0) r.curStamp = r.tailStamp = at;
    else if (at !== r.tailStamp) {
      r.tailStamp = at;
      newRun(r, this.length);
    }
    r.pushed++;
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
    this.stamp(at);
    this.length++;
    return true;
  }

  /** Appends ignoring capacity, marked as a system message: for EXIT and DOWN, which must never be lost. */
  pushAlways(msg: object): void {
    if (this.length > this.mask) this.grow();
    this.buf[(this.head + this.length) & this.mask] = msg;
    if (this.runs !== null || this.mode >= SINGLE) this.stamp(NaN);
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
    const r = this.runs;
    if (r !== null) {
      const pos = r.shifted++;
      if (pos >= r.nextRunAt) enterRun(r, pos);
      this.lastStamp = r.curStamp;
      // Empty now: positions start over (every run was entered: none is pending).
      if (this.length === 1) r.shifted = r.pushed = 0;
    } else if (this.mode === SINGLE) {
      // lastStamp is the run's already.
      if (this.length === 1) this.mode = AFTER;
    } else if (this.mode === AFTER) this.lastStamp = NaN;
    else if (this.mode >= 0) this.takePair(true);
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
   * For a consumer that takes messages a run at a time (the observed turn):
   * sets `lastStamp` to the stamp of the oldest message and returns how
   * many queued messages, from it on, share that stamp's run (all of them
   * in a mailbox that was never stamped). Those can be taken with
   * `shiftInRun`, which keeps no stamps; the mailbox must not be empty.
   */
  headRun(): number {
    const r = this.runs;
    if (r === null) {
      const p = this.mode;
      if (p >= 0) {
        const b = p * 3;
        const left = PAIRS.at[b + 2]!;
        if (left > 0) {
          this.lastStamp = PAIRS.at[b]!;
          return left;
        }
        // The head run was taken: the second is a single run now, its stamp in lastStamp.
        this.lastStamp = PAIRS.at[b + 1]!;
        PAIRS.close(p);
        this.mode = SINGLE;
      } else if (p === AFTER) this.lastStamp = NaN;
      return this.length;
    }
    const pos = r.shifted;
    if (pos >= r.nextRunAt) enterRun(r, pos);
    this.lastStamp = r.curStamp;
    const left = r.nextRunAt - pos;
    return r.nextRunAt === NONE || left > this.length ? this.length : left;
  }

  /**
   * `shift` of a message that `headRun` counted: no run to look for and no
   * stamp to copy (`lastStamp` is the run's), and the mailbox is not empty.
   * It must not be traced (see `headTraced`): a trace context it held
   * would be dropped.
   */
  shiftInRun(): unknown {
    const i = this.head;
    const msg = this.buf[i];
    this.buf[i] = undefined;
    const r = this.runs;
    // Empty now: positions start over, as in shift.
    if (r !== null) {
      if (this.length === 1) r.shifted = r.pushed = 0;
      else r.shifted++;
    } else if (this.mode === SINGLE) {
      if (this.length === 1) this.mode = AFTER;
    } else if (this.mode >= 0) this.takePair(false);
    if (this.traces !== null) this.traces[i] = undefined;
    this.head = (i + 1) & this.mask;
    this.length--;
    return msg;
  }

  /**
   * Whether the oldest message carries a trace context: a consumer that
   * takes messages in runs (`shiftInRun`, which keeps no trace) ends a run
   * before one. A field read for a mailbox that never held a traced message
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
    if (this.mode >= 0) this.pairToRuns();
    const stamps = this.runs === null ? null : stampsInOrder(this.runs, this.length);
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
    } else if (this.length === 0 && this.mode === SINGLE) this.mode = AFTER;
    return msg;
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

  /** A third run, an unstamped message or a removal: the pair becomes run state, with the same runs. */
  private pairToRuns(): Runs {
    const p = this.mode;
    const b = p * 3;
    const left = PAIRS.at[b + 2]!;
    const r = (this.runs = new Runs(left));
    r.tailStamp = PAIRS.at[b + 1]!;
    if (left > 0) {
      r.curStamp = PAIRS.at[b]!;
      newRun(r, left);
    } else r.curStamp = r.tailStamp; // the head run was taken: every queued message is the second run's
    r.pushed = this.length;
    PAIRS.close(p);
    this.mode = AFTER;
    return r;
  }

  /** Empties the mailbox and returns what was in it, oldest first. */
  drain(): unknown[] {
    const out = new Array<unknown>(this.length);
    for (let i = 0; i < out.length; i++) out[i] = this.shift();
    return out;
  }

  /** The newest message (being pushed) has stamp `at` (NaN: none): the run bookkeeping for any stamp, from any push. */
  private stamp(at: number): void {
    let r = this.runs;
    if (r === null) {
      if (this.mode === SINGLE) {
        if (at === this.lastStamp) return; // the single run goes on
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
        // An unstamped message behind a single run: the queued messages become the head's run.
        r = this.runs = new Runs(this.length);
        r.curStamp = r.tailStamp = this.lastStamp;
        this.mode = AFTER;
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
        r = this.pairToRuns();
      } else if (at !== at) return; // no stamp queued: nothing to keep
      else if (this.length === 0) {
        this.lastStamp = at;
        this.mode = SINGLE;
        return;
      } else {
        // The messages already queued are unstamped (a NaN run at the head).
        r = this.runs = new Runs(this.length);
      }
    }
    const tail = r.tailStamp;
    // NaN after NaN is the same run; anything else starts one.
    if (at !== tail && (at === at || tail === tail)) {
      r.tailStamp = at;
      newRun(r, this.length);
    }
    r.pushed++;
  }

  /** Rebuilds the runs from every queued message's stamp (after a removal from the middle). */
  private restamp(stamps: number[]): void {
    const r = this.runs!;
    r.runHead = r.runEnd = 0;
    r.nextRunAt = NONE;
    r.shifted = r.pushed = 0;
    r.curStamp = r.tailStamp = NaN;
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
