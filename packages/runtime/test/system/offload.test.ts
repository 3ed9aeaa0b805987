// The offload pool: jobs run off the shard, a throwing job fails only itself, bad input gets typed errors.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { ActorSystem, type Inbox, ModuleNotFoundError, OffloadFailedError, UnencodableError } from '@joerl/runtime';
import { expect, expectReport, probe } from '../helpers.ts';

const JOBS = new URL('../fixtures/jobs.offload.js', import.meta.url);
const test = suite('offload');
let system: ActorSystem;
let inbox: Inbox;
test.before(async () => {
  system = await ActorSystem.start({ threads: 2, offload: { threads: 2 } });
  inbox = system.inbox();
});
test.after(() => system.shutdown());

test('an actor offloads a CPU job and awaits its result; its shard keeps serving others meanwhile', async () => {
  const worker = await probe(system, inbox, 1, { tag: 'offloader' });
  const neighbour = await probe(system, inbox, 1, { tag: 'neighbour' });
  system.send(worker, { op: 'offload', url: JOBS.href, input: { n: 30 } });
  // The neighbour on the same shard answers while the job runs (the job is not on the shard).
  system.send(neighbour, { op: 'ping' });
  await expectReport(inbox, 'pong', 'neighbour');
  const done = await expectReport(inbox, 'offloaded', 'offloader');
  assert.equal(done.result, { n: 30, fib: 832040 });
});

test("a process's exit rejects the jobs it waits on (ERR_NO_PROC), as its calls: its code does not go on with a result", async () => {
  const worker = await probe(system, inbox, 1, { tag: 'killed-offloader' });
  const neighbour = await probe(system, inbox, 1, { tag: 'offloader-neighbour' });
  const flag = new Int32Array(new SharedArrayBuffer(4));
  const ref = inbox.monitor(worker);
  system.send(worker, { op: 'offload', url: JOBS.href, input: { flag }, export: 'gate' });
  // The worker awaits its job once its turn is over; the neighbour's turn comes after it (one ring, in order).
  system.send(neighbour, { op: 'ping' });
  await expectReport(inbox, 'pong', 'offloader-neighbour');
  system.exit(worker, 'kill');
  await expect<any>(inbox, (m) => m?.type === 'DOWN' && m.ref === ref, 'DOWN of the worker');
  // Rejected at the exit, with the gate still closed (the job still running on the pool).
  const failed = await expectReport(inbox, 'offload-failed', 'killed-offloader');
  assert.is(failed.code, 'ERR_NO_PROC');
  Atomics.store(flag, 0, 1);
  Atomics.notify(flag, 0);
});

test("an offloadMessage job whose owner exits ends quietly: no OFFLOAD message to the dead owner, so no dead letter", async () => {
  const worker = await probe(system, inbox, 1, { tag: 'killed-messenger' });
  const neighbour = await probe(system, inbox, 1, { tag: 'messenger-neighbour' });
  const flag = new Int32Array(new SharedArrayBuffer(4));
  const dead: any[] = [];
  const onDead = (dl: any) => dead.push(dl);
  system.on('deadLetter', onDead);
  try {
    const ref = inbox.monitor(worker);
    system.send(worker, { op: 'offload-message', url: JOBS.href, input: { flag }, export: 'gate', tag: 'orphan' });
    await expectReport(inbox, 'offload-sent', 'killed-messenger');
    system.exit(worker, 'kill');
    await expect<any>(inbox, (m) => m?.type === 'DOWN' && m.ref === ref, 'DOWN of the worker');
    // The job was rejected at the exit; a dead letter for its answer would be on shard 1's ring ahead of this pong.
    system.send(neighbour, { op: 'ping' });
    await expectReport(inbox, 'pong', 'messenger-neighbour');
    assert.equal(dead, [], 'dead letters');
  } finally {
    system.off('deadLetter', onDead);
    Atomics.store(flag, 0, 1);
    Atomics.notify(flag, 0);
  }
});

