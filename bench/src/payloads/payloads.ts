// Big payloads: cross-shard throughput of messages carrying 64 B to 8 MiB, copied and moved, beside postMessage copy and transfer; checkLocalSends' cost.
import { ActorSystem, type Pid } from '@joerl/runtime';
import type { PayloadSourceMsg } from '../actors/payload-source.actor.js';
import type { SinkDone, SinkMsg } from '../actors/sink.actor.js';
import type { SourceMsg } from '../actors/source.actor.js';
import { postMessagePayloads, processCpuMicros, type RateAndCpu } from '../baselines/post-message.js';
import { repeat, sample, settle, type Row, type Sample } from '../harness.js';

const actor = (f: string) => new URL(`../actors/${f}`, import.meta.url);
const KiB = 1024;
const MiB = 1024 * KiB;

export interface PayloadsConfig {
  runs: number;
  quick: boolean;
  progress: (what: string) => void;
}

/** Payload sizes, messages per run (fewer when quick), and messages per turn of the source (about 4 MiB a turn for large ones). */
const SIZES = [
  { label: '64 B', bytes: 64, n: 200_000, chunk: 1000 },
  { label: '4 KiB', bytes: 4 * KiB, n: 50_000, chunk: 250 },
  { label: '64 KiB', bytes: 64 * KiB, n: 8_000, chunk: 64 },
  { label: '1 MiB', bytes: MiB, n: 800, chunk: 4 },
  { label: '8 MiB', bytes: 8 * MiB, n: 100, chunk: 1 },
];

interface Pair {
  system: ActorSystem;
  sink: Pid<SinkMsg>;
  inbox: ReturnType<ActorSystem['inbox']>;
}

async function pair(threads: number, checkLocalSends?: boolean): Promise<Pair> {
  const system = await ActorSystem.start(checkLocalSends === undefined ? { threads } : { threads, checkLocalSends });
  const sink = (await system.spawn(actor('sink.actor.js'), undefined, { shard: threads })) as Pid<SinkMsg>;
  return { system, sink, inbox: system.inbox<SinkDone>() as ReturnType<ActorSystem['inbox']> };
}

/**
 * Rounds per payload size of 64 KiB and more. A round of 800 MiB takes 60-200 ms, and on a shared 2-core box
 * other processes take a core for a good part of that: with five rounds the median ratio still moved 0.6-1.7x
 * between runs of the same code.
 */
const BIG_ROUNDS = 9;

/** Messages per second from a source on shard 1 to the sink. */
async function timed(p: Pair, n: number, go: () => void): Promise<number> {
  return (await timedCpu(p, n, go)).rate;
}

/** {@link timed}, with the CPU the process spent from the first send to the sink's report (as the baseline measures it). */
async function timedCpu(p: Pair, n: number, go: () => void): Promise<RateAndCpu> {
  p.system.send(p.sink, { kind: 'expect', n, report: p.inbox.pid as Pid<SinkDone> });
  const c0 = processCpuMicros();
  const t0 = performance.now();
  go();
  await p.inbox.receive();
  const rate = n / ((performance.now() - t0) / 1000);
  return { rate, cpuMicros: processCpuMicros() - c0 };
}

const toMiBs = (s: Sample, bytes: number): Sample => {
  const f = (x: number) => (x * bytes) / MiB;
  return { median: f(s.median), min: f(s.min), max: f(s.max), runs: s.runs.map(f) };
};

