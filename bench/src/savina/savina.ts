// The Savina suite: micro benchmarks in-shard and spread (beside nact and raw postMessage), and parallel ones
// at 1..N shards (beside a single-thread plain-JS run and piscina), each a median of repeated timed runs.
import { Piscina } from 'piscina';
import { ActorSystem, type Inbox, type Pid } from '@joerl/runtime';
import { postMessagePingPong, postMessageThroughput } from '../baselines/post-message.js';
import { compare, repeat, type Row, type Sample } from '../harness.js';
import { NQUEENS_SOLUTIONS, nqueensCount, nqueensPrefixes, piDigits, piScale, piTerm, piTerms, PI_PREFIX, trapezoidArea, trapezoidSlice } from './kernels.js';
import type { Done } from './micro.actor.js';
import * as nact from './nact.js';

const MICRO = new URL('./micro.actor.js', import.meta.url);
const PARALLEL = new URL('./parallel.actor.js', import.meta.url);
const TASKS = new URL('./tasks.js', import.meta.url).href;

export interface SavinaConfig {
  runs: number;
  quick: boolean;
  /** Shards for the spread runs and the top of the scaling curve. */
  threads: number;
  /** Run only benchmarks whose name contains this (case-insensitive). */
  only: string | undefined;
  progress: (what: string) => void;
}

/** Times of one parallel benchmark at 1..N shards and threads, for the scaling chart. */
export interface Scaling {
  name: string;
  single: number;
  joerl: number[];
  piscina: number[];
}

export interface SavinaResult {
  rows: Row[];
  scaling: Scaling[];
}

type Placement = (i: number) => number;
/** Sets up a benchmark's actors; `run` times one execution (ms). */
type Setup = (system: ActorSystem, place: Placement, inbox: Inbox<any>) => Promise<{ run: () => Promise<number>; pids: Pid<any>[] }>;

interface Micro {
  name: string;
  params: string;
  joerl: Setup;
  nact: () => Promise<number>;
  /** Raw postMessage between two threads, where the benchmark is a two-thread exchange. */
  postMessage?: () => Promise<number>;
  /** Time one nact run (ms) and check its result. */
  check: (value: number) => boolean;
}

const now = () => performance.now();
/**
 * Warm-up before the measured runs of a parallel benchmark: every thread
 * compiles the hot code on its own, and a thread that does half the work
 * reaches V8's optimisation thresholds half as fast, so warm-up is by time
 * (at least this many runs and this many ms), not by a fixed count.
 */
const WARMUP = { runs: 4, quickMs: 600, fullMs: 2000 };

async function doneOf(inbox: Inbox<any>, what: string): Promise<Done> {
  const m = (await inbox.receive((x: any) => x?.done === true || typeof x === 'number', { timeoutMs: 300_000 })) as Done | number | undefined;
  if (m === undefined) throw new Error(`${what}: no result within 5 minutes`);
  return typeof m === 'number' ? { done: true, value: m } : m;
}

async function spawnAll(system: ActorSystem, exp: string, count: number, place: Placement, args?: (i: number) => unknown, offset = 0): Promise<Pid<any>[]> {
  return Promise.all(Array.from({ length: count }, (_, i) => system.spawn(MICRO, args?.(i), { export: exp, shard: place(i + offset) }) as Promise<Pid<any>>));
}

/** Sends setup messages carrying `ack` and waits for every ack, so the clock starts on a ready topology. */
async function setUp(system: ActorSystem, inbox: Inbox<any>, sends: Array<[Pid<any>, object]>): Promise<void> {
  for (const [to, msg] of sends) system.send(to, { ...msg, ack: inbox.pid });
  for (let i = 0; i < sends.length; i++) {
    const a = await inbox.receive((m: any) => m?.ack === true, { timeoutMs: 60_000 });
    if (a === undefined) throw new Error('setup was never acknowledged');
  }
}