test("an offloadMessage answer that comes with its owner's death is no dead letter either (the owner died after the job ended)", async () => {
  // Regression: the answer's callback ran after the owner had died in the same chunk, and sent to the dead pid.
  const dead: any[] = [];
  const onDead = (dl: any) => dead.push(dl);
  system.on('deadLetter', onDead);
  try {
    for (let i = 0; i < 5; i++) {
      const racer = await system.spawn(new URL('../fixtures/offload-race.actor.ts', import.meta.url), { jobs: JOBS.href, report: inbox.pid }, { shard: 2 });
      system.send(racer, { kind: 'warm' });
      await expect(inbox, (m) => m === 'warm', 'the warm-up');
      const ref = inbox.monitor(racer);
      system.send(racer, { kind: 'go' });
      await expect<any>(inbox, (m) => m?.type === 'DOWN' && m.ref === ref, 'DOWN of the racer');
    }
    // A dead letter for an answer would be on shard 2's ring ahead of this pong.
    const neighbour = await probe(system, inbox, 2, { tag: 'race-neighbour' });
    system.send(neighbour, { op: 'ping' });
    await expectReport(inbox, 'pong', 'race-neighbour');
    assert.equal(dead.map((d) => d.message), [], 'dead letters');
  } finally {
    system.off('deadLetter', onDead);
  }
});

test('a system.offload job still running at shutdown rejects with ERR_SYSTEM_STOPPED (the pool ended, not the job)', async () => {
  const own = await ActorSystem.start({ threads: 1, offload: { threads: 1 } });
  const job = own.offload(JOBS, { ms: 30_000 }, { export: 'sleep' }).then(
    () => 'done',
    (err: { code?: string }) => String(err.code),
  );
  await own.shutdown();
  assert.is(await job, 'ERR_SYSTEM_STOPPED');
});

test('results can arrive as a message instead', async () => {
  const worker = await probe(system, inbox, 2, { tag: 'by-message' });
  system.send(worker, { op: 'offload-message', url: JOBS.href, input: { n: 20 }, tag: 'job-20' });
  const got = await expect<any>(inbox, (m) => m?.event === 'got' && m.tag === 'by-message', 'the OFFLOAD message');
  assert.equal(got.msg, { type: 'OFFLOAD', tag: 'job-20', ok: true, value: { n: 20, fib: 6765 } });
});

test('a throwing job rejects only that offload; the pool and the actor carry on', async () => {
  const worker = await probe(system, inbox, 1, { tag: 'thrower' });
  system.send(worker, { op: 'offload', url: JOBS.href, input: { message: 'job blew up' }, export: 'fails' });
  const failed = await expectReport(inbox, 'offload-failed', 'thrower');
  assert.is(failed.code, 'ERR_OFFLOAD_FAILED');
  assert.match(String(failed.message), 'job blew up');
  system.send(worker, { op: 'offload', url: JOBS.href, input: { n: 10 } });
  assert.equal((await expectReport(inbox, 'offloaded', 'thrower')).result, { n: 10, fib: 55 });
});

test('bad input gets typed errors: missing module, unencodable input, not a function, a result that cannot cross, a thrown value that is no Error', async () => {
  const cases: Array<[() => Promise<unknown>, new (...a: never[]) => Error, RegExp]> = [
    [() => system.offload(new URL('../fixtures/no-such-job.js', import.meta.url), {}), ModuleNotFoundError, /no-such-job\.js/],
    [() => system.offload(JOBS, { f: () => 1 }), UnencodableError, /a function/],
    [() => system.offload(JOBS, {}, { export: 'notAFunction' }), OffloadFailedError, /notAFunction|not a function/],
    [() => system.offload(JOBS, {}, { export: 'unclonable' }), OffloadFailedError, /could not be sent back/],
    // A job that throws what is no Error: its own failure, not a result that could not cross.
    [() => system.offload(JOBS, { value: 'a plain string' }, { export: 'throwsValue' }), OffloadFailedError, /it threw "a plain string", which is not an Error/],
    [() => system.offload(JOBS, { value: { quota: 0 } }, { export: 'throwsValue' }), OffloadFailedError, /it threw \{"quota":0\}, which is not an Error/],
  ];
  for (const [run, cls, re] of cases) {
    try {
      await run();
      assert.unreachable(`no error for ${re}`);
    } catch (err) {
      assert.instance(err, cls, `${(err as Error).name}: ${(err as Error).message}`);
      assert.match((err as Error).message, re);
    }
  }
  assert.equal(await system.offload(JOBS, { n: 15 }), { n: 15, fib: 610 });
});

