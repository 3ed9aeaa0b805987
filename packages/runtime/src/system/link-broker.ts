// The main thread's part in rings and side channels: records rings as threads make them, hands them over, makes channels.

import { MessageChannel, type MessagePort } from 'node:worker_threads';
import { GAVE_UP, THREAD_STRIDE_I32 } from '../ring/control-block.js';
import { ATTACHED_INDEX, EPOCH_INDEX, PORT_ACK_INDEX, PORT_GEN_INDEX } from '../ring/layout.js';
import { ringHeader } from '../ring/ring.js';
import type { LinkToShard } from '../shard/protocol.js';
import type { Transport } from '../shard/transport.js';
import { type SharedMemory, recordRing } from './shared-memory.js';

/** How the broker reaches a shard's current worker (a message to a shard that is down is dropped). */
export type ShardPost = (shard: number, msg: LinkToShard, transfer?: MessagePort[]) => void;

/*
 * Ordering, in short (ARCHITECTURE.md, "Bounded rings" and "Big payloads"):
 * - A shard writes into a ring it made at once and hands it to the consumer
 *   on a BroadcastChannel; it also tells us, so that restarted incarnations
 *   get it, and we hand it over again in case the consumer was restarting
 *   (it ignores a second copy). Until the consumer holds it (ATTACHED), the
 *   producer holds back what it sends elsewhere (shard/barrier.ts).
 * - A dead producer's last "ring-opened" is delivered before its exit event
 *   (Node drains a worker's port first), so the directory is complete when
 *   it restarts, and the new incarnation resumes the same ring.
 * - Side channels are made here, an end for each side; a producer posts on
 *   one only once the consumer acknowledged that generation in the ring
 *   header, so the consumer always holds the port a frame names.
 */
export class LinkBroker {
  constructor(
    private readonly mem: SharedMemory,
    private readonly main: Transport,
    /** Wakes the main thread's scheduler: data may already wait in a ring it just got, or a batch for a channel it just got. */
    private readonly kickMain: () => void,
    private readonly post: ShardPost,
  ) {}

  /** Thread `from` made the ring `from` -> `to`: record it and hand it to `to`. */
  ringOpened(from: number, to: number, ring: SharedArrayBuffer): void {
    if (!recordRing(this.mem, from, to, ring)) return;
    // Nobody will ever read a ring into a shard the system gave up on: its producer must not wait for that.
    if (to !== 0 && Atomics.load(this.mem.ctl.i32, to * THREAD_STRIDE_I32 + GAVE_UP) === 1) Atomics.store(ringHeader(ring), ATTACHED_INDEX, 1);
    if (to === 0) {
      this.main.attachRing(from, ring);
      this.kickMain();
    } else this.post(to, { type: 'ring', from, ring });
  }

  /** Thread `from` needs a side channel to `to`: a new generation, an end to each (the main thread keeps its own). */
  channelWanted(from: number, to: number): void {
    const ring = this.mem.rings[from]?.[to];
    if (ring === undefined) return;
    const gen = Atomics.add(ringHeader(ring), PORT_GEN_INDEX, 1) + 1;
    const { port1, port2 } = new MessageChannel();
    this.give(from, from, to, port1, gen);
    this.give(to, from, to, port2, gen);
  }

  /**
   * Shard `shard` died: its side ports died with it. Every ring into it
   * forgets the acknowledged generation (its producers stop posting items),
   * and its epoch moves on, so each producer asks once for a new channel,
   * which the restarted shard will hold.
   */
  shardDied(shard: number): void {
    for (const row of this.mem.rings) {
      const ring = row[shard];
      if (ring === undefined) continue;
      const hdr = ringHeader(ring);
      Atomics.store(hdr, PORT_ACK_INDEX, 0);
      Atomics.add(hdr, EPOCH_INDEX, 1);
    }
  }

  /**
   * Shard `shard` is running again. A producer that asked for a channel
   * while it was down got an end whose other end was dropped (no worker to
   * post to): a new epoch makes it ask once more, and the new worker answers.
   */
  shardRestarted(shard: number): void {
    for (const row of this.mem.rings) {
      const ring = row[shard];
      if (ring !== undefined) Atomics.add(ringHeader(ring), EPOCH_INDEX, 1);
    }
  }

  /** The system gave up restarting `shard`: producers waiting for it to take a ring stop waiting. */
  shardGone(shard: number): void {
    for (const row of this.mem.rings) {
      const ring = row[shard];
      if (ring !== undefined) Atomics.store(ringHeader(ring), ATTACHED_INDEX, 1);
    }
  }

  private give(thread: number, from: number, to: number, port: MessagePort, gen: number): void {
    if (thread === 0) {
      this.main.attachChannel(from, to, port, gen);
      this.kickMain();
      return;
    }
    this.post(thread, { type: 'channel', from, to, port, gen }, [port]);
  }
}