function microSuite(quick: boolean): Micro[] {
  const q = (full: number, small: number) => (quick ? small : full);
  const pingN = q(40_000, 10_000);
  const countN = q(1_000_000, 200_000);
  const ring = { actors: 100, passes: q(100_000, 20_000) };
  const cham = { creatures: 100, meetings: q(200_000, 20_000) };
  const bigP = { actors: 120, pings: q(20_000, 500) };
  const fjt = { actors: 60, messages: q(10_000, 1_000) };
  const fjc = q(40_000, 10_000);
  const fibN = q(25, 20);
  const FIB: Record<number, number> = { 20: 6765, 25: 75025 };
  return [
    {
      name: 'PingPong', params: `N=${pingN}`,
      joerl: async (system, place, inbox) => {
        const [ping] = await spawnAll(system, 'ping', 1, place);
        const [pong] = await spawnAll(system, 'pong', 1, place, undefined, 1);
        return { pids: [ping!, pong!], run: async () => { const t0 = now(); system.send(ping!, { start: true, n: pingN, pong, report: inbox.pid }); await doneOf(inbox, 'PingPong'); return now() - t0; } };
      },
      nact: () => nact.pingPong(pingN),
      postMessage: async () => (await postMessagePingPong(pingN, 1000)).reduce((a, b) => a + b, 0),
      check: () => true,
    },
    {
      name: 'Counting', params: `N=${countN}`,
      joerl: async (system, place, inbox) => {
        const [producer] = await spawnAll(system, 'producer', 1, place);
        const [counter] = await spawnAll(system, 'counter', 1, place, undefined, 1);
        return {
          pids: [producer!, counter!],
          run: async () => {
            const t0 = now();
            system.send(producer!, { start: true, n: countN, counter, report: inbox.pid });
            const d = await doneOf(inbox, 'Counting');
            if (d.value !== countN) throw new Error(`Counting counted ${d.value}, not ${countN}`);
            return now() - t0;
          },
        };
      },
      nact: () => nact.counting(countN),
      postMessage: async () => (countN / (await postMessageThroughput(countN))) * 1000,
      check: (v) => v === countN,
    },
    {
      name: 'ThreadRing', params: `${ring.actors} actors, ${ring.passes} passes`,
      joerl: async (system, place, inbox) => {
        const nodes = await spawnAll(system, 'ringNode', ring.actors, place);
        await setUp(system, inbox, nodes.map((n, i) => [n, { next: nodes[(i + 1) % nodes.length], report: inbox.pid }]));
        return { pids: nodes, run: async () => { const t0 = now(); system.send(nodes[0]!, ring.passes); await doneOf(inbox, 'ThreadRing'); return now() - t0; } };
      },
      nact: () => nact.threadRing(ring.actors, ring.passes),
      check: () => true,
    },
    {
      name: 'Chameneos', params: `${cham.creatures} chameneos, ${cham.meetings} meetings`,
      joerl: async (system, place, inbox) => {
        const [mall] = await spawnAll(system, 'mall', 1, place);
        const creatures = await spawnAll(system, 'chameneo', cham.creatures, place, (i) => ({ color: i % 3 }), 1);
        return {
          pids: [mall!, ...creatures],
          run: async () => {
            const t0 = now();
            system.send(mall!, { start: true, n: cham.meetings, creatures, report: inbox.pid });
            const d = await doneOf(inbox, 'Chameneos');
            if (d.value !== 2 * cham.meetings) throw new Error(`Chameneos: ${d.value} meetings counted, not ${2 * cham.meetings}`);
            return now() - t0;
          },
        };
      },
      nact: () => nact.chameneos(cham.creatures, cham.meetings),
      check: (v) => v === 2 * cham.meetings,
    },
    {
      name: 'Big', params: `${bigP.actors} actors, ${bigP.pings} pings each`,
      joerl: async (system, place, inbox) => {
        const nodes = await spawnAll(system, 'bigNode', bigP.actors, place);
        const [sink] = await spawnAll(system, 'sink', 1, place);
        return {
          pids: [...nodes, sink!],
          run: async () => {
            await setUp(system, inbox, [[sink!, { expect: bigP.actors, report: inbox.pid }], ...nodes.map((n, i): [Pid<any>, object] => [n, { peers: nodes, n: bigP.pings, sink, seed: i + 1 }])]);
            const t0 = now();
            for (const n of nodes) system.send(n, 'go');
            await doneOf(inbox, 'Big');
            return now() - t0;
          },
        };
      },
      nact: () => nact.big(bigP.actors, bigP.pings),
      check: (v) => v === bigP.actors,
    },
    {
      name: 'Fork-join throughput', params: `${fjt.actors} actors x ${fjt.messages} messages`,
      joerl: async (system, place, inbox) => {
        const workers = await spawnAll(system, 'fjWorker', fjt.actors, place, undefined, 1);
        const [sink] = await spawnAll(system, 'sink', 1, place);
        const [source] = await spawnAll(system, 'fjSource', 1, place);
        return {
          pids: [...workers, sink!, source!],
          run: async () => {
            await setUp(system, inbox, [[sink!, { expect: fjt.actors, report: inbox.pid }], ...workers.map((w): [Pid<any>, object] => [w, { n: fjt.messages, sink }])]);
            const t0 = now();
            system.send(source!, { workers, n: fjt.messages });
            await doneOf(inbox, 'Fork-join throughput');
            return now() - t0;
          },
        };
      },
      nact: () => nact.fjThroughput(fjt.actors, fjt.messages),
      check: (v) => v === fjt.actors,
    },
    {
      name: 'Fork-join create', params: `${fjc} actors`,
      joerl: async (system, place, inbox) => {
        const [creator] = await spawnAll(system, 'fjCreator', 1, place);
        const placement = place(1) === place(0) ? 'local' : 'round-robin';
        return {
          pids: [creator!],
          run: async () => {
            const t0 = now();
            system.send(creator!, { n: fjc, report: inbox.pid, placement });
            const d = await doneOf(inbox, 'Fork-join create');
            if (d.value !== fjc) throw new Error(`Fork-join create: ${d.value} of ${fjc}`);
            return now() - t0;
          },
        };
      },
      nact: () => nact.fjCreate(fjc),
      check: (v) => v === fjc,
    },
    {
      name: 'Fibonacci', params: `N=${fibN}`,
      joerl: async (system, place, inbox) => {
        const placement = place(1) === place(0) ? 'local' : 'round-robin';
        return {
          pids: [],
          run: async () => {
            const t0 = now();
            await system.spawn(MICRO, { n: fibN, parent: inbox.pid, placement }, { export: 'fib', shard: place(0) });
            const d = await doneOf(inbox, 'Fibonacci');
            if (d.value !== FIB[fibN]) throw new Error(`fib(${fibN}) = ${d.value}?`);
            return now() - t0;
          },
        };
      },
      nact: () => nact.fibonacci(fibN),
      check: (v) => v === FIB[fibN],
    },
  ];
}

