// Cross-thread transport: batches ops per destination, packs each batch once, writes it into that thread's ring.

import { packr, unpackr } from '../codec/codec.js';
import { BUSY, THREAD_STRIDE_I32, UNSENT } from '../ring/control-block.js';
import { RingReader, RingWriter } from '../ring/ring.js';
import { wakeThread } from '../ring/wait.js';
import { ARITY, carriesMessage } from './protocol.js';

/** A batch that found the ring full: kept, in order, until there is room. */
interface Pending {
  bytes: Uint8Array;
  offset: number;
  /** Messages in it (see `counted`). */
  msgs: number;
}

/** Ops per batch before it is packed early (keeps frames a few KiB). */
const BATCH_OPS = 1024;

class Outbound {
  readonly dest: number;
  readonly writer: RingWriter;
  /** Flat op list: code, fields..., code, fields... */
  items: unknown[] = [];
  dirty = false;
  /** Whether the queued ops include one the peer should wake for (not only telemetry records). */
  urgent = false;
  overflow: Pending[] = [];
  overflowBytes = 0;
  /** Messages among `items`, and in frames written but not published yet (see `counted`). */
  msgs = 0;
  unpublished = 0;

  constructor(dest: number, sab: SharedArrayBuffer) {
    this.dest = dest;
    this.writer = new RingWriter(sab);
  }
}

/** Called with each decoded batch and the thread it came from. */
export type OpsHandler = (ops: unknown[], from: number) => void;
/** Called when ops in a batch could not be encoded after all (reported as dead letters). */
export type BadOpHandler = (dest: number, op: unknown[], err: unknown) => void;

export class Transport {
  private readonly out: (Outbound | null)[];
  private readonly in: (RingReader | null)[];
  private readonly dirty: Outbound[] = [];
  private readonly ctl: Int32Array;
  private readonly onOps: OpsHandler;
  private readonly onBadOp: BadOpHandler;
  /** Runs when a clean destination gets its first op (the scheduler makes sure a flush follows). */
  onDirty: () => void = () => {};
  /** Runs before every flush (tracing queues its held-back span starts there). */
  beforeFlush: (() => void) | null = null;
  private overflowing = 0;
  private overflowTotal = 0;
  private pollFrom = 0;
  /** Overflow bytes past which the thread stops running actors until its peers catch up. */
  private readonly highWater: number;
  /** This thread's UNSENT slot in the control block (see `counted`). */
  private readonly unsent: number;

  constructor(
    thread: number,
    rings: (SharedArrayBuffer | null)[][],
    ctl: Int32Array,
    onOps: OpsHandler,
    onBadOp: BadOpHandler,
  ) {
    this.ctl = ctl;
    this.onOps = onOps;
    this.onBadOp = onBadOp;
    this.unsent = thread * THREAD_STRIDE_I32 + UNSENT;
    const n = rings.length;
    this.out = new Array<Outbound | null>(n).fill(null);
    this.in = new Array<RingReader | null>(n).fill(null);
    for (let t = 0; t < n; t++) {
      if (t === thread) continue;
      this.out[t] = new Outbound(t, rings[thread]![t]!);
      this.in[t] = new RingReader(rings[t]![thread]!);
    }
    const anyRing = this.out.find((o) => o !== null);
    this.highWater = anyRing?.writer.maxChunk ?? Infinity;
  }

