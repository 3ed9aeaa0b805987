// Cross-thread transport: batches ops per destination, packs each batch once, writes it into that thread's ring (the input side: transport-input.ts).

import type { MessagePort } from 'node:worker_threads';
import { RingCodec } from '../codec/ring-codec.js';
import { SIDE_FLUSH_BYTES, takeAdoptedBytes } from '../codec/side-items.js';
import { BUSY, THREAD_STRIDE_I32, UNSENT } from '../ring/control-block.js';
import { MAX_CHUNK_DIVISOR } from '../ring/layout.js';
import { createRingBuffer } from '../ring/ring.js';
import { wakeThread } from '../ring/wait.js';
import { Barrier } from './barrier.js';
import { type BadOpHandler, Output } from './output.js';
import { type LinkHost, Outbound } from './outbound.js';
import type { RingGrant } from './protocol.js';
import { type OpsHandler, TransportInput } from './transport-input.js';

export type { LinkHost } from './outbound.js';
export type { BadOpHandler } from './output.js';
export type { OpsHandler } from './transport-input.js';

/** Ops per batch before it is packed early (keeps frames a few KiB). */
const BATCH_OPS = 1024;

/** What the transport needs to know besides its rings. */
export interface TransportConfig {
  /** Capacity of each ring this thread creates (a power of two). */
  ringBytes: number;
  /** Side items in flight to one thread (posted, not yet taken), in bytes; a larger lone batch still goes. */
  maxPayloadBytesInFlight: number;
  /** Every thread's record store (see ring-codec.ts), the main thread's first. */
  records: readonly SharedArrayBuffer[];
}

export class Transport {
  /** Outbound state per destination thread; null until this thread first sends there. */
  private readonly out: (Outbound | null)[];
  /** The input side: rings from other threads, polled (transport-input.ts). */
  readonly input: TransportInput;
  /**
   * Destinations with ops queued since the last flush: the first `dirtyCount`
   * slots (one per destination at most, so `threads` slots). A count, not an
   * array's length: `length = 0` after every flush was a call into the
   * runtime, and it freed the elements, so the next flush's first push
   * allocated them again (one of each on every hop of a cross-shard round trip).
   */
  private readonly dirty: (Outbound | null)[];
  private dirtyCount = 0;
  private readonly thread: number;
  private readonly ctl: Int32Array;
  private readonly ringBytes: number;
  private readonly budgetBytes: number;
  private readonly barrier = new Barrier();
  private readonly output: Output;
  private readonly codec: RingCodec;
  /** How this thread gets rings and channels (set by the thread's owner before anything is sent). */
  links: LinkHost = NO_LINKS;
  /** Runs when a clean destination gets its first op (the scheduler makes sure a flush follows). */
  onDirty: () => void = () => {};
  /** Runs before every flush (telemetry writes what it counted, tracing queues its held-back span starts); see flush(). */
  beforeFlush: ((final: boolean) => void) | null = null;
  /** Called at the end of every `flush`, once it has published (telemetry held back by beforeFlush). */
  afterFlush: (() => void) | null = null;
  /** This thread's UNSENT slot in the control block (see `counted`). */
  private readonly unsent: number;
  /** Overflow bytes past which the thread stops running actors until its peers catch up. */
  private readonly highWater: number;

  constructor(thread: number, threads: number, grants: RingGrant[], ctl: Int32Array, config: TransportConfig, onOps: OpsHandler, onBadOp: BadOpHandler) {
    this.thread = thread;
    this.ctl = ctl;
    this.ringBytes = config.ringBytes;
    this.budgetBytes = config.maxPayloadBytesInFlight;
    this.unsent = thread * THREAD_STRIDE_I32 + UNSENT;
    this.codec = new RingCodec(config.records, thread);
    this.output = new Output(Math.ceil(config.maxPayloadBytesInFlight / 1024), this.barrier, () => this.links, ctl, this.unsent, onBadOp, this.codec);
    this.out = new Array<Outbound | null>(threads).fill(null);
    this.dirty = new Array<Outbound | null>(threads).fill(null);
    this.input = new TransportInput(threads, ctl, this.codec, onOps);
    for (const g of grants) {
      if (g.from === thread) this.barrier.ringMade((this.out[g.to] = new Outbound(g.to, g.ring)));
      else if (g.to === thread) this.input.attachRing(g.from, g.ring);
    }
    this.highWater = config.ringBytes / MAX_CHUNK_DIVISOR;
  }

  /** The outbound state for `dest`, making its ring on first use (handed to `dest` through `links`). */
  private to(dest: number): Outbound {
    const o = this.out[dest];
    if (o !== null && o !== undefined) return o;
    const ring = createRingBuffer(this.ringBytes);
    const made = new Outbound(dest, ring);
    this.out[dest] = made;
    this.barrier.ringMade(made);
    this.links.ringOpened(dest, ring);
    return made;
  }

  /** One end of the side channel of the pair `from` -> `to` (this thread is one of them). */
  attachChannel(from: number, to: number, port: MessagePort, gen: number): void {
    if (from === this.thread) {
      this.out[to]?.setPort(port, gen);
    } else {
      this.input.attachChannel(from, port, gen);
    }
  }

