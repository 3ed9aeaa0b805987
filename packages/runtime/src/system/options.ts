// ActorSystem options: defaults, and validation at the door with messages that say what to fix.

import { availableParallelism, totalmem } from 'node:os';
import type { ResourceLimits } from 'node:worker_threads';
import { InvalidOptionError } from '../errors.js';
import { MAX_THREADS } from '../actor/pid.js';
import { checkCapacity, describe } from '../validate.js';
import type { OffloadOptions } from './offload-pool.js';
import type { TelemetryConfig, TelemetryOptions } from '@joerl/telemetry';
import { resolveTelemetry } from '@joerl/telemetry/internal';
import type { ModuleRef } from '../actor/context.js';
import type { SpanProcessorLike } from '@joerl/telemetry';
import type { TracingConfig } from '../shard/tracing.js';
import { moduleHref } from '../actor/module-ref.js';
import { type LogLevel, type Logger, checkLogging } from './logger.js';
import { type NodeOptions, type ResolvedNodeOptions, resolveNodeOptions } from '../node/node-options.js';
import { MAX_DELAY } from '../timer/timer-heap.js';

/** Options for {@link ActorSystem.start}. */
export interface SystemOptions {
  /**
   * Number of shards (worker threads). Default: `os.availableParallelism()`.
   * At most one per {@link SHARD_MEMORY_BYTES} (64 MiB) of `os.totalmem()`
   * (and 4095): more is refused before anything starts (see {@link maxThreads}).
   */
  threads?: number;
  /** Default mailbox capacity per process. Default: `Infinity` (Erlang-like, unbounded). */
  mailboxCapacity?: number;
  /** Messages one process handles per turn before the next gets its turn. Default 64. */
  actorBudget?: number;
  /** Messages a shard handles before yielding to its event loop (timers, I/O). Default 4096. */
  sliceBudget?: number;
  /** How long an idle shard polls its rings before parking, in microseconds (latency vs. CPU). Default 50; 0 parks at once. */
  spinMicros?: number;
  /**
   * Bytes per ring, a power of two >= 64 KiB. A ring is made for an ordered
   * pair of threads at start (main and each shard) or when one shard first
   * sends to another. Default, sized for the thread count: 1 MiB up to 8
   * shards, then the largest power of two up to 256 KiB that keeps every
   * pair's ring within 256 MiB, never under 64 KiB: 256 KiB up to 31 shards,
   * 128 KiB up to 44, 64 KiB from 45 (see {@link defaultRingBytes}).
   */
  ringBytes?: number;
  /**
   * In-shard sends are checked and copied as if they crossed threads: a value
   * that another shard would refuse is refused here too, and the receiver
   * gets a copy taken at the send (what the sender changes afterwards, it
   * never sees). Default: on, unless `NODE_ENV` is `production`. Off, an
   * in-shard receiver gets the sender's own object (about 2x faster).
   */
  checkLocalSends?: boolean;
  /**
   * Binary parts (ArrayBuffers, typed arrays, DataViews) of at least this many bytes travel beside the
   * ring frame, copied once or moved; smaller ones are copied into the frame. Default 2 KiB (measured:
   * from 4 KiB up the side path costs about half the CPU per message of the ring's, at 1 KiB the ring
   * wins; see ARCHITECTURE.md, "Big payloads").
   */
  bigPayloadThreshold?: number;
  /** Side items (big, moved) in flight from one thread to another, posted and not yet taken, in bytes; a lone larger batch still goes. Default 64 MiB. */
  maxPayloadBytesInFlight?: number;
  /** Capacity of the name registry. Default 16384. */
  maxNames?: number;
  /** A handler (or init) running longer than this gets its shard restarted; its actors exit `killed`. Default 30000; `Infinity` turns the watchdog off. */
  handlerTimeoutMs?: number;
  /** How long a `terminate` hook may take before the process is killed. Default 5000. */
  terminateTimeoutMs?: number;
  /**
   * How long a spawn's module load and async `init` may take before the
   * half-started process is killed and the spawn rejects with
   * `ERR_SPAWN_TIMEOUT` (a spawn option overrides it). Finite; default 30000.
   */
  spawnTimeoutMs?: number;
  /**
   * How long `shutdown()` waits for each shard before terminating it. Default 10000. A shard that has
   * stopped its processes gets at most a second more to end on its own (what their terminate hooks
   * started and did not await), then is terminated: a handle its actors' code left open (a top-level
   * setInterval, a pool's socket) does not hold the shutdown for this long.
   */
  shutdownTimeoutMs?: number;
  /**
   * V8 limits for each shard (e.g. `{ maxOldGenerationSizeMb: 256 }`); a shard over them is restarted.
   * `maxYoungGenerationSizeMb` is 128 unless given here (V8 gives a worker 48): see ARCHITECTURE.md, "Shard heap".
   */
  resourceLimits?: ResourceLimits;
  /** Restart a shard that dies. Default true. */
  restartShards?: boolean;
  /** The offload pool for `ctx.offload` (piscina, started on first use). */
  offload?: OffloadOptions;
  /**
   * Metrics: on by default, with every high-frequency series at 100%.
   * `provider`: a module whose hooks each thread calls on every event (see TelemetryProvider).
   */
  telemetry?: TelemetryOptions & { provider?: ModuleRef };
  /**
   * Distributed tracing with OpenTelemetry (off unless given). Actor code uses
   * the plain `@opentelemetry/api`; every thread's spans reach `processors`
   * (e.g. the SDK's SimpleSpanProcessor / BatchSpanProcessor) on this thread.
   */
  tracing?: TracingOptions;
  /**
   * Where crash reports, supervisor reports, shard deaths and lost messages
   * are logged: any pino-compatible logger (`error`, `warn`, `info`, `debug`
   * taking `(obj, msg)`). Default: the console. The same reports are also
   * events on the system (`crashReport`, `supervisorReport`, ...).
   */
  logger?: Logger;
  /** The least severe entry logged: `'debug' | 'info' | 'warn' | 'error' | 'silent'`. Default `'warn'` (everything the runtime logs). */
  logLevel?: LogLevel;
  /**
   * Makes this system a node of a cluster: actors talk to actors on other
   * machines through NATS (see the README, "Running on many machines").
   * Needs `@nats-io/transport-node` and `@nats-io/kv` installed (optional
   * peer dependencies: loaded only when this is given).
   */
  node?: NodeOptions;
}

