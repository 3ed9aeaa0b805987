// Behaviour benchmarks: GenServer call round trips beside raw ping-pong, supervisor restart latency, offload beside piscina.
import { fileURLToPath } from 'node:url';
import { ActorSystem, type Pid } from '@joerl/runtime';
import type { CallerReport, OffloadReport } from '../actors/call.actor.js';
import type { PingMsg, PongMsg, WallReport } from '../actors/ping.actor.js';
import { cpuSpeeds, describeSpeeds, fastest, onOneCpu } from '../affinity.js';
import { gateFor } from '../gate.js';
import { percentile, sample, settle, type Row } from '../harness.js';

const actor = (f: string) => new URL(`../actors/${f}`, import.meta.url);
const JOB = new URL('../../jobs/fib.js', import.meta.url);

export interface BehaviourConfig {
  runs: number;
  quick: boolean;
  progress: (what: string) => void;
}

/**
 * Round trips per second of sequential ping-pong (the core's raw path, for comparison). The pair
 * exits after its run, as callRate's does: a run's actors, left alive, kept their state (here the
 * run's round-trip times) for the rest of the system's life.
 */
async function pingPongRate(system: ActorSystem, a: number, b: number, rounds: number): Promise<number> {
  const ponger = await system.spawn(actor('ping.actor.js'), undefined, { shard: b, export: 'ponger' });
  // Timed by wall clock over the run, as callRate is: no clock read per trip (see wallPinger).
  const pinger = await system.spawn(actor('ping.actor.js'), undefined, { shard: a, export: 'wallPinger' });
  const inbox = system.inbox<WallReport>();
  system.send(pinger as Pid<PingMsg>, { kind: 'run', to: ponger as Pid<PongMsg>, rounds, warmup: 200, report: inbox.pid as never });
  const r = (await inbox.receive()) as WallReport;
  inbox.close();
  await stopAll(system, [pinger, ponger]);
  return rounds / (r.ms / 1000);
}

async function callRate(system: ActorSystem, a: number, b: number, n: number): Promise<number> {
  const server = await system.spawn(actor('call.actor.js'), undefined, { shard: b, export: 'echo' });
  const caller = await system.spawn(actor('call.actor.js'), undefined, { shard: a, export: 'caller' });
  const inbox = system.inbox<CallerReport>();
  system.send(caller as Pid<any>, { kind: 'run', to: server, n: Math.min(n, 2000), report: inbox.pid }); // warm-up
  await inbox.receive();
  system.send(caller as Pid<any>, { kind: 'run', to: server, n, report: inbox.pid });
  const r = (await inbox.receive()) as CallerReport;
  inbox.close();
  await stopAll(system, [caller, server]);
  return r.calls / (r.ms / 1000);
}

/** Kills `pids` and waits for their DOWNs. */
async function stopAll(system: ActorSystem, pids: Pid[]): Promise<void> {
  const inbox = system.inbox<any>();
  for (const pid of pids) {
    inbox.monitor(pid);
    system.exit(pid, 'kill');
  }
  for (let i = 0; i < pids.length; i++) await inbox.receive((m: any) => m?.type === 'DOWN');
  inbox.close();
}

/** Medians of `runs` call runs and `runs` raw ping-pong runs, alternating, after the warm-up (op/s). */
async function callsAndPings(system: ActorSystem, a: number, b: number, n: number, runs: number): Promise<{ calls: number[]; pings: number[] }> {
  // Warm-up: both loops, at least twelve times and for a second and a half. Each tiers up
  // over its first ~100k round trips on this box (later when the compiler thread shares a
  // busy core), and with a 2,000-call warm-up the first measured runs came out at a third to
  // half the speed of the last: the median was a point on the warm-up curve. Twice and half
  // a second was still on it: in-shard calls, printed run by run in the same loop, took
  // 2.6, 2.5, 0.8, 1.0, 0.7, 1.2, 0.8, 0.7, 0.7, 2.0, 2.1, 0.8 us, and 0.6 us from the
  // twelfth run on (2026-11-30), while the row measured 0.8-1.2 us.
  const start = performance.now();
  for (let i = 0; i < 50 && (i < 12 || performance.now() - start < 1500); i++) {
    await callRate(system, a, b, n);
    await pingPongRate(system, a, b, n);
  }
  settle();
  const calls: number[] = [];
  const pings: number[] = [];
  for (let i = 0; i < runs; i++) {
    calls.push(await callRate(system, a, b, n));
    pings.push(await pingPongRate(system, a, b, n));
  }
  return { calls, pings };
}

