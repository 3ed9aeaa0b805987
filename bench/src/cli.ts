// `npm run bench`: runs the selected benchmarks, each unit in a fresh process, prints a table and saves JSON.
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { cpuSpeeds, describeSpeeds } from './affinity.js';
import { chart } from './chart.js';
import { table, targetSummary, type Row } from './harness.js';
import { runIsolated } from './isolate.js';
import type { Scaling } from './savina/parallel.js';
import { spreads, spreadTable } from './spread.js';
import { select } from './units.js';

const USAGE = `usage: npm run bench -- [--quick] [--only NAME] [--threads N] [--runs N] [--repeat K] [--json]
  --quick      smaller micro workloads, fewer runs, shorter warm-ups
  --only NAME  run only the groups or benchmarks whose name contains NAME
               (groups: core, payloads, behaviours, telemetry, observer, nodes, savina; e.g. ping, gen_server, NQueens, micro, parallel)
  --threads N  shards for the spread runs and the top of the scaling curve (default: one per core)
  --runs N     measured runs per figure, after a warm-up (median and range are reported)
  --repeat K   run the selection K times, each benchmark in a fresh process every time,
               and report each figure's spread across the K processes
  --json       print the results as JSON instead of a table
Every benchmark (a unit: one Savina benchmark, one core figure...) runs in a process of its own,
so a figure does not depend on what ran before it: a full run and an --only run agree within noise.`;

interface Flags {
  quick: boolean;
  only: string | undefined;
  runs: number | undefined;
  threads: number;
  repeat: number;
  json: boolean;
}

function parse(argv: string[]): Flags {
  const f: Flags = { quick: false, only: undefined, runs: undefined, threads: cpus().length, repeat: 1, json: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--quick') f.quick = true;
    else if (a === '--json') f.json = true;
    else if (a === '--only' || a === '--runs' || a === '--threads' || a === '--repeat') {
      const v = argv[++i];
      if (v === undefined || v.startsWith('--')) fail(`${a} needs a value`);
      if (a === '--only') f.only = v;
      else {
        const n = Number(v);
        if (!Number.isInteger(n) || n < 1) fail(`${a} must be a positive integer, got ${v}`);
        if (a === '--threads' && n > 64) fail(`--threads must be at most 64, got ${v}`);
        if (a === '--runs') f.runs = n;
        else if (a === '--repeat') f.repeat = n;
        else f.threads = n;
      }
    } else if (a === '--help' || a === '-h') {
      console.log(USAGE);
      process.exit(0);
    } else fail(`unknown flag ${a}`);
  }
  return f;
}

function fail(msg: string): never {
  console.error(`bench: ${msg}\n${USAGE}`);
  process.exit(2);
}

const flags = parse(process.argv.slice(2));
const units = select(flags.only);
if (units.length === 0) fail(`--only ${flags.only} matches no benchmark`);
// Benchmarks measure production: in-shard sends unchecked (checkLocalSends off); the payloads group measures it on too.
// (Set before any child is forked: each inherits it.)
process.env.NODE_ENV = 'production';
const runs = flags.runs ?? (flags.quick ? 3 : 5);
const started = performance.now();
const loadBefore = loadavg();
// How fast each CPU runs one kernel, before and after (see affinity.ts): a shared host's CPUs may differ, and drift.
const speedsBefore = cpuSpeeds();
let current = '';
const progress = (what: string) => {
  if (flags.json) return;
  const s = ((performance.now() - started) / 1000).toFixed(0);
  const line = `[${s}s] ${current}: ${what}...`;
  process.stderr.write(process.stderr.isTTY ? `\r\x1b[K  ${line}` : `  ${line}\n`);
};

