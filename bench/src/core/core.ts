// The core's benchmarks: cross-shard throughput and ping-pong against raw postMessage, in-shard against a plain loop, spawn rate and memory.
import { ActorSystem, type Pid } from '@joerl/runtime';
import type SinkB from '../actors/sink.actor.js';
import type SourceB from '../actors/source.actor.js';
import type { SinkDone, SinkMsg } from '../actors/sink.actor.js';
import type { SourceMsg } from '../actors/source.actor.js';
import type { PingMsg, PingReport, PongMsg } from '../actors/ping.actor.js';
import type { SpawnerMsg, SpawnReport } from '../actors/spawner.actor.js';
import { baselineLoop, postMessagePingPong, postMessageThroughput } from '../baselines/post-message.js';
import { sabPingPong } from '../baselines/sab-floor.js';
import { erlangOneWay } from '../erlang/erlang.js';
import { gateFor } from '../gate.js';
import { compare, percentile, repeat, sample, type Row } from '../harness.js';

const actor = (f: string) => new URL(`../actors/${f}`, import.meta.url);

export interface CoreConfig {
  runs: number;
  quick: boolean;
  progress: (what: string) => void;
}

const messagesOf = (cfg: CoreConfig) => (cfg.quick ? 500_000 : 1_000_000);

/** Sends `n` ticks from a source to a sink and returns messages per second. */
async function throughput(system: ActorSystem, from: number, to: number, n: number): Promise<() => Promise<number>> {
  const sink = await system.spawn<typeof SinkB>(actor('sink.actor.js'), undefined, { shard: to });
  const source = await system.spawn<typeof SourceB>(actor('source.actor.js'), undefined, { shard: from });
  const inbox = system.inbox<SinkDone>();
  return async () => {
    system.send(sink as Pid<SinkMsg>, { kind: 'expect', n, report: inbox.pid });
    const t0 = performance.now();
    system.send(source as Pid<SourceMsg>, { kind: 'go', to: sink as Pid<never>, n, chunk: 1000 });
    await inbox.receive();
    return n / ((performance.now() - t0) / 1000);
  };
}

/** Cross-shard one-way throughput beside raw postMessage, and beside Erlang/OTP between two schedulers. */
export async function crossShard(cfg: CoreConfig): Promise<Row[]> {
  const { runs } = cfg;
  const messages = messagesOf(cfg);
  cfg.progress('cross-shard throughput: raw postMessage');
  const pm = await repeat(runs, 0, () => postMessageThroughput(messages));
  cfg.progress('cross-shard throughput: joerl');
  let s;
  const system = await ActorSystem.start({ threads: 2 });
  try {
    const run = await throughput(system, 1, 2, messages);
    s = await repeat(runs, 1, run);
  } finally {
    await system.shutdown();
  }
  const rows = [compare({ group: 'core', name: 'cross-shard one-way', unit: 'msg/s', joerl: s, baseline: { name: 'postMessage', sample: pm }, target: 3 }, true)];
  cfg.progress('cross-scheduler one-way: Erlang/OTP');
  const erl = await erlangOneWay(messages, runs);
  const name = 'cross-shard one-way vs Erlang cross-scheduler';
  if ('skipped' in erl) rows.push({ group: 'core', name, unit: 'msg/s', joerl: s, skipped: erl.skipped });
  else rows.push(compare({ group: 'core', name, unit: 'msg/s', joerl: s, baseline: { name: 'Erlang/OTP +S 2, one process per scheduler', sample: erl.sample }, notes: erl.notes }, true));
  return rows;
}

/**
 * Cross-shard ping-pong round trips (p50) beside raw postMessage between two
 * threads. Rounds run joerl and postMessage back to back, first one then the
 * other in turn, and the ratio is the median of per-round ratios, as the
 * payload rows do: this box's CPUs change speed (see affinity.ts), and a
 * round trip between two of them moves with it. Run as two blocks (all of
 * postMessage, then all of joerl), a speed change between the blocks moved
 * the ratio, not the figures of either side alone.
 */
