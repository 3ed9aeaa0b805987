// Telemetry benchmarks: cross-shard throughput with telemetry off, on at 100%, on at 10%; scrape time with 100 types per shard.
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import { BatchSpanProcessor, type ReadableSpan, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import { ActorSystem, type Pid, type SystemOptions } from '@joerl/runtime';
import type { SinkDone, SinkMsg } from '../actors/sink.actor.js';
import type { SourceMsg } from '../actors/source.actor.js';
import { type Gate, gateFor } from '../gate.js';
import { sample, settle, type Row } from '../harness.js';

const actor = (f: string) => new URL(`../actors/${f}`, import.meta.url);

export interface TelemetryBenchConfig {
  runs: number;
  quick: boolean;
  progress: (what: string) => void;
}

const MESSAGES = 1_000_000;
/**
 * Messages every configuration is warmed up with before it is measured. At
 * 100% a run is a tenth of MESSAGES (see tracingOverhead), and four runs
 * (400,000 messages) left its measured runs in the fresh shards' warm-up:
 * run by run, one system, 0.25, 0.66, 0.83, 0.59, 0.90, 0.79, 0.78, 1.35,
 * 1.26, 1.50, 0.68, 1.57, 1.48, 1.29, 1.89, 1.90M msg/s, and 1.4 to 2.0M
 * from there on through run 43 (2026-12-03): the row measured runs 5 to 7,
 * at 0.7 to 0.95M, against an untraced baseline past its own warm-up. Two
 * million messages put both in their steady state (four runs of the
 * others, as before).
 */
const WARM_MESSAGES = 2_000_000;

/** An exporter that discards what it is given (the pipeline's cost up to the exporter, not an exporter's). */
class DiscardingExporter implements SpanExporter {
  spans = 0;
  export(spans: ReadableSpan[], done: (result: ExportResult) => void): void {
    this.spans += spans.length;
    done({ code: ExportResultCode.SUCCESS });
  }
  async shutdown(): Promise<void> {}
  async forceFlush(): Promise<void> {}
}

/** The SDK's BatchSpanProcessor over a discarding exporter: what a user's setup costs, minus the network. */
function batchProcessor(): BatchSpanProcessor {
  return new BatchSpanProcessor(new DiscardingExporter(), { maxQueueSize: 65_536, maxExportBatchSize: 2048, scheduledDelayMillis: 100 });
}

async function oneRun(telemetry: SystemOptions['telemetry'], n: number, tracing?: SystemOptions['tracing']): Promise<number> {
  const system = await ActorSystem.start(tracing === undefined ? { threads: 2, telemetry } : { threads: 2, telemetry, tracing });
  try {
    const sink = await system.spawn(actor('sink.actor.js'), undefined, { shard: 2 });
    const source = await system.spawn(actor('source.actor.js'), undefined, { shard: 1 });
    const inbox = system.inbox<SinkDone>();
    const run = async (count: number) => {
      system.send(sink as Pid<SinkMsg>, { kind: 'expect', n: count, report: inbox.pid });
      const t0 = performance.now();
      system.send(source as Pid<SourceMsg>, { kind: 'go', to: sink as Pid<never>, n: count, chunk: 1000 });
      await inbox.receive();
      return count / ((performance.now() - t0) / 1000);
    };
    // Warm-up (JIT, ring and mailbox sizes) of at least four runs and WARM_MESSAGES messages,
    // then the median of three. With two runs of a million, the measured runs were still speeding
    // up: one process each, 2.0, 4.2, 4.6, 5.5, 5.5, 5.5M msg/s with tracing off and 1.7, 3.3,
    // 3.7, 4.1, 4.4, 4.8 at 1% (whose traced path compiles later). `--only telemetry/tracing` read
    // the 1% row at 0.898, 0.894 and 0.921 with two, 0.945, 0.976 and 0.949 with four (2026-11-30).
    for (let i = 0, sent = 0; i < 4 || sent < WARM_MESSAGES; i++, sent += n) await run(n);
    settle();
    const measured = [await run(n), await run(n), await run(n)].sort((a, b) => a - b);
    return measured[1]!;
  } finally {
    await system.shutdown();
  }
}

/**
 * The median of round-by-round ratios: a round runs the configurations back
 * to back, so drift of a shared machine (which moves whole rounds up or down)
 * cancels out of each ratio instead of landing on one side of it.
 */
function pairedRatio(xs: number[], base: number[]): number {
  return sample(xs.map((x, i) => x / base[i]!)).median;
}

/**
 * Round `r`'s order of the configurations: each goes first, second and
 * last in turn. In a fixed order the 1% tracing run always followed the
 * 100% one, whose main thread had just handled three spans a message, and
 * each configuration always ran after the same neighbour.
 */
function inTurn<T>(configs: readonly T[], r: number): T[] {
  const k = r % configs.length;
  return [...configs.slice(k), ...configs.slice(0, k)];
}

/**
 * Runs every configuration once a round, in `inTurn` order, each round a
 * phase of one gate (on equal CPUs where it can, see Gate), and returns
 * each configuration's figures by label, round by round. Interleaved rounds,
 * so drift on a shared machine hits every configuration alike; at least
 * seven, because run-to-run noise here (+-10%) is as large as the effect
 * measured (with five, the tracing 100% row read 0.17 to 0.23 from one
 * process to the next, four runs of the same code, 2026-11-30, around its
 * 0.2 line).
 */
async function inRounds<C>(
  cfg: TelemetryBenchConfig,
  what: string,
  configs: readonly (readonly [string, C])[],
  run: (config: C, label: string) => Promise<number>,
): Promise<{ results: Map<string, number[]>; gate: Gate }> {
  const results = new Map<string, number[]>(configs.map(([k]) => [k, []]));
  const rounds = Math.max(7, cfg.runs);
  const gate = gateFor(cfg.quick);
  for (let r = 0; r < rounds; r++) {
    const round = await gate.run(`round ${r + 1}`, async () => {
      const got: [string, number][] = [];
      for (const [label, config] of inTurn(configs, r)) {
        cfg.progress(`${what} ${label}, round ${r + 1}/${rounds}`);
        got.push([label, await run(config, label)]);
      }
      return got;
    });
    for (const [label, x] of round) results.get(label)!.push(x);
  }
  return { results, gate };
}

/** A configuration's row beside the "off" runs of the same rounds. */
function vsOff(what: 'telemetry' | 'tracing', label: string, runs: Map<string, number[]>, target?: number): Row {
  return {
    group: what,
    name: `cross-shard one-way, ${what} at ${label}`,
    unit: 'msg/s',
    joerl: sample(runs.get(label)!),
    baseline: { name: `${what} off`, sample: sample(runs.get('off')!) },
    ratio: pairedRatio(runs.get(label)!, runs.get('off')!),
    ...(target === undefined ? {} : { target }),
  };
}

/** Cross-shard one-way throughput with telemetry at 100% and 10%, each beside telemetry off in the same rounds. */
export async function telemetryOverhead(cfg: TelemetryBenchConfig): Promise<Row[]> {
  const configs = [
    ['off', { enabled: false }],
    ['100%', { messageSamplingRate: 100, queueWaitSamplingRate: 100, signalSamplingRate: 100 }],
    ['10%', { messageSamplingRate: 10, queueWaitSamplingRate: 10, signalSamplingRate: 100 }],
  ] as const;
  const { results, gate } = await inRounds<SystemOptions['telemetry']>(cfg, 'telemetry', configs, (telemetry) => oneRun(telemetry, MESSAGES));
  return [
    { ...vsOff('telemetry', '100%', results, 0.95), notes: `telemetry and tracing ratios are medians of per-round ratios (a round runs every configuration back to back, each round in another order, on equal CPUs where it can); ${gate.summary()}` },
    vsOff('telemetry', '10%', results, 0.95),
  ];
}

/** Cross-shard one-way throughput with tracing at 100% and 1%, beside tracing off in the same rounds. */
export async function tracingOverhead(cfg: TelemetryBenchConfig): Promise<Row[]> {
  // At 1% and off, as many messages a run as the telemetry rows: with a fifth of them (40 ms a
  // run) the measured runs still paid for compiling the rarely taken traced path in the fresh
  // shards, which a system that runs for more than a moment pays once. At 100% (three spans per
  // message, send, receive and handle) a tenth: with a fiftieth (20,000 messages, ~15 ms a run)
  // a fresh system's third run was still warming up (0.90M msg/s, against 1.81M at 100,000) and
  // runs of one process spread from 0.64M to 1.73M. Every span reaches the exporter (300,000 of
  // 300,000 counted at 100,000 messages, 2026-11-30): the BatchSpanProcessor's queue drops none.
  const countOf = (label: string) => (label === '100%' ? Math.max(5_000, Math.floor(MESSAGES / 10)) : MESSAGES);
  const sampleRates = [['off', undefined], ['100%', 1], ['1%', 0.01]] as const;
  const { results: traced, gate } = await inRounds<number | undefined>(cfg, 'tracing', sampleRates, (sampleRate, label) =>
    oneRun({ enabled: true }, countOf(label), sampleRate === undefined ? undefined : { sampleRate, processors: [batchProcessor()] }),
  );
  return [
    { ...vsOff('tracing', '100%', traced, 0.2), notes: `spans to the OpenTelemetry SDK's BatchSpanProcessor on the main thread, exported to an exporter that discards them; ${gate.summary()}` },
    { ...vsOff('tracing', '1%', traced, 0.9), notes: gate.summary() },
  ];
}

/** Time to scrape /metrics with 100 behaviour types on each of two shards. */
export async function scrape(cfg: TelemetryBenchConfig): Promise<Row[]> {
  cfg.progress('scrape with 100 actor types on every shard');
  const system = await ActorSystem.start({ threads: 2 });
  try {
    for (let shard = 1; shard <= 2; shard++) {
      for (let i = 0; i < 100; i++) {
        const pid = await system.spawn(actor('many-types.actor.js'), undefined, { shard, export: `T${String(i).padStart(2, '0')}` });
        system.send(pid, 'tick');
      }
    }
    const server = await system.serveMetrics({ port: 0 });
    const times: number[] = [];
    let bytes = 0;
    let lines = 0;
    for (let i = 0; i < Math.max(5, cfg.runs * 3); i++) {
      const t0 = performance.now();
      const body = await (await fetch(`${server.url}/metrics`)).text();
      times.push(performance.now() - t0);
      bytes = body.length;
      lines = body.split('\n').length;
    }
    return [
      {
        group: 'telemetry',
        name: 'scrape /metrics, 100 types x 2 shards',
        unit: 'ms',
        joerl: sample(times.slice(1)),
        notes: `${(bytes / 1024).toFixed(0)} KiB, ${lines} lines per scrape`,
      },
    ];
  } finally {
    await system.shutdown();
  }
}
