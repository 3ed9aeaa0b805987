// Checks the structure the architecture promises: no import cycle in packages/*/src (type-only imports included),
// layers import downward (behaviours never reach into shard/, telemetry never imports the runtime), no source file
// over 450 lines. Exits 1 and says what broke.
//
//   node scripts/check-structure.mjs [packagesDir]
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cycles, importGraph, rel } from './lib/import-graph.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const packagesDir = process.argv[2] ?? join(root, 'packages');
const MAX_LINES = 450;

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
  const lines = readFileSync(file, 'utf8').split('\n').length - 1;
  if (lines > MAX_LINES) problems.push(`too long: ${from} has ${lines} lines (at most ${MAX_LINES}; split it by responsibility)`);
}
if (problems.length > 0) {
  for (const p of problems) console.error(p);
  process.exit(1);
}
console.log(`structure ok: ${graph.size} files, no import cycle, layers downward, none over ${MAX_LINES} lines`);
