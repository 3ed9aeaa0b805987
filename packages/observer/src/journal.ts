// What happened to the shards lately (down, restarted, stalled), kept for the page's event log.

import type { ActorSystem, ShardDeath } from '@joerl/runtime';

/** One line of the page's event log. */
export interface ObserverEvent {
  /** Epoch ms. */
  at: number;
  kind: 'shard-down' | 'shard-restart' | 'shard-stalled';
  shard: number;
  text: string;
}

/** How long a shard's event loop must stand still before the log calls it stalled (it ticks every 20 ms). */
export const STALL_MS = 500;
const KEEP = 50;

/**
 * Listens to the system's shard events from mount to close, and notes
 * stalls when a snapshot sees one (nothing is sampled while no page is open).
 */
export class Journal {
  readonly #system: ActorSystem;
  readonly #events: ObserverEvent[] = [];
  readonly #stalled = new Set<number>();
  readonly #onDown = (d: ShardDeath) => {
    this.#stalled.delete(d.shard);
    this.#push('shard-down', d.shard, `shard ${d.shard} down (${d.cause}): ${d.message}${d.final ? '; not restarted again' : ''}`);
  };
  readonly #onRestart = (r: { shard: number; incarnation: number }) => {
    this.#push('shard-restart', r.shard, `shard ${r.shard} restarted (incarnation ${r.incarnation})`);
  };

  constructor(system: ActorSystem) {
    this.#system = system;
    system.on('shardDown', this.#onDown);
    system.on('shardRestart', this.#onRestart);
  }

  /** Notes shards that are stalled (their loop has stood still past STALL_MS and they did not answer), once per stall. */
  noteStalls(shards: readonly { shard: number; stalled: boolean; stalledMs: number }[]): void {
    for (const v of shards) {
      if (!v.stalled) this.#stalled.delete(v.shard);
      else if (!this.#stalled.has(v.shard)) {
        this.#stalled.add(v.shard);
        this.#push('shard-stalled', v.shard, `shard ${v.shard} stalled: its event loop has not turned for ${Math.round(v.stalledMs)} ms (a handler that does not return)`);
      }
    }
  }

  /** The latest events, oldest first. */
  recent(): ObserverEvent[] {
    return this.#events.slice();
  }

  close(): void {
    this.#system.off('shardDown', this.#onDown);
    this.#system.off('shardRestart', this.#onRestart);
  }

  #push(kind: ObserverEvent['kind'], shard: number, text: string): void {
    this.#events.push({ at: Date.now(), kind, shard, text });
    if (this.#events.length > KEEP) this.#events.shift();
  }
}