test("a job's own error that reads like a load failure or a missing function is the job's (ERR_OFFLOAD_FAILED, its message), from main and from an actor; real ones keep their codes", async () => {
  const own = ['Failed to load user 42 from cache', 'Cannot find module in the config', 'cfg.parse is not a function'];
  for (const message of own) {
    const err = await system.offload(JOBS, { message }, { export: 'fails' }).then(() => undefined, (e: unknown) => e);
    assert.instance(err, OffloadFailedError, `${message}: ${(err as Error).name}`);
    assert.is((err as Error).message.includes(`export "fails"`), false, (err as Error).message);
    assert.match((err as Error).message, message);
  }
  const worker = await probe(system, inbox, 1, { tag: 'classify' });
  for (const message of own) {
    system.send(worker, { op: 'offload', url: JOBS.href, input: { message }, export: 'fails' });
    const failed = await expectReport(inbox, 'offload-failed', 'classify');
    assert.equal([failed.code, String(failed.message).includes(message), String(failed.message).includes('export "fails"')], ['ERR_OFFLOAD_FAILED', true, false], message);
  }
  system.send(worker, { op: 'offload', url: new URL('../fixtures/no-such-job.js', import.meta.url).href, input: {} });
  assert.is((await expectReport(inbox, 'offload-failed', 'classify')).code, 'ERR_MODULE_NOT_FOUND');
  system.send(worker, { op: 'offload', url: JOBS.href, input: {}, export: 'notAFunction' });
  const notFn = await expectReport(inbox, 'offload-failed', 'classify');
  assert.equal([notFn.code, String(notFn.message).includes('export "notAFunction" is not a function')], ['ERR_OFFLOAD_FAILED', true]);
});

test('a module that throws while it loads, and a job whose own import fails, fail as the job (ERR_OFFLOAD_FAILED, their message) from main and from an actor alike; a missing module says why', async () => {
  // Regression: from an actor the first was ERR_MODULE_NOT_FOUND with its reason lost, and the second was ERR_MODULE_NOT_FOUND from both.
  const throwing = new URL('../fixtures/throwing-import.offload.js', import.meta.url).href;
  const missing = new URL('../fixtures/no-such-job.js', import.meta.url).href;
  const cases: Array<[string, string, string, RegExp]> = [
    [throwing, 'default', 'ERR_OFFLOAD_FAILED', /boom at import/],
    [JOBS.href, 'importsMissing', 'ERR_OFFLOAD_FAILED', /Cannot find module .*no-such-dependency\.js/],
    [missing, 'default', 'ERR_MODULE_NOT_FOUND', /no-such-job\.js.*Cannot find module/],
  ];
  const worker = await probe(system, inbox, 1, { tag: 'loads' });
  for (const [url, exportName, code, re] of cases) {
    const fromMain = (await system.offload(new URL(url), {}, { export: exportName }).then(() => undefined, (e: unknown) => e)) as Error & { code?: string };
    assert.equal([fromMain.code, re.test(fromMain.message)], [code, true], `main, ${exportName} of ${url}: ${fromMain.message}`);
    system.send(worker, { op: 'offload', url, input: {}, export: exportName });
    const fromActor = await expectReport(inbox, 'offload-failed', 'loads');
    assert.equal([fromActor.code, re.test(String(fromActor.message))], [code, true], `actor, ${exportName} of ${url}: ${fromActor.message}`);
  }
});

test.run();
