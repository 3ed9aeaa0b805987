// Health thresholds: the spec's HealthConfig plus what only a threaded runtime can know, validated at the door.

/** Thresholds. Rates are measured over the last `windowMs`, so a system recovers once a burst is over. */
export interface HealthConfig {
  /** More live actors than this: warning. Default 10000. */
  maxActors: number;
  /** Fewer live actors than this: critical. Default 0. */
  minActors: number;
  /** Actors that panicked / actors alive in the window (0..1): above it, critical. Default 0.01. */
  maxPanicRate: number;
  /** Supervisor restarts / actors stopped in the window: above it, warning. Default 0.05. */
  maxRestartRate: number;
  /** Messages refused by full mailboxes / messages sent in the window (0..1): above it, warning. Default 0.1. */
  maxBackpressureRate: number;
  /** The window for rates, in ms. Default 60000. */
  windowMs: number;
  /** How often totals are sampled for the window, in ms. Default 1000. */
  sampleIntervalMs: number;
  /** A shard whose event loop has not turned for this long: critical (a handler stuck in a loop). Default 2000. */
  maxStallMs: number;
  /**
   * Event-loop lag of a shard above this, in ms: warning, once it is
   * sustained (see `eventLoopLagSamples`), or at once while the shard's loop
   * has not turned for longer than this and than `sampleIntervalMs`. Default 200.
   */
  maxEventLoopLagMs: number;
  /**
   * How many health samples the lag rule looks back on: the lag (each
   * sample reads the worst of the shard's last second) must exceed
   * `maxEventLoopLagMs` in at least half of them. One spike is not a
   * lagging shard: a busy machine delays any thread now and then. 1 judges
   * each sample alone. Default 6 (3 of the last 6 seconds).
   */
  eventLoopLagSamples: number;
  /** A ring into a shard fuller than this (0..1): warning (the shard cannot keep up). Default 0.8. */
  maxRingFill: number;
}

/** The thresholds used for every field not given. */
export const DEFAULT_HEALTH: HealthConfig = {
  maxActors: 10_000,
  minActors: 0,
  maxPanicRate: 0.01,
  maxRestartRate: 0.05,
  maxBackpressureRate: 0.1,
  windowMs: 60_000,
  sampleIntervalMs: 1000,
  maxStallMs: 2000,
  maxEventLoopLagMs: 200,
  eventLoopLagSamples: 6,
  maxRingFill: 0.8,
};

/** A health threshold is out of range. `code` matches the runtime's option errors. */
export class HealthConfigError extends RangeError {
  readonly code = 'ERR_INVALID_OPTION';
  constructor(message: string) {
    super(message);
    this.name = 'HealthConfigError';
  }
}

/** The longest delay a Node timer keeps (ms). */
const MAX_DELAY = 2 ** 31 - 1;

/** Fills in defaults and validates every threshold; throws {@link HealthConfigError} for one out of range. */
export function resolveHealthConfig(input: Partial<HealthConfig> | undefined): HealthConfig {
  if (input !== undefined && (typeof input !== 'object' || input === null)) {
    throw new HealthConfigError(`health config must be an object, got ${input === null ? 'null' : typeof input}`);
  }
  const c: HealthConfig = { ...DEFAULT_HEALTH, ...input };
  for (const [key, value] of Object.entries(c)) {
    if (!(key in DEFAULT_HEALTH)) throw new HealthConfigError(`unknown health option "${key}" (known: ${Object.keys(DEFAULT_HEALTH).join(', ')})`);
    if (typeof value !== 'number' || Number.isNaN(value) || value < 0) {
      throw new HealthConfigError(`health.${key} must be a number >= 0, got ${String(value)}`);
    }
  }
  for (const key of ['maxPanicRate', 'maxBackpressureRate', 'maxRingFill'] as const) {
    if (c[key] > 1) throw new HealthConfigError(`health.${key} is a fraction from 0 to 1, got ${c[key]}`);
  }
  if (!Number.isInteger(c.eventLoopLagSamples) || c.eventLoopLagSamples < 1) {
    throw new HealthConfigError(`health.eventLoopLagSamples must be a positive integer, got ${c.eventLoopLagSamples}`);
  }
  if (c.minActors > c.maxActors) throw new HealthConfigError(`health.minActors (${c.minActors}) must not exceed health.maxActors (${c.maxActors})`);
  if (!(c.windowMs > 0) || !(c.sampleIntervalMs > 0)) throw new HealthConfigError('health.windowMs and health.sampleIntervalMs must be > 0');
  // Timer delays: Node runs one past 2^31 - 1 ms after 1 ms (every millisecond, for an interval).
  for (const key of ['windowMs', 'sampleIntervalMs'] as const) {
    if (!(c[key] <= MAX_DELAY)) throw new HealthConfigError(`health.${key} must be a finite number of ms up to ${MAX_DELAY}, got ${c[key]}`);
  }
  if (c.sampleIntervalMs > c.windowMs) throw new HealthConfigError(`health.sampleIntervalMs (${c.sampleIntervalMs}) must not exceed health.windowMs (${c.windowMs})`);
  return c;
}
