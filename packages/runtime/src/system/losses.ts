// Messages lost in bulk: what a dead (or stopped) thread left in its mailboxes, buffers and inbound rings, counted from shared memory.

import { Pid } from '../actor/pid.js';
import { frameDecoder } from '../codec/ring-codec.js';
import { LOST, setFrameItems } from '../codec/side-items.js';
import { DROPPED, FRAME_LEFT, QUEUED, THREAD_STRIDE_I32, UNSENT } from '../ring/control-block.js';
import { RAW_TAG } from '../ring/layout.js';
import { RingReader } from '../ring/ring.js';
import { wakeThread } from '../ring/wait.js';
import { ARITY, carriesMessage, isCallOp, isSendOp } from '../shard/protocol.js';

/**
 * Messages counted, not reported one by one: their content went with the
 * thread that held them. Emitted on the main thread as `messagesLost` and
 * counted in `joerl_messages_sent_failed_total{reason}`.
 */
export interface MessagesLost {
  /** The thread that held them: a shard, or 0 (the main thread, at shutdown). */
  shard: number;
  /** `shard_down`: the shard died. `shutdown`: `shutdown()` found them. */
  reason: 'shard_down' | 'shutdown';
  /**
   * Sent with `send` and waiting in its mailboxes, or in the ring frame it
   * was dispatching when actor code run from there (a terminate, an init, a
   * receive's match) never returned. At shutdown, also those still in the
   * rings into it and those it could not deliver once its own shutdown had
   * begun.
   */
  queued: number;
  /** Sent by its actors to other threads, still in its outgoing buffers: they never reached a ring. */
  unsent: number;
}

/**
 * Reads thread `t`'s loss counters and zeroes them (the thread has ended; a
 * new incarnation starts from 0): what waited in its mailboxes, what it
 * dropped once its shutdown began, and the messages of a ring frame whose
 * dispatch actor code cut short (FRAME_LEFT, see shard/frame-cursor.ts).
 */
export function takeLosses(ctl: Int32Array, t: number, reason: MessagesLost['reason']): MessagesLost {
  const base = t * THREAD_STRIDE_I32;
  // Atomics only to read what a thread that has ended wrote with plain stores (once per death, not per message).
  const queued = Atomics.exchange(ctl, base + QUEUED, 0) + Atomics.exchange(ctl, base + DROPPED, 0) + Atomics.exchange(ctl, base + FRAME_LEFT, 0);
  const unsent = Atomics.exchange(ctl, base + UNSENT, 0);
  return { shard: t, reason, queued, unsent };
}

/**
 * After every thread has ended (shutdown): what each left in its mailboxes
 * and buffers, plus what is still unread in the rings into it (the main
 * thread drained its own rings before it stopped).
 */
export function shutdownLosses(rings: Rings, records: Records, ctl: Int32Array, threads: number): MessagesLost[] {
  const all: MessagesLost[] = [];
  for (let t = 0; t < threads; t++) {
    const lost = takeLosses(ctl, t, 'shutdown');
    if (t !== 0) {
      const drains = new RingDrains();
      lost.queued += drainRingsInto(rings, records, ctl, t, null, drains) + drains.skipped;
    }
    all.push(lost);
  }
  return all;
}

/** The rings directory (rings[from][to]; a pair that never talked has none). */
type Rings = readonly (readonly (SharedArrayBuffer | null | undefined)[])[];
/** Each thread's record store (records[from]: what frames from `from` refer to). */
type Records = readonly SharedArrayBuffer[];

/** A message op found in a ring nobody will read: its target and content. */
export type FoundMessage = (to: Pid, message: unknown) => void;

/**
 * The readers of the rings a thread drains in a dead consumer's place, one
 * per ring for as long as it drains them: a message whose first frames one
 * drain read (its producer was still writing the rest) is finished by the
 * next, not cut in two.
 */
export class RingDrains {
  private readonly readers = new Map<SharedArrayBuffer, RingReader>();
  /**
   * Messages skipped: carried by a message whose first frames the dead
   * consumer had read and freed (see MID_MESSAGE_INDEX). Their content went
   * with it: counted here, never found; the owner reports and zeroes it.
   */
  skipped = 0;

  reader(sab: SharedArrayBuffer): RingReader {
    let r = this.readers.get(sab);
    if (r === undefined) {
      r = new RingReader(sab, (messages) => (this.skipped += messages));
      this.readers.set(sab, r);
    }
    return r;
  }
}

/**
 * Consumes every published frame of a ring whose consumer has ended for good
 * (the main thread takes its place, with `reader`) and hands each message op
 * found to `found`; returns how many there were. Other ops (signals to
 * processes that no longer exist) are returned to `other`. The rest of a
 * message whose start the dead consumer had read is skipped, and counted by
 * the reader (see RingDrains.skipped); a frame that still cannot be decoded
 * is skipped.
 */
export function drainRing(reader: RingReader, records: SharedArrayBuffer, consumer: number, found: FoundMessage | null, other?: (ops: unknown[], at: number) => void, node = 0): number {
  let n = 0;
  // Made on the first frame: a gone shard's rings are looked at every 50 ms, most times empty.
  let decoder: ReturnType<typeof frameDecoder> | null = null;
  reader.takeNeedSpace();
  while (reader.hasData()) {
    reader.read((bytes, tag) => {
      // A raw frame holds no ops (span rows, only ever bound for the main thread).
      if (tag === RAW_TAG) return;
      let ops: unknown[];
      // A tagged frame's side items (big, moved, shared parts) were posted to the dead consumer: they read as lost.
      setFrameItems(tag === 0 ? null : LOST);
      try {
        ops = (decoder ??= frameDecoder(records)).unpack(bytes) as unknown[];
      } catch {
        return;
      } finally {
        setFrameItems(null);
      }
      for (let i = 0; i < ops.length; i += 1 + ARITY[ops[i] as number]!) {
        const op = ops[i] as number;
        if (isSendOp(op)) {
          n++;
          found?.(new Pid(node, consumer, ops[i + 1] as number), ops[i + 2]);
        } else if (isCallOp(op)) {
          // A call: its monitor (answered as a signal) before its envelope, in the order they were sent.
          n++;
          other?.(ops, i);
          found?.(new Pid(node, consumer, ops[i + 1] as number), { $joerl: 'call', from: { pid: ops[i + 2], ref: ops[i + 3] }, req: ops[i + 4] });
        } else if (carriesMessage(op)) {
          n++;
        } else {
          other?.(ops, i);
        }
      }
    });
  }
  return n;
}

/**
 * Drains rings into a thread that has ended, with the readers of `drains`;
 * wakes their producers if they were waiting for room. Returns the message
 * ops found (what the readers skipped is in `drains.skipped`).
 */
export function drainRingsInto(
  rings: Rings,
  records: Records,
  ctl: Int32Array,
  consumer: number,
  found: FoundMessage | null,
  drains: RingDrains,
  other?: (ops: unknown[], at: number, from: number) => void,
  node = 0,
): number {
  let n = 0;
  for (let from = 0; from < rings.length; from++) {
    const sab = rings[from]?.[consumer];
    if (sab === null || sab === undefined || from === consumer) continue;
    n += drainRing(drains.reader(sab), records[from]!, consumer, found, other === undefined ? undefined : (ops, at) => other(ops, at, from), node);
    // A producer blocked on this full ring waits for its consumer's wake-up: we are its consumer now.
    wakeThread(ctl, from);
  }
  return n;
}
