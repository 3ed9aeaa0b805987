// `npm run bench`: its flags, small real runs end to end (each unit in its own process, --repeat), and the Savina parallel actors' answers across shards.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ActorSystem, type Pid } from '@joerl/runtime';
import { NQUEENS_SOLUTIONS, trapezoidArea, trapezoidSlice } from '../src/savina/kernels.ts';
import { UNITS, select } from '../src/units.ts';

const CLI = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
const PARALLEL = new URL('../dist/savina/parallel.actor.js', import.meta.url);

const THREAD_RING_ROWS = [
  'ThreadRing in-shard',
  'ThreadRing in-shard, telemetry off',
  'ThreadRing in-shard, telemetry 100% / off',
  'ThreadRing spread over 2 shards',
  'ThreadRing in-shard vs Erlang',
  'ThreadRing spread over 2 shards vs Erlang',
];

interface Result {
  date: string;
  quick: boolean;
  repeat: number;
  cpuSpeeds: { before: number[] | null; after: number[] | null };
  processes: Array<{ seq: number; pid: number | null; unit: string; repeat: number }>;
  rows: Array<{ name: string; joerl: { median: number }; baseline?: { name: string }; ratio?: number; target?: number; skipped?: string; process?: unknown; notes?: string }>;
  spread?: Array<{ name: string; medians: number[]; median: number; min: number; max: number; spreadPct: number; ratios?: number[] }>;
}

function run(...args: string[]): Promise<{ code: number | null; out: string; err: string; pid: number | undefined }> {
  return runWith(process.env, ...args);
}

function runWith(env: NodeJS.ProcessEnv, ...args: string[]): Promise<{ code: number | null; out: string; err: string; pid: number | undefined }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d));
    child.stderr.on('data', (d: Buffer) => (err += d));
    child.once('exit', (code) => resolve({ code, out, err, pid: child.pid }));
  });
}

test('bad flags get a message that says what to fix, the usage, and exit code 2', async () => {
  const cases: Array<[string[], RegExp]> = [
    [['--bogus'], /unknown flag --bogus/],
    [['--runs', '0'], /--runs must be a positive integer, got 0/],
    [['--repeat', '0'], /--repeat must be a positive integer, got 0/],
    [['--threads', 'two'], /--threads must be a positive integer, got two/],
    [['--threads', '100'], /--threads must be at most 64/],
    [['--only'], /--only needs a value/],
    [['--only', 'no-such-benchmark'], /--only no-such-benchmark matches no benchmark/],
  ];
  for (const [args, want] of cases) {
    const r = await run(...args);
    assert.is(r.code, 2, `exit code for ${args.join(' ')}`);
    assert.match(r.err, want);
    assert.match(r.err, /usage: npm run bench/);
    assert.not.match(r.out, /benchmark\s+joerl/, 'no table after a bad flag');
  }
  const help = await run('--help');
  assert.is(help.code, 0);
  assert.match(help.out, /--quick/);
});

test('the ping-pong row says how its rounds found the CPUs (a round trip between two CPUs moves with them)', async () => {
  const r = await run('--quick', '--runs', '1', '--threads', '2', '--only', 'core/ping-pong', '--json');
  assert.is(r.code, 0, r.err);
  const res = JSON.parse(r.out) as Result;
  const row = res.rows.find((x) => x.name === 'cross-shard ping-pong p50')!;
  assert.match(row.notes ?? '', /floor .*: p50 [\d.]+ us; CPU checks: 1 phase, [0-2] run again, [01] on unequal CPUs, \d+ s of waiting for equal ones$/);
});

