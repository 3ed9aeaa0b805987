// One Savina micro benchmark: joerl in-shard (telemetry on and off) and spread over the shards, beside nact, raw
// postMessage and Erlang/OTP (+S 1 beside one shard, +S N beside N shards).
import { ActorSystem } from '@joerl/runtime';
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
 * In-shard with telemetry on and off, in alternating rounds (on, off, on,
 * off...): drift of a shared machine moves both alike, and the ratio is the
 * median of per-round ratios.
 */
async function pairedOnOff(m: Micro, on: ActorSystem, off: ActorSystem, place: Placement, rounds: number): Promise<{ on: Sample; off: Sample; ratio: number }> {
  const a = await prepare(m, on, place);
  const b = await prepare(m, off, place);
  try {
    await a.run();
    await b.run();
    settle();
    const xs: number[] = [];
    const ys: number[] = [];
    for (let r = 0; r < rounds; r++) {
      xs.push(await a.run());
      ys.push(await b.run());
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
  const on = await ActorSystem.start({ threads });
  const off = await ActorSystem.start({ threads, telemetry: { enabled: false } });
  let paired: { on: Sample; off: Sample; ratio: number };
  let jSpread: Sample;
  try {
    cfg.progress(`savina ${m.name}: joerl in-shard, telemetry on and off in turn`);
    paired = await pairedOnOff(m, on, off, inShard, Math.max(runs, 7));
    cfg.progress(`savina ${m.name}: joerl spread over ${threads} shards`);
    jSpread = await measure(m, on, spread, runs);
  } finally {
    await Promise.all([on.shutdown(), off.shutdown()]);
  }
  const jOn = paired.on;
  const jOff = paired.off;
  cfg.progress(`savina ${m.name}: nact`);
  const nactSample = await repeat(runs, 1, () =>
    time(async () => {
      const v = await m.nact();
      if (!m.check(v)) throw new Error(`nact ${m.name}: wrong result ${v}`);
    }),
  );
  let pm: Sample | undefined;
  if (m.postMessage !== undefined) {
    cfg.progress(`savina ${m.name}: postMessage`);
    pm = await repeat(runs, 0, m.postMessage);
  }
  const [erlName, ...erlParams] = m.erlang;
  cfg.progress(`savina ${m.name}: Erlang/OTP +S 1`);
  const erl1 = await erlangMicro(erlName, erlParams, 1, runs);
  cfg.progress(`savina ${m.name}: Erlang/OTP +S ${threads}`);
  const erlN = await erlangMicro(erlName, erlParams, threads, runs);
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
    },
    compare({ ...base, name: `${m.name} spread over ${threads} shards`, joerl: jSpread, baseline: pm !== undefined ? { name: 'postMessage', sample: pm } : { name: 'nact', sample: nactSample } }, false),
    // Telemetry on, as joerl runs by default; Erlang's schedulers place processes as they like.
    vsErlang(`${m.name} in-shard vs Erlang`, jOn, erl1, 1, 1),
    vsErlang(`${m.name} spread over ${threads} shards vs Erlang`, jSpread, erlN, threads),
  ];
}
