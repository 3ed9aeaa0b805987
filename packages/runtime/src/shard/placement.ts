// Placement: which shard a new process goes to (a number, this shard, round-robin, or the least loaded).

import type { SpawnOptions } from '../actor/context.js';
import { ACTORS, THREAD_STRIDE_I32 } from '../ring/control-block.js';
import { InvalidOptionError } from '../errors.js';
import { describe } from '../validate.js';
import type { ShardState } from './shard-state.js';

export class Placement {
  private readonly s: ShardState;
  private rr = 0;
  /** Where least-loaded's next scan starts (0-based): the shard after its last pick. */
  private tie = 0;

  constructor(state: ShardState) {
    this.s = state;
  }

  /** The shard for a spawn: from an actor, `'local'` by default; from main, round-robin. Shards are numbered from 1. */
  place(shard: SpawnOptions['shard'], fromActor: boolean): number {
    const s = this.s;
    const shards = s.threads - 1;
    if (shard === undefined) shard = fromActor ? 'local' : 'round-robin';
    if (typeof shard === 'number') {
      if (!Number.isInteger(shard) || shard < 1 || shard > shards) {
        throw new InvalidOptionError(`options.shard must be an integer from 1 to ${shards}, got ${shard} (shards are numbered from 1; thread 0 is the main thread)`);
      }
      return shard;
    }
    switch (shard) {
      case 'local':
        if (s.thread !== 0) return s.thread;
        return this.place('round-robin', false);
      case 'round-robin':
        for (let k = 0; k < shards; k++) {
          this.rr = (this.rr % shards) + 1;
          if (!s.isGone(this.rr)) break;
        }
        return this.rr;
      case 'least-loaded': {
        // Counts move only once a child exists: spawns asked back to back all see the same ones, so
        // ties are broken in turn (from the shard after the last pick), not always for shard 1.
        let best = 1;
        let bestLoad = Infinity;
        for (let k = 0; k < shards; k++) {
          const t = ((this.tie + k) % shards) + 1;
          if (s.isGone(t)) continue;
          const load = Atomics.load(s.ctl.i32, t * THREAD_STRIDE_I32 + ACTORS);
          if (load < bestLoad) {
            best = t;
            bestLoad = load;
          }
        }
        this.tie = best % shards;
        return best;
      }
      default:
        throw new InvalidOptionError(`options.shard must be a shard number, 'local', 'round-robin' or 'least-loaded', got ${describe(shard)}`);
    }
  }
}
