// The main-thread aggregator: reads every thread's region at scrape time into one prom-client Registry.

import { Registry } from 'prom-client';
import {
  ACTORS_ACTIVE,
  ACTORS_STOPPED,
  BOUNDED_CAPACITY,
  BOUNDED_DEPTH,
  CATALOGUE,
  ESTIMATED_BYTES_PER_QUEUED_MESSAGE,
  MAILBOX_DEPTH,
  MAILBOX_MEMORY,
  MAILBOX_MEMORY_TOTAL,
  MAILBOX_UTILIZATION,
  type MetricDef,
  SYSTEM_MEMORY,
  metricId,
  slotsOf,
} from './catalogue.js';
import { heldWord, waitUnheld } from './region.js';

interface Series {
  slot: number;
  labels: string[];
  key: string;
}

interface ThreadRegion {
  r: Float64Array;
  /** The region's HELD word: read only once it is 0 (see region.ts). */
  held: Int32Array;
  /** A wait for HELD timed out (a thread killed in a hold, until its region is retired): not waited for again until it drops. */
  stuck: boolean;
  /** Series per metric id. */
  series: Series[][];
}

/** Summed values of one label set: one number, or a histogram's bucket counts + sum + count. */
interface Summed {
  labels: string[];
  values: number[];
}

/** One sample as prom-client formats it. */
interface Value {
  value: number;
  labels: Record<string, string | number>;
  metricName?: string;
}

const I_DEPTH = metricId(MAILBOX_DEPTH);
const I_ACTIVE = metricId(ACTORS_ACTIVE);
const I_STOPPED = metricId(ACTORS_STOPPED);
const I_BDEPTH = metricId(BOUNDED_DEPTH);
const I_BCAP = metricId(BOUNDED_CAPACITY);

/**
 * Holds a view of each thread's region and the series announced in it. At
 * scrape time every metric sums its series over all threads: counters and
 * histograms add up, gauges add up (all of ours are additive), derived
 * metrics are computed from those sums, process-wide values are read here.
 *
 * When a shard dies, {@link retire} folds its counters and histograms into
 * retired totals (so they are neither lost nor counted twice once the new
 * incarnation starts from zero) and drops its gauges (its actors are gone).
 */
export class Aggregator {
  /** The registry to scrape (Prometheus text 0.0.4); merge your own metrics into it or it into yours. */
  readonly registry = new Registry();
  private readonly threads = new Map<number, ThreadRegion>();
  private readonly retired: Map<string, Summed>[] = CATALOGUE.map(() => new Map());
  /** The values each counter and histogram series last read (see monotonic). */
  private readonly high: Map<string, number[]>[] = CATALOGUE.map(() => new Map());

  constructor() {
    for (const [id, def] of CATALOGUE.entries()) {
      if (def.source === 'hidden') continue;
      this.registry.registerMetric(new ShardedMetric(def, () => this.collect(id, def)) as never);
    }
  }

  /** Starts reading `region` for `thread` (a new thread, or a restarted shard's new incarnation). */
  attach(thread: number, region: SharedArrayBuffer): void {
    this.threads.set(thread, { r: new Float64Array(region), held: heldWord(region), stuck: false, series: CATALOGUE.map(() => []) });
  }

  /** Records that `thread` keeps metric `metric` with these labels at `slot`. */
  announce(thread: number, slot: number, metric: number, labels: string[]): void {
    const t = this.threads.get(thread);
    if (t === undefined || CATALOGUE[metric] === undefined) return;
    t.series[metric]!.push({ slot, labels, key: labels.join('\u0001') });
  }

  /** A shard died: keep its counters and histograms, drop its gauges, stop reading its region. */
  retire(thread: number): void {
    const t = this.threads.get(thread);
    if (t === undefined) return;
    this.threads.delete(thread);
    for (const [id, def] of CATALOGUE.entries()) {
      if (def.type === 'gauge') continue;
      const size = slotsOf(def);
      for (const s of t.series[id]!) this.addRetired(id, s.key, s.labels, size, (i) => t.r[s.slot + i]!);
    }
    // Its live actors died with it, without running their exit path: count them as killed.
    for (const s of t.series[I_ACTIVE]!) {
      const alive = t.r[s.slot]!;
      if (alive > 0) this.addRetired(I_STOPPED, `${s.labels[0]}\u0001killed`, [s.labels[0]!, 'killed'], 1, () => alive);
    }
  }

  private addRetired(id: number, key: string, labels: string[], size: number, value: (i: number) => number): void {
    const into = this.retired[id]!;
    let acc = into.get(key);
    if (acc === undefined) {
      acc = { labels, values: new Array<number>(size).fill(0) };
      into.set(key, acc);
    }
    for (let i = 0; i < size; i++) acc.values[i]! += value(i);
  }

  /**
   * A metric summed over every thread and every label set (for a histogram:
   * its count). A derived or main-thread metric is computed as a scrape
   * computes it. Throws a RangeError for a name not in the catalogue (a typo
   * would read 0 for ever) and for the mailbox utilization, a percentage per
   * behaviour, whose sum means nothing.
   */
  total(name: string): number {
    const id = CATALOGUE.findIndex((m) => m.name === name);
    if (id < 0) throw new RangeError(`no metric named ${JSON.stringify(name) ?? String(name)} in joerl's catalogue (see the metric list in the README)`);
    const def = CATALOGUE[id]!;
    if (def.name === MAILBOX_UTILIZATION) throw new RangeError(`${name} is a percentage per behaviour, which has no meaningful total: read its series from system.metrics`);
    if (def.source === 'derived' || def.source === 'main') {
      let sum = 0;
      for (const v of this.collect(id, def)) sum += v.value;
      return sum;
    }
    const at = def.type === 'histogram' ? def.buckets!.length + 2 : 0;
    let t = 0;
    for (const s of this.sum(id).values()) t += s.values[at]!;
    return t;
  }

