// Builds every workspace: esbuild transpiles src/**/*.ts file by file into dist/, tsc emits .d.ts and type-checks.
//
//   node scripts/build.mjs            build everything
//   node scripts/build.mjs --quiet    print only failures (used by npm start/test/bench)
//   node scripts/build.mjs --check    `tsc -b` of the whole solution (tsconfig.json): also type-checks tests, bench, examples and scripts
import { build } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { readdirSync, rmSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const quiet = process.argv.includes('--quiet');
const check = process.argv.includes('--check');
const clean = process.argv.includes('--clean');

/** Source folders and where their JavaScript goes. */
const targets = [
  { src: 'packages/telemetry/src', out: 'packages/telemetry/dist' },
  { src: 'packages/runtime/src', out: 'packages/runtime/dist' },
  { src: 'packages/health/src', out: 'packages/health/dist' },
  { src: 'packages/observer/src', out: 'packages/observer/dist' },
  { src: 'bench/src', out: 'bench/dist' },
  { src: 'examples/src', out: 'examples/dist' },
];

function listTs(dir) {
  const out = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...listTs(p));
    else if (/\.(m?ts)$/.test(entry.name) && !entry.name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

const started = performance.now();
for (const t of targets) {
  const src = join(root, t.src);
  const out = join(root, t.out);
  try { statSync(src); } catch { continue; }
  if (clean) rmSync(out, { recursive: true, force: true });
  await build({
    entryPoints: listTs(src),
    outdir: out,
    outbase: src,
    bundle: false,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    sourcemap: 'linked',
    logLevel: 'warning',
  });
}

// Declarations for the published packages (project references keep the order right);
// with --check, the root solution, which references those packages and every checked-only project.
// By path, not node_modules/.bin: typescript-min (the oldest TypeScript the tests check) has a `tsc` bin too.
const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
const r = spawnSync(process.execPath, [tsc, ...(check ? ['-b'] : ['-b', 'packages/telemetry', 'packages/runtime', 'packages/health', 'packages/observer'])], { cwd: root, stdio: 'inherit' });
if (r.status !== 0) process.exit(r.status ?? 1);
if (!quiet) {
  console.log(`built ${targets.map((t) => relative(root, join(root, t.out))).join(', ')} in ${Math.round(performance.now() - started)} ms`);
}
