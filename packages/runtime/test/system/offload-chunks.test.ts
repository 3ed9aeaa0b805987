// Shards' short offload jobs share pool tasks (chunks): each still gets its own answer and its own typed error, and a thread dying mid-chunk fails the chunk's jobs, never hangs them.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { ActorSystem, type Inbox, type Pid } from '@joerl/runtime';
import { expect } from '../helpers.ts';
import type { FanoutJob, FanoutOutcome } from '../fixtures/fanout.actor.ts';

const JOBS = new URL('../fixtures/jobs.offload.js', import.meta.url).href;
const MISSING = new URL('../fixtures/no-such-job.js', import.meta.url).href;
const FANOUT = new URL('../fixtures/fanout.actor.ts', import.meta.url);
const test = suite('offload chunks');
let system: ActorSystem;
let inbox: Inbox;
let fanout: Pid;
test.before(async () => {
  system = await ActorSystem.start({ threads: 2, offload: { threads: 2 } });
  inbox = system.inbox();
  fanout = await system.spawn(FANOUT, inbox.pid, { shard: 1 });
});
test.after(() => system.shutdown());

let round = 0;
async function run(jobs: FanoutJob[]): Promise<FanoutOutcome[]> {
  const tag = `round-${++round}`;
  system.send(fanout, { jobs, tag });
  return (await expect<{ outcomes: FanoutOutcome[] }>(inbox, (m) => m?.event === 'fanout' && m.tag === tag, tag)).outcomes;
}

const echo = (v: number): FanoutJob => ({ url: JOBS, export: 'echo', input: { v } });

test('jobs sent together each get their own answer: results in the right promises, a throwing job, a missing export, an unclonable result, a missing module and a job throwing a string fail alone with their usual typed errors', async () => {
  const odd: FanoutJob[] = [
    { url: JOBS, export: 'fails', input: { message: 'job 3 blew up' } },
    { url: JOBS, export: 'notAFunction', input: {} },
    { url: JOBS, export: 'unclonable', input: {} },
    { url: MISSING, input: {} },
    { url: JOBS, export: 'throwsValue', input: { value: 'a plain string' } },
  ];
  // First every kind once, so the pool has measured them all short (a kind not measured goes alone).
  await run([echo(0), ...odd]);
  await run([echo(0), ...odd]);
  const jobs: FanoutJob[] = [];
  for (let i = 0; i < 12; i++) jobs.push(echo(i));
  jobs.splice(3, 0, odd[0]!);
  jobs.splice(6, 0, odd[1]!);
  jobs.splice(9, 0, odd[2]!);
  jobs.splice(12, 0, odd[3]!);
  jobs.splice(15, 0, odd[4]!);
  const out = await run(jobs);
  assert.is(out.length, 17);
  let v = 0;
  for (let i = 0; i < out.length; i++) {
    const o = out[i]!;
    if (i === 3 || i === 6 || i === 9 || i === 12 || i === 15) {
      assert.is(o.ok, false, `job ${i} failed`);
      continue;
    }
    assert.equal(o, { ok: true, value: { got: { v }, negZeroIn: false } }, `job ${i} got its own result`);
    v++;
  }
  const fail = (i: number) => out[i] as Extract<FanoutOutcome, { ok: false }>;
  assert.is(fail(3).code, 'ERR_OFFLOAD_FAILED');
  assert.match(fail(3).message, 'job 3 blew up');
  assert.is(fail(6).code, 'ERR_OFFLOAD_FAILED');
  assert.match(fail(6).message, /notAFunction|not a function/);
  assert.is(fail(9).code, 'ERR_OFFLOAD_FAILED');
  assert.match(fail(9).message, 'could not be sent back');
  assert.match(fail(9).message, /could not be cloned/, "the clone's own error says what");
  assert.is(fail(12).name, 'ModuleNotFoundError');
  assert.match(fail(12).message, 'no-such-job.js');
  assert.is(fail(15).code, 'ERR_OFFLOAD_FAILED');
  assert.match(fail(15).message, 'it threw "a plain string", which is not an Error', 'a thrown string is the job\'s failure, not a result that could not cross');
});

test('a pool thread that dies in the middle of a chunk fails the jobs it carried, never leaves one unanswered; the others are answered and the pool carries on', async () => {
  const exitIf = (v: number, exit = false): FanoutJob => ({ url: JOBS, export: 'exitIf', input: { v, exit } });
  await run([exitIf(0), exitIf(1)]);
  const jobs = Array.from({ length: 16 }, (_, i) => exitIf(i, i === 5));
  const out = await run(jobs);
  assert.is(out.length, 16);
  const failed = out.flatMap((o, i) => (o.ok ? [] : [i]));
  assert.ok(failed.includes(5), 'the job that ended its thread failed');
  for (const i of failed) assert.is((out[i] as { code: unknown }).code, 'ERR_OFFLOAD_FAILED');
  for (let i = 0; i < 16; i++) if (out[i]!.ok) assert.equal(out[i], { ok: true, value: i });
  assert.ok(failed.length < 16, 'jobs in other chunks were answered');
  const after = await run([exitIf(1), exitIf(2), exitIf(3)]);
  assert.equal(after, [1, 2, 3].map((value) => ({ ok: true, value })));
});

test('a CommonJS job module: its default and named exports run, alone and in chunks', async () => {
  const CJS = new URL('../fixtures/jobs-cjs.offload.cjs', import.meta.url).href;
  const jobs = (): FanoutJob[] => Array.from({ length: 8 }, (_, i) => ({ url: CJS, export: i % 2 === 0 ? 'default' : 'double', input: { v: i } }));
  const want = Array.from({ length: 8 }, (_, i) => ({ ok: true, value: i % 2 === 0 ? i + 1 : i * 2 }));
  assert.equal(await run(jobs()), want);
  assert.equal(await run(jobs()), want);
});

test.run();
