// The test runner's own count: skipped tests are neither passed nor failed, and a failure is never cancelled out.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));

test('a file with skipped tests and one failure ends "1 passed, 1 failed" and exits 1', () => {
  const r = spawnSync(process.execPath, ['scripts/test.mjs', 'scripts/test/fixtures/runner/skips.test.ts'], { cwd: root, encoding: 'utf8', env: { ...process.env, JOERL_TEST_VERBOSE: '' } });
  const lines = r.stdout.trim().split('\n');
  assert.is(lines.at(-1), '1 passed, 1 failed', r.stdout);
  assert.is(r.status, 1);
  assert.match(r.stdout, /FAIL scripts\/test\/fixtures\/runner\/skips\.test\.ts {2}\(1 passed, 1 failed, [\d.]+s\) {2}2 skipped/);
});

test.run();
