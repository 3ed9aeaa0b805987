// The ring frame a thread is dispatching: actor code run in the middle of it leaves, in shared memory, how many of the frame's messages are not delivered yet.

import { FRAME_LEFT, THREAD_STRIDE_I32 } from '../ring/control-block.js';
import { ARITY, carriesMessage } from './protocol.js';

/**
 * A frame's bytes leave the ring before its ops are dispatched (the producer
 * refills while we work), and the producer stopped counting its messages
 * when it published them. Dispatching runs actor code now and then (an exit
 * signal runs a terminate, a spawn request an init, a delivery a receive's
 * match): if that code never returns (the watchdog ends the shard) or calls
 * process.exit(), the ops after it are nowhere the main thread can count.
 *
 * So the dispatcher keeps the frame and the index of the op it runs here
 * (plain field writes), and right before such code runs, `enter` writes the
 * number of messages from that op to the frame's end in FRAME_LEFT; `leave`
 * clears it once the code has returned. The count is taken only when actor
 * code runs inside a frame, never per message; the main thread adds it to
 * the `queued` of the shard's `messagesLost` (system/losses.ts).
 */
export class FrameCursor {
  /** The ops of the ring frame being dispatched (null between frames). */
  ops: unknown[] | null = null;
  /** The index in `ops` of the op being run (its message, if it has one, is not delivered yet). */
  at = 0;
  /** Nested actor code (a match run by a send from a terminate...): only the outermost writes and clears. */
  private depth = 0;
  /**
   * The last count made in a frame: the messages from op `countedAt` of `countedOps` to its end. The next
   * count in the same frame walks on from there, not from `at` to the end again: a frame of 1,024 sends
   * to a process waiting in a selective receive runs a match per send, and counting each time from scratch
   * made the frame cost ~500,000 op visits.
   */
  private countedOps: unknown[] | null = null;
  private countedAt = 0;
  private counted = 0;
  private readonly ctl: Int32Array;
  private readonly slot: number;

  constructor(ctl: Int32Array, thread: number) {
    this.ctl = ctl;
    this.slot = thread * THREAD_STRIDE_I32 + FRAME_LEFT;
  }

  /** Actor code is about to run; call `leave` once it returns or throws. */
  enter(): void {
    if (this.depth++ !== 0 || this.ops === null) return;
    const ops = this.ops;
    const at = this.at;
    if (ops === this.countedOps && at >= this.countedAt) this.counted -= messagesBetween(ops, this.countedAt, at);
    else this.counted = messagesBetween(ops, at, ops.length);
    this.countedOps = ops;
    this.countedAt = at;
    // A plain store: only the main thread reads it, after this thread has ended.
    this.ctl[this.slot] = this.counted;
  }

  /** The frames are done: the last count's frame is not held (its messages may be big). */
  forget(): void {
    this.countedOps = null;
  }

  leave(): void {
    if (--this.depth === 0) this.ctl[this.slot] = 0;
  }
}

/** The ops from `from` up to `to` that carry a message (see Transport.counted). */
function messagesBetween(ops: unknown[], from: number, to: number): number {
  let n = 0;
  for (let i = from; i < to; i += 1 + ARITY[ops[i] as number]!) if (carriesMessage(ops[i] as number, ops[i + 1])) n++;
  return n;
}
