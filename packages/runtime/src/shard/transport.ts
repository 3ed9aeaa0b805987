// Cross-thread transport: batches ops per destination, packs each batch once, writes it into that thread's ring.

import type { MessagePort } from 'node:worker_threads';
import { RingCodec } from '../codec/ring-codec.js';
import { SIDE_FLUSH_BYTES, setFrameItems, takeAdoptedBytes } from '../codec/side-items.js';
import { BUSY, THREAD_STRIDE_I32, UNSENT } from '../ring/control-block.js';
import { MAX_CHUNK_DIVISOR, RAW_TAG } from '../ring/layout.js';
import { createRingBuffer } from '../ring/ring.js';
import { wakeThread } from '../ring/wait.js';
import { Barrier } from './barrier.js';
import { Inbound } from './inbound.js';
import { type BadOpHandler, Output } from './output.js';
import { type LinkHost, Outbound } from './outbound.js';
import type { RingGrant } from './protocol.js';
import { POLL_SIDE_KIB, SideIntake } from './side-intake.js';

export type { LinkHost } from './outbound.js';
export type { BadOpHandler } from './output.js';

/** Ops per batch before it is packed early (keeps frames a few KiB). */
const BATCH_OPS = 1024;
/** Span rows a poll hands the main thread's processors, about (see poll). */
const POLL_SPAN_ROWS = 512;

