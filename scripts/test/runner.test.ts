// The test runner's own count: skipped tests are neither passed nor failed, and a failure is never cancelled out.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));

test('a file with skipped tests and one failure ends "1 passed, 1 failed" and exits 1', () => {
  const r = spawnSync(process.execPath, ['scripts/test.mjs', 'scripts/test/fixtures/runner/skips.test.ts'], { cwd: root, encoding: 'utf8', env: { ...process.env, JOERL_TEST_VERBOSE: '' } });
  const lines = r.stdout.trim().split('\n');
  assert.is(lines.at(-1), '1 passed, 1 failed', r.stdout);
  assert.is(r.status, 1);
  assert.match(r.stdout, /FAIL scripts\/test\/fixtures\/runner\/skips\.test\.ts {2}\(1 passed, 1 failed, [\d.]+s\) {2}2 skipped/);
});

test('a file that times out is ended with what it started (its process group): no child left running', () => {
  const pidFile = join(mkdtempSync(join(tmpdir(), 'joerl-runner-')), 'pid');
  const r = spawnSync(process.execPath, ['scripts/test.mjs', 'scripts/test/fixtures/runner/hangs.test.ts'], {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, JOERL_TEST_TIMEOUT_MS: '3000', JOERL_RUNNER_PIDFILE: pidFile },
  });
  assert.is(r.stdout.trim().split('\n').at(-1), '0 passed, 1 failed', r.stdout);
  assert.match(r.stdout, /timed out after 3s/);
  const pid = Number(readFileSync(pidFile, 'utf8'));
  assert.ok(pid > 0);
  // Gone, or a zombie waiting to be reaped: SIGKILL is delivered, not awaited. (A process left running stays 'S'.)
  const state = (): string | null => {
    try {
      return /\) (\S)/.exec(readFileSync(`/proc/${pid}/stat`, 'utf8'))?.[1] ?? null;
    } catch {
      return null;
    }
  };
  const until = Date.now() + 5000;
  while (state() !== null && state() !== 'Z' && Date.now() < until) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
  const s = state();
  assert.ok(s === null || s === 'Z', `the file's child ${pid} is still running (state ${s})`);
});

test.run();