  /** Announces a restart on every outbound ring (see RESET in layout.ts). */
  announceRestart(): void {
    for (const o of this.out) {
      if (o === null) continue;
      if (!o.writer.writeReset()) this.output.queueReset(o);
      this.commit(o);
    }
  }

  /**
   * The next op queued for `dest` carries a message (a send or a dead-letter
   * report). Until the frame holding it is published, it counts in this
   * thread's UNSENT slot: plain writes (one here, one per publish), which the
   * main thread reads only after this thread has ended.
   */
  counted(dest: number): void {
    (this.out[dest] ?? this.to(dest)).msgs++;
    this.ctl[this.unsent]!++;
  }

  /** Which batch the next op for `dest` goes into: changes whenever the queued ones are packed. */
  batchNumber(dest: number): number {
    return (this.out[dest] ?? this.to(dest)).batches;
  }

  /** Queues an op with one field for thread `dest`. */
  emit1(dest: number, op: number, a: unknown): void {
    const o = this.out[dest] ?? this.to(dest);
    o.items.push(op, a);
    o.urgent = true;
    this.touch(o);
  }

  /** Queues an op with two fields for thread `dest`. */
  emit2(dest: number, op: number, a: unknown, b: unknown): void {
    const o = this.out[dest] ?? this.to(dest);
    o.items.push(op, a, b);
    o.urgent = true;
    this.touch(o);
  }

  /** Queues a telemetry record: published with the rest, but never the reason to wake the peer. */
  emitQuiet(dest: number, op: number, a: unknown): void {
    const o = this.out[dest] ?? this.to(dest);
    o.items.push(op, a);
    this.touch(o);
  }

  emit3(dest: number, op: number, a: unknown, b: unknown, c: unknown): void {
    const o = this.out[dest] ?? this.to(dest);
    o.items.push(op, a, b, c);
    o.urgent = true;
    this.touch(o);
  }

  emit4(dest: number, op: number, a: unknown, b: unknown, c: unknown, d: unknown): void {
    const o = this.out[dest] ?? this.to(dest);
    o.items.push(op, a, b, c, d);
    o.urgent = true;
    this.touch(o);
  }

  emit5(dest: number, op: number, a: unknown, b: unknown, c: unknown, d: unknown, e: unknown): void {
    const o = this.out[dest] ?? this.to(dest);
    o.items.push(op, a, b, c, d, e);
    o.urgent = true;
    this.touch(o);
  }

  /** An op with six fields (OP_REMOTE: a remote op for the main thread). */
  emit6(dest: number, op: number, a: unknown, b: unknown, c: unknown, d: unknown, e: unknown, f: unknown): void {
    const o = this.out[dest] ?? this.to(dest);
    o.items.push(op, a, b, c, d, e, f);
    o.urgent = true;
    this.touch(o);
  }

  /** An op with nine fields (OP_SEND_TP: a traced message, its context's ids as words). */
  emit9(dest: number, op: number, a: unknown, b: unknown, c: unknown, d: unknown, e: unknown, f: unknown, g: unknown, h: unknown, i: unknown): void {
    const o = this.out[dest] ?? this.to(dest);
    o.items.push(op, a, b, c, d, e, f, g, h, i);
    o.urgent = true;
    this.touch(o);
  }

  /**
   * The send just queued for `dest` was copied for the wire (a part moved
   * or copied at the send, or a `-0`): its parts' bytes join the batch's, and
   * a batch holding SIDE_FLUSH_BYTES of them goes out now, published, as a
   * full batch of ops does (see side-items.ts for why).
   */
  tookParts(dest: number): void {
    const o = this.out[dest];
    if (o === null || o === undefined) return;
    if ((o.sideBytes += takeAdoptedBytes()) < SIDE_FLUSH_BYTES) return;
    this.output.pack(o);
    this.publish(o);
  }

  /**
   * Writes `bytes` (copied now) for `dest` as a raw frame, after what is
   * queued for it (packed first, so the order holds): the peer's `onRaw` (TransportInput)
   * gets them as they are. Published with the next flush, never the reason
   * to wake the peer (like emitQuiet). Not an op: it never goes through
   * msgpack (see dense-frame.ts in telemetry for why span rows must not).
   */
  emitRaw(dest: number, bytes: Uint8Array): void {
    const o = this.out[dest] ?? this.to(dest);
    if (o.items.length > 0) this.output.pack(o);
    this.output.writeRaw(o, bytes);
    if (!o.dirty) this.dirtied(o);
  }

  /** Packs and publishes what is queued for `dest` now (span starts before a handler that may never return). */
  flushTo(dest: number): void {
    if (this.beforeFlush !== null) this.beforeFlush(true);
    const o = this.out[dest];
    if (o !== null && o !== undefined) {
      // (A raw frame the hook wrote is published too, as an op in the batch would be.)
      if (o.items.length > 0) this.output.pack(o);
      this.publish(o);
    }
    if (this.afterFlush !== null) this.afterFlush();
  }