export async function pingPong(cfg: CoreConfig): Promise<Row[]> {
  const { runs } = cfg;
  const rounds = cfg.quick ? 5_000 : 20_000;
  const warmup = 500;
  // A run's p50 (us) from its round trips (ms each, after `warmup` of warm-up).
  const p50 = (rtts: ArrayLike<number>): number => percentile(Float64Array.from(rtts).sort(), 0.5) * 1000;
  cfg.progress('ping-pong: raw SharedArrayBuffer (the floor)');
  const floor: number[] = [];
  for (let i = 0; i < runs; i++) floor.push(p50(await sabPingPong(rounds, warmup)));
  const system = await ActorSystem.start({ threads: 2 });
  try {
    const ponger = await system.spawn(actor('ping.actor.js'), undefined, { shard: 2, export: 'ponger' });
    const pinger = await system.spawn(actor('ping.actor.js'), undefined, { shard: 1, export: 'pinger' });
    const inbox = system.inbox<PingReport>();
    const joerlRun = async (): Promise<{ p50: number; p99: number }> => {
      system.send(pinger as Pid<PingMsg>, { kind: 'run', to: ponger as Pid<PongMsg>, rounds, warmup, report: inbox.pid });
      const sorted = ((await inbox.receive()) as PingReport).rtts.sort();
      return { p50: percentile(sorted, 0.5) * 1000, p99: percentile(sorted, 0.99) * 1000 };
    };
    const p50s: number[] = [];
    const p99s: number[] = [];
    const pmRtts: number[] = [];
    const pm = async () => p50(await postMessagePingPong(rounds, warmup));
    // Each round on equal CPUs where it can (see Gate): a round with one CPU slow reads both sides in another mode.
    const gate = gateFor(cfg.quick);
    for (let i = 0; i < runs; i++) {
      cfg.progress(`ping-pong: joerl and raw postMessage, round ${i + 1}/${runs}`);
      const round = await gate.run(`round ${i + 1}`, async () => {
        if (i % 2 === 0) {
          const raw = await pm();
          return { ...(await joerlRun()), raw };
        }
        const j = await joerlRun();
        return { ...j, raw: await pm() };
      });
      p50s.push(round.p50);
      p99s.push(round.p99);
      pmRtts.push(round.raw);
    }
    return [
      {
        group: 'core',
        name: 'cross-shard ping-pong p50',
        unit: 'us',
        joerl: sample(p50s),
        baseline: { name: 'postMessage', sample: sample(pmRtts) },
        ratio: sample(pmRtts.map((x, i) => x / p50s[i]!)).median,
        target: 10,
        notes: `ratio: the median of ${runs} rounds' ratios (a round runs both, back to back); p99 ${sample(p99s).median.toFixed(1)} us; the machine's floor (two threads spinning on a SharedArrayBuffer word, no codec or scheduler): p50 ${sample(floor).median.toFixed(2)} us; ${gate.summary()}`,
      },
    ];
  } finally {
    await system.shutdown();
  }
}

/** One-way throughput between two actors of one shard, beside an array queue and a function call. */
export async function inShard(cfg: CoreConfig): Promise<Row[]> {
  const { runs } = cfg;
  const messages = messagesOf(cfg);
  cfg.progress('in-shard: baseline loop');
  const base = await repeat(runs, 0, () => baselineLoop(messages, 1000));
  cfg.progress('in-shard: joerl');
  const system = await ActorSystem.start({ threads: 1 });
  try {
    const run = await throughput(system, 1, 1, messages);
    const s = await repeat(runs, 1, run);
    return [compare({ group: 'core', name: 'in-shard', unit: 'msg/s', joerl: s, baseline: { name: 'array queue + call', sample: base }, target: 0.5 }, true)];
  } finally {
    await system.shutdown();
  }
}

/** Spawn rate of idle actors on one shard, and the heap each one takes. */
export async function spawnRate(cfg: CoreConfig): Promise<Row[]> {
  const spawns = 100_000;
  cfg.progress('spawn rate and heap per idle actor');
  const system = await ActorSystem.start({ threads: 1 });
  try {
    const spawner = await system.spawn(actor('spawner.actor.js'), undefined, { shard: 1 });
    const inbox = system.inbox<SpawnReport>();
    const rates: number[] = [];
    const heaps: number[] = [];
    let gcOn = false;
    for (let i = 0; i < cfg.runs; i++) {
      system.send(spawner as Pid<SpawnerMsg>, { kind: 'spawn', n: spawns, report: inbox.pid });
      const r = (await inbox.receive()) as SpawnReport;
      rates.push(r.n / (r.ms / 1000));
      heaps.push(r.heapPerActor);
      gcOn = r.gc;
    }
    const heap = sample(heaps);
    return [
      { group: 'core', name: 'spawn rate per shard', unit: 'spawn/s', joerl: sample(rates) },
      {
        group: 'core',
        name: `heap per idle actor (${spawns / 1000}k actors)`,
        unit: 'B',
        joerl: heap,
        check: { text: '<= 1024 B', pass: heap.median <= 1024 },
        ...(gcOn ? {} : { notes: 'run with node --expose-gc for exact figures' }),
      },
    ];
  } finally {
    await system.shutdown();
  }
}
