// What a thread starts with (its ShardInit): a metric region for this incarnation, its trace slot, its rings and the shared tables, the thread config.
import type { Aggregator } from '@joerl/telemetry/aggregator';
import { createRegion } from '@joerl/telemetry/internal';
import type { ShardInit, ThreadConfig } from '../shard/protocol.js';
import type { ResolvedOptions } from './options.js';
import { type SharedMemory, ringsOf } from './shared-memory.js';
import type { SystemTracing } from './system-tracing.js';

/**
 * Makes each thread's ShardInit: the main thread's once, a shard's at every
 * start and restart (`of` with its incarnation). A restarted shard gets a
 * fresh metric region (the aggregator retires the dead one's, keeping its
 * counters); `regions` holds each thread's current one, for memory figures.
 */
export class ShardInits {
  /** The settings every thread runs with, from the system's options. */
  readonly config: ThreadConfig;
  /** Metric region of each thread's current incarnation (null entries: telemetry off). */
  readonly regions: (SharedArrayBuffer | null)[] = [];

  constructor(
    private readonly o: ResolvedOptions,
    private readonly mem: SharedMemory,
    private readonly aggregator: Aggregator,
    private readonly tracing: SystemTracing | null,
    /** This node's id and name (null: not a node). */
    private readonly node: { id: number; name: string } | null,
    /** The link broker's system id ('' before the broker exists: the main thread's init, which listens on no ring channel). */
    private readonly systemId: () => string,
  ) {
    this.config = {
      mailboxCapacity: o.mailboxCapacity,
      actorBudget: o.actorBudget,
      sliceBudget: o.sliceBudget,
      spinMicros: o.spinMicros,
      terminateTimeoutMs: o.terminateTimeoutMs,
      spawnTimeoutMs: o.spawnTimeoutMs,
      ...{ ringBytes: o.ringBytes, checkLocalSends: o.checkLocalSends },
      ...{ bigPayloadThreshold: o.bigPayloadThreshold, maxPayloadBytesInFlight: o.maxPayloadBytesInFlight },
    };
    for (let t = 0; t <= o.threads; t++) this.regions.push(null);
  }

  /** Thread `thread`'s init for its incarnation `incarnation` (0: its first start). */
  of(thread: number, incarnation: number): ShardInit {
    const o = this.o;
    let region: SharedArrayBuffer | null = null;
    if (o.telemetry.enabled) {
      region = createRegion();
      this.regions[thread] = region;
      this.aggregator.attach(thread, region);
    }
    return {
      metrics: region,
      traceSlot: this.tracing?.slotFor(thread) ?? null,
      telemetry: o.telemetry,
      provider: o.provider,
      tracing: o.tracing === null ? null : { sampleRate: o.tracing.sampleRate, propagation: o.tracing.propagation },
      thread,
      threads: o.threads + 1,
      incarnation,
      control: this.mem.control,
      rings: ringsOf(this.mem, thread),
      systemId: this.systemId(),
      names: this.mem.names,
      records: this.mem.records,
      maxNames: o.maxNames,
      config: this.config,
      node: this.node,
    };
  }
}
