// `npm run health-soak`: a short run prints one parsable summary line; bad flags are rejected.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const SOAK = fileURLToPath(new URL('../health-soak.mjs', import.meta.url));

function run(...args: string[]): Promise<{ code: number | null; out: string }> {
  const child = spawn(process.execPath, [SOAK, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  return new Promise((resolve) => child.once('exit', (code) => resolve({ code, out })));
}

const SUMMARY = /^health-soak: (\d+) lines, healthy (\d+) \((\d+\.\d)%\), degraded (\d+), unhealthy (\d+); issues: (.+); jobs (\d+); load \d+\.\d\d -> \d+\.\d\d; spinners (\d+)$/m;

test('a 3-second soak beside one spinner ends with a summary line whose counts add up', async () => {
  const { code, out } = await run('--duration', '3', '--busy', '--quiet');
  assert.is(code, 0, out);
  const m = out.match(SUMMARY);
  assert.ok(m !== null, `no summary line in:\n${out}`);
  const [lines, healthy, , degraded, unhealthy] = [m[1], m[2], m[3], m[4], m[5]].map(Number) as [number, number, number, number, number];
  assert.ok(lines >= 1, 'at least one health line');
  assert.is(healthy + degraded + unhealthy, lines);
  assert.is(m[8], '1', 'one spinner');
});

test('bad flags get the usage and exit code 2', async () => {
  const { code, out } = await run('--duration', 'soon');
  assert.is(code, 2);
  assert.match(out, /--duration must be a number from 1 to 86400, got "soon"/);
  assert.match(out, /usage: npm run health-soak --/);
});

test.run();
