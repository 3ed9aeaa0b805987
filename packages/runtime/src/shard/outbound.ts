// One destination of a thread's output: its ring writer, the ops batched for it, what waits for room, and its side channel.

import type { MessagePort } from 'node:worker_threads';
import type { SideBatch } from '../codec/side-items.js';
import { ATTACHED_INDEX, EPOCH_INDEX, GONE_TAG, NEED_SPACE_INDEX, PORT_ACK_INDEX, PORT_GONE, SIDE_TAKEN_INDEX } from '../ring/layout.js';
import { RingWriter, ringHeader } from '../ring/ring.js';
import { SideStash } from './side-stash.js';

/** How a thread gets rings and side channels: its parent port on a shard, the main thread's broker on main. */
export interface LinkHost {
  /** This thread made the ring to `to` (it is its only producer); the main thread records it and hands it to `to`. */
  ringOpened(to: number, ring: SharedArrayBuffer): void;
  /** This thread needs a (new) side channel to `to`: the main thread makes one and hands an end to each side. */
  channelWanted(to: number): void;
}

/**
 * A packed batch that could not go out yet (the ring is full, or its side
 * items wait for the channel), kept in order until it can.
 */
export interface Pending {
  bytes: Uint8Array;
  offset: number;
  /** Messages in it (counted in UNSENT until published: see Transport.counted). */
  msgs: number;
  /** Side items not posted yet (null: none, or posted). */
  side: SideBatch | null;
  /** The tag the message's first frame still has to carry (0: none, or already written). */
  tag: number;
  /** Its first frame is written already (what is left continues it: no count word, see COUNT_FLAG). */
  begun: boolean;
}

export class Outbound {
  readonly dest: number;
  readonly writer: RingWriter;
  /** The ring's header words: ACK, TAKEN and EPOCH of the side channel. */
  private readonly hdr: Int32Array;
  /** Flat op list: code, fields..., code, fields... */
  items: unknown[] = [];
  /** Ops among `items` (what the transport's early pack counts). */
  ops = 0;
  /** Batches of `items` packed so far: a new number starts a new batch (see Transport.batchNumber). */
  batches = 0;
  dirty = false;
  /** Whether the queued ops include one the peer should wake for (not only telemetry records). */
  urgent = false;
  overflow: Pending[] = [];
  overflowBytes = 0;
  /** Messages among `items`, and in frames written but not published yet (see Transport.counted). */
  msgs = 0;
  unpublished = 0;
  /** Bytes of parts taken at the send (moved, or copied at the send) among `items` (see SIDE_FLUSH_BYTES). */
  sideBytes = 0;
  /** Encoded bytes per op item of the last frame packed for this ring (Output cuts large batches by it). */
  itemBytes = 0;
  /** Its frames are written but not published: another destination's ring or channel is being set up (Transport's barrier). */
  held = false;
  /** A batch waits for this pair's side channel to be set up (not for budget). */
  waitingChannel = false;
  /** Where waiting batches' side items are held (made on first use; see side-stash.ts). */
  private stash: SideStash | null = null;
  /** Our end of the side channel, and its generation (0: none yet). */
  private port: MessagePort | null = null;
  gen = 0;
  /** KiB posted on this generation's port (wraps like TAKEN; compared as u32). */
  private sentKiB = 0;
  /** The consumer epoch in which we last asked for a channel (once per epoch). */
  private askedEpoch = -1;

  constructor(dest: number, sab: SharedArrayBuffer) {
    this.dest = dest;
    this.writer = new RingWriter(sab);
    this.hdr = ringHeader(sab);
  }

  /** True once the consumer holds this ring. */
  attached(): boolean {
    return Atomics.load(this.hdr, ATTACHED_INDEX) === 1;
  }

  /**
   * True when a batch with `kib` KiB of side items may be posted now: we hold
   * the port the consumer holds (its ACK names our generation), and what is
   * in flight on it stays within `budgetKiB` (a lone batch always may go).
   */
  sideReady(kib: number, budgetKiB: number): boolean {
    const ack = Atomics.load(this.hdr, PORT_ACK_INDEX);
    if (ack === PORT_GONE) return true;
    if (this.port === null || ack !== this.gen) return false;
    const inFlight = (this.sentKiB - (Atomics.load(this.hdr, SIDE_TAKEN_INDEX) >>> 0)) >>> 0;
    return inFlight === 0 || inFlight + kib <= budgetKiB;
  }

  /**
   * {@link sideReady}, and when not: asks for a channel (once per consumer
   * epoch), or, over budget, raises NEED_SPACE so the consumer wakes us once
   * it has taken items. The consumer adds to TAKEN then loads NEED_SPACE; we
   * store NEED_SPACE then load TAKEN again (Dekker, seq_cst): either we see
   * its progress now, or it sees our flag.
   */
  openSide(kib: number, budgetKiB: number, links: LinkHost): boolean {
    if (this.sideReady(kib, budgetKiB)) return true;
    if (this.port === null || Atomics.load(this.hdr, PORT_ACK_INDEX) !== this.gen) {
      this.waitingChannel = true;
      const epoch = Atomics.load(this.hdr, EPOCH_INDEX);
      if (this.askedEpoch !== epoch) {
        this.askedEpoch = epoch;
        links.channelWanted(this.dest);
      }
      return false;
    }
    Atomics.store(this.hdr, NEED_SPACE_INDEX, 1);
    return this.sideReady(kib, budgetKiB);
  }

  /**
   * Posts a frame's side items (transferring what it moves or copied); call
   * right before writing the frame, with the tag this returns: the port's
   * generation, or GONE_TAG when the consumer is gone for good (the items are
   * dropped, and the frame's reader reports them lost).
   */
  post(batch: SideBatch): number {
    this.waitingChannel = false;
    if (Atomics.load(this.hdr, PORT_ACK_INDEX) === PORT_GONE) return GONE_TAG;
    this.port!.postMessage({ kib: batch.kib, items: batch.items }, batch.transfer);
    this.sentKiB = (this.sentKiB + batch.kib) >>> 0;
    return this.gen;
  }

  /** Holds a batch that must wait, off this thread's heap, until {@link postHeld} posts it (in order). */
  hold(batch: SideBatch): void {
    (this.stash ??= new SideStash()).hold(batch);
  }

  /** Posts a held batch (the oldest): see {@link post}. */
  postHeld(batch: SideBatch): number {
    return this.post(this.stash!.release(batch));
  }

  /** Our end of a new side channel; an older generation arriving late is closed unused. */
  setPort(port: MessagePort, gen: number): void {
    if (gen <= this.gen) {
      port.close();
      return;
    }
    this.port?.close();
    port.unref();
    this.port = port;
    this.gen = gen;
    this.sentKiB = 0;
  }

  close(): void {
    this.port?.close();
    this.port = null;
    this.stash?.close();
    this.stash = null;
  }
}