  /** Announces a restart on every outbound ring (see RESET in layout.ts). */
  announceRestart(): void {
    for (const o of this.out) {
      if (o === null) continue;
      if (!o.writer.writeReset()) {
        o.overflow.unshift({ bytes: RESET_MARK, offset: 0, msgs: 0 });
        if (o.overflow.length === 1) this.overflowing++;
      }
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
    this.out[dest]!.msgs++;
    this.ctl[this.unsent]!++;
  }

  /** Queues an op with two fields for thread `dest`. */
  emit2(dest: number, op: number, a: unknown, b: unknown): void {
    const o = this.out[dest]!;
    o.items.push(op, a, b);
    o.urgent = true;
    this.touch(o);
  }

  /** Queues a telemetry record: published with the rest, but never the reason to wake the peer. */
  emitQuiet(dest: number, op: number, a: unknown): void {
    const o = this.out[dest]!;
    o.items.push(op, a);
    this.touch(o);
  }

  emit3(dest: number, op: number, a: unknown, b: unknown, c: unknown): void {
    const o = this.out[dest]!;
    o.items.push(op, a, b, c);
    o.urgent = true;
    this.touch(o);
  }

  emit4(dest: number, op: number, a: unknown, b: unknown, c: unknown, d: unknown): void {
    const o = this.out[dest]!;
    o.items.push(op, a, b, c, d);
    o.urgent = true;
    this.touch(o);
  }

  emit5(dest: number, op: number, a: unknown, b: unknown, c: unknown, d: unknown, e: unknown): void {
    const o = this.out[dest]!;
    o.items.push(op, a, b, c, d, e);
    o.urgent = true;
    this.touch(o);
  }

  /** An op with six fields (OP_REMOTE: a remote op for the main thread). */
  emit6(dest: number, op: number, a: unknown, b: unknown, c: unknown, d: unknown, e: unknown, f: unknown): void {
    const o = this.out[dest]!;
    o.items.push(op, a, b, c, d, e, f);
    o.urgent = true;
    this.touch(o);
  }

  /** Packs and publishes what is queued for `dest` now (span starts before a handler that may never return). */
  flushTo(dest: number): void {
    if (this.beforeFlush !== null) this.beforeFlush();
    const o = this.out[dest];
    if (o === null || o === undefined || o.items.length === 0) return;
    this.pack(o);
    this.publish(o);
  }

  /** Makes written frames visible; wakes the peer only for something other than telemetry records. */
  private publish(o: Outbound): void {
    // Only what was actually published clears `urgent`: an urgent batch still
    // waiting in the overflow queue must wake the peer when it gets out.
    if (!this.commit(o)) return;
    if (o.urgent) wakeThread(this.ctl, o.dest);
    if (o.overflow.length === 0) o.urgent = false;
  }

  emit1(dest: number, op: number, a: unknown): void {
    const o = this.out[dest]!;
    o.items.push(op, a);
    o.urgent = true;
    this.touch(o);
  }

  private touch(o: Outbound): void {
    if (!o.dirty) {
      o.dirty = true;
      this.dirty.push(o);
      if (this.dirty.length === 1) this.onDirty();
    }
    if (o.items.length >= BATCH_OPS * 3) {
      // A full batch goes out at once, published, so the peer works while we keep producing.
      this.pack(o);
      this.publish(o);
    }
  }

  /** Packs and writes every pending batch, publishes, and wakes parked peers. */
  flush(): void {
    if (this.beforeFlush !== null) this.beforeFlush();
    const dirty = this.dirty;
    for (let i = 0; i < dirty.length; i++) {
      const o = dirty[i]!;
      o.dirty = false;
      if (o.items.length > 0) this.pack(o);
      if (o.overflow.length > 0) this.drainOverflow(o);
      this.publish(o);
    }
    dirty.length = 0;
    if (this.overflowing > 0) this.retryOverflow();
  }

  /** Reads everything a (dead) peer published, regardless of budget. */
  drainFrom(t: number): void {
    const r = this.in[t];
    if (r === null || r === undefined) return;
    while (r.hasData()) r.read((bytes) => this.onOps(unpackr.unpack(bytes) as unknown[], t));
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

  /** True while some batch waits for room in a full ring. */
  hasOverflow(): boolean {
    return this.overflowing > 0;
  }

  /**
   * True when so much output waits for full rings that running more actors
   * would only pile it up: the sender backs off (it keeps reading its own
   * rings, so two threads flooding each other still make progress).
   */
  backlogged(): boolean {
    return this.overflowTotal > this.highWater;
  }

  /** True when a waiting batch could now be written (its ring has room for the next chunk). */
  canDrainOverflow(): boolean {
    if (this.overflowing === 0) return false;
    for (const o of this.out) {
      if (o === null || o.overflow.length === 0) continue;
      const p = o.overflow[0]!;
      const next = Math.min(o.writer.maxChunk, p.bytes.length - p.offset);
      if (o.writer.free() >= next + 8) return true;
    }
    return false;
  }

  /** Bytes waiting for room, per destination (for backpressure and health). */
  overflowBytes(dest: number): number {
    return this.out[dest]?.overflowBytes ?? 0;
  }

  /** True when a peer has published frames we have not read. */
  hasInbound(): boolean {
    const ins = this.in;
    for (let t = 0; t < ins.length; t++) {
      const r = ins[t];
      if (r !== null && r!.hasData()) return true;
    }
    return false;
  }

  /**
   * Reads and dispatches batches until about `maxMessages` ops have been
   * decoded, taking turns between peers. Bounded on purpose: decoding faster
   * than the actors can run only grows mailboxes (and promotes their contents
   * to the old generation); what stays in the ring makes a faster producer
   * back off instead. Returns the number of ops decoded.
   */
  poll(maxMessages: number): number {
    const limit = maxMessages * 3; // a SEND is three items: op, target, message
    let items = 0;
    const ins = this.in;
    const count = ins.length;
    for (let k = 0; k < count && items < limit; k++) {
      const t = (this.pollFrom + k) % count;
      const r = ins[t];
      if (r === null) continue;
      while (items < limit && r!.hasData()) {
        r!.read((bytes) => {
          const ops = unpackr.unpack(bytes) as unknown[];
          items += ops.length;
          this.onOps(ops, t);
        }, 1);
      }
      // We freed space: a producer blocked on this ring can go on.
      if (r!.takeNeedSpace()) wakeThread(this.ctl, t);
    }
    this.pollFrom = (this.pollFrom + 1) % count;
    return items / 3;
  }

  private pack(o: Outbound): void {
    const items = o.items;
    const msgs = o.msgs;
    o.msgs = 0;
    let bytes: Uint8Array;
    try {
      bytes = packr.pack(items);
    } catch {
      // Something slipped past assertEncodable: encode op by op and report the culprits.
      o.items = [];
      this.packOneByOne(o, items);
      return;
    }
    items.length = 0;
    this.write(o, bytes, msgs);
  }

  /** Publishes what was written to `o`'s ring; its messages are no longer unsent. */
  private commit(o: Outbound): boolean {
    if (!o.writer.publish()) return false;
    this.ctl[this.unsent]! -= o.unpublished;
    o.unpublished = 0;
    return true;
  }

  private packOneByOne(o: Outbound, items: unknown[]): void {
    for (let i = 0; i < items.length; ) {
      const end = i + 1 + ARITY[items[i] as number]!;
      const op = items.slice(i, end);
      i = end;
      const m = carriesMessage(op[0] as number, op[1]) ? 1 : 0;
      try {
        this.write(o, packr.pack(op), m);
      } catch (err) {
        this.ctl[this.unsent]! -= m; // reported as a dead letter instead
        this.onBadOp(o.dest, op, err);
      }
    }
  }

  private write(o: Outbound, bytes: Uint8Array, msgs: number): void {
    // pack() returns a view into msgpackr's pooled buffer: copy it (into the
    // ring, or into the overflow queue) before the next pack() call.
    if (o.overflow.length === 0 && bytes.length <= o.writer.maxChunk && o.writer.tryWrite(bytes, false)) {
      o.unpublished += msgs;
      return;
    }
    if (o.overflow.length === 0) {
      const rest = this.writeChunks(o, bytes, 0);
      if (rest === bytes.length) {
        o.unpublished += msgs;
        return;
      }
      o.overflow.push({ bytes: bytes.slice(rest), offset: 0, msgs });
      o.overflowBytes += bytes.length - rest;
      this.overflowTotal += bytes.length - rest;
    } else {
      o.overflow.push({ bytes: bytes.slice(), offset: 0, msgs });
      o.overflowBytes += bytes.length;
      this.overflowTotal += bytes.length;
    }
    if (o.overflow.length === 1) this.overflowing++;
  }

  /** Writes `bytes` from `offset` as chunks; returns how far it got. */
  private writeChunks(o: Outbound, bytes: Uint8Array, offset: number): number {
    const max = o.writer.maxChunk;
    while (offset < bytes.length) {
      const end = Math.min(bytes.length, offset + max);
      if (!o.writer.tryWrite(bytes.subarray(offset, end), end < bytes.length)) return offset;
      offset = end;
    }
    return offset;
  }

  private drainOverflow(o: Outbound): void {
    while (o.overflow.length > 0) {
      const p = o.overflow[0]!;
      if (p.bytes === RESET_MARK) {
        if (!o.writer.writeReset()) return;
        o.overflow.shift();
        continue;
      }
      const before = p.offset;
      p.offset = this.writeChunks(o, p.bytes, p.offset);
      o.overflowBytes -= p.offset - before;
      this.overflowTotal -= p.offset - before;
      if (p.offset < p.bytes.length) return;
      o.unpublished += p.msgs;
      o.overflow.shift();
    }
    this.overflowing--;
  }

  private retryOverflow(): void {
    for (const o of this.out) {
      if (o === null || o.overflow.length === 0) continue;
      this.drainOverflow(o);
      if (this.commit(o)) wakeThread(this.ctl, o.dest);
    }
  }
}

const RESET_MARK = new Uint8Array(0);