/** The `tracing` option. */
export interface TracingOptions {
  /** Default true when `tracing` is given. */
  enabled?: boolean;
  /** Fraction of new traces kept, 0..1 (default 1). Children follow their parent's decision. */
  sampleRate?: number;
  /**
   * How a `message.receive` span relates to the `message.send` it came from:
   * `'parent'` (default: one connected trace across actors and shards, which
   * the messaging conventions allow for single-message processing) or
   * `'link'` (a new trace with a link, which the conventions prefer for batches).
   */
  propagation?: 'parent' | 'link';
  /** Span processors that receive every finished span (from any thread) as a ReadableSpan. */
  processors?: SpanProcessorLike[];
  /** The Resource put on every span (default: service.name "joerl"). */
  resource?: unknown;
}

/** Options with every default filled in. */
export type ResolvedOptions = Required<Omit<SystemOptions, 'offload' | 'telemetry' | 'tracing' | 'node'>> & {
  node: ResolvedNodeOptions | null;
  offload: Required<OffloadOptions>;
  telemetry: TelemetryConfig;
  provider: string | null;
  tracing: (TracingConfig & { processors: SpanProcessorLike[]; resource: unknown }) | null;
};

/** What the thread limit reserves per shard: a V8 isolate with room to work, and its rings. */
export const SHARD_MEMORY_BYTES = 64 * 1024 * 1024;

/**
 * A shard's young generation (MB) unless `resourceLimits` sets one: room for
 * two semi-spaces of ~42 MB, where V8 gives a worker 48 (16 MB each). Many
 * processes alive at once (a spawn burst, a tree of workers) are objects a
 * scavenge finds live and copies, twice, then promotes; with more room more
 * of them have exited by the time a scavenge comes. Two systems in one
 * process, one at 128 and one at V8's default, alternating runs on one CPU
 * (telemetry on, three pairs each, 2026-12-01): Savina's Fork-join create
 * took 1.36x less time at 128 (pairs 1.17-1.69), Fibonacci 1.18x, Big 0.99x
 * (0.97-1.07); at 192 against 128, Fork-join create 1.00x, Fibonacci 1.02x.
 * The memory is taken only when survivors make V8 grow the semi-spaces:
 * after six Fibonacci runs a system's RSS was 329 MB at 128 against 211,
 * three seconds idle; Big's, 118 against 115.
 */
export const SHARD_YOUNG_GENERATION_MB = 128;

/**
 * The most shards this machine can hold: one per 64 MiB of `os.totalmem()`
 * (an idle shard takes 10-20 MiB; a working one, more), and never more than
 * pids can name (4095).
 */
