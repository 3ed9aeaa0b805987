// One Savina micro benchmark: joerl in-shard (telemetry on and off) and spread over the shards, beside nact, raw
// postMessage and Erlang/OTP (+S 1 beside one shard, +S N beside N shards).
import { ActorSystem } from '@joerl/runtime';
import { erlangMicro, type ErlangResult } from '../erlang/erlang.js';
import { compare, repeat, type Row, type Sample } from '../harness.js';
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

/** Sets up `m` on `system` with `place`, runs it `runs` times after a warm-up, and kills its actors. */
async function measure(m: Micro, system: ActorSystem, place: Placement, runs: number): Promise<Sample> {
  const inbox = system.inbox();
  const { run, pids } = await m.joerl(system, place, inbox);
  try {
    return await repeat(runs, 1, run);
  } finally {
    for (const p of pids) system.exit(p, 'kill');
    inbox.close();
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
  let jOn: Sample;
  let jOff: Sample;
  let jSpread: Sample;
  try {
    cfg.progress(`savina ${m.name}: joerl in-shard`);
    jOn = await measure(m, on, inShard, runs);
    cfg.progress(`savina ${m.name}: joerl in-shard, telemetry off`);
    jOff = await measure(m, off, inShard, runs);
    cfg.progress(`savina ${m.name}: joerl spread over ${threads} shards`);
    jSpread = await measure(m, on, spread, runs);
  } finally {
    await Promise.all([on.shutdown(), off.shutdown()]);
  }
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
      : compare({ ...base, name, joerl, baseline: { name: `Erlang/OTP +S ${schedulers}`, sample: erl.sample }, notes: erl.notes, ...(target === undefined ? {} : { target }) }, false);
  return [
    compare({ ...base, name: `${m.name} in-shard`, joerl: jOn, baseline: { name: 'nact', sample: nactSample }, target: 1, notes: m.params }, false),
    compare({ ...base, name: `${m.name} in-shard, telemetry off`, joerl: jOff, baseline: { name: 'nact', sample: nactSample } }, false),
    compare({ ...base, name: `${m.name} spread over ${threads} shards`, joerl: jSpread, baseline: pm !== undefined ? { name: 'postMessage', sample: pm } : { name: 'nact', sample: nactSample } }, false),
    // Telemetry on, as joerl runs by default; Erlang's schedulers place processes as they like.
    vsErlang(`${m.name} in-shard vs Erlang`, jOn, erl1, 1, 1),
    vsErlang(`${m.name} spread over ${threads} shards vs Erlang`, jSpread, erlN, threads),
  ];
}
