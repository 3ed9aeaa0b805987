// The shards seen from the main thread: their hosts, the watchdog, what a shard's death changes, restarts, views.

import { performance } from 'node:perf_hooks';
import type { ResourceLimits } from 'node:worker_threads';
import {
  ACTORS,
  BUSY,
  FIRST_SERIAL,
  GAVE_UP,
  INCARNATION,
  LAG_US,
  LOADING,
  LOOP_TICK,
  PARKED,
  SERIAL,
  SLICING,
  THREAD_STRIDE_I32,
  THREAD_STRIDE_I64,
} from '../ring/control-block.js';
import { InvalidArgumentError } from '../errors.js';
import { ringFill } from '../ring/ring.js';
import type { ShardInit, ShardStats } from '../shard/protocol.js';
import { type ShardDeath, ShardHost } from './shard-host.js';
import type { SharedMemory } from './shared-memory.js';

/** What the system knows about one shard right now (read from shared memory, no round trip). */
export interface ShardView {
  shard: number;
  /** Its worker is running and has reported ready. */
  up: boolean;
  /** The system stopped restarting it (it kept dying at start-up). */
  gaveUp: boolean;
  incarnation: number;
  /** Bumped every 20 ms by the shard's event loop; stalls when a handler blocks it. */
  loopTick: number;
  /** ms since loopTick last moved (as seen from here). */
  stalledMs: number;
  /** Event-loop lag at its last tick, in ms. */
  lagMs: number;
  /** Live processes on it. */
  actors: number;
  /** Fullest of the rings into it, 0..1 (near 1: it cannot keep up). */
  ringFill: number;
}

/** What the pool asks of the system around a shard's death. */
export interface PoolEvents {
  /** Is the system still running (deaths during shutdown are not restarted, nor reported)? */
  running(): boolean;
  /** A death during shutdown: only what the stop itself would wait on is released (see ShardFaults). */
  diedStopping(d: ShardDeath): void;
  /** The main thread's own cleanup: names, rings, links and monitors to the dead shard. */
  cleanup(d: ShardDeath): void;
  /** After cleanup and the restart decision (`d.final`). */
  down(d: ShardDeath): void;
  restarted(shard: number, incarnation: number): void;
}

/** A shard that dies this many times in a row before reporting ready is not restarted again. */
const MAX_FAILED_STARTS = 3;

export class ShardPool {
  readonly hosts: ShardHost[] = [];
  private readonly mem: SharedMemory;
  private readonly events: PoolEvents;
  private readonly restartShards: boolean;
  /** Per shard: the last loop tick seen, and since when (for views and the watchdog). */
  private readonly view: { tick: number; since: number }[] = [];
  private readonly watch: { hb: number; since: number }[] = [];
  private watchdog: NodeJS.Timeout | null = null;

  constructor(shards: number, mem: SharedMemory, init: (shard: number, incarnation: number) => ShardInit, limits: ResourceLimits | undefined, restartShards: boolean, events: PoolEvents) {
    this.mem = mem;
    this.events = events;
    this.restartShards = restartShards;
    for (let s = 1; s <= shards; s++) {
      this.hosts.push(new ShardHost(s, (h) => init(s, h.incarnation), limits, (d) => this.onDeath(d)));
      this.watch.push({ hb: 0, since: 0 });
      this.view.push({ tick: -1, since: 0 });
    }
  }

  /** Starts every shard; resolves once all are ready. */
  async start(): Promise<void> {
    await Promise.all(this.hosts.map((h) => h.start()));
  }

  /** Stops every shard (each stops its processes within `timeoutMs`). */
  async stop(timeoutMs: number): Promise<void> {
    if (this.watchdog !== null) clearInterval(this.watchdog);
    await Promise.all(this.hosts.map((h) => h.stop(timeoutMs)));
  }

  /** Each shard's own counters; one that does not answer within `timeoutMs` (stalled) reports zeros, as a down one does. */
  stats(timeoutMs: number): Promise<ShardStats[]> {
    return Promise.all(this.hosts.map((h) => h.stats(timeoutMs)));
  }

  /** True once the system gave up restarting `shard` (it hosts no process again). */
  gaveUp(shard: number): boolean {
    return Atomics.load(this.mem.ctl.i32, shard * THREAD_STRIDE_I32 + GAVE_UP) === 1;
  }

  /** Fault injection: shard `shard` crashes (see ShardHost.crash). */
  kill(shard: number): void {
    const h = this.hosts[shard - 1];
    if (h === undefined) throw new InvalidArgumentError(`killShard needs a shard number from 1 to ${this.hosts.length}, got ${String(shard)}`);
    h.crash();
  }

