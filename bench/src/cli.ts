// `npm run bench`: runs the benchmark suite with its baselines in the same run, prints a table, saves JSON.
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { behaviourBenchmarks } from './behaviours/behaviours.js';
import { coreBenchmarks } from './core/core.js';
import { payloadBenchmarks } from './payloads/payloads.js';
import { nodesBenchmarks } from './nodes/nodes.js';
import { observerBenchmarks } from './observer/observer.js';
import { telemetryBenchmarks } from './telemetry/telemetry.js';
import { chart } from './chart.js';
import { table, type Row } from './harness.js';
import { savinaBenchmarks, type Scaling } from './savina/savina.js';

const USAGE = `usage: npm run bench -- [--quick] [--only NAME] [--threads N] [--runs N] [--json]
  --quick      smaller micro workloads, fewer runs, shorter warm-ups (under 2 minutes)
  --only NAME  run only the groups or benchmarks whose name contains NAME
               (groups: core, payloads, behaviours, telemetry, observer, nodes, savina; e.g. ping, gen_server, NQueens, micro, parallel)
  --threads N  shards for the spread runs and the top of the scaling curve (default: one per core)
  --runs N     measured runs per figure, after a warm-up (median and range are reported)
  --json       print the results as JSON instead of a table`;

interface Flags {
  quick: boolean;
  only: string | undefined;
  runs: number | undefined;
  threads: number;
  json: boolean;
}

function parse(argv: string[]): Flags {
  const f: Flags = { quick: false, only: undefined, runs: undefined, threads: cpus().length, json: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--quick') f.quick = true;
    else if (a === '--json') f.json = true;
    else if (a === '--only' || a === '--runs' || a === '--threads') {
      const v = argv[++i];
      if (v === undefined || v.startsWith('--')) fail(`${a} needs a value`);
      if (a === '--only') f.only = v;
      else {
        const n = Number(v);
        if (!Number.isInteger(n) || n < 1) fail(`${a} must be a positive integer, got ${v}`);
        if (a === '--threads' && n > 64) fail(`--threads must be at most 64, got ${v}`);
        if (a === '--runs') f.runs = n;
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
// Benchmarks measure production: in-shard sends unchecked (checkLocalSends off); the payloads group measures it on too.
process.env.NODE_ENV = 'production';
const runs = flags.runs ?? (flags.quick ? 3 : 5);
const started = performance.now();
const progress = (what: string) => {
  if (flags.json) return;
  const s = ((performance.now() - started) / 1000).toFixed(0);
  process.stderr.write(process.stderr.isTTY ? `\r\x1b[K  [${s}s] running ${what}...` : `  [${s}s] running ${what}\n`);
};

const rows: Row[] = [];
let scaling: Scaling[] = [];
const only = flags.only?.toLowerCase();
/** The group runs when --only names it, or names one of its benchmarks (which it then filters itself). */
const want = (group: string, names: string[]) => only === undefined || group.includes(only) || names.some((n) => n.toLowerCase().includes(only));
const SAVINA = ['savina', 'micro', 'parallel', 'PingPong', 'Counting', 'ThreadRing', 'Chameneos', 'Big', 'Fork-join', 'Fibonacci', 'Trapezoid', 'NQueens', 'PiPrecision'];
if (only !== undefined && ![['core', 'cross', 'ping', 'in-shard', 'spawn', 'heap'], ['payloads', 'copy', 'move', 'checkLocalSends'], ['behaviours', 'gen_server', 'supervisor', 'offload'], ['telemetry', 'scrape', 'tracing'], ['observer', 'processes', 'snapshot'], ['nodes'], SAVINA].some(([g, ...n]) => want(g!, n))) {
  fail(`--only ${flags.only} matches no benchmark`);
}
if (want('core', ['cross', 'ping', 'in-shard', 'spawn', 'heap'])) {
  rows.push(
    ...(await coreBenchmarks({
      runs,
      messages: flags.quick ? 500_000 : 1_000_000,
      rounds: flags.quick ? 5_000 : 20_000,
      spawns: 100_000,
      progress,
    })),
  );
}
if (want('payloads', ['copy', 'move', 'checkLocalSends'])) {
  rows.push(...(await payloadBenchmarks({ runs, quick: flags.quick, progress })));
}
if (want('behaviours', ['gen_server', 'supervisor', 'offload'])) {
  rows.push(
    ...(await behaviourBenchmarks({
      runs,
      calls: flags.quick ? 5_000 : 20_000,
      restarts: flags.quick ? 30 : 200,
      jobs: flags.quick ? 1_000 : 5_000,
      progress,
    })),
  );
}
if (want('telemetry', ['scrape', 'tracing'])) {
  rows.push(...(await telemetryBenchmarks({ runs, messages: 1_000_000, progress })));
}
if (want('observer', ['processes', 'snapshot'])) {
  rows.push(...(await observerBenchmarks({ runs, actors: 100_000, progress })));
}
if (want('nodes', [])) {
  rows.push(...(await nodesBenchmarks({ runs, messages: flags.quick ? 50_000 : 200_000, calls: flags.quick ? 1_000 : 5_000, progress })));
}
if (want('savina', SAVINA.slice(1))) {
  const r = await savinaBenchmarks({ runs, quick: flags.quick, threads: flags.threads, only: flags.only, progress });
  rows.push(...r.rows);
  scaling = r.scaling;
}
if (!flags.json) process.stderr.write('\r\x1b[K');

const result = {
  date: new Date().toISOString(),
  node: process.version,
  cpus: cpus().length,
  cpu: cpus()[0]?.model,
  quick: flags.quick,
  runs,
  threads: flags.threads,
  seconds: Math.round((performance.now() - started) / 1000),
  rows,
  scaling,
};
mkdirSync(new URL('../results/', import.meta.url), { recursive: true });
const stem = result.date.replace(/[:.]/g, '-');
const file = new URL(`../results/${stem}.json`, import.meta.url);
writeFileSync(file, JSON.stringify(result, null, 2));
const svg = chart(rows, scaling, `joerl bench ${result.date}, node ${result.node}, ${result.cpus} x ${result.cpu}, runs=${runs}${flags.quick ? ' (quick)' : ''}`);
const svgFile = svg === null ? null : new URL(`../results/${stem}.svg`, import.meta.url);
if (svg !== null) writeFileSync(svgFile!, svg);

if (flags.json) console.log(JSON.stringify(result, null, 2));
else {
  console.log(`joerl bench  node ${result.node}  ${result.cpus} x ${result.cpu}  runs=${runs}${flags.quick ? ' (quick)' : ''}\n`);
  console.log(table(rows));
  for (const r of rows) if (r.notes) console.log(`  ${r.group}/${r.name}: ${r.notes}`);
  console.log(`\nsaved ${file.pathname}${svgFile ? `\nchart ${svgFile.pathname}` : ''}  (${result.seconds} s)`);
}
