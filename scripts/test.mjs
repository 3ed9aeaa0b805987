// Runs every *.test.ts file in its own Node process (with tsx) and ends with one line: "N passed, N failed".
//
//   node scripts/test.mjs                 all tests
//   node scripts/test.mjs registry timer  only files whose path contains one of the words
//
// A file that crashes, hangs past FILE_TIMEOUT_MS, or does not exit after its
// tests finish (a leaked handle) counts as a failure.
import { spawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const FILE_TIMEOUT_MS = Number(process.env.JOERL_TEST_TIMEOUT_MS ?? 240_000);
const EXIT_GRACE_MS = 10_000;
const JOBS = Number(process.env.JOERL_TEST_JOBS ?? 1);
const filters = process.argv.slice(2);

function find(dir, out = []) {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return out;
  }
  for (const e of entries) {
    if (e.name === 'node_modules' || e.name === 'dist' || e.name === 'fixtures') continue;
    const p = join(dir, e.name);
    if (e.isDirectory()) find(p, out);
    else if (e.name.endsWith('.test.ts')) out.push(p);
  }
  return out;
}

const dirs = [
  ...readdirSync(join(root, 'packages')).map((p) => join(root, 'packages', p, 'test')),
  join(root, 'bench', 'test'),
  join(root, 'examples', 'test'),
  join(root, 'scripts', 'test'),
];
const files = dirs
  .filter((d) => {
    try {
      return statSync(d).isDirectory();
    } catch {
      return false;
    }
  })
  .flatMap((d) => find(d))
  .filter((f) => filters.length === 0 || filters.some((w) => f.includes(w)))
  .sort();
// A filter that names a .test.ts file outside the test folders (a fixture of the runner's own test) runs it too.
for (const f of filters) {
  const p = resolve(root, f);
  if (f.endsWith('.test.ts') && !files.includes(p) && statSync(p, { throwIfNoEntry: false })?.isFile()) files.push(p);
}

const strip = (s) => s.replace(/\x1b\[[0-9;]*m/g, '');

// Each test file runs in a process group of its own, so what it started (a nats-server, node processes)
// ends with it: when it times out, when it has finished, and when the runner itself is stopped.
const running = new Set();
function killGroup(child) {
  try {
    process.kill(-child.pid, 'SIGKILL');
  } catch {
    // (The group is gone already.)
  }
}
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => {
    for (const child of running) killGroup(child);
    process.exit(130);
  });
}

function runFile(file) {
  return new Promise((resolve) => {
    const started = performance.now();
    const child = spawn(process.execPath, ['--import', 'tsx', '--enable-source-maps', file], {
      cwd: root,
      env: { ...process.env, FORCE_COLOR: '0', NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    running.add(child);
    let out = '';
    let summaryAt = 0;
    let killedFor = null;
    const onData = (d) => {
      out += d;
      if (summaryAt === 0 && /Duration:/.test(strip(out))) {
        summaryAt = performance.now();
        graceTimer = setTimeout(() => {
          killedFor = `did not exit within ${EXIT_GRACE_MS / 1000}s after its tests finished (a leaked handle?)`;
          killGroup(child);
        }, EXIT_GRACE_MS);
      }
    };
    let graceTimer = null;
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    const timer = setTimeout(() => {
      killedFor = `timed out after ${FILE_TIMEOUT_MS / 1000}s`;
      killGroup(child);
    }, FILE_TIMEOUT_MS);
    child.on('close', (code, signal) => {
      running.delete(child);
      // Anything the file left running (its own children) ends with it.
      killGroup(child);
      clearTimeout(timer);
      if (graceTimer) clearTimeout(graceTimer);
      const text = strip(out);
      // uvu's summary lines (anchored: a test's own output may hold "heapTotal: 123"). Its Total counts the
      // tests that ran; Skipped (test.skip, and the others when one is test.only) is apart from it.
      const total = Number(/^\s*Total:\s+(\d+)\s*$/m.exec(text)?.[1] ?? NaN);
      const passed = Number(/^\s*Passed:\s+(\d+)\s*$/m.exec(text)?.[1] ?? NaN);
      const skipped = Number(/^\s*Skipped:\s+(\d+)\s*$/m.exec(text)?.[1] ?? 0);
      let p = 0;
      let f = 0;
      const notes = [];
      if (Number.isNaN(total) || Number.isNaN(passed)) {
        f = 1;
        notes.push(`no test summary (exit ${code ?? signal})`);
      } else {
        p = passed;
        f = total - passed;
        if (skipped > 0) notes.push(`${skipped} skipped`);
        if (total === 0) {
          f = 1;
          notes.push('ran no test');
        }
        if (f === 0 && (code !== 0 || killedFor)) {
          f = 1;
          notes.push(`process ended badly (exit ${code ?? signal})`);
        }
      }
      if (killedFor) notes.push(killedFor);
      resolve({ file, passed: p, failed: f, notes, out, ms: performance.now() - started });
    });
  });
}

if (files.length === 0) {
  console.log('0 passed, 1 failed');
  console.error('no test files found');
  process.exit(1);
}

let passed = 0;
let failed = 0;
const queue = [...files];
const started = performance.now();
async function worker() {
  while (queue.length > 0) {
    const file = queue.shift();
    const r = await runFile(file);
    passed += r.passed;
    failed += r.failed;
    const rel = relative(root, file);
    const mark = r.failed === 0 ? 'ok  ' : 'FAIL';
    console.log(`${mark} ${rel}  (${r.passed} passed, ${r.failed} failed, ${(r.ms / 1000).toFixed(1)}s)${r.notes.length ? `  ${r.notes.join('; ')}` : ''}`);
    if (r.failed > 0 || process.env.JOERL_TEST_VERBOSE) {
      console.log(
        strip(r.out)
          .split('\n')
          .map((l) => `    ${l}`)
          .join('\n'),
      );
    }
  }
}
await Promise.all(Array.from({ length: Math.max(1, JOBS) }, worker));
console.log(`\n${files.length} test files in ${((performance.now() - started) / 1000).toFixed(1)}s`);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed > 0 ? 1 : 0);
