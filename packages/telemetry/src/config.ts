// Telemetry settings: on/off and the sampling rates of the high-frequency series, validated at the door.

/** `telemetry` option of `ActorSystem.start`. */
export interface TelemetryOptions {
  /** Default true. Off: nothing is recorded and the hot path pays nothing. */
  enabled?: boolean;
  /** Whole percent (0-100) of messages counted in messages_sent/processed and in the processing-time histogram (by sequence, see sampling.ts). Default 100. */
  messageSamplingRate?: number;
  /** Whole percent (0-100) of queue waits recorded in the queue-wait histogram (every message is stamped unless 0). Default 100. */
  queueWaitSamplingRate?: number;
  /** Whole percent (0-100) of signals counted in the signal series. Default 100. */
  signalSamplingRate?: number;
}

export type TelemetryConfig = Required<TelemetryOptions>;

/** A telemetry option is out of range; `code` is ERR_INVALID_OPTION like the runtime's option errors. */
export class TelemetryOptionError extends RangeError {
  readonly code = 'ERR_INVALID_OPTION';
  constructor(message: string) {
    super(message);
    this.name = 'TelemetryOptionError';
  }
}

export function resolveTelemetry(o: TelemetryOptions | undefined): TelemetryConfig {
  if (o !== undefined && (typeof o !== 'object' || o === null)) {
    throw new TelemetryOptionError(`options.telemetry must be an object, got ${o === null ? 'null' : typeof o}`);
  }
  const enabled = o?.enabled ?? true;
  if (typeof enabled !== 'boolean') throw new TelemetryOptionError(`options.telemetry.enabled must be a boolean, got ${typeof enabled}`);
  const rate = (name: keyof TelemetryOptions): number => {
    const v = o?.[name] ?? 100;
    // Whole percents, as the spec's: a sample is kept by sequence, k of every 100 (see sampling.ts).
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 100) {
      throw new TelemetryOptionError(`options.telemetry.${name} must be a whole number from 0 to 100 (percent), got ${String(v)}`);
    }
    return v;
  };
  return {
    enabled,
    messageSamplingRate: rate('messageSamplingRate'),
    queueWaitSamplingRate: rate('queueWaitSamplingRate'),
    signalSamplingRate: rate('signalSamplingRate'),
  };
}