/** Called with each decoded batch and the thread it came from. */
export type OpsHandler = (ops: unknown[], from: number) => void;

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
  /** Inbound state per source thread, and the same, dense, for polling. */
  private readonly inBy: (Inbound | null)[];
  private readonly ins: Inbound[] = [];
  private readonly dirty: Outbound[] = [];
  private readonly thread: number;
  private readonly ctl: Int32Array;
  private readonly onOps: OpsHandler;
  private readonly ringBytes: number;
  private readonly budgetBytes: number;
  private readonly barrier = new Barrier();
  private readonly output: Output;
  private readonly codec: RingCodec;
  /** How this thread gets rings and channels (set by the thread's owner before anything is sent). */
  links: LinkHost = NO_LINKS;
  /** Runs when a clean destination gets its first op (the scheduler makes sure a flush follows). */
  onDirty: () => void = () => {};
  /** Takes each raw frame (see emitRaw) and the thread it came from: span rows, on the main thread; returns how many. */
  onRaw: ((bytes: Uint8Array, from: number) => number) | null = null;
  /** Span rows taken in by this poll so far. */
  private spanRows = 0;
  /** Runs before every flush (telemetry writes what it counted, tracing queues its held-back span starts); see flush(). */
  beforeFlush: ((final: boolean) => void) | null = null;
  /** Called at the end of every `flush`, once it has published (telemetry held back by beforeFlush). */
  afterFlush: (() => void) | null = null;
  private pollFrom = 0;
  /** Side items taken since the last poll that took some (see side-intake.ts). */
  private readonly intake = new SideIntake();
  /** This thread's UNSENT slot in the control block (see `counted`). */
  private readonly unsent: number;
  /** Overflow bytes past which the thread stops running actors until its peers catch up. */
  private readonly highWater: number;

  constructor(thread: number, threads: number, grants: RingGrant[], ctl: Int32Array, config: TransportConfig, onOps: OpsHandler, onBadOp: BadOpHandler) {
    this.thread = thread;
    this.ctl = ctl;
    this.onOps = onOps;
    this.ringBytes = config.ringBytes;
    this.budgetBytes = config.maxPayloadBytesInFlight;
    this.unsent = thread * THREAD_STRIDE_I32 + UNSENT;
    this.codec = new RingCodec(config.records, thread);
    this.output = new Output(Math.ceil(config.maxPayloadBytesInFlight / 1024), this.barrier, () => this.links, ctl, this.unsent, onBadOp, this.codec);
    this.out = new Array<Outbound | null>(threads).fill(null);
    this.inBy = new Array<Inbound | null>(threads).fill(null);
    for (const g of grants) {
      if (g.from === thread) this.barrier.ringMade((this.out[g.to] = new Outbound(g.to, g.ring)));
      else if (g.to === thread) this.attachRing(g.from, g.ring);
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

  /** A ring from `from` into this thread (from start-up data, or handed over while running); a second copy is ignored. */
  attachRing(from: number, ring: SharedArrayBuffer): void {
    if (this.inBy[from] !== null && this.inBy[from] !== undefined) return;
    const i = new Inbound(from, ring, this.ctl, this.intake);
    this.inBy[from] = i;
    this.ins.push(i);
  }

  /** One end of the side channel of the pair `from` -> `to` (this thread is one of them). */
  attachChannel(from: number, to: number, port: MessagePort, gen: number): void {
    if (from === this.thread) {
      this.out[to]?.setPort(port, gen);
    } else {
      const i = this.inBy[from];
      if (i === null || i === undefined) throw new Error(`joerl internal error: a side channel from thread ${from} came before its ring`);
      i.attach(port, gen, this.ctl);
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
   * queued for it (packed first, so the order holds): the peer's `onRaw`
   * gets them as they are. Published with the next flush, never the reason
   * to wake the peer (like emitQuiet). Not an op: it never goes through
   * msgpack (see dense-frame.ts in telemetry for why span rows must not).
   */
  emitRaw(dest: number, bytes: Uint8Array): void {
    const o = this.out[dest] ?? this.to(dest);
    if (o.items.length > 0) this.output.pack(o);
    this.output.writeRaw(o, bytes);
    if (!o.dirty) {
      o.dirty = true;
      this.dirty.push(o);
      if (this.dirty.length === 1) this.onDirty();
    }
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

  private touch(o: Outbound): void {
    if (!o.dirty) {
      o.dirty = true;
      this.dirty.push(o);
      if (this.dirty.length === 1) this.onDirty();
    }
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
    for (let i = 0; i < dirty.length; i++) {
      const o = dirty[i]!;
      o.dirty = false;
      if (o.items.length > 0) this.output.pack(o);
      if (o.overflow.length > 0) this.output.drain(o);
      this.publish(o);
    }
    dirty.length = 0;
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

  /** Reads everything a (dead) peer published, regardless of budget. */
  drainFrom(t: number): void {
    const i = this.inBy[t];
    if (i === null || i === undefined) return;
    while (i.reader.hasData()) i.reader.read((bytes, tag) => this.decode(i, bytes, tag));
  }

  /**
   * True when a thread we have messages for is between slices (waiting or
   * parked): publishing now puts it to work instead of leaving it idle until
   * our slice ends. A busy peer gets bigger batches instead.
   */
  idlePeerWaiting(): boolean {
    const dirty = this.dirty;
    for (let i = 0; i < dirty.length; i++) {
      const o = dirty[i]!;
      if (o.urgent && Atomics.load(this.ctl, o.dest * THREAD_STRIDE_I32 + BUSY) === 0) return true;
    }
    return false;
  }

  /** True when ops were queued since the last flush (they must go out before we park). */
  hasUnflushed(): boolean {
    return this.dirty.length > 0;
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

  /** True when a peer has published frames we have not read. */
  hasInbound(): boolean {
    const ins = this.ins;
    for (let k = 0; k < ins.length; k++) if (ins[k]!.reader.hasData()) return true;
    return false;
  }

  /**
   * Reads and dispatches batches until about `maxMessages` ops have been
   * decoded, taking turns between peers. Bounded on purpose: decoding faster
   * than the actors can run only grows mailboxes (and promotes their contents
   * to the old generation); what stays in the ring makes a faster producer
   * back off instead. So is what a poll takes of side items (POLL_SIDE_KIB),
   * and a poll after one that took some lets V8 free them young (see
   * side-intake.ts). And so are span rows (POLL_SPAN_ROWS): processors get
   * them synchronously, and the SDK's BatchSpanProcessor exports once per
   * microtask checkpoint, so more at once grow its queue past its limit
   * (dropped spans) or, set large, into arrays of tens of thousands whose
   * every export is a splice of the whole. Returns the number of ops decoded.
   */
  poll(maxMessages: number): number {
    const limit = maxMessages * 3; // a SEND is three items: op, target, message
    const ins = this.ins;
    const count = ins.length;
    const intake = this.intake;
    if (intake.kib !== 0) intake.settle();
    this.spanRows = 0;
    this.polled = 0;
    for (let k = 0; k < count && this.polled < limit && intake.kib < POLL_SIDE_KIB && this.spanRows < POLL_SPAN_ROWS; k++) {
      const i = ins[(this.pollFrom + k) % count]!;
      const r = i.reader;
      this.polling = i;
      while (this.polled < limit && intake.kib < POLL_SIDE_KIB && this.spanRows < POLL_SPAN_ROWS && r.hasData()) r.read(this.onFrame, 1);
      // We freed space (ring bytes or side items): a producer blocked on this ring can go on.
      if (r.takeNeedSpace()) wakeThread(this.ctl, i.from);
    }
    this.polling = null;
    if (count > 0) this.pollFrom = (this.pollFrom + 1) % count;
    return this.polled / 3;
  }

  /** The ring `poll` reads, and the items it decoded so far. */
  private polling: Inbound | null = null;
  private polled = 0;
  /** `poll`'s frame handler: one function for the thread's life, not a closure per frame read. */
  private readonly onFrame = (bytes: Uint8Array, tag: number): void => {
    this.polled += this.decode(this.polling!, bytes, tag);
  };

  /** Decodes one message (a batch of ops) from `i` and hands it on; returns its item count. */
  private decode(i: Inbound, bytes: Uint8Array, tag: number): number {
    if (tag === RAW_TAG) {
      // (Only a shard with tracing sends these, to the main thread, which then has a handler.)
      if (this.onRaw !== null) this.spanRows += this.onRaw(bytes, i.from);
      return 3;
    }
    // The frame's side items come off the port before decoding, one post per tagged frame.
    setFrameItems(tag === 0 ? null : i.take(tag));
    let ops: unknown[];
    try {
      ops = this.codec.unpack(i.from, bytes) as unknown[];
    } finally {
      setFrameItems(null);
    }
    this.onOps(ops, i.from);
    return ops.length;
  }

  /** Closes every side-channel port (the thread is ending). */
  close(): void {
    for (const o of this.out) o?.close();
    for (const i of this.ins) i.close();
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