  /** Sums one metric over every thread (and the retired totals), by label set. */
  sum(id: number): Map<string, Summed> {
    const def = CATALOGUE[id]!;
    const size = slotsOf(def);
    const out = new Map<string, Summed>();
    for (const [key, acc] of this.retired[id]!) out.set(key, { labels: acc.labels, values: acc.values.slice() });
    for (const t of this.threads.values()) {
      t.stuck = t.stuck ? Atomics.load(t.held, 0) !== 0 : !waitUnheld(t.held);
      for (const s of t.series[id]!) {
        let acc = out.get(s.key);
        if (acc === undefined) {
          acc = { labels: s.labels, values: new Array<number>(size).fill(0) };
          out.set(s.key, acc);
        }
        for (let i = 0; i < size; i++) acc.values[i]! += t.r[s.slot + i]!;
      }
    }
    return out;
  }

  private collect(id: number, def: MetricDef): Value[] {
    switch (def.source) {
      case 'none':
        return [];
      case 'main':
        return def.name === SYSTEM_MEMORY ? [{ value: process.memoryUsage.rss(), labels: {} }] : [];
      case 'derived':
        return this.derived(def);
      default: {
        const sums = this.sum(id);
        if (def.type !== 'gauge') for (const [key, s] of sums) this.monotonic(id, key, s.values);
        return this.values(def, sums);
      }
    }
  }

  /**
   * Counters and histograms never read lower than they last did. Summed
   * again after a shard's retirement, in another order (its values now in
   * the retired totals), a float sum can differ in its last bits: 0.2 + 0.1
   * + 0.3 then 0.5 + 0.1, 0.6000000000000001 then 0.6, which Prometheus
   * would take for a counter reset (a rate spike of the whole sum).
   */
  private monotonic(id: number, key: string, values: number[]): void {
    const high = this.high[id]!;
    const seen = high.get(key);
    if (seen === undefined) {
      high.set(key, values.slice());
      return;
    }
    for (let i = 0; i < values.length; i++) {
      if (values[i]! < seen[i]!) values[i] = seen[i]!;
      else seen[i] = values[i]!;
    }
  }

  private values(def: MetricDef, sums: Map<string, Summed>): Value[] {
    const out: Value[] = [];
    for (const { labels, values } of sums.values()) {
      const l: Record<string, string> = {};
      def.labels.forEach((name, i) => (l[name] = labels[i] ?? ''));
      if (def.type !== 'histogram') {
        out.push({ value: values[0]!, labels: l });
        continue;
      }
      const buckets = def.buckets!;
      let cumulative = 0;
      for (let i = 0; i < buckets.length; i++) {
        cumulative += values[i]!;
        out.push({ metricName: `${def.name}_bucket`, value: cumulative, labels: { ...l, le: buckets[i]! } });
      }
      cumulative += values[buckets.length]!;
      out.push({ metricName: `${def.name}_bucket`, value: cumulative, labels: { ...l, le: '+Inf' } });
      out.push({ metricName: `${def.name}_sum`, value: values[buckets.length + 1]!, labels: l });
      // The count is the +Inf bucket, as Prometheus requires: the shard writes bucket, sum and count with plain stores
      // while this reads, so a scrape can find an observation's count slot written and its bucket not yet.
      out.push({ metricName: `${def.name}_count`, value: cumulative, labels: l });
    }
    return out;
  }

  private derived(def: MetricDef): Value[] {
    if (def.name === MAILBOX_UTILIZATION) {
      const depth = this.sum(I_BDEPTH);
      const out: Value[] = [];
      for (const [key, cap] of this.sum(I_BCAP)) {
        if (!(cap.values[0]! > 0)) continue;
        const d = depth.get(key)?.values[0] ?? 0;
        out.push({ value: Math.min(100, (100 * d) / cap.values[0]!), labels: { type: cap.labels[0]! } });
      }
      return out;
    }
    const depth = this.sum(I_DEPTH);
    if (def.name === MAILBOX_MEMORY) {
      return [...depth.values()].map((d) => ({ value: d.values[0]! * ESTIMATED_BYTES_PER_QUEUED_MESSAGE, labels: { type: d.labels[0]! } }));
    }
    if (def.name === MAILBOX_MEMORY_TOTAL) {
      let total = 0;
      for (const d of depth.values()) total += d.values[0]!;
      return [{ value: total * ESTIMATED_BYTES_PER_QUEUED_MESSAGE, labels: {} }];
    }
    return [];
  }
}

/** A prom-client-compatible metric whose values come from the aggregator at scrape time. */
class ShardedMetric {
  readonly name: string;
  readonly help: string;
  readonly type: string;
  readonly aggregator = 'sum';

  constructor(
    def: MetricDef,
    private readonly read: () => Value[],
  ) {
    this.name = def.name;
    this.help = def.help;
    this.type = def.type;
  }

  get(): { name: string; help: string; type: string; aggregator: string; values: Value[] } {
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values: this.read() };
  }

  reset(): void {}
}
