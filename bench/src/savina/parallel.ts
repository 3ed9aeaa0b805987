// The Savina parallel benchmarks (Trapezoid, NQueens, PiPrecision): one benchmark at 1..N shards, beside a
// single-thread plain-JS run and piscina at 1..N threads, each a median of repeated timed runs.
import { Piscina } from 'piscina';
import { ActorSystem, type Inbox, type Pid } from '@joerl/runtime';
import { gateFor } from '../gate.js';
import { compare, interleave, type Row, type Sample } from '../harness.js';
import { NQUEENS_SOLUTIONS, nqueensCount, nqueensPrefixes, piDigits, piScale, piTerm, piTerms, PI_PREFIX, trapezoidArea, trapezoidSlice } from './kernels.js';
import { doneOf } from './micro-suite.js';

const PARALLEL = new URL('./parallel.actor.js', import.meta.url);
const TASKS = new URL('./tasks.js', import.meta.url).href;

/**
 * Warm-up before the measured runs of a parallel benchmark: every thread
 * compiles the hot code on its own, and a thread that does half the work
 * reaches V8's optimisation thresholds half as fast, so warm-up is by time
 * (at least this many runs and this many ms), not by a fixed count.
 */
const WARMUP = { runs: 4, quickMs: 600, fullMs: 2000 };

/** Times of one parallel benchmark at 1..N shards and threads, for the scaling chart. */
export interface Scaling {
  name: string;
  single: number;
  joerl: number[];
  piscina: number[];
}

export interface ParallelConfig {
  runs: number;
  quick: boolean;
  threads: number;
  progress: (what: string) => void;
}

async function time(fn: () => unknown): Promise<number> {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
}

export interface Parallel {
  name: string;
  params: string;
  single: () => void;
  piscina: (pool: Piscina) => Promise<void>;
  joerl: (system: ActorSystem, workers: Pid<any>[], master: Pid<any>, inbox: Inbox<any>) => Promise<void>;
  workerExport: string;
  masterExport: string;
  workers: number;
}

export function parallelSuite(): Parallel[] {
  // Full size even with --quick (which shortens the warm-up instead): a run of a
  // few tens of ms on 2 shards is short enough for one wake-up or GC pause to
  // move a median by 10%, and a speed-up is a ratio of two medians.
  const trap = { pieces: 10_000_000, workers: 100 };
  const nq = { size: 13, threshold: 4, workers: 20 };
  const pi = { digits: 5_000, chunk: 4, inFlight: 4, workers: 20 };
  const checkArea = (a: number) => {
    if (Math.abs(a - 0.2710807519529568) > 1e-6) throw new Error(`Trapezoid: area ${a}`);
  };
  const checkQueens = (n: number) => {
    if (n !== NQUEENS_SOLUTIONS[nq.size]) throw new Error(`NQueens: ${n} solutions for ${nq.size}`);
  };
  const checkPi = (digits: string) => {
    if (!PI_PREFIX.startsWith(digits.slice(0, PI_PREFIX.length))) throw new Error('PiPrecision: wrong digits');
  };
  return [
    {
      name: 'Trapezoid', params: `${trap.pieces} pieces, ${trap.workers} workers`, workers: trap.workers, workerExport: 'trapWorker', masterExport: 'trapMaster',
      single: () => {
        let a = 0;
        for (let i = 0; i < trap.workers; i++) {
          const s = trapezoidSlice(i, trap.workers, trap.pieces);
          a += trapezoidArea(s.left, s.pieces, s.h);
        }
        checkArea(a);
      },
      piscina: async (pool) => {
        const parts = await Promise.all(Array.from({ length: trap.workers }, (_, i) => pool.run(trapezoidSlice(i, trap.workers, trap.pieces), { name: 'trapezoid' }) as Promise<number>));
        checkArea(parts.reduce((a, b) => a + b, 0));
      },
      joerl: async (system, workers, master, inbox) => {
        system.send(master, { start: true, workers, pieces: trap.pieces, report: inbox.pid });
        checkArea((await doneOf(inbox, 'Trapezoid')).value);
      },
    },
    {
      name: 'NQueens', params: `N=${nq.size}, threshold ${nq.threshold}, ${nq.workers} workers`, workers: nq.workers, workerExport: 'nqWorker', masterExport: 'nqMaster',
      single: () => checkQueens(nqueensPrefixes(nq.size, nq.threshold).reduce((n, b) => n + nqueensCount(nq.size, b), 0)),
      piscina: async (pool) => {
        const boards = nqueensPrefixes(nq.size, nq.threshold);
        const counts = await Promise.all(boards.map((board) => pool.run({ size: nq.size, board }, { name: 'nqueens' }) as Promise<number>));
        checkQueens(counts.reduce((a, b) => a + b, 0));
      },
      joerl: async (system, workers, master, inbox) => {
        system.send(master, { start: true, workers, size: nq.size, threshold: nq.threshold, report: inbox.pid });
        checkQueens((await doneOf(inbox, 'NQueens')).value);
      },
    },
    {
      name: 'PiPrecision', params: `${pi.digits} digits, ${pi.chunk} terms per message, ${pi.workers} workers with ${pi.inFlight} messages in flight each`, workers: pi.workers, workerExport: 'piWorker', masterExport: 'piMaster',
      single: () => {
        const scale = piScale(pi.digits);
        let sum = 0n;
        for (let k = 0, n = piTerms(pi.digits); k < n; k++) sum += piTerm(k, scale);
        checkPi(piDigits(sum, pi.digits));
      },
      piscina: async (pool) => {
        const n = piTerms(pi.digits);
        const units = Array.from({ length: Math.ceil(n / pi.chunk) }, (_, i) => ({ k: i * pi.chunk, count: Math.min(pi.chunk, n - i * pi.chunk), digits: pi.digits }));
        const terms = await Promise.all(units.map((w) => pool.run(w, { name: 'pi' }) as Promise<bigint>));
        checkPi(piDigits(terms.reduce((a, t) => a + t, 0n), pi.digits));
      },
      joerl: async (system, workers, master, inbox) => {
        system.send(master, { start: true, workers, digits: pi.digits, chunk: pi.chunk, inFlight: pi.inFlight, report: inbox.pid });
        if ((await doneOf(inbox, 'PiPrecision')).value !== pi.digits) throw new Error('PiPrecision: wrong digits');
      },
    },
  ];
}

