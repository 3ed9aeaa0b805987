// Shards (and offload workers) start under flags only the main script may use: `node --input-type=module -e ...`.
import { spawn } from 'node:child_process';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { workerExecArgv } from '../../src/system/exec-argv.ts';

const DIST = new URL('../../dist/index.js', import.meta.url).href;
const PLAIN = new URL('../fixtures/plain.actor.js', import.meta.url).href;
const JOBS = new URL('../fixtures/jobs.offload.js', import.meta.url).href;

test('workerExecArgv drops what only the main script can use, with its value, and keeps the rest', () => {
  assert.equal(workerExecArgv(['--input-type=module', '-e', 'code()', '--conditions=dev', '--enable-source-maps']), ['--conditions=dev', '--enable-source-maps']);
  assert.equal(workerExecArgv(['--input-type', 'module', '--eval=x', '-p', 'y', '--check', '-i', '--import', 'tsx']), ['--import', 'tsx']);
  assert.is(workerExecArgv(['--expose-gc', '--enable-source-maps']), undefined, 'nothing to drop: inherited as is');
  assert.is(workerExecArgv([]), undefined);
});

/** Runs `code` as `node <flags> --input-type=module -e <code>`; resolves with its exit code and output. */
function runInputType(flags: string[], code: string): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [...flags, '--input-type=module', '-e', code], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('close', (c) => {
      clearTimeout(timer);
      resolve({ code: c, out });
    });
  });
}

const PROGRAM = `
import { ActorSystem } from ${JSON.stringify(DIST)};
const system = await ActorSystem.start({ threads: 2 });
const inbox = system.inbox();
const pid = await system.spawn(new URL(${JSON.stringify(PLAIN)}), { hello: 1 }, { shard: 2 });
system.send(pid, { replyTo: inbox.pid });
const reply = await inbox.receive(undefined, { timeoutMs: 20000 });
const job = await system.offload(new URL(${JSON.stringify(JOBS)}), { n: 10 });
console.log('RESULT ' + JSON.stringify({ reply, job }));
await system.shutdown();
`;

for (const extra of [[], ['--expose-gc', '--enable-source-maps']]) {
  test(`a system runs under node ${[...extra, '--input-type=module'].join(' ')} -e (shards and offload workers start)`, async () => {
    const r = await runInputType(extra, PROGRAM);
    assert.is(r.code, 0, r.out);
    const line = r.out.split('\n').find((l) => l.startsWith('RESULT '));
    assert.ok(line, r.out);
    assert.equal(JSON.parse(line!.slice(7)), { reply: { from: 'js', shard: 2, args: { hello: 1 } }, job: { n: 10, fib: 55 } });
  });
}

test.run();
