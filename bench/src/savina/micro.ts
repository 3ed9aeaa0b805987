// One Savina micro benchmark: joerl in-shard (telemetry on and off) and spread over the shards, beside nact, raw
// postMessage and Erlang/OTP (+S 1 beside one shard, +S N beside N shards).
import { ActorSystem } from '@joerl/runtime';
import { cpuSpeeds, describeSpeeds, fastest, onOneCpu } from '../affinity.js';
import { erlangMicro, type ErlangResult } from '../erlang/erlang.js';
import { compare, repeat, sample, settle, type Row, type Sample } from '../harness.js';
import { microSuite, type Micro, type Placement } from './micro-suite.js';

export interface MicroConfig {
  runs: number;
  quick: boolean;
  /** Shards for the spread runs. */
  threads: number;
  progress: (what: string) => void;
}

/** The names of the micro benchmarks, in the suite's order. */
export const MICRO_NAMES = microSuite(true).map((m) => m.name);

async function time(fn: () => unknown): Promise<number> {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
}

/** Sets up `m` on `system` with `place`; `done` kills its actors. */
async function prepare(m: Micro, system: ActorSystem, place: Placement): Promise<{ run: () => Promise<number>; done: () => void }> {
  const inbox = system.inbox();
  const { run, pids } = await m.joerl(system, place, inbox);
  return {
    run,
    done: () => {
      for (const p of pids) system.exit(p, 'kill');
      inbox.close();
    },
  };
}

/** Sets up `m` on `system` with `place`, runs it `runs` times after a warm-up, and kills its actors. */
async function measure(m: Micro, system: ActorSystem, place: Placement, runs: number): Promise<Sample> {
  const { run, done } = await prepare(m, system, place);
  try {
    return await repeat(runs, 1, run);
  } finally {
    done();
  }
}

/**
 * Warm-up of the paired rounds: at least this many runs a side, and more
 * until this much time has passed (each side). It was 250 ms: Chameneos
 * (~60-95 ms a run) then warmed up 3-5 runs, and its first measured run
 * with telemetry on still read 118-204 ms against ~95 steady (the side
 * with more code is compiled later). Two runs of five pairs of systems read
 * medians of 0.934 and 0.857 (one pair at 0.73); with a second of warm-up
 * and twice the measured time, 0.944 and 0.945 (this loop on its own in
 * fresh processes, alternating, one CPU, 2026-11-30).
 */
const PAIR_WARMUP = { runs: 3, ms: 1000 };
/** Measured paired rounds: at least the configured runs, more until each side has run this long, at most MAX_PAIRS. */
const PAIR_MEASURE_MS = 600;
const MAX_PAIRS = 41;

/**
 * Pairs of actor systems (telemetry on, telemetry off) the in-shard ratio is
 * measured on, one after the other; the row's ratio is the median pair's.
 * Each system's shards are fresh threads, each with its own JIT: what V8
 * inlines where depends on which code got hot first, and one pair's ratio
 * moved by up to +-0.08 from one process to the next (Chameneos 1.03, 0.86,
 * 0.91 in three fresh processes back to back), far more than the rounds
 * within a pair. Five pairs make the figure a median of five such draws:
 * with three, one or two pairs a third off moved the row (2026-11-30, one
 * full run: ThreadRing 0.68/0.68/1.43, Chameneos 0.68/0.88/0.69, Counting
 * 1.64/1.70/0.65), and a median of five holds against two such pairs. It
 * costs ~70 s more in a full run. Most of those draws were the CPUs: this
 * box's two ran the same kernel 40% apart at times, so each pair runs
 * with every thread on one CPU (see affinity.ts).
 */
const SYSTEM_PAIRS = 5;

/**
 * In-shard with telemetry on and off, in alternating rounds: drift of a
 * shared machine moves both alike, and the ratio is the median of per-round
 * ratios. Which side goes first alternates (on-off, off-on...), so neither
 * always runs just after the other's garbage. Both sides warm up together
 * until their code is compiled: one warm-up run left the first measured
 * rounds of the 5-60 ms benchmarks 2-5x slower than the rest (JIT still at
 * work). A short benchmark gets more rounds, so its ratio rests on ~300 ms
 * a side rather than on seven 5 ms runs.
 */
async function pairedOnOff(m: Micro, on: ActorSystem, off: ActorSystem, place: Placement, rounds: number, quick: boolean): Promise<{ on: Sample; off: Sample; ratio: number }> {
  const a = await prepare(m, on, place);
  const b = await prepare(m, off, place);
  try {
    const warm = quick ? { runs: 1, ms: 0 } : PAIR_WARMUP;
    let spent = 0;
    let warmRuns = 0;
    for (; warmRuns < 200 && (warmRuns < warm.runs || spent < warm.ms); warmRuns++) {
      spent += await a.run();
      await b.run();
    }
    settle();
    const perRun = spent / warmRuns;
    let n = quick ? rounds : Math.min(MAX_PAIRS, Math.max(rounds, Math.ceil(PAIR_MEASURE_MS / perRun)));
    if (n % 2 === 0) n++; // an odd count: the median is one round's ratio
    const xs: number[] = [];
    const ys: number[] = [];
    for (let r = 0; r < n; r++) {
      if (r % 2 === 0) {
        xs.push(await a.run());
        ys.push(await b.run());
      } else {
        ys.push(await b.run());
        xs.push(await a.run());
      }
    }
    return { on: sample(xs), off: sample(ys), ratio: sample(ys.map((y, i) => y / xs[i]!)).median };
  } finally {
    a.done();
    b.done();
  }
}