/** A system or a pool set up for one benchmark, timed run by run. */
interface Contender {
  label: string;
  run: () => Promise<number>;
  close: () => Promise<void>;
}

async function joerlContender(p: Parallel, shards: number, telemetry: boolean): Promise<Contender> {
  const system = await ActorSystem.start({ threads: shards, telemetry: { enabled: telemetry } });
  try {
    const inbox = system.inbox();
    const workers = await Promise.all(Array.from({ length: p.workers }, (_, i) => system.spawn(PARALLEL, undefined, { export: p.workerExport, shard: (i % shards) + 1 }) as Promise<Pid<any>>));
    const master = (await system.spawn(PARALLEL, undefined, { export: p.masterExport, shard: 1 })) as Pid<any>;
    return {
      label: `joerl on ${shards} shard${shards > 1 ? 's' : ''}${telemetry ? '' : ', telemetry off'}`,
      run: () => time(() => p.joerl(system, workers, master, inbox)),
      close: () => system.shutdown(),
    };
  } catch (err) {
    await system.shutdown();
    throw err;
  }
}

function piscinaContender(p: Parallel, threads: number): Contender {
  const pool = new Piscina({ filename: TASKS, minThreads: threads, maxThreads: threads, idleTimeout: 60_000 });
  return { label: `piscina with ${threads} thread${threads > 1 ? 's' : ''}`, run: () => time(() => p.piscina(pool)), close: () => pool.destroy() };
}

/** Times one contender's runs after its warm-up, then closes it. */
async function alone(c: Contender, runs: number, warm: { runs: number; ms: number }): Promise<Sample> {
  try {
    return (await interleave(runs, warm, [c.run]))[0]!;
  } finally {
    await c.close();
  }
}

/**
 * Runs the parallel benchmark `name` (its rows and its scaling curve): plain
 * JS on this thread, joerl at 1..N shards (and at N with telemetry off),
 * piscina at 1..N threads, one after another; the speed-ups, the scaling
 * curve and the telemetry-off row come from these. Then joerl at N shards and piscina at N threads are
 * set up together and their runs alternate (see interleave), for the row that
 * compares them: timed phase after phase, a box whose CPUs changed speed in
 * between gave Trapezoid 0.88x piscina in a full run and 1.04x alone.
 * Each ratio's two sides come from one protocol: a speed-up from runs on
 * their own (joerl at one shard has no partner to alternate with), the
 * comparison from alternating runs. (A full run that took the speed-ups from
 * the alternating runs read Trapezoid 1.79x and PiPrecision 1.72x, the run
 * before 1.83x and 1.83x; alone right after, 1.83x and 2.05x.) (The pair only: with all six
 * contenders kept and taken in turn, one run read every two-thread figure
 * 25-40% slower than alone.) Every phase runs on equal CPUs where it can (see Gate).
 */