  /** Makes written frames visible (unless the barrier holds them); wakes the peer only for something other than telemetry records. */
  private publish(o: Outbound, always = false): void {
    if (this.barrier.maybeUp() && this.barrier.holds(o)) return;
    // Only what was actually published clears `urgent`: an urgent batch still
    // waiting in the overflow queue must wake the peer when it gets out.
    if (!this.commit(o)) return;
    // Telemetry records alone do not wake the peer, unless they fill half its ring: left asleep
    // with a full ring, it would stall this thread (tracing at 100% ships a record per span).
    if (o.urgent || always || o.writer.free() < o.writer.capacity >> 1) wakeThread(this.ctl, o.dest);
    if (o.overflow.length === 0) o.urgent = false;
  }

  /** Publishes what was written to `o`'s ring; its messages are no longer unsent. */
  private commit(o: Outbound): boolean {
    if (!o.writer.publish()) return false;
    this.ctl[this.unsent]! -= o.unpublished;
    o.unpublished = 0;
    return true;
  }

  /** `o` has its first op since the last flush. */
  private dirtied(o: Outbound): void {
    o.dirty = true;
    this.dirty[this.dirtyCount++] = o;
    if (this.dirtyCount === 1) this.onDirty();
  }

  private touch(o: Outbound): void {
    if (!o.dirty) this.dirtied(o);
    // Counted in ops, not items: a traced send (ten items) must not cut frames three times as often as a plain one (three).
    if (++o.ops >= BATCH_OPS) {
      // A full batch goes out at once, published, so the peer works while we keep producing.
      this.output.pack(o);
      this.publish(o);
    }
  }

  /**
   * Packs and writes every pending batch, publishes, and wakes parked peers.
   * `final` is false for the scheduler's flushes in the middle of a slice:
   * the hook may then skip work that only matters when something is
   * published or the thread may go idle.
   */
  flush(final = true): void {
    if (this.beforeFlush !== null) this.beforeFlush(final);
    const dirty = this.dirty;
    // (A destination the packing dirties again, a bad op's report, joins the end of the list and goes out in this loop.)
    for (let i = 0; i < this.dirtyCount; i++) {
      const o = dirty[i]!;
      dirty[i] = null;
      o.dirty = false;
      if (o.items.length > 0) this.output.pack(o);
      if (o.overflow.length > 0) this.output.drain(o);
      this.publish(o);
    }
    this.dirtyCount = 0;
    if (this.output.overflowing > 0) {
      for (const o of this.out) {
        if (o === null || o.overflow.length === 0) continue;
        this.output.drain(o);
        this.publish(o, true);
      }
    }
    if (this.barrier.holding()) for (const o of this.barrier.release()) this.publish(o);
    if (this.afterFlush !== null) this.afterFlush();
  }

  /**
   * True when a thread we have messages for is between slices (waiting or
   * parked): publishing now puts it to work instead of leaving it idle until
   * our slice ends. A busy peer gets bigger batches instead.
   */
  idlePeerWaiting(): boolean {
    const dirty = this.dirty;
    for (let i = 0; i < this.dirtyCount; i++) {
      const o = dirty[i]!;
      if (o.urgent && Atomics.load(this.ctl, o.dest * THREAD_STRIDE_I32 + BUSY) === 0) return true;
    }
    return false;
  }

  /** True when ops were queued since the last flush (they must go out before we park). */
  hasUnflushed(): boolean {
    return this.dirtyCount > 0;
  }

  /** True while some batch waits for room in a full ring or for its side channel, or frames wait for the barrier. */
  hasOverflow(): boolean {
    return this.output.overflowing > 0 || this.barrier.holding();
  }

  /**
   * True when so much output waits for full rings (or for side channels)
   * that running more actors would only pile it up: the sender backs off
   * (it keeps reading its own rings, so two threads flooding each other
   * still make progress).
   */
  backlogged(): boolean {
    return this.output.overflowTotal > this.highWater || this.output.sideWaiting > this.budgetBytes;
  }

  /** True when waiting output could go now: a batch its ring and side channel now take, or frames the barrier held. */
  canDrainOverflow(): boolean {
    if (this.barrier.canRelease()) return true;
    if (this.output.overflowing === 0) return false;
    for (const o of this.out) if (o !== null && o.overflow.length > 0 && this.output.canDrain(o)) return true;
    return false;
  }

  /** Bytes waiting for room, per destination (for backpressure and health). */
  overflowBytes(dest: number): number {
    return this.out[dest]?.overflowBytes ?? 0;
  }

  /** Closes every side-channel port (the thread is ending). */
  close(): void {
    for (const o of this.out) o?.close();
    this.input.close();
  }
}

const NO_LINKS: LinkHost = {
  ringOpened: () => {
    throw new Error('joerl internal error: a ring was needed before the thread could hand it over');
  },
  channelWanted: () => {
    throw new Error('joerl internal error: a side channel was needed before the thread could ask for one');
  },
};