/** Cross-shard messages carrying 64 B to 8 MiB, copied and moved, beside postMessage copy and transfer (one bench unit). */
export async function payloadSizes(cfg: PayloadsConfig): Promise<Row[]> {
  const rows: Row[] = [];
  const { runs } = cfg;
  const scale = cfg.quick ? 4 : 1;
  const p = await pair(2);
  let ref: Sample;
  try {
    const ticks = await p.system.spawn(actor('source.actor.js'), undefined, { shard: 1 });
    cfg.progress('payloads: the core cross-shard row, for reference');
    const refN = 200_000 / scale;
    ref = await repeat(runs, 1, () => timed(p, refN, () => p.system.send(ticks as Pid<SourceMsg>, { kind: 'go', to: p.sink as Pid<never>, n: refN, chunk: 1000 })));
    rows.push({
      group: 'payloads',
      name: 'core cross-shard one-way (this run)',
      unit: 'msg/s',
      joerl: ref,
      notes: 'payload ratios are medians of per-round ratios (a round runs joerl and postMessage back to back)',
    });
  } finally {
    await p.system.shutdown();
  }
  // Rounds run joerl and its baseline back to back and the ratio is the median of per-round
  // ratios: drift on a shared machine moves whole rounds, and cancels out of each ratio. Which
  // side runs first alternates, so what a round's first run leaves behind (freed memory, a
  // collection on a helper thread) falls on each side equally. Each size gets a system of its
  // own, as each postMessage round gets a pair of fresh workers: the 8 MiB rows must not depend
  // on what 200,000 small messages left in the sink's heap (its collections there grew from 1-4
  // to 8-14 mark-compacts per 800 MiB received; see ARCHITECTURE.md, "Big payloads").
  for (const size of SIZES) {
    const q = await pair(2);
    try {
      const source = (await q.system.spawn(actor('payload-source.actor.js'), undefined, { shard: 1 })) as Pid<PayloadSourceMsg>;
      const n = Math.max(10, Math.round(size.n / scale));
      const big = size.bytes >= 64 * KiB;
      const rounds = Math.max(big ? BIG_ROUNDS : 5, runs);
      const mib = (n * size.bytes) / MiB;
      for (const mode of ['copy', 'move'] as const) {
        const go = () => timedCpu(q, n, () => q.system.send(source, { kind: 'go', to: q.sink as Pid<never>, n, bytes: size.bytes, mode, chunk: size.chunk }));
        const base = () => postMessagePayloads(n, size.bytes, mode === 'move');
        await go();
        settle();
        const j: number[] = [];
        const pm: number[] = [];
        const jCpu: number[] = [];
        const pmCpu: number[] = [];
        const keep = (rates: number[], cpus: number[], x: RateAndCpu) => {
          rates.push(x.rate);
          cpus.push(x.cpuMicros / mib);
        };
        for (let r = 0; r < rounds; r++) {
          cfg.progress(`payloads: ${mode} ${size.label}, round ${r + 1}/${rounds}`);
          if (r % 2 === 0) {
            keep(pm, pmCpu, await base());
            keep(j, jCpu, await go());
          } else {
            keep(j, jCpu, await go());
            keep(pm, pmCpu, await base());
          }
        }
        const target = mode === 'copy' ? (big ? 1 : undefined) : size.bytes >= MiB ? 0.8 : undefined;
        const js = sample(j);
        // CPU per MiB over every thread of the process, measured the same way for both: steadier than the wall time.
        const cpu = `CPU per MiB, all threads: ${sample(jCpu).median.toFixed(0)} us vs ${sample(pmCpu).median.toFixed(0)} us (medians of ${rounds} rounds)`;
        const notes = big ? cpu : `${(js.median / ref.median).toFixed(2)}x the core cross-shard row of this run`;
        rows.push({
          group: 'payloads',
          name: `${mode} ${size.label} cross-shard`,
          unit: big ? 'MiB/s' : 'msg/s',
          joerl: big ? toMiBs(js, size.bytes) : js,
          baseline: { name: mode === 'copy' ? 'postMessage copy' : 'postMessage transfer', sample: big ? toMiBs(sample(pm), size.bytes) : sample(pm) },
          ratio: sample(j.map((x, i) => x / pm[i]!)).median,
          ...(target === undefined ? {} : { target }),
          ...(notes === undefined ? {} : { notes }),
        });
      }
    } finally {
      await q.system.shutdown();
    }
  }
  return rows;
}

/** checkLocalSends: what checking and copying in-shard sends costs (the bench runs with NODE_ENV=production: off); one bench unit. */
export async function checkLocalSendsCost(cfg: PayloadsConfig): Promise<Row[]> {
  const { runs } = cfg;
  const scale = cfg.quick ? 4 : 1;
  const inShard: Sample[] = [];
  for (const checked of [false, true]) {
    cfg.progress(`payloads: in-shard, checkLocalSends ${checked ? 'on' : 'off'}`);
    const q = await pair(1, checked);
    try {
      const ticks = await q.system.spawn(actor('source.actor.js'), undefined, { shard: 1 });
      const n = 1_000_000 / scale;
      inShard.push(await repeat(runs, 1, () => timed(q, n, () => q.system.send(ticks as Pid<SourceMsg>, { kind: 'go', to: q.sink as Pid<never>, n, chunk: 1000 }))));
    } finally {
      await q.system.shutdown();
    }
  }
  return [{
    group: 'payloads',
    name: 'in-shard, checkLocalSends on',
    unit: 'msg/s',
    joerl: inShard[1]!,
    baseline: { name: 'checkLocalSends off', sample: inShard[0]! },
    ratio: inShard[1]!.median / inShard[0]!.median,
  }];
}
