// A thread's output path: packs a destination's batch, posts its side items, writes its frames, keeps what cannot go yet in order.

import type { RingCodec } from '../codec/ring-codec.js';
import { type SideBatch, beginSideBatch, endSideBatch } from '../codec/side-items.js';
import { RAW_TAG } from '../ring/layout.js';
import type { Barrier } from './barrier.js';
import type { LinkHost, Outbound, Pending } from './outbound.js';
import { ARITY, carriesMessage } from './protocol.js';

/** Called when ops in a batch could not be encoded after all (reported as dead letters). */
export type BadOpHandler = (dest: number, op: unknown[], err: unknown) => void;

export class Output {
  /** Destinations with batches waiting (for room in the ring, or for their side channel). */
  overflowing = 0;
  /** Ring bytes waiting. */
  overflowTotal = 0;
  /** Side-item bytes in batches waiting to be posted. */
  sideWaiting = 0;

  constructor(
    private readonly budgetKiB: number,
    private readonly barrier: Barrier,
    private readonly links: () => LinkHost,
    /** The control block and this thread's UNSENT slot (messages not yet in a published frame). */
    private readonly ctl: Int32Array,
    private readonly unsent: number,
    private readonly onBadOp: BadOpHandler,
    private readonly codec: RingCodec,
  ) {}

  /** Packs `o`'s queued ops into one frame (its large parts set aside as side items) and writes it. */
  pack(o: Outbound): void {
    const items = o.items;
    o.ops = 0;
    o.batches++;
    o.sideBytes = 0;
    // A batch whose last frames ran large (binary parts inline) is cut into frames of about half a
    // chunk: a frame over a chunk is written in pieces and reassembled, one near the ring's size
    // waits for the whole ring to drain, and smaller frames let the consumer decode while we write.
    if (o.itemBytes * items.length > o.writer.maxChunk) return this.packCut(o, items);
    const msgs = o.msgs;
    o.msgs = 0;
    let bytes: Uint8Array;
    beginSideBatch();
    try {
      bytes = this.codec.pack(items);
    } catch {
      endSideBatch();
      // Something slipped past the encodability check: encode op by op and report the culprits.
      o.items = [];
      this.packOneByOne(o, items);
      this.packReports(o);
      return;
    }
    o.itemBytes = bytes.length / items.length;
    // Emptied by pops, which keep its elements for the next batch: `length = 0` is a call into the
    // runtime and frees them, and a new array allocated them again at its first push (every hop of a
    // cross-shard round trip packs a batch of one op).
    while (items.length > 0) items.pop();
    this.write(o, bytes, endSideBatch(), msgs);
  }

  /** {@link pack} in frames of about half a chunk each, sized by the bytes per item of the frame before. */
  private packCut(o: Outbound, items: unknown[]): void {
    let left = o.msgs;
    o.msgs = 0;
    o.items = []; // a bad op's report may queue ops for `o` while we go
    const target = o.writer.maxChunk >> 1;
    for (let i = 0; i < items.length; ) {
      const want = Math.max(1, Math.floor(target / o.itemBytes));
      let end = i;
      let msgs = 0;
      while (end < items.length && end - i < want) {
        const op = items[end] as number;
        if (carriesMessage(op, items[end + 1])) msgs++;
        end += 1 + ARITY[op]!;
      }
      // The last frame takes what is left of the batch's count, so the frames add up to it exactly.
      if (end >= items.length) msgs = left;
      left -= msgs;
      const part = items.slice(i, end);
      i = end;
      let bytes: Uint8Array;
      beginSideBatch();
      try {
        bytes = this.codec.pack(part);
      } catch {
        endSideBatch();
        this.packOneByOne(o, part);
        continue;
      }
      o.itemBytes = bytes.length / part.length;
      this.write(o, bytes, endSideBatch(), msgs);
    }
    if (o.items.length === 0) {
      items.length = 0;
      o.items = items;
    } else this.packReports(o);
  }

  /**
   * What a bad op's report queued for `o` while it was packed (a dead letter
   * to the main thread) goes in this flush too: left queued, it waited for
   * the thread's next flush, which never came for a thread that went idle
   * (the report, and the message with it, lost until shutdown).
   */
  private packReports(o: Outbound): void {
    if (o.items.length > 0) this.pack(o);
  }

  private packOneByOne(o: Outbound, items: unknown[]): void {
    for (let i = 0; i < items.length; ) {
      const end = i + 1 + ARITY[items[i] as number]!;
      const op = items.slice(i, end);
      i = end;
      const m = carriesMessage(op[0] as number, op[1]) ? 1 : 0;
      beginSideBatch();
      try {
        const bytes = this.codec.pack(op);
        this.write(o, bytes, endSideBatch(), m);
      } catch (err) {
        endSideBatch();
        this.ctl[this.unsent]! -= m; // reported as a dead letter instead
        this.onBadOp(o.dest, op, err);
      }
    }
  }

