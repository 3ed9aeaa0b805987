// The cluster example: three node processes share a job through a supervised tree; one is killed midway; the others finish it.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

test('three nodes, one SIGKILLed midway: every block is done, the lost node\'s workers run on n1 afterwards', async () => {
  const child = spawn(process.execPath, [fileURLToPath(new URL('../dist/cluster/main.js', import.meta.url))], {
    env: { ...process.env, BLOCKS: '30', ROUNDS: '30000', KILL_AT: '10' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  const code = await new Promise<number | null>((r) => child.once('exit', r));
  assert.is(code, 0, out);
  assert.match(out, /\[n1\] node n2 up/);
  assert.match(out, /\[n1\] node n3 up/);
  assert.match(out, /\[n1\] killing n3 \(SIGKILL\)/);
  assert.match(out, /\[n1\] node n3 down/);
  assert.match(out, /\[n1\] finished: 30 of 30 blocks/);
  assert.match(out, /child n3-0 runs on n1/);
  assert.match(out, /child n3-1 runs on n1/);
  assert.match(out, /child n2-0 runs on n2/);
});

test.run();
