// A thread's input side: the rings other threads write to it, read in bounded polls, their frames decoded into ops.

import type { MessagePort } from 'node:worker_threads';
import type { RingCodec } from '../codec/ring-codec.js';
import { setFrameItems } from '../codec/side-items.js';
import { RAW_TAG } from '../ring/layout.js';
import { wakeThread } from '../ring/wait.js';
import { Inbound } from './inbound.js';
import { POLL_SIDE_KIB, SideIntake } from './side-intake.js';

/** Span rows a poll hands the main thread's processors, about (see poll). */
const POLL_SPAN_ROWS = 512;

/** Called with each decoded batch and the thread it came from. */
export type OpsHandler = (ops: unknown[], from: number) => void;

export class TransportInput {
  /** Inbound state per source thread, and the same, dense, for polling. */
  private readonly inBy: (Inbound | null)[];
  private readonly ins: Inbound[] = [];
  private readonly ctl: Int32Array;
  private readonly codec: RingCodec;
  private readonly onOps: OpsHandler;
  /** Takes each raw frame (see Transport.emitRaw) and the thread it came from: span rows, on the main thread; returns how many. */
  onRaw: ((bytes: Uint8Array, from: number) => number) | null = null;
  /** Span rows taken in by this poll so far. */
  private spanRows = 0;
  private pollFrom = 0;
  /** Side items taken since the last poll that took some (see side-intake.ts). */
  private readonly intake = new SideIntake();
  /** The ring `poll` reads, and the items it decoded so far. */
  private polling: Inbound | null = null;
  private polled = 0;

  constructor(threads: number, ctl: Int32Array, codec: RingCodec, onOps: OpsHandler) {
    this.inBy = new Array<Inbound | null>(threads).fill(null);
    this.ctl = ctl;
    this.codec = codec;
    this.onOps = onOps;
  }

  /**
   * A message whose first frames this thread's previous life had read (the
   * rest is skipped: see MID_MESSAGE_INDEX) was lost, with the sent messages
   * it carried; set by the thread runtime (reported to the main thread).
   */
  onDropped: ((messages: number) => void) | null = null;
  private readonly dropped = (messages: number): void => this.onDropped?.(messages);

  /** A ring from `from` into this thread (from start-up data, or handed over while running); a second copy is ignored. */
  attachRing(from: number, ring: SharedArrayBuffer): void {
    if (this.inBy[from] !== null && this.inBy[from] !== undefined) return;
    const i = new Inbound(from, ring, this.ctl, this.intake, this.dropped);
    this.inBy[from] = i;
    this.ins.push(i);
  }

  /** Our end of the side channel from `from`, which must have its ring already. */
  attachChannel(from: number, port: MessagePort, gen: number): void {
    const i = this.inBy[from];
    if (i === null || i === undefined) throw new Error(`joerl internal error: a side channel from thread ${from} came before its ring`);
    i.attach(port, gen, this.ctl);
  }

  /** Reads everything a (dead) peer published, regardless of budget. */
  drainFrom(t: number): void {
    const i = this.inBy[t];
    if (i === null || i === undefined) return;
    while (i.reader.hasData()) i.reader.read((bytes, tag) => this.decode(i, bytes, tag));
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

  /** Closes every side-channel port of the input (the thread is ending). */
  close(): void {
    for (const i of this.ins) i.close();
  }
}