test('a small real run: JSON with the figure, its nact baseline and ratio, the process of each row; results and chart saved', async () => {
  const r = await run('--quick', '--runs', '1', '--threads', '2', '--only', 'ThreadRing', '--json');
  assert.is(r.code, 0, r.err);
  const res = JSON.parse(r.out) as Result;
  assert.ok(res.quick);
  const names = res.rows.map((x) => x.name);
  assert.equal(names, THREAD_RING_ROWS);
  const inShard = res.rows[0]!;
  assert.is(inShard.baseline?.name, 'nact');
  assert.ok(inShard.joerl.median > 0 && inShard.ratio! > 0);
  assert.is(inShard.target, 1);
  // Erlang/OTP beside one shard (+S 1) and beside two (+S 2) when erl is installed; skipped, saying why, otherwise.
  for (const [name, schedulers] of [['ThreadRing in-shard vs Erlang', 1], ['ThreadRing spread over 2 shards vs Erlang', 2]] as const) {
    const row = res.rows.find((x) => x.name === name)!;
    if (row.skipped !== undefined) assert.match(row.skipped, /erl not on the PATH/);
    else {
      assert.is(row.baseline?.name, `Erlang/OTP +S ${schedulers}`);
      assert.ok(row.ratio! > 0);
    }
  }
  // Every CPU's kernel time when the run started and ended (null only without taskset), and where the one-thread phases ran.
  for (const speeds of [res.cpuSpeeds.before, res.cpuSpeeds.after]) {
    if (speeds !== null) assert.ok(speeds.length === 2 && speeds.every((ms) => ms > 0), `two CPU timings: ${speeds}`);
  }
  const pairs = res.rows.find((x) => x.name === 'ThreadRing in-shard, telemetry 100% / off')!;
  assert.match(pairs.notes ?? '', res.cpuSpeeds.before === null ? /not pinned to a CPU/ : /pairs, nact and Erlang \+S 1 on cpu[01] \(cpu0 [\d.]+ ms, cpu1 [\d.]+ ms\)/);
  // One unit, one fresh process (not the CLI's own): every row says which.
  assert.is(res.processes.length, 1);
  const p = res.processes[0]!;
  assert.is(p.unit, 'savina/micro/ThreadRing');
  assert.ok(p.pid !== null && p.pid !== r.pid, 'a child process, not the CLI');
  for (const row of res.rows) assert.equal(row.process, { seq: 1, pid: p.pid, unit: p.unit, repeat: 1 });
  // --json prints no progress lines; the saved files are named after the run.
  assert.not.match(r.err, /running|\.\.\./);
  const stem = new URL(`../results/${res.date.replace(/[:.]/g, '-')}`, import.meta.url).href;
  const saved = JSON.parse(readFileSync(new URL(`${stem}.json`), 'utf8')) as { rows: unknown[] };
  assert.is(saved.rows.length, THREAD_RING_ROWS.length);
  assert.ok(existsSync(new URL(`${stem}.svg`)), 'the chart beside the JSON');
});

test('without erl on the PATH, the Erlang/OTP rows are skipped (saying why) and the run still succeeds', async () => {
  const r = await runWith({ ...process.env, PATH: '' }, '--quick', '--runs', '1', '--threads', '2', '--only', 'ThreadRing', '--json');
  assert.is(r.code, 0, r.err);
  const res = JSON.parse(r.out) as Result;
  assert.equal(res.rows.map((x) => x.name), THREAD_RING_ROWS);
  const erl = res.rows.filter((x) => x.name.endsWith('vs Erlang'));
  assert.is(erl.length, 2);
  for (const row of erl) {
    assert.is(row.skipped, 'erl not on the PATH (Debian: apt-get install erlang-base)');
    assert.is(row.ratio, undefined);
  }
});

test('--repeat K runs the selection in K fresh processes and reports each figure across them', async () => {
  const r = await run('--quick', '--runs', '1', '--threads', '2', '--only', 'Counting', '--repeat', '2', '--json');
  assert.is(r.code, 0, r.err);
  const res = JSON.parse(r.out) as Result;
  assert.is(res.repeat, 2);
  assert.equal(res.processes.map((p) => [p.unit, p.repeat]), [['savina/micro/Counting', 1], ['savina/micro/Counting', 2]]);
  assert.is.not(res.processes[0]!.pid, res.processes[1]!.pid);
  assert.is(res.rows.length, 2 * 6, 'every row from each process');
  const spread = res.spread!.find((s) => s.name === 'Counting in-shard')!;
  assert.is(spread.medians.length, 2);
  const own = res.rows.filter((x) => x.name === 'Counting in-shard').map((x) => x.joerl.median);
  assert.equal(spread.medians, own, 'each process median, in process order');
  assert.ok(spread.min <= spread.median && spread.median <= spread.max);
  assert.is(spread.spreadPct, ((spread.max - spread.min) / spread.median) * 100);
  assert.is(spread.ratios!.length, 2);
});

