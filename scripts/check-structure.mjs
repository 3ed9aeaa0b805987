// Checks the structure the architecture promises: no import cycle in packages/*/src (type-only imports included),
// layers import downward (behaviours never reach into shard/, telemetry never imports the runtime), and no file of
// ours over 450 lines: sources, tests, the bench, the examples and these scripts. Exits 1 and says what broke.
//
//   node scripts/check-structure.mjs [packagesDir]   (a packagesDir of its own: only that tree is read)
import { readFileSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cycles, importGraph, rel } from './lib/import-graph.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const packagesDir = process.argv[2] ?? join(root, 'packages');
const MAX_LINES = 450;
/** The folders whose code files the line cap covers: the packages (tests too), and on the real tree the rest of ours. */
const capped = process.argv[2] === undefined ? [packagesDir, ...['bench', 'examples', 'scripts'].map((d) => join(root, d))] : [packagesDir];
const CODE = /\.(ts|tsx|mts|js|mjs|cjs|erl)$/;

/** Every code file under `dir`, outside node_modules and build output. */
function codeFiles(dir, out = []) {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.name === 'node_modules' || e.name === 'dist' || e.name.startsWith('.')) continue;
    const p = join(dir, e.name);
    if (e.isDirectory()) codeFiles(p, out);
    else if (CODE.test(e.name)) out.push(p);
  }
  return out;
}

const entry = (pkg, file) => join(packagesDir, pkg, 'src', file);
const aliases = {
  '@joerl/telemetry': entry('telemetry', 'index.ts'),
  '@joerl/telemetry/internal': entry('telemetry', 'internal.ts'),
  '@joerl/telemetry/aggregator': entry('telemetry', 'aggregator.ts'),
  '@joerl/runtime': entry('runtime', 'index.ts'),
  '@joerl/health': entry('health', 'index.ts'),
  '@joerl/observer': entry('observer', 'index.ts'),
};

/** Imports that would run a layer backwards: [from folder, forbidden target folder]. */
const FORBIDDEN = [
  [join('runtime', 'src', 'behaviours'), join('runtime', 'src', 'shard')],
  [join('runtime', 'src', 'actor'), join('runtime', 'src', 'shard')],
  [join('runtime', 'src', 'actor'), join('runtime', 'src', 'system')],
  [join('runtime', 'src', 'shard'), join('runtime', 'src', 'system')],
  // node/ (a node's connection to its cluster) sits between shard/ and system/.
  [join('runtime', 'src', 'shard'), join('runtime', 'src', 'node')],
  [join('runtime', 'src', 'actor'), join('runtime', 'src', 'node')],
  [join('runtime', 'src', 'behaviours'), join('runtime', 'src', 'node')],
  [join('runtime', 'src', 'node'), join('runtime', 'src', 'system')],
  [join('telemetry', 'src'), join('runtime', 'src')],
  [join('telemetry', 'src'), join('health', 'src')],
  [join('telemetry', 'src'), join('observer', 'src')],
  [join('runtime', 'src'), join('observer', 'src')],
  [join('runtime', 'src'), join('health', 'src')],
];

const graph = importGraph(packagesDir, aliases);
const problems = [];
for (const scc of cycles(graph)) problems.push(`import cycle: ${scc.map((f) => rel(packagesDir, f)).join(' -> ')}`);
for (const [file, deps] of graph) {
  const from = rel(packagesDir, file);
  for (const d of deps) {
    const to = rel(packagesDir, d);
    for (const [a, b] of FORBIDDEN) if (from.startsWith(a) && to.startsWith(b)) problems.push(`layer violation: ${from} imports ${to}`);
  }
}
let files = 0;
for (const dir of capped) {
  for (const file of codeFiles(dir)) {
    files++;
    const lines = readFileSync(file, 'utf8').split('\n').length - 1;
    const name = dir === packagesDir ? rel(packagesDir, file) : relative(root, file);
    if (lines > MAX_LINES) problems.push(`too long: ${name} has ${lines} lines (at most ${MAX_LINES}; split it by responsibility)`);
  }
}
if (problems.length > 0) {
  for (const p of problems) console.error(p);
  process.exit(1);
}
console.log(`structure ok: ${graph.size} source files, no import cycle, layers downward; none of ${files} code files over ${MAX_LINES} lines`);