/**
 * GenServer call round trips in-shard and cross-shard, beside a raw ping-pong on the same path.
 * The in-shard phase runs with every thread on the fastest CPU (see affinity.ts): unpinned, the
 * busy shard's thread could run the calls on one CPU and the ping-pongs on the other, and this
 * box's CPUs differ by up to 40% at times (cpu0 10.1 ms and cpu1 7.2 for one kernel, 2026-12-01).
 */
export async function genServerCalls(cfg: BehaviourConfig): Promise<Row[]> {
  const n = cfg.quick ? 5_000 : 20_000;
  const rows: Row[] = [];
  // Both phases on equal CPUs where it can (see Gate): one full run's in-shard phase, pinned to the faster of
  // cpu0 at 7.7 ms and cpu1 at 13.3, read 0.259 where the other processes read 0.306 and 0.293.
  const gate = gateFor(cfg.quick);
  const system = await ActorSystem.start({ threads: 2 });
  try {
    for (const [label, a, b, target] of [['in-shard', 1, 1, 0.3], ['cross-shard', 1, 2, 0.8]] as const) {
      cfg.progress(`gen_server calls ${label}`);
      let where = '';
      let r: { calls: number[]; pings: number[] };
      if (a === b) {
        const { pinned, speeds, cpu } = await gate.run(label, async () => {
          const speeds = cpuSpeeds();
          const cpu = fastest(speeds);
          return { pinned: await onOneCpu(cpu, () => callsAndPings(system, a, b, n, cfg.runs)), speeds, cpu };
        });
        r = pinned.value;
        where = pinned.pinned ? `; every thread on cpu${cpu} (${describeSpeeds(speeds)})` : `; not pinned to a CPU (${describeSpeeds(speeds)})`;
      } else {
        r = await gate.run(label, () => callsAndPings(system, a, b, n, cfg.runs));
      }
      const c = sample(r.calls);
      const p = sample(r.pings);
      // The median of per-run ratios: a call run and a ping-pong run go back to back, so drift cancels out of each.
      const ratio = sample(r.calls.map((x, i) => x / r.pings[i]!)).median;
      rows.push({
        group: 'behaviours',
        name: `gen_server call ${label}`,
        unit: 'op/s',
        joerl: c,
        baseline: { name: 'raw ping-pong', sample: p },
        ratio,
        target,
        notes: `a call round trip costs ${(1e6 / c.median).toFixed(2)} us vs ${(1e6 / p.median).toFixed(2)} us for a raw ping-pong ${label}; ratio: the median of ${r.calls.length} runs' ratios${where}; ${gate.notes(label)}`,
      });
    }
  } finally {
    await system.shutdown();
  }
  return rows;
}