const rows: Row[] = [];
const scaling: Scaling[] = [];
const processes: Array<{ seq: number; pid: number | null; unit: string; repeat: number; seconds: number; error?: string }> = [];
// Repeats go round the whole selection (not K times the same unit in a row): drift on a shared
// machine then spreads over every unit instead of landing on one.
for (let repeat = 1; repeat <= flags.repeat; repeat++) {
  for (const unit of units) {
    const seq = processes.length + 1;
    current = flags.repeat > 1 ? `${unit.id} (${repeat}/${flags.repeat})` : unit.id;
    try {
      const r = await runIsolated(unit.id, { runs, quick: flags.quick, threads: flags.threads, progress });
      const tag = { seq, pid: r.pid, unit: unit.id, repeat };
      for (const row of r.rows) rows.push({ ...row, process: tag });
      if (repeat === 1) scaling.push(...r.scaling);
      processes.push({ ...tag, seconds: Math.round(r.seconds) });
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      process.stderr.write(`${process.stderr.isTTY ? '\r\x1b[K' : ''}bench: ${message}\n`);
      processes.push({ seq, pid: null, unit: unit.id, repeat, seconds: 0, error: message });
    }
  }
}
if (!flags.json && process.stderr.isTTY) process.stderr.write('\r\x1b[K');

const spread = flags.repeat > 1 ? spreads(rows) : undefined;
const result = {
  date: new Date().toISOString(),
  node: process.version,
  cpus: cpus().length,
  cpu: cpus()[0]?.model,
  quick: flags.quick,
  runs,
  threads: flags.threads,
  repeat: flags.repeat,
  /** Load averages (1, 5, 15 min) when the run started and ended: a figure from a loaded machine says so. */
  load: { before: loadBefore, after: loadavg() },
  /** The calibration kernel's ms on each CPU when the run started and ended (null: no taskset): CPUs apart mean a 2-shard figure waits on the slower. */
  cpuSpeeds: { before: speedsBefore, after: cpuSpeeds() },
  seconds: Math.round((performance.now() - started) / 1000),
  processes,
  rows,
  scaling,
  ...(spread === undefined ? {} : { spread }),
};
mkdirSync(new URL('../results/', import.meta.url), { recursive: true });
const stem = result.date.replace(/[:.]/g, '-');
const file = new URL(`../results/${stem}.json`, import.meta.url);
writeFileSync(file, JSON.stringify(result, null, 2));
const first = rows.filter((r) => r.process?.repeat === 1);
const caption = `joerl bench ${result.date}, node ${result.node}, ${result.cpus} x ${result.cpu}, runs=${runs}${flags.quick ? ' (quick)' : ''}`;
const svg = chart(first, scaling, caption);
const svgFile = svg === null ? null : new URL(`../results/${stem}.svg`, import.meta.url);
if (svg !== null) writeFileSync(svgFile!, svg);

if (flags.json) console.log(JSON.stringify(result, null, 2));
else {
  const load = (l: number[]) => l.map((x) => x.toFixed(2)).join(' ');
  console.log(`joerl bench  node ${result.node}  ${result.cpus} x ${result.cpu}  runs=${runs}${flags.quick ? ' (quick)' : ''}  load ${load(result.load.before)} -> ${load(result.load.after)}`);
  console.log(`CPU speeds (one kernel on each CPU): ${describeSpeeds(result.cpuSpeeds.before)} -> ${describeSpeeds(result.cpuSpeeds.after)}\n`);
  if (spread === undefined) {
    console.log(table(rows));
    for (const r of rows) if (r.notes) console.log(`  ${r.group}/${r.name}: ${r.notes}`);
    console.log(`\n${targetSummary(rows)}`);
  } else {
    console.log(`each figure from ${flags.repeat} fresh processes\n`);
    console.log(spreadTable(spread));
  }
  console.log(`\nsaved ${file.pathname}${svgFile ? `\nchart ${svgFile.pathname}` : ''}  (${result.seconds} s, ${processes.length} processes)`);
}
if (processes.some((p) => p.error !== undefined)) process.exit(1);
