// One read of the merged registry as DogStatsD lines: counters as deltas since the last push, gauges as values, histograms as distributions.
//
//   joerl_messages_sent_total:120|c|#env:prod                   counter: growth since the last push
//   joerl_actors_active:8|g|#type:Worker,env:prod               gauge: the value now
//   joerl_message_queue_wait_seconds:0.0000375|d|@0.0125|#...    distribution: a bucket midpoint, weighted 80
//
// Why distributions for histograms: the agent merges distribution points into
// one sketch per series across every host, so Datadog's percentiles cover the
// whole fleet; a timing or histogram type is summarised per host per flush by
// the agent, and its percentiles ignore sample-rate weights. A point sent with
// `|@r` counts as trunc(1/r) observations in the agent's sketch, so one line per
// bucket carries any number of observations.

import { TAG_VALUE_CHARS, type StatsdConfig } from './options.js';
import { bucketPoints } from './histogram.js';

/** One sample of a metric as a prom-client registry reports it. */
export interface MetricSampleJson {
  value: number;
  labels: Readonly<Record<string, string | number | undefined>>;
  /** Set on a histogram's `_bucket`, `_sum` and `_count` samples (and a summary's `_sum`, `_count`). */
  metricName?: string;
}

/** One metric as `Registry.getMetricsAsJSON()` reports it. */
export interface MetricJson {
  name: string;
  /** 'counter', 'gauge', 'histogram' or 'summary'. */
  type: unknown;
  values: readonly MetricSampleJson[];
}

/** What the exporter reads: a prom-client `Registry` (e.g. `system.metrics`), or anything with the same method. */
export interface MetricsSource {
  getMetricsAsJSON(): Promise<readonly MetricJson[]>;
}

const SANITIZE = new RegExp(TAG_VALUE_CHARS.source, 'g');
const f64 = new Float64Array(1);
const bits = new BigUint64Array(f64.buffer);

/**
 * The sample rate that makes the agent count a line as exactly `n` samples:
 * it takes trunc(1 / rate), and 1 / (1 / n) can round to just under n.
 */
function weightRate(n: number): number {
  f64[0] = 1 / n;
  // Stepping a positive double's bits down by one gives the next smaller double.
  while (Math.trunc(1 / f64[0]!) < n) bits[0] = bits[0]! - 1n;
  return f64[0]!;
}

/** Turns registry reads into lines, keeping each counter's last value to send growth. */
export class LineBuilder {
  private readonly last = new Map<string, number>();

  constructor(private readonly config: StatsdConfig) {}

  /** Lines for one read; the counters' and histograms' state moves on to it. */
  lines(metrics: readonly MetricJson[]): string[] {
    const out: string[] = [];
    for (const m of metrics) {
      switch (m.type) {
        case 'counter':
          for (const v of m.values) this.counter(out, v.metricName ?? m.name, v);
          break;
        case 'gauge':
          for (const v of m.values) this.line(out, v.metricName ?? m.name, v.value, 'g', 1, tags(v.labels, this.config.globalTags));
          break;
        case 'histogram':
          this.histogram(out, m);
          break;
        case 'summary':
          // Not in joerl's catalogue, but a registry merged with the user's may hold one: quantiles as gauges, _sum/_count as counters.
          for (const v of m.values) {
            if (v.metricName === undefined) this.line(out, m.name, v.value, 'g', 1, tags(v.labels, this.config.globalTags));
            else this.counter(out, v.metricName, v);
          }
          break;
        default:
          break;
      }
    }
    return out;
  }

  /** Growth since the last read; a value below the last one means the counter started again from zero. */
  private delta(key: string, value: number): number {
    const prev = this.last.get(key) ?? 0;
    this.last.set(key, value);
    return value >= prev ? value - prev : value;
  }

