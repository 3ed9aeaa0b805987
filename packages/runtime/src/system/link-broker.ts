// The main thread's part in rings and side channels: records rings as threads make them, hands them over, makes channels.

import * as Comlink from 'comlink';
import { MessageChannel, type MessagePort } from 'node:worker_threads';
import { GAVE_UP, THREAD_STRIDE_I32 } from '../ring/control-block.js';
import { ATTACHED_INDEX, EPOCH_INDEX, PORT_ACK_INDEX, PORT_GEN_INDEX, PORT_GONE } from '../ring/layout.js';
import { ringHeader } from '../ring/ring.js';
import type { Transport } from '../shard/transport.js';
import type { ShardHost } from './shard-host.js';
import type { PoolEvents } from './shard-pool.js';
import { type SharedMemory, recordRing } from './shared-memory.js';

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
let systems = 0;

export class LinkBroker {
  /** Unique per system: names its ring BroadcastChannels (several systems may run in one process). */
  readonly systemId = `${process.pid}-${++systems}-${Math.random().toString(36).slice(2, 8)}`;
  /** The shards' hosts: rings and channel ends go to a shard's current worker through its admin object. */
  private hosts: readonly ShardHost[] = [];

  constructor(
    private readonly mem: SharedMemory,
    private readonly main: Transport,
    /** Wakes the main thread's scheduler: data may already wait in a ring it just got, or a batch for a channel it just got. */
    private readonly kickMain: () => void,
  ) {
    main.links = { ringOpened: (to, ring) => this.ringOpened(0, to, ring), channelWanted: (to) => this.channelWanted(0, to) };
  }

  /** Answers the shards' link requests (their hosts pass them on). */
  serve(hosts: readonly ShardHost[]): void {
    this.hosts = hosts;
    for (const h of hosts) h.onLink = (m) => (m.type === 'ring-opened' ? this.ringOpened(h.shard, m.to, m.ring) : this.channelWanted(h.shard, m.to));
  }

  /** The pool's events with ours first: a death resets side channels, a give-up releases producers, a restart makes them ask again. */
  poolEvents(e: PoolEvents): PoolEvents {
    return {
      ...e,
      cleanup: (d) => {
        this.shardDied(d.shard);
        e.cleanup(d);
      },
      down: (d) => {
        if (d.final) this.shardGone(d.shard);
        e.down(d);
      },
      restarted: (shard, incarnation) => {
        this.shardRestarted(shard);
        e.restarted(shard, incarnation);
      },
    };
  }

  /** Thread `from` made the ring `from` -> `to`: record it and hand it to `to`. */
  ringOpened(from: number, to: number, ring: SharedArrayBuffer): void {
    if (!recordRing(this.mem, from, to, ring)) return;
    // Only the main thread reads a ring into a shard the system gave up on (system/gone-shards.ts): its producer must not wait.
    if (to !== 0 && Atomics.load(this.mem.ctl.i32, to * THREAD_STRIDE_I32 + GAVE_UP) === 1) this.release(ring);
    if (to === 0) {
      this.main.input.attachRing(from, ring);
      this.kickMain();
    } else this.admin(to, (a) => a.attachRing(from, ring));
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

  /**
   * The system gave up restarting `shard`: producers waiting for it to take
   * a ring or a side channel stop waiting. Its rings are read by the main
   * thread (system/gone-shards.ts); side items sent its way are dropped and
   * reported lost with their messages.
   */
  shardGone(shard: number): void {
    for (const row of this.mem.rings) {
      const ring = row[shard];
      if (ring !== undefined) this.release(ring);
    }
  }

  private release(ring: SharedArrayBuffer): void {
    const hdr = ringHeader(ring);
    Atomics.store(hdr, ATTACHED_INDEX, 1);
    Atomics.store(hdr, PORT_ACK_INDEX, PORT_GONE);
  }

  private give(thread: number, from: number, to: number, port: MessagePort, gen: number): void {
    if (thread === 0) {
      this.main.attachChannel(from, to, port, gen);
      this.kickMain();
      return;
    }
    this.admin(thread, (a) => a.attachChannel(from, to, Comlink.transfer(port, [port]), gen));
  }

  /**
   * A call on a shard's admin object. A shard that is down drops it: a
   * restarted one gets its rings in its start-up data, and its producers ask
   * for channels again (shardRestarted).
   */
  private admin(shard: number, fn: Parameters<ShardHost['call']>[0]): void {
    this.hosts[shard - 1]?.call(fn).catch(() => {});
  }
}