  /** Per-shard state, read from shared memory (cheap: health calls it every second). */
  inspect(): ShardView[] {
    const now = performance.now();
    const i32 = this.mem.ctl.i32;
    return this.hosts.map((h) => {
      const base = h.shard * THREAD_STRIDE_I32;
      const tick = Atomics.load(i32, base + LOOP_TICK);
      const w = this.view[h.shard - 1]!;
      if (tick !== w.tick) {
        w.tick = tick;
        w.since = now;
      }
      let fill = 0;
      for (const row of this.mem.rings) {
        const sab = row[h.shard];
        if (sab !== null && sab !== undefined) fill = Math.max(fill, ringFill(sab));
      }
      return {
        shard: h.shard,
        up: h.ready,
        gaveUp: Atomics.load(i32, base + GAVE_UP) === 1,
        incarnation: Atomics.load(i32, base + INCARNATION),
        loopTick: tick,
        stalledMs: h.ready ? now - w.since : 0,
        lagMs: Atomics.load(i32, base + LAG_US) / 1000,
        actors: Atomics.load(i32, base + ACTORS),
        ringFill: fill,
      };
    });
  }

  /** Restarts a shard whose event loop has not turned for `limitMs` (a handler stuck in a loop, sync or after an await). */
  startWatchdog(limitMs: number, loadLimitMs: number): void {
    if (limitMs === Infinity) return;
    const every = Math.min(1000, Math.max(10, limitMs / 4));
    this.watchdog = setInterval(() => this.checkShards(limitMs, Math.max(limitMs, loadLimitMs)), every);
    this.watchdog.unref();
  }

  /** Tells every other live shard that `shard` died: links and monitors to its processes (serials below `below`) fire there. */
  private tellShardDown(shard: number, incarnation: number, below: number): void {
    // A shard that is down itself learns nothing: it starts afresh.
    for (const h of this.hosts) if (h.shard !== shard) h.call((a) => a.shardDown(shard, incarnation, below)).catch(() => {});
  }

  /**
   * Kills a ready shard whose loop has not turned for `limit` ms (a runaway
   * handler). Importing (compiling) an actor module blocks the loop too, and
   * is not a runaway: while one is under way the shard gets `loadLimit`
   * (spawnTimeoutMs, or `limit` if longer) instead. A module whose top level
   * never returns (a loop) blocks the very loop whose spawn timer would have
   * given up on it, so the watchdog is what ends it.
   */
  private checkShards(limit: number, loadLimit: number): void {
    const now = performance.now();
    const i32 = this.mem.ctl.i32;
    for (const h of this.hosts) {
      const w = this.watch[h.shard - 1]!;
      const base = h.shard * THREAD_STRIDE_I32;
      const tick = Atomics.load(i32, base + LOOP_TICK);
      if (!h.ready || tick !== w.hb) {
        w.hb = tick;
        w.since = now;
        continue;
      }
      const loading = Atomics.load(i32, base + LOADING) > 0;
      if (now - w.since > (loading ? loadLimit : limit)) {
        w.since = now;
        h.kill(
          'runaway',
          loading
            ? 'its event loop was blocked past spawnTimeoutMs while it imported an actor module (one whose top level does not return?)'
            : 'its event loop was blocked past handlerTimeoutMs (a handler that does not return)',
        );
      }
    }
  }

  private onDeath(d: ShardDeath): void {
    if (!this.events.running()) {
      this.events.diedStopping(d);
      return;
    }
    const host = this.hosts[d.shard - 1]!;
    const s = d.shard;
    const { i32, i64 } = this.mem.ctl;
    const base = s * THREAD_STRIDE_I32;
    // Order matters: bump the incarnation before sampling SERIAL, so a spawn
    // that reserved a serial after this point also sees the new incarnation.
    Atomics.add(i32, base + INCARNATION, 1);
    const b64 = s * THREAD_STRIDE_I64;
    Atomics.store(i64, b64 + FIRST_SERIAL, Atomics.load(i64, b64 + SERIAL));
    Atomics.store(i32, base + BUSY, 0);
    Atomics.store(i32, base + SLICING, 0);
    Atomics.store(i32, base + LOADING, 0);
    Atomics.store(i32, base + PARKED, 0);
    Atomics.store(i32, base + ACTORS, 0);
    this.events.cleanup(d);
    this.tellShardDown(s, d.incarnation, Number(Atomics.load(i64, b64 + FIRST_SERIAL)));
    if (!this.restartShards || host.failedStarts >= MAX_FAILED_STARTS) {
      // Placement skips it from now on; spawns aimed at it fail with ERR_SHARD_DOWN.
      Atomics.store(i32, base + GAVE_UP, 1);
      d.final = true;
    }
    this.events.down(d);
    if (d.final) return;
    host.incarnation = Atomics.load(i32, base + INCARNATION);
    host.start().then(
      () => {
        if (this.events.running()) this.events.restarted(s, host.incarnation);
      },
      () => {
        // It died again during start-up; its exit handler has already been called.
      },
    );
  }
}