/** Runs the micro benchmark `name`. */
export async function microBenchmark(name: string, cfg: MicroConfig): Promise<Row[]> {
  const m = microSuite(cfg.quick).find((x) => x.name === name);
  if (m === undefined) throw new Error(`no micro benchmark ${name}`);
  const { runs, threads } = cfg;
  const inShard: Placement = () => 1;
  const spread: Placement = (i) => (i % threads) + 1;
  const pairs: { on: Sample; off: Sample; ratio: number }[] = [];
  let jSpread: Sample | undefined;
  // The one-thread phases (the pairs, nact, Erlang +S 1) run on one CPU, the fastest now (see affinity.ts).
  const speeds = cpuSpeeds();
  const cpu = fastest(speeds);
  let pinned = true;
  const onCpu = async <T>(fn: () => Promise<T>): Promise<T> => {
    const r = await onOneCpu(cpu, fn);
    pinned &&= r.pinned;
    return r.value;
  };
  for (let k = 0; k < (cfg.quick ? 1 : SYSTEM_PAIRS); k++) {
    const on = await ActorSystem.start({ threads });
    const off = await ActorSystem.start({ threads, telemetry: { enabled: false } });
    try {
      cfg.progress(`savina ${m.name}: joerl in-shard, telemetry on and off in turn (pair of systems ${k + 1})`);
      pairs.push(await onCpu(() => pairedOnOff(m, on, off, inShard, Math.max(runs, 7), cfg.quick)));
      if (jSpread === undefined) {
        cfg.progress(`savina ${m.name}: joerl spread over ${threads} shards`);
        jSpread = await measure(m, on, spread, runs);
      }
    } finally {
      await Promise.all([on.shutdown(), off.shutdown()]);
    }
  }
  if (jSpread === undefined) throw new Error(`${m.name}: no spread run`);
  const spreadSample = jSpread;
  // The pair whose ratio is the median: its on and off samples are the in-shard rows' (an odd count of pairs).
  const paired = [...pairs].sort((x, y) => x.ratio - y.ratio)[pairs.length >> 1]!;
  const jOn = paired.on;
  const jOff = paired.off;
  cfg.progress(`savina ${m.name}: nact`);
  const nactSample = await onCpu(() =>
    repeat(runs, 1, () =>
      time(async () => {
        const v = await m.nact();
        if (!m.check(v)) throw new Error(`nact ${m.name}: wrong result ${v}`);
      }),
    ),
  );
  let pm: Sample | undefined;
  if (m.postMessage !== undefined) {
    cfg.progress(`savina ${m.name}: postMessage`);
    pm = await repeat(runs, 0, m.postMessage);
  }
  const [erlName, ...erlParams] = m.erlang;
  cfg.progress(`savina ${m.name}: Erlang/OTP +S 1`);
  const erl1 = await onCpu(() => erlangMicro(erlName, erlParams, 1, runs));
  cfg.progress(`savina ${m.name}: Erlang/OTP +S ${threads}`);
  const erlN = await erlangMicro(erlName, erlParams, threads, runs);
  const where = pinned ? `pairs, nact and Erlang +S 1 on cpu${cpu} (${describeSpeeds(speeds)})` : `not pinned to a CPU (${describeSpeeds(speeds)})`;
  const base = { group: 'savina', unit: 'ms' };
  /** A joerl figure beside Erlang/OTP's (skipped when erl is not installed). */
  const vsErlang = (name: string, joerl: Sample, erl: ErlangResult, schedulers: number, target?: number): Row =>
    'skipped' in erl
      ? { ...base, name, joerl, skipped: erl.skipped, ...(target === undefined ? {} : { target }) }
      : compare({ ...base, name, joerl, baseline: { name: `Erlang/OTP +S ${schedulers}`, sample: erl.sample }, ...(target === undefined ? {} : { target }) }, false);
  return [
    compare({ ...base, name: `${m.name} in-shard`, joerl: jOn, baseline: { name: 'nact', sample: nactSample }, target: 1, notes: 'skipped' in erl1 ? m.params : `${m.params}; ${erl1.notes}` }, false),
    compare({ ...base, name: `${m.name} in-shard, telemetry off`, joerl: jOff, baseline: { name: 'nact', sample: nactSample } }, false),
    {
      ...base,
      name: `${m.name} in-shard, telemetry 100% / off`,
      joerl: jOn,
      baseline: { name: 'telemetry off', sample: jOff },
      ratio: paired.ratio,
      target: 0.9,
      notes: pairs.length > 1 ? `median of ${pairs.length} pairs of systems: ${pairs.map((x) => x.ratio.toFixed(3)).join(', ')}; ${where}` : where,
    },
    compare({ ...base, name: `${m.name} spread over ${threads} shards`, joerl: spreadSample, baseline: pm !== undefined ? { name: 'postMessage', sample: pm } : { name: 'nact', sample: nactSample } }, false),
    // Telemetry on, as joerl runs by default; Erlang's schedulers place processes as they like.
    vsErlang(`${m.name} in-shard vs Erlang`, jOn, erl1, 1, 1),
    vsErlang(`${m.name} spread over ${threads} shards vs Erlang`, spreadSample, erlN, threads),
  ];
}
