// StatsD exporter options: where to send, how to name and tag, how often; validated at the door.

import { TelemetryOptionError } from '../config.js';

/** Options of {@link StatsdExporter.start}. */
export interface StatsdOptions {
  /** The StatsD / DogStatsD agent's host. Default '127.0.0.1' (the Datadog Agent's usual place). */
  host?: string;
  /** The agent's UDP port. Default 8125. */
  port?: number;
  /**
   * Put verbatim before every metric name, separator included (e.g. `'myapp.'`
   * gives `myapp.joerl_actors_active`). Default '' (the catalogue's names as they are).
   */
  prefix?: string;
  /**
   * Fraction (0 < rate <= 1) of counter and distribution lines sent per push,
   * marked `|@rate` so the agent scales them back up; gauges are always sent.
   * Default 1. The exporter already aggregates, so a longer `intervalMs` cuts
   * traffic without losing precision; sampling trades precision for packets.
   */
  sampleRate?: number;
  /** Tags added to every metric, e.g. `{ env: 'prod', service: 'billing' }`. */
  globalTags?: Readonly<Record<string, string>>;
  /** Milliseconds between pushes. Default 10000 (the Datadog Agent's flush interval). 0: no timer, call `push()` yourself. */
  intervalMs?: number;
  /** Called when a timed push fails (a bad host name, a send error). Default: one process warning until a push succeeds again. */
  onError?: (err: Error) => void;
}

/** Options with every default filled in and the global tags formatted. */
export interface StatsdConfig {
  host: string;
  port: number;
  prefix: string;
  sampleRate: number;
  /** `key:value` strings. */
  globalTags: readonly string[];
  intervalMs: number;
  onError: ((err: Error) => void) | undefined;
}

/** Characters that end a name, a value or a tag in the line protocol (`name:value|type|@rate|#tag,tag`). */
const PROTOCOL_CHARS = /[\s|:,#@]/;
/** In a tag's value only '|' (ends the tags), ',' (ends the tag) and white space break the line: the agent splits a tag at its first ':'. */
export const TAG_VALUE_CHARS = /[\s|,]/;
/** setInterval's largest delay (a longer one fires at once). */
const MAX_INTERVAL_MS = 2 ** 31 - 1;

const describe = (v: unknown): string => (typeof v === 'string' ? JSON.stringify(v) : v === null ? 'null' : typeof v === 'object' ? typeof v : String(v));

/** Validates the options; throws {@link TelemetryOptionError} (code ERR_INVALID_OPTION) for the first bad one. */
export function resolveStatsd(o: StatsdOptions | undefined): StatsdConfig {
  if (o !== undefined && (typeof o !== 'object' || o === null)) throw new TelemetryOptionError(`statsd options must be an object, got ${describe(o)}`);
  const host = o?.host ?? '127.0.0.1';
  if (typeof host !== 'string' || host.length === 0 || /\s/.test(host)) throw new TelemetryOptionError(`options.host must be a host name or address, got ${describe(host)}`);
  const port = o?.port ?? 8125;
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535) {
    throw new TelemetryOptionError(`options.port must be an integer from 1 to 65535, got ${describe(port)}`);
  }
  const prefix = o?.prefix ?? '';
  if (typeof prefix !== 'string' || PROTOCOL_CHARS.test(prefix)) {
    throw new TelemetryOptionError(`options.prefix must be a string without spaces or any of | : , # @, got ${describe(prefix)}`);
  }
  const sampleRate = o?.sampleRate ?? 1;
  if (typeof sampleRate !== 'number' || !(sampleRate > 0 && sampleRate <= 1)) {
    throw new TelemetryOptionError(`options.sampleRate must be a number in (0, 1], got ${describe(sampleRate)}`);
  }
  const intervalMs = o?.intervalMs ?? 10_000;
  if (typeof intervalMs !== 'number' || !Number.isInteger(intervalMs) || intervalMs < 0 || intervalMs > MAX_INTERVAL_MS) {
    throw new TelemetryOptionError(`options.intervalMs must be an integer from 0 (no timer) to ${MAX_INTERVAL_MS}, got ${describe(intervalMs)}`);
  }
  const onError = o?.onError;
  if (onError !== undefined && typeof onError !== 'function') throw new TelemetryOptionError(`options.onError must be a function, got ${describe(onError)}`);
  return { host, port, prefix, sampleRate, globalTags: globalTags(o?.globalTags), intervalMs, onError };
}

function globalTags(tags: unknown): string[] {
  if (tags === undefined) return [];
  if (typeof tags !== 'object' || tags === null || Array.isArray(tags)) {
    throw new TelemetryOptionError(`options.globalTags must be an object of tag names to values, got ${Array.isArray(tags) ? 'an array' : describe(tags)}`);
  }
  return Object.entries(tags).map(([key, value]) => {
    if (key.length === 0 || PROTOCOL_CHARS.test(key)) throw new TelemetryOptionError(`options.globalTags: the tag name ${JSON.stringify(key)} is empty or holds a space or one of | : , # @`);
    if (typeof value !== 'string' || TAG_VALUE_CHARS.test(value)) {
      throw new TelemetryOptionError(`options.globalTags.${key} must be a string without spaces, | or ',', got ${describe(value)}`);
    }
    return value === '' ? key : `${key}:${value}`;
  });
}