/** Crash to running replacement, with the child on the supervisor's shard and on another. */
export async function supervisorRestarts(cfg: BehaviourConfig): Promise<Row[]> {
  const restarts = cfg.quick ? 30 : 200;
  const rows: Row[] = [];
  // Every crash would print a crash and a supervisor report on the console: a restart is measured, not the logger.
  const system = await ActorSystem.start({ threads: 2, logLevel: 'silent' });
  try {
    cfg.progress('supervisor restart latency');
    for (const [label, shard] of [['child on the supervisor shard', 1], ['child on another shard', 2]] as const) {
      const inbox = system.inbox<any>();
      await system.spawn(actor('restart.sup.js'), { report: inbox.pid, shard }, { shard: 1 });
      let up = await inbox.receive((m: any) => m?.kind === 'restartee-up');
      const lat: number[] = [];
      for (let i = 0; i < restarts; i++) {
        system.send(up.pid, { kind: 'crash' });
        const crashing = await inbox.receive((m: any) => m?.kind === 'restartee-crashing');
        up = await inbox.receive((m: any) => m?.kind === 'restartee-up');
        lat.push((up.at - crashing.at) * 1000);
      }
      const sorted = lat.slice(5).sort((x, y) => x - y);
      rows.push({
        group: 'behaviours',
        name: `supervisor restart, ${label}`,
        unit: 'us',
        joerl: sample(sorted),
        notes: `crash -> replacement running: p50 ${percentile(sorted, 0.5).toFixed(0)} us, p99 ${percentile(sorted, 0.99).toFixed(0)} us over ${sorted.length} restarts`,
      });
      inbox.close();
    }
  } finally {
    await system.shutdown();
  }
  return rows;
}

/** Jobs per second through `ctx.offload` from an actor, beside piscina used directly (32 in flight each). */
export async function offload(cfg: BehaviourConfig): Promise<Row[]> {
  const jobs = cfg.quick ? 1_000 : 5_000;
  const system = await ActorSystem.start({ threads: 2, offload: { threads: 2 } });
  try {
    cfg.progress('offload throughput: piscina directly and ctx.offload, in alternating runs');
    const { Piscina } = await import('piscina');
    // The job's file given once, as a path (the runtime's pool resolves it once too): a URL string with
    // each run() made piscina parse it per job.
    const pool = new Piscina({ filename: fileURLToPath(JOB), minThreads: 2, maxThreads: 2, idleTimeout: 30_000 });
    const direct: number[] = [];
    const runDirect = async () => {
      const t0 = performance.now();
      let next = 0;
      const lane = async () => {
        while (next < jobs) {
          next++;
          await pool.run({ n: 30 });
        }
      };
      await Promise.all(Array.from({ length: 32 }, lane));
      return jobs / ((performance.now() - t0) / 1000);
    };
    // Both sides warm up alike: at least three rounds and two seconds. The actor path's code runs
    // once per batch in four threads (slices, msgpackr, rings), so it reaches the optimising
    // compiler later than piscina's: TurboFan was still compiling 10-35 functions per 10,000 jobs
    // at 30,000 jobs, and one round of warm-up left the measured runs inside that phase.
    const warm = async (round: () => Promise<unknown>) => {
      const start = performance.now();
      for (let i = 0; i < 20 && (i < 3 || performance.now() - start < 2000); i++) await round();
      settle();
    };
    const offloader = await system.spawn(actor('call.actor.js'), undefined, { shard: 1, export: 'offloader' });
    const inbox = system.inbox<OffloadReport>();
    const runActor = async () => {
      system.send(offloader as Pid<any>, { kind: 'run', job: JOB.href, input: { n: 30 }, n: jobs, inFlight: 32, report: inbox.pid });
      const r = (await inbox.receive()) as OffloadReport;
      return r.jobs / (r.ms / 1000);
    };
    await warm(runDirect);
    await warm(runActor);
    // Alternating, as the parallel group's comparisons with piscina are: drift of a shared machine moves both alike.
    const viaActor: number[] = [];
    for (let i = 0; i < cfg.runs; i++) {
      direct.push(await runDirect());
      viaActor.push(await runActor());
    }
    await pool.destroy();
    const d = sample(direct);
    const v = sample(viaActor);
    return [{ group: 'behaviours', name: 'offload from an actor', unit: 'op/s', joerl: v, baseline: { name: 'piscina directly', sample: d }, ratio: v.median / d.median, target: 0.9 }];
  } finally {
    await system.shutdown();
  }
}