export async function parallelBenchmark(name: string, cfg: ParallelConfig): Promise<{ rows: Row[]; scaling: Scaling[] }> {
  const p = parallelSuite().find((x) => x.name === name);
  if (p === undefined) throw new Error(`no parallel benchmark ${name}`);
  const { runs, threads } = cfg;
  const warm = { runs: WARMUP.runs, ms: cfg.quick ? WARMUP.quickMs : WARMUP.fullMs };
  // Speed-ups are ratios of two medians: at least five runs each, even with --quick.
  const parRuns = Math.max(runs, 5);
  const gate = gateFor(cfg.quick);
  cfg.progress(`savina ${p.name}: single thread`);
  const single = await gate.run('single thread', () => alone({ label: 'single thread', run: () => time(p.single), close: async () => {} }, parRuns, warm));
  const j: Sample[] = [];
  const ps: Sample[] = [];
  for (let k = 1; k <= threads; k++) {
    cfg.progress(`savina ${p.name}: joerl on ${k} shard${k > 1 ? 's' : ''}`);
    j.push(await gate.run(`${k} shard${k > 1 ? 's' : ''}`, async () => alone(await joerlContender(p, k, true), parRuns, warm)));
    cfg.progress(`savina ${p.name}: piscina with ${k} thread${k > 1 ? 's' : ''}`);
    ps.push(await gate.run(`piscina ${k}`, () => alone(piscinaContender(p, k), parRuns, warm)));
  }
  cfg.progress(`savina ${p.name}: joerl on ${threads} shards and piscina with ${threads} threads, run for run`);
  const [paired, pN] = await gate.run('alternating', async () => {
    const pair: Contender[] = [];
    try {
      pair.push(await joerlContender(p, threads, true));
      pair.push(piscinaContender(p, threads));
      return (await interleave(parRuns, warm, pair.map((c) => c.run))) as [Sample, Sample];
    } finally {
      for (const c of pair) await c.close();
    }
  });
  cfg.progress(`savina ${p.name}: joerl on ${threads} shards, telemetry off`);
  const off = await gate.run('telemetry off', async () => alone(await joerlContender(p, threads, false), parRuns, warm));
  const rows: Row[] = [];
  const base = { group: 'savina', unit: 'ms' };
  rows.push(compare({ ...base, name: `${p.name} 1 shard`, joerl: j[0]!, baseline: { name: 'single-thread JS', sample: single }, notes: `${p.params}; ${gate.notes('single thread', '1 shard')}` }, false));
  for (let k = 2; k <= threads; k++) {
    rows.push(compare({ ...base, name: `${p.name} ${k} shards (speed-up)`, joerl: j[k - 1]!, baseline: { name: 'joerl 1 shard', sample: j[0]! }, ...(k === 2 ? { target: 1.8 } : {}), notes: gate.notes('1 shard', `${k} shards`) }, false));
  }
  rows.push(compare({ ...base, name: `${p.name} ${threads} shards vs piscina`, joerl: paired, baseline: { name: `piscina ${threads} threads`, sample: pN }, target: 1, notes: `alternating runs; on their own, joerl ${j[threads - 1]!.median.toFixed(1)} ms and piscina ${ps[threads - 1]!.median.toFixed(1)} ms; ${gate.notes('alternating')}` }, false));
  rows.push(compare({ ...base, name: `${p.name} ${threads} shards, telemetry off`, joerl: off, baseline: { name: `piscina ${threads} threads`, sample: ps[threads - 1]! }, notes: gate.notes('telemetry off', `piscina ${threads}`) }, false));
  return { rows, scaling: [{ name: p.name, single: single.median, joerl: j.map((s) => s.median), piscina: ps.map((s) => s.median) }] };
}

/** The names of the parallel benchmarks, in the suite's order. */
export const PARALLEL_NAMES = parallelSuite().map((p) => p.name);