export function maxThreads(): number {
  return Math.max(1, Math.min(MAX_THREADS - 1, Math.floor(totalmem() / SHARD_MEMORY_BYTES)));
}

/** All rings of all pairs stay within this by default, down to the 64 KiB floor per ring. */
const RING_BUDGET = 256 * 1024 * 1024;

/** The default ring size for `shards` shards (see SystemOptions.ringBytes). */
export function defaultRingBytes(shards: number): number {
  if (shards <= 8) return 1024 * 1024;
  const threads = shards + 1; // main too
  let bytes = 256 * 1024;
  while (bytes > 64 * 1024 && bytes * threads * (threads - 1) > RING_BUDGET) bytes /= 2;
  return bytes;
}

export function resolveOptions(input: SystemOptions | undefined): ResolvedOptions {
  if (input !== undefined && (typeof input !== 'object' || input === null)) {
    throw new InvalidOptionError(`options must be an object, got ${describe(input)}`);
  }
  const o = input ?? {};
  const threads = o.threads ?? availableParallelism();
  int(threads, 'options.threads', 1, MAX_THREADS - 1);
  const limit = maxThreads();
  if (threads > limit) {
    const gib = (totalmem() / 2 ** 30).toFixed(1);
    throw new InvalidOptionError(
      `options.threads is ${threads}, more than this machine can hold: at most ${limit} (one shard per 64 MiB of its ${gib} GiB of memory, os.totalmem()); use fewer shards`,
    );
  }
  const mailboxCapacity = o.mailboxCapacity ?? Infinity;
  checkCapacity(mailboxCapacity, 'options.mailboxCapacity');
  const actorBudget = o.actorBudget ?? 64;
  int(actorBudget, 'options.actorBudget', 1, 1 << 20);
  const sliceBudget = o.sliceBudget ?? 4096;
  int(sliceBudget, 'options.sliceBudget', 1, 1 << 24);
  const spinMicros = o.spinMicros ?? 50;
  num(spinMicros, 'options.spinMicros', 0, 1_000_000);
  const ringBytes = o.ringBytes ?? defaultRingBytes(threads);
  int(ringBytes, 'options.ringBytes', 64 * 1024, 1 << 30);
  if ((ringBytes & (ringBytes - 1)) !== 0) throw new InvalidOptionError(`options.ringBytes must be a power of two, got ${ringBytes}`);
  const checkLocalSends = o.checkLocalSends ?? process.env.NODE_ENV !== 'production';
  if (typeof checkLocalSends !== 'boolean') throw new InvalidOptionError(`options.checkLocalSends must be a boolean, got ${describe(checkLocalSends)}`);
  const bigPayloadThreshold = o.bigPayloadThreshold ?? 2 * 1024;
  int(bigPayloadThreshold, 'options.bigPayloadThreshold', 1024, 1 << 30);
  const maxPayloadBytesInFlight = o.maxPayloadBytesInFlight ?? 64 * 1024 * 1024;
  int(maxPayloadBytesInFlight, 'options.maxPayloadBytesInFlight', 1024 * 1024, 2 ** 40);
  const maxNames = o.maxNames ?? 16384;
  int(maxNames, 'options.maxNames', 1, 1 << 22);
  const handlerTimeoutMs = o.handlerTimeoutMs ?? 30_000;
  if (handlerTimeoutMs !== Infinity) num(handlerTimeoutMs, 'options.handlerTimeoutMs', 1, MAX_DELAY);
  const terminateTimeoutMs = o.terminateTimeoutMs ?? 5000;
  num(terminateTimeoutMs, 'options.terminateTimeoutMs', 0, MAX_DELAY);
  const spawnTimeoutMs = o.spawnTimeoutMs ?? 30_000;
  num(spawnTimeoutMs, 'options.spawnTimeoutMs (finite)', 1, MAX_DELAY);
  const shutdownTimeoutMs = o.shutdownTimeoutMs ?? 10_000;
  num(shutdownTimeoutMs, 'options.shutdownTimeoutMs', 0, MAX_DELAY);
  checkResourceLimits(o.resourceLimits);
  const off = o.offload ?? {};
  if (typeof off !== 'object' || off === null) throw new InvalidOptionError(`options.offload must be an object, got ${describe(off)}`);
  const offload = {
    threads: off.threads ?? Math.max(1, Math.floor(availableParallelism() / 2)),
    idleTimeoutMs: off.idleTimeoutMs ?? 30_000,
  };
  int(offload.threads, 'options.offload.threads', 1, 1024);
  num(offload.idleTimeoutMs, 'options.offload.idleTimeoutMs', 0, MAX_DELAY);
  let telemetry: TelemetryConfig;
  try {
    telemetry = resolveTelemetry(o.telemetry);
  } catch (err) {
    throw new InvalidOptionError((err as Error).message);
  }
  const provider = o.telemetry?.provider === undefined ? null : moduleHref(o.telemetry.provider);
  const tracing = resolveTracing(o.tracing);
  const { logger, logLevel } = checkLogging(o.logger, o.logLevel);
  const node = resolveNodeOptions(o.node);
  const restartShards = o.restartShards ?? true;
  if (typeof restartShards !== 'boolean') throw new InvalidOptionError(`options.restartShards must be a boolean, got ${describe(restartShards)}`);
  return {
    threads,
    mailboxCapacity,
    actorBudget,
    sliceBudget,
    spinMicros,
    ringBytes,
    checkLocalSends,
    bigPayloadThreshold,
    maxPayloadBytesInFlight,
    maxNames,
    handlerTimeoutMs,
    terminateTimeoutMs,
    spawnTimeoutMs,
    shutdownTimeoutMs,
    resourceLimits: { ...o.resourceLimits, maxYoungGenerationSizeMb: o.resourceLimits?.maxYoungGenerationSizeMb ?? SHARD_YOUNG_GENERATION_MB },
    restartShards,
    offload,
    telemetry,
    provider,
    tracing,
    logger,
    logLevel,
    node,
  };
}