  /** Writes `bytes` (copied) as a raw frame (RAW_TAG: no ops, no messages), in order after what was packed for `o`. */
  writeRaw(o: Outbound, bytes: Uint8Array): void {
    this.write(o, bytes, null, 0, RAW_TAG);
  }

  /** Writes a packed frame holding `msgs` messages (or queues it, in order, when it cannot go yet); `raw`: the tag of a frame without side items. */
  private write(o: Outbound, bytes: Uint8Array, side: SideBatch | null, msgs: number, raw = 0): void {
    // codec.pack() returns a view into msgpackr's buffer, which the next pack
    // call overwrites: copy it (into the ring, or into the overflow queue) first.
    // (A Node Buffer's slice() is a view, hence `own`.)
    if (o.overflow.length === 0 && (side === null || this.openSide(o, side))) {
      // Posted before the frame is published: the consumer finds the items when it reads the frame.
      const tag = side === null ? raw : o.post(side);
      if (bytes.length <= o.writer.maxChunk && o.writer.tryWrite(bytes, false, tag)) {
        o.unpublished += msgs;
        return;
      }
      const rest = this.writeChunks(o, bytes, 0, tag, msgs);
      if (rest === bytes.length) {
        o.unpublished += msgs;
        return;
      }
      this.queue(o, { bytes: own(bytes, rest), offset: 0, msgs, side: null, tag: rest === 0 ? tag : 0, begun: rest !== 0 });
    } else {
      this.queue(o, { bytes: own(bytes, 0), offset: 0, msgs, side, tag: raw, begun: false });
    }
  }

  /** The side channel may take this batch now; otherwise it has asked for one, or to be woken. */
  private openSide(o: Outbound, side: SideBatch): boolean {
    if (o.openSide(side.kib, this.budgetKiB, this.links())) return true;
    this.barrier.channelWait(o);
    return false;
  }

  private queue(o: Outbound, p: Pending): void {
    o.overflow.push(p);
    o.overflowBytes += p.bytes.length;
    this.overflowTotal += p.bytes.length;
    if (p.side !== null) {
      this.sideWaiting += p.side.kib * 1024;
      o.hold(p.side);
    }
    if (o.overflow.length === 1) this.overflowing++;
  }

  /** Queues a RESET marker in front of everything (a restarted producer whose ring was full). */
  queueReset(o: Outbound): void {
    o.overflow.unshift({ bytes: RESET_MARK, offset: 0, msgs: 0, side: null, tag: 0, begun: false });
    if (o.overflow.length === 1) this.overflowing++;
  }

  /**
   * Writes `bytes` from `offset` as chunks, `tag` on the first, and `count`
   * on the first too when it begins a message that continues (-1: the
   * message began in an earlier frame); returns how far it got.
   */
  private writeChunks(o: Outbound, bytes: Uint8Array, offset: number, tag: number, count: number): number {
    const max = o.writer.maxChunk;
    while (offset < bytes.length) {
      const end = Math.min(bytes.length, offset + max);
      const more = end < bytes.length;
      if (!o.writer.tryWrite(bytes.subarray(offset, end), more, tag, more ? count : -1)) return offset;
      tag = 0;
      count = -1;
      offset = end;
    }
    return offset;
  }

  /** Writes what waits for `o`, in order, as far as its ring and side channel allow. */
  drain(o: Outbound): void {
    while (o.overflow.length > 0) {
      const p = o.overflow[0]!;
      if (p.bytes === RESET_MARK) {
        if (!o.writer.writeReset()) return;
        o.overflow.shift();
        continue;
      }
      if (p.side !== null) {
        if (!this.openSide(o, p.side)) return;
        p.tag = o.postHeld(p.side);
        this.sideWaiting -= p.side.kib * 1024;
        p.side = null;
      }
      const before = p.offset;
      p.offset = this.writeChunks(o, p.bytes, p.offset, p.tag, p.begun ? -1 : p.msgs);
      if (p.offset > before) {
        p.tag = 0;
        p.begun = true;
      }
      o.overflowBytes -= p.offset - before;
      this.overflowTotal -= p.offset - before;
      if (p.offset < p.bytes.length) return;
      o.unpublished += p.msgs;
      o.overflow.shift();
    }
    this.overflowing--;
  }

  /** True when the first batch waiting for `o` could be written now (room for its next chunk, its side channel open). */
  canDrain(o: Outbound): boolean {
    const p = o.overflow[0]!;
    if (p.side !== null && !o.sideReady(p.side.kib, this.budgetKiB)) return false;
    // What drain writes first (a chunk, tagged if it is the batch's first), wrap included: free space the
    // chunk cannot use (a tail too short for it) kept the loop going round a write that could not happen.
    const left = p.bytes.length - p.offset;
    return o.writer.fits(Math.min(o.writer.maxChunk, left), p.tag !== 0, !p.begun && left > o.writer.maxChunk);
  }
}

const RESET_MARK = new Uint8Array(0);

/** A copy of `bytes` from `from` in memory of its own (Buffer.prototype.slice would return a view). */
const own = (bytes: Uint8Array, from: number): Uint8Array => Uint8Array.prototype.slice.call(bytes, from);
