// The main thread's side of shard faults: a death (names, rings, metrics, spans, links and monitors, what it held), restarts, give-ups, and what shutdown finds.

import type { Aggregator } from '@joerl/telemetry/aggregator';
import { FIRST_SERIAL, THREAD_STRIDE_I64 } from '../ring/control-block.js';
import type { ThreadRuntime } from '../shard/thread-runtime.js';
import { GoneShards } from './gone-shards.js';
import type { LogLevel, Logger } from './logger.js';
import { shutdownLosses, takeLosses } from './losses.js';
import { SystemReports } from './reports.js';
import type { ShardDeath } from './shard-host.js';
import type { PoolEvents } from './shard-pool.js';
import type { SharedMemory } from './shared-memory.js';
import type { SystemEventMap } from './system-events.js';
import type { SystemTracing } from './system-tracing.js';

/** The system's `emit`. */
type Emit = <K extends keyof SystemEventMap>(event: K, ...args: SystemEventMap[K]) => void;

export class ShardFaults {
  readonly reports: SystemReports;
  private readonly gone: GoneShards;

  constructor(
    private readonly rt: ThreadRuntime,
    private readonly mem: SharedMemory,
    private readonly aggregator: Aggregator,
    private readonly tracing: SystemTracing | null,
    private readonly emit: Emit,
    logging: { logger: Logger; logLevel: LogLevel },
  ) {
    const count = (reason: string, n: number): void => rt.state.observer.sendsLost(reason, n);
    this.reports = new SystemReports((event, r) => emit(event, r as never), logging.logger, logging.logLevel, count);
    rt.state.hooks.report = (r) => this.reports.report(r);
    this.gone = new GoneShards(rt, mem, (l) => this.reports.lost(l));
  }

  /** What the shard pool tells the system around a death; `running` is the system's own state. */
  poolEvents(running: () => boolean): PoolEvents {
    return {
      running,
      // Shutting down: no restart and no report (countLeftovers counts what it held), but a name-table lock
      // it died holding is taken back (the main thread's own unregisters at the stop would spin on it), and
      // spawns waiting on it fail (ERR_SHARD_DOWN) instead of never settling.
      diedStopping: (d) => {
        this.rt.state.names.recoverLock(d.shard);
        this.rt.spawner.failTo(d.shard, d.incarnation);
      },
      cleanup: (d) => this.cleanup(d),
      down: (d) => {
        if (d.final) this.gone.add(d.shard);
        this.reports.shardDown(d);
        this.emit('shardDown', d);
      },
      restarted: (shard, incarnation) => {
        this.emit('shardRestart', { shard, incarnation });
        this.reports.shardRestarted(shard, incarnation);
      },
    };
  }

  /** Shutdown has begun: the rings into gone shards are no longer watched (shutdown counts what is left in them). */
  stopWatching(): void {
    this.gone.close();
  }

  /** Every thread has ended: what is left in their mailboxes, buffers and inbound rings is counted and reported. */
  countLeftovers(): void {
    for (const lost of shutdownLosses(this.mem.rings, this.mem.records, this.mem.ctl.i32, this.rt.state.threads)) this.reports.lost(lost);
  }

  /** The main thread's side of a shard's death: its names, what it published, its metrics and spans, links and monitors to it. */
  private cleanup(d: ShardDeath): void {
    const s = d.shard;
    const st = this.rt.state;
    st.names.recoverLock(s);
    st.names.removeShard(s);
    // Take in everything the dead shard published (late metric announcements
    // among it), then keep its counters and drop its gauges.
    st.transport.input.drainFrom(s);
    // What it published is in; what it held (in mailboxes, in buffers) is counted in shared memory.
    this.reports.lost(takeLosses(this.mem.ctl.i32, s, 'shard_down'));
    this.aggregator.retire(s);
    this.tracing?.threadDied(s, d.message);
    this.rt.onShardDown(s, d.incarnation);
    // Other nodes hold links and monitors to its processes too (only the linked or monitoring side
    // holds one, so they cannot learn of the death otherwise): the serials of the processes it had.
    st.hooks.shardDown?.(s, Number(Atomics.load(this.mem.ctl.i64, s * THREAD_STRIDE_I64 + FIRST_SERIAL)));
    st.scheduler.kick();
    st.transport.flush();
  }
}
