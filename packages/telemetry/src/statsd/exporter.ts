// The StatsD / DogStatsD exporter: on an interval, reads the merged registry and sends its lines to the agent over UDP.
//
// Its own small UDP writer (node:dgram) rather than a StatsD client library:
// clients such as hot-shots are built to be called per event and drop any line
// that carries a sample rate at random, which would throw away the weighted
// distribution points this exporter sends (see lines.ts). What is left to do
// is packing lines into datagrams and sending them.

import { type Socket, createSocket } from 'node:dgram';
import { isIPv6 } from 'node:net';
import { LineBuilder, type MetricsSource } from './lines.js';
import { type StatsdConfig, type StatsdOptions, resolveStatsd } from './options.js';

/**
 * Largest datagram payload: what fits an Ethernet frame's 1500-byte MTU after
 * IP and UDP headers, the size DogStatsD clients use for UDP.
 */
const MAX_DATAGRAM_BYTES = 1432;

/** What one push sent. */
export interface StatsdPush {
  /** Metric lines sent. */
  lines: number;
  /** UDP datagrams they went in. */
  datagrams: number;
  /** Bytes of payload. */
  bytes: number;
}

/** Packs lines, newline-separated, into payloads of at most `max` bytes (a longer line goes alone). */
function packLines(lines: readonly string[], max = MAX_DATAGRAM_BYTES): Buffer[] {
  const out: Buffer[] = [];
  let cur = '';
  let curBytes = 0;
  for (const line of lines) {
    const bytes = Buffer.byteLength(line);
    if (curBytes > 0 && curBytes + 1 + bytes > max) {
      out.push(Buffer.from(cur));
      cur = '';
      curBytes = 0;
    }
    cur = curBytes === 0 ? line : `${cur}\n${line}`;
    curBytes += (curBytes === 0 ? 0 : 1) + bytes;
  }
  if (curBytes > 0) out.push(Buffer.from(cur));
  return out;
}

/**
 * Sends every metric of a prom-client registry (`system.metrics`, joerl's
 * merged registry, or one merged with yours) to a StatsD / DogStatsD agent,
 * such as the Datadog Agent on 127.0.0.1:8125, every `intervalMs`: counters as
 * their growth since the last push, gauges as their value, histograms as
 * DogStatsD distributions, labels as tags. It reads the registry on its own
 * timer, never per message, so the runtime's hot paths do not know it exists.
 *
 * ```ts
 * const statsd = StatsdExporter.start(system.metrics, { prefix: 'myapp.', globalTags: { env: 'prod' } });
 * // ...
 * await statsd.close(); // a last push, then the socket closes
 * ```
 */
export class StatsdExporter {
  private readonly socket: Socket;
  private readonly builder: LineBuilder;
  private readonly timer: NodeJS.Timeout | undefined;
  /** Pushes run one after another, so each reads the registry after the last one's state is kept. */
  private chain: Promise<unknown> = Promise.resolve();
  private pending = 0;
  private closed: Promise<void> | undefined;
  private warned = false;

  private constructor(
    private readonly source: MetricsSource,
    private readonly config: StatsdConfig,
  ) {
    this.builder = new LineBuilder(config);
    this.socket = createSocket(isIPv6(config.host) ? 'udp6' : 'udp4');
    // A UDP socket must never hold the process open, nor take it down: its errors go where push errors go.
    this.socket.unref();
    this.socket.on('error', (err) => this.report(err));
    if (config.intervalMs > 0) {
      this.timer = setInterval(() => {
        // A tick while a push is still under way (a slow registry read) is skipped, not queued up behind it.
        if (this.pending === 0) this.push().catch((err: Error) => this.report(err));
      }, config.intervalMs);
      this.timer.unref();
    }
  }

  /**
   * Validates `options` and starts pushing from `source` every `intervalMs`.
   * Throws `TelemetryOptionError` (code ERR_INVALID_OPTION) for a bad option.
   */
  static start(source: MetricsSource, options?: StatsdOptions): StatsdExporter {
    if (typeof source?.getMetricsAsJSON !== 'function') {
      throw new TypeError('StatsdExporter.start needs a prom-client Registry (e.g. system.metrics) or an object with getMetricsAsJSON()');
    }
    return new StatsdExporter(source, resolveStatsd(options));
  }

  /** Where the lines go, as `host:port`. */
  get target(): string {
    return `${this.config.host}:${this.config.port}`;
  }

  /** Reads the registry and sends what changed now (besides the timer); resolves once every datagram is handed to the OS. */
  push(): Promise<StatsdPush> {
    if (this.closed !== undefined) return Promise.reject(new StatsdClosedError(this.target));
    return this.enqueue();
  }

  /** Stops the timer, makes a last push (so the final counts are not lost), closes the socket. */
  close(): Promise<void> {
    if (this.closed !== undefined) return this.closed;
    if (this.timer !== undefined) clearInterval(this.timer);
    const last = this.enqueue().then(
      () => undefined,
      (err: Error) => this.report(err),
    );
    this.closed = last.then(() => new Promise<void>((resolve) => this.socket.close(() => resolve())));
    return this.closed;
  }

  private enqueue(): Promise<StatsdPush> {
    this.pending++;
    const p = this.chain.then(() => this.pushNow()).finally(() => this.pending--);
    this.chain = p.catch(() => undefined);
    return p;
  }

  private async pushNow(): Promise<StatsdPush> {
    const lines = this.builder.lines(await this.source.getMetricsAsJSON());
    const payloads = packLines(lines);
    let bytes = 0;
    for (const b of payloads) bytes += b.length;
    await Promise.all(
      payloads.map(
        (b) => new Promise<void>((resolve, reject) => this.socket.send(b, this.config.port, this.config.host, (err) => (err ? reject(err) : resolve()))),
      ),
    );
    this.warned = false;
    return { lines: lines.length, datagrams: payloads.length, bytes };
  }

  private report(err: Error): void {
    if (this.config.onError !== undefined) {
      try {
        this.config.onError(err);
        return;
      } catch (thrown) {
        // A throwing onError must not become an unhandled rejection (a timer's push) nor skip close's socket close.
        err = new Error(`${err.message} (and onError threw: ${thrown instanceof Error ? thrown.message : String(thrown)})`, { cause: err });
      }
    }
    // One warning per run of failures, not one every interval while the agent is unreachable.
    if (this.warned) return;
    this.warned = true;
    process.emitWarning(`joerl StatsD export to ${this.target} failed: ${err.message}`, { code: 'JOERL_STATSD_EXPORT' });
  }
}

/** `push()` after `close()`: the exporter sends nothing more (start a new one). */
export class StatsdClosedError extends Error {
  readonly code = 'ERR_EXPORTER_CLOSED';
  constructor(target: string) {
    super(`the StatsD exporter to ${target} is closed: push before close(), or start a new exporter`);
    this.name = 'StatsdClosedError';
  }
}
