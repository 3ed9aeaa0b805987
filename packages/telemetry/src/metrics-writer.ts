// The metric writer a thread's runtime calls: the real shard (shard-metrics.ts) or the no-op one (noop-metrics.ts).

import type { NodeMetricsWriter } from './node-metrics.js';
import type { ReasonLabel, TypeMetrics } from './type-metrics.js';

/** Signal kinds, as the `type` label of the signal metrics. */
export type SignalKind = 'exit' | 'down' | 'stop' | 'kill';

/**
 * Everything a runtime records. Every method is a handful of typed-array
 * adds in the real writer; nothing on the message path allocates, hashes
 * labels or calls prom-client.
 */
export interface MetricsWriter {
  /** True when messages are sampled at all: the runtime times them in blocks and counts them in bulk, and the writer thins what it records. */
  readonly timesInBlocks: boolean;
  /** The per-behaviour slots for `name` (cached: one Map lookup per spawn). */
  type(name: string): TypeMetrics;
  /** Absolute time in ms (comparable across threads of this process). */
  now(): number;
  /**
   * Until {@link release}, readers of the region wait (its HELD word, see
   * region.ts): the thread publishes a frame, then writes the telemetry of
   * the turns before it, and a reader that got the frame must not read
   * between the two.
   */
  hold(): void;
  release(): void;
  /** Is this send counted (one decision at a time, for a send outside the bulk counts)? */
  sampleMessage(): boolean;
  /** A message was accepted for delivery (call only when sampled). */
  sent(): void;
  /** `n` messages were accepted for delivery (counted by the runtime since its last write): the sampled ones are counted. */
  sentMany(n: number): void;
  /** A send's queue-wait stamp (`clock` if fresh, else a clock read), or NaN (queue waits not recorded). Counts nothing: sends are counted in bulk (sentMany). */
  sendStamp(clock: number): number;
  /** A message (`n` messages, counted in bulk when a thread ended) could not be delivered. Never sampled. */
  sendFailed(reason: string, t: TypeMetrics | null, n?: number): void;
  /** `n` messages handled back to back in `ms` ms in all: the sampled ones are recorded at the mean (at 100% sum and count are exact). */
  processedBlock(ms: number, n: number): void;
  /** `n` stamped messages each waited `ms` milliseconds between send and handling: the sampled ones are recorded. */
  queueWait(ms: number, n?: number): void;
  /** The mailboxes of type `t` on this thread hold `delta` more messages (fewer when negative). */
  mailboxDelta(t: TypeMetrics, bounded: boolean, delta: number): void;
  /** `n` actors of type `t` started, each with its mailbox bounded to `capacity` messages (0: unbounded). */
  spawned(t: TypeMetrics, capacity: number, n: number): void;
  /**
   * `n` actors of type `t` exited with `reason`, each after `lifetimes[i]`
   * ms; `capacity` as in `spawned`. The lifetime is read from the caller's
   * table, not passed: a double passed to a call that is not inlined is
   * boxed, a heap number per call (the runtime keeps start times in such a
   * table, see slot-table.ts).
   */
  stopped(t: TypeMetrics, reason: ReasonLabel, capacity: number, lifetimes: Float64Array, i: number, n: number): void;
  linkCreated(): void;
  monitorCreated(): void;
  signalSent(kind: SignalKind, reason: ReasonLabel | null): void;
  signalReceived(kind: SignalKind, ignored: boolean): void;
  supervisorRestart(strategy: string, ms: number): void;
  intensityExceeded(): void;
  cast(t: TypeMetrics): void;
  callTaken(t: TypeMetrics): void;
  /**
   * A call this server took was answered (`ms` after the caller sent it), or
   * dropped because the server exited (`ms` NaN); `late`: past the caller's
   * deadline (the caller timed out), counted in the timeouts either way.
   */
  callDone(t: TypeMetrics, ms: number, late: boolean): void;
  /** A call this server took and has not answered timed out at its caller: a timeout now (its answer or its drop, later, is not one again). */
  callTimedOut(t: TypeMetrics): void;
  statemEnter(t: TypeMetrics, state: string, delta: 1 | -1): void;
  statemTransition(t: TypeMetrics, from: string, to: string, msInFrom: number): void;
  statemInvalid(t: TypeMetrics, state: string, event: string): void;
  /** The distribution metrics (a node's main thread asks once, at start). */
  nodeMetrics(): NodeMetricsWriter;
}