interface Parallel {
  name: string;
  params: string;
  single: () => void;
  piscina: (pool: Piscina) => Promise<void>;
  joerl: (system: ActorSystem, workers: Pid<any>[], master: Pid<any>, inbox: Inbox<any>) => Promise<void>;
  workerExport: string;
  masterExport: string;
  workers: number;
}

function parallelSuite(): Parallel[] {
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
        const terms = await Promise.all(units.map((w) => pool.run(w, { name: 'pi' }) as Promise<string>));
        checkPi(piDigits(terms.reduce((a, t) => a + BigInt(`0x${t}`), 0n), pi.digits));
      },
      joerl: async (system, workers, master, inbox) => {
        system.send(master, { start: true, workers, digits: pi.digits, chunk: pi.chunk, inFlight: pi.inFlight, report: inbox.pid });
        if ((await doneOf(inbox, 'PiPrecision')).value !== pi.digits) throw new Error('PiPrecision: wrong digits');
      },
    },
  ];
}

const matches = (only: string | undefined, ...names: string[]) => only === undefined || names.some((n) => n.toLowerCase().includes(only.toLowerCase()));

async function time(fn: () => unknown): Promise<number> {
  const t0 = now();
  await fn();
  return now() - t0;
}

export async function savinaBenchmarks(cfg: SavinaConfig): Promise<SavinaResult> {
  const rows: Row[] = [];
  const scaling: Scaling[] = [];
  const { runs, threads } = cfg;
  const wholeGroup = cfg.only !== undefined && 'savina'.includes(cfg.only.toLowerCase());
  const only = wholeGroup ? undefined : cfg.only;
  const inShard: Placement = () => 1;
  const spread: Placement = (i) => (i % threads) + 1;

  const micro = microSuite(cfg.quick).filter((m) => matches(only, 'savina', m.name, 'micro'));
  if (micro.length > 0) {
    const on = await ActorSystem.start({ threads });
    const off = await ActorSystem.start({ threads, telemetry: { enabled: false } });
    try {
      for (const m of micro) {
        const measure = async (system: ActorSystem, place: Placement, label: string): Promise<Sample> => {
          cfg.progress(`savina ${m.name}: joerl ${label}`);
          const inbox = system.inbox();
          const { run, pids } = await m.joerl(system, place, inbox);
          try {
            return await repeat(runs, 1, run);
          } finally {
            for (const p of pids) system.exit(p, 'kill');
            inbox.close();
          }
        };
        const jOn = await measure(on, inShard, 'in-shard');
        const jOff = await measure(off, inShard, 'in-shard, telemetry off');
        const jSpread = await measure(on, spread, `spread over ${threads} shards`);
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
        const base = { group: 'savina', unit: 'ms' };
        rows.push(compare({ ...base, name: `${m.name} in-shard`, joerl: jOn, baseline: { name: 'nact', sample: nactSample }, target: 1, notes: m.params }, false));
        rows.push(compare({ ...base, name: `${m.name} in-shard, telemetry off`, joerl: jOff, baseline: { name: 'nact', sample: nactSample } }, false));
        rows.push(
          compare({ ...base, name: `${m.name} spread over ${threads} shards`, joerl: jSpread, baseline: pm !== undefined ? { name: 'postMessage', sample: pm } : { name: 'nact', sample: nactSample } }, false),
        );
      }
    } finally {
      await Promise.all([on.shutdown(), off.shutdown()]);
    }
  }

  const parallel = parallelSuite().filter((p) => matches(only, 'savina', p.name, 'parallel'));
  if (parallel.length > 0) {
    const warm = { runs: WARMUP.runs, ms: cfg.quick ? WARMUP.quickMs : WARMUP.fullMs };
    // Speed-ups are ratios of two medians: at least five runs each, even with --quick.
    const parRuns = Math.max(runs, 5);
    const singles = new Map<string, Sample>();
    for (const p of parallel) {
      cfg.progress(`savina ${p.name}: single thread`);
      singles.set(p.name, await repeat(parRuns, warm, () => time(p.single)));
    }
    const joerlAt = new Map<string, Sample[]>();
    const piscinaAt = new Map<string, Sample[]>();
    let offAtN: Map<string, Sample> | undefined;
    for (let k = 1; k <= threads; k++) {
      for (const telemetry of k === threads ? [true, false] : [true]) {
        const system = await ActorSystem.start({ threads: k, telemetry: { enabled: telemetry } });
        try {
          for (const p of parallel) {
            cfg.progress(`savina ${p.name}: joerl on ${k} shard${k > 1 ? 's' : ''}${telemetry ? '' : ', telemetry off'}`);
            const inbox = system.inbox();
            const workers = await Promise.all(Array.from({ length: p.workers }, (_, i) => system.spawn(PARALLEL, undefined, { export: p.workerExport, shard: (i % k) + 1 }) as Promise<Pid<any>>));
            const master = (await system.spawn(PARALLEL, undefined, { export: p.masterExport, shard: 1 })) as Pid<any>;
            const s = await repeat(parRuns, warm, () => time(() => p.joerl(system, workers, master, inbox)));
            for (const w of [...workers, master]) system.exit(w, 'kill');
            inbox.close();
            if (telemetry) joerlAt.set(p.name, [...(joerlAt.get(p.name) ?? []), s]);
            else (offAtN ??= new Map()).set(p.name, s);
          }
        } finally {
          await system.shutdown();
        }
      }
      const pool = new Piscina({ filename: TASKS, minThreads: k, maxThreads: k, idleTimeout: 60_000 });
      try {
        for (const p of parallel) {
          cfg.progress(`savina ${p.name}: piscina with ${k} thread${k > 1 ? 's' : ''}`);
          piscinaAt.set(p.name, [...(piscinaAt.get(p.name) ?? []), await repeat(parRuns, warm, () => time(() => p.piscina(pool)))]);
        }
      } finally {
        await pool.destroy();
      }
    }
    for (const p of parallel) {
      const j = joerlAt.get(p.name)!;
      const ps = piscinaAt.get(p.name)!;
      const base = { group: 'savina', unit: 'ms' };
      rows.push(compare({ ...base, name: `${p.name} 1 shard`, joerl: j[0]!, baseline: { name: 'single-thread JS', sample: singles.get(p.name)! }, notes: p.params }, false));
      for (let k = 2; k <= threads; k++) {
        rows.push(compare({ ...base, name: `${p.name} ${k} shards (speed-up)`, joerl: j[k - 1]!, baseline: { name: 'joerl 1 shard', sample: j[0]! }, ...(k === 2 ? { target: 1.8 } : {}) }, false));
      }
      rows.push(compare({ ...base, name: `${p.name} ${threads} shards vs piscina`, joerl: j[threads - 1]!, baseline: { name: `piscina ${threads} threads`, sample: ps[threads - 1]! }, target: 1 }, false));
      const off = offAtN?.get(p.name);
      if (off !== undefined) rows.push(compare({ ...base, name: `${p.name} ${threads} shards, telemetry off`, joerl: off, baseline: { name: `piscina ${threads} threads`, sample: ps[threads - 1]! } }, false));
      scaling.push({ name: p.name, single: singles.get(p.name)!.median, joerl: j.map((s) => s.median), piscina: ps.map((s) => s.median) });
    }
  }
  return { rows, scaling };
}