  private counter(out: string[], name: string, v: MetricSampleJson): void {
    const d = this.delta(`${name}\u0000${seriesKey(v.labels)}`, v.value);
    // Nothing new, nothing sent: the agent reports a quiet count as 0 for a while on its own.
    if (d > 0) this.sampled(out, name, d, 'c', this.config.sampleRate, tags(v.labels, this.config.globalTags));
  }

  private histogram(out: string[], m: MetricJson): void {
    const series = new Map<string, { labels: MetricSampleJson['labels']; bounds: number[]; cumulative: number[]; sum: number }>();
    for (const v of m.values) {
      const key = seriesKey(v.labels);
      let s = series.get(key);
      if (s === undefined) series.set(key, (s = { labels: v.labels, bounds: [], cumulative: [], sum: 0 }));
      if (v.metricName === `${m.name}_bucket`) {
        s.bounds.push(v.labels.le === '+Inf' ? Infinity : Number(v.labels.le));
        s.cumulative.push(v.value);
      } else if (v.metricName === `${m.name}_sum`) s.sum = v.value;
    }
    for (const [key, s] of series) {
      const counts = s.cumulative.map((c, i) => Math.max(0, this.delta(`${m.name}\u0000${key}\u0000${s.bounds[i]}`, c - (s.cumulative[i - 1] ?? 0))));
      const sum = this.delta(`${m.name}_sum\u0000${key}`, s.sum);
      const t = tags(s.labels, this.config.globalTags);
      const rate = this.config.sampleRate;
      for (const p of bucketPoints(s.bounds, counts, sum)) {
        // Weighted so that a line sent at `rate` stands for count / rate observations, as the agent reads it.
        const n = this.weight(p.count / rate);
        this.sampled(out, m.name, p.value, 'd', n === 1 ? 1 : weightRate(n), t, rate);
      }
    }
  }

  /**
   * `x` rounded to a whole weight (the agent counts a line as a whole number
   * of observations), up with probability its fraction: so the weight is `x`
   * on average, and the lines kept at the sample rate add up to the true count
   * on average. Rounded to nearest, one observation at rate 0.8 (x = 1.25) was
   * always weight 1, counted as 0.8 on average; at rate 0.6 (1.67), weight 2: 1.2.
   */
  private weight(x: number): number {
    const whole = Math.floor(x);
    return Math.random() < x - whole ? whole + 1 : whole;
  }

  /** A line kept with probability `keep` (the configured sample rate), marked with `rate` for the agent. */
  private sampled(out: string[], name: string, value: number, type: 'c' | 'd', rate: number, t: string, keep = rate): void {
    if (keep < 1 && Math.random() >= keep) return;
    this.line(out, name, value, type, rate, t);
  }

  private line(out: string[], name: string, value: number, type: 'c' | 'g' | 'd', rate: number, t: string): void {
    // NaN and infinities are not numbers the protocol can carry (the agent drops them).
    if (!Number.isFinite(value)) return;
    // A Prometheus name may hold ':' (recording-rule style, app:jobs_total), which ends a StatsD name.
    out.push(`${this.config.prefix}${name.replaceAll(':', '_')}:${value}|${type}${rate < 1 ? `|@${rate}` : ''}${t}`);
  }
}

/** A series' identity: its labels except a histogram's `le`, in a stable order. */
function seriesKey(labels: MetricSampleJson['labels']): string {
  let key = '';
  for (const k of Object.keys(labels).sort()) if (k !== 'le') key += `${k}=${String(labels[k])}\u0001`;
  return key;
}

/** `|#label:value,...,global` (empty labels dropped, as Prometheus treats them as absent), or ''. */
function tags(labels: MetricSampleJson['labels'], global: readonly string[]): string {
  const out: string[] = [];
  for (const [k, v] of Object.entries(labels)) {
    if (k === 'le' || v === undefined || v === '') continue;
    out.push(`${k}:${String(v).replace(SANITIZE, '_')}`);
  }
  out.push(...global);
  return out.length === 0 ? '' : `|#${out.join(',')}`;
}