test('every group is made of units a child process runs one at a time: payloads, observer and nodes too', () => {
  assert.is(new Set(UNITS.map((u) => u.id)).size, UNITS.length, 'unit ids are unique');
  assert.equal(select('payloads').map((u) => u.id), ['payloads/sizes', 'payloads/checkLocalSends']);
  assert.equal(select('checkLocalSends').map((u) => u.id), ['payloads/checkLocalSends']);
  assert.equal(select('observer').map((u) => u.id), ['observer/introspection']);
  assert.equal(select('nodes').map((u) => u.id), ['nodes/nats']);
  assert.equal([...new Set(UNITS.map((u) => u.group))], ['core', 'payloads', 'behaviours', 'telemetry', 'observer', 'nodes', 'savina']);
});

test('the nodes group: two node processes and raw NATS on a nats-server of its own; figures for throughput, calls and detection', async () => {
  const r = await run('--quick', '--runs', '1', '--only', 'nodes', '--json');
  assert.is(r.code, 0, r.err);
  const res = JSON.parse(r.out) as { rows: Array<{ group: string; name: string; joerl: { median: number }; baseline?: { name: string } }> };
  const rows = res.rows.filter((x) => x.group === 'nodes');
  assert.equal(rows.map((x) => x.name), ['remote one-way, 2 node processes', 'remote call p50', 'detect a killed node (SIGKILL)', 'detect a frozen node (SIGSTOP)']);
  assert.is(rows[0]!.baseline?.name, 'raw NATS pub/sub');
  assert.is(rows[1]!.baseline?.name, 'raw NATS request/reply');
  for (const x of rows) assert.ok(x.joerl.median > 0, `${x.name} measured`);
});

async function answer(system: ActorSystem, workerExport: string, masterExport: string, start: (workers: Pid<any>[], report: Pid<any>) => object): Promise<number> {
  const inbox = system.inbox();
  try {
    const workers = await Promise.all(Array.from({ length: 6 }, (_, i) => system.spawn(PARALLEL, undefined, { export: workerExport, shard: (i % 2) + 1 }) as Promise<Pid<any>>));
    const master = (await system.spawn(PARALLEL, undefined, { export: masterExport, shard: 1 })) as Pid<any>;
    // Twice: a master and its workers are reused from run to run.
    let value = NaN;
    for (let i = 0; i < 2; i++) {
      system.send(master, start(workers, inbox.pid));
      const done = (await inbox.receive((m: any) => m?.done === true, { timeoutMs: 60_000 })) as { value: number } | undefined;
      if (done === undefined) throw new Error(`${masterExport}: no answer`);
      // The same answer, up to rounding: the trapezoid master adds its workers' areas in the
      // order they arrive from two shards, and floating-point addition is not associative
      // (the 720 orders of its 6 areas give 2 different sums).
      assert.ok(i === 0 || Math.abs(done.value - value) <= 1e-12 * Math.abs(value), `the same answer on the second run: ${done.value} vs ${value}`);
      value = done.value;
    }
    return value;
  } finally {
    inbox.close();
  }
}

test('the Savina parallel actors give the right answers with their workers on two shards', async () => {
  const system = await ActorSystem.start({ threads: 2 });
  try {
    const pieces = 60_000;
    let area = 0;
    for (let i = 0; i < 6; i++) {
      const s = trapezoidSlice(i, 6, pieces);
      area += trapezoidArea(s.left, s.pieces, s.h);
    }
    const trap = await answer(system, 'trapWorker', 'trapMaster', (workers, report) => ({ start: true, workers, pieces, report }));
    assert.ok(Math.abs(trap - area) < 1e-9, `trapezoid ${trap} vs ${area}`);
    const queens = await answer(system, 'nqWorker', 'nqMaster', (workers, report) => ({ start: true, workers, size: 8, threshold: 3, report }));
    assert.is(queens, NQUEENS_SOLUTIONS[8]);
    // The master answers the digit count when every digit matches pi's, -1 otherwise.
    const pi = await answer(system, 'piWorker', 'piMaster', (workers, report) => ({ start: true, workers, digits: 150, chunk: 4, inFlight: 2, report }));
    assert.is(pi, 150);
  } finally {
    await system.shutdown();
  }
});

test.run();