/** The limits a Worker takes (node:worker_threads ResourceLimits), in MB. */
const RESOURCE_LIMITS: readonly string[] = ['maxYoungGenerationSizeMb', 'maxOldGenerationSizeMb', 'codeRangeSizeMb', 'stackSizeMb'];

/**
 * `options.resourceLimits`: Node drops a limit that is not a number (`'256'`
 * would mean no heap cap at all) and ignores a key it does not know (a typo
 * would too), so each is checked here, by name.
 */
function checkResourceLimits(r: unknown): void {
  if (r === undefined) return;
  if (typeof r !== 'object' || r === null) throw new InvalidOptionError(`options.resourceLimits must be an object like { maxOldGenerationSizeMb: 256 }, got ${describe(r)}`);
  for (const [key, v] of Object.entries(r)) {
    if (!RESOURCE_LIMITS.includes(key)) throw new InvalidOptionError(`options.resourceLimits.${key} is not a worker resource limit; the limits are ${RESOURCE_LIMITS.join(', ')}`);
    if (v !== undefined && (typeof v !== 'number' || !(v > 0 && v < Infinity))) {
      throw new InvalidOptionError(`options.resourceLimits.${key} must be a positive number of MB, got ${describe(v)}`);
    }
  }
}

function resolveTracing(t: TracingOptions | undefined): ResolvedOptions['tracing'] {
  if (t === undefined) return null;
  if (typeof t !== 'object' || t === null) throw new InvalidOptionError(`options.tracing must be an object, got ${describe(t)}`);
  const enabled = t.enabled ?? true;
  if (typeof enabled !== 'boolean') throw new InvalidOptionError(`options.tracing.enabled must be a boolean, got ${describe(enabled)}`);
  if (!enabled) return null;
  const sampleRate = t.sampleRate ?? 1;
  num(sampleRate, 'options.tracing.sampleRate (a fraction)', 0, 1);
  const propagation = t.propagation ?? 'parent';
  if (propagation !== 'parent' && propagation !== 'link') throw new InvalidOptionError(`options.tracing.propagation must be 'parent' or 'link', got ${describe(propagation)}`);
  const processors = t.processors ?? [];
  const isProcessor = (p: unknown): boolean =>
    typeof p === 'object' && p !== null && ['onEnd', 'forceFlush', 'shutdown'].every((k) => typeof (p as Record<string, unknown>)[k] === 'function');
  if (!Array.isArray(processors) || !processors.every(isProcessor)) {
    throw new InvalidOptionError('options.tracing.processors must be an array of span processors (objects with onEnd, forceFlush and shutdown)');
  }
  return { sampleRate, propagation, processors, resource: t.resource };
}

function int(v: unknown, what: string, min: number, max: number): void {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    throw new InvalidOptionError(`${what} must be an integer from ${min} to ${max}, got ${describe(v)}`);
  }
}

function num(v: unknown, what: string, min: number, max: number): void {
  if (typeof v !== 'number' || Number.isNaN(v) || v < min || v > max) {
    throw new InvalidOptionError(`${what} must be a number from ${min} to ${max}, got ${describe(v)}`);
  }
}
