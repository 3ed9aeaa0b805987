// `npm run bench`: runs the benchmark suite with its baselines in the same run, prints a table, saves JSON.
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { behaviourBenchmarks } from './behaviours/behaviours.js';
import { coreBenchmarks } from './core/core.js';
import { telemetryBenchmarks } from './telemetry/telemetry.js';
import { table, type Row } from './harness.js';

const USAGE = `usage: npm run bench -- [--quick] [--only NAME] [--runs N] [--json]
  --quick     smaller workloads and fewer runs
  --only      run only the groups/benchmarks whose name contains NAME (e.g. core, ping)
  --runs N    measured runs per figure (median and range are reported)
  --json      print the results as JSON instead of a table`;

interface Flags {
  quick: boolean;
  only: string | undefined;
  runs: number | undefined;
  json: boolean;
}

function parse(argv: string[]): Flags {
  const f: Flags = { quick: false, only: undefined, runs: undefined, json: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--quick') f.quick = true;
    else if (a === '--json') f.json = true;
    else if (a === '--only' || a === '--runs') {
      const v = argv[++i];
      if (v === undefined || v.startsWith('--')) fail(`${a} needs a value`);
      if (a === '--only') f.only = v;
      else {
        const n = Number(v);
        if (!Number.isInteger(n) || n < 1) fail(`--runs must be a positive integer, got ${v}`);
        f.runs = n;
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
const runs = flags.runs ?? (flags.quick ? 3 : 5);
const progress = (what: string) => {
  if (!flags.json) process.stderr.write(`\r\x1b[K  running ${what}...`);
};

const rows: Row[] = [];
const want = (name: string) => flags.only === undefined || name.includes(flags.only);
if (want('core') || ['cross', 'ping', 'in-shard', 'spawn'].some((n) => flags.only?.includes(n))) {
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
if (want('behaviours') || ['gen_server', 'supervisor', 'offload'].some((n) => flags.only?.includes(n))) {
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
if (want('telemetry') || flags.only?.includes('scrape') || flags.only?.includes('tracing')) {
  rows.push(...(await telemetryBenchmarks({ runs, messages: 1_000_000, progress })));
}
if (!flags.json) process.stderr.write('\r\x1b[K');

const result = {
  date: new Date().toISOString(),
  node: process.version,
  cpus: cpus().length,
  cpu: cpus()[0]?.model,
  quick: flags.quick,
  runs,
  rows,
};
mkdirSync(new URL('../results/', import.meta.url), { recursive: true });
const file = new URL(`../results/${result.date.replace(/[:.]/g, '-')}.json`, import.meta.url);
writeFileSync(file, JSON.stringify(result, null, 2));

if (flags.json) console.log(JSON.stringify(result, null, 2));
else {
  console.log(`joerl bench  node ${result.node}  ${result.cpus} x ${result.cpu}  runs=${runs}${flags.quick ? ' (quick)' : ''}\n`);
  console.log(table(rows));
  for (const r of rows) if (r.notes) console.log(`  ${r.group}/${r.name}: ${r.notes}`);
  console.log(`\nsaved ${file.pathname}`);
}
