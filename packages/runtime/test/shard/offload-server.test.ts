// The main thread's offload server against a fake pool and transport: held answers go out in order, a dead shard's answers are dropped, stop clears the timer.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { OffloadServer } from '../../src/shard/offload-server.ts';
import { OP_OFFLOAD_REPLY } from '../../src/shard/protocol.ts';
import type { OffloadRunner, ShardState } from '../../src/shard/shard-state.ts';

/**
 * A server over a pool of one thread whose jobs the test settles by hand, and a transport that records.
 * A chunk (one pool task) ends when all its jobs are settled, each reporting `ms` of run time (5 unless
 * given: a long job, so jobs go alone until a test says they are short); `chunks` lists each task's inputs.
 */
function rig() {
  type Job = { input: unknown; resolve: (v: unknown, ms?: number) => void; reject: (e: unknown, ms?: number) => void };
  const jobs: Job[] = [];
  const chunks: Array<{ inputs: unknown[]; fail: (err: unknown) => void }> = [];
  const emitted: Array<[number, unknown, unknown, unknown]> = [];
  let flushed: () => void = () => {};
  const pool: OffloadRunner = {
    threads: 1,
    run: () => Promise.reject(new Error('not used')),
    // As the real pool does: a job whose signal has aborted is refused at once, without running.
    start: (_href, _name, input, signal) => (signal?.aborted ? Promise.reject(signal.reason) : new Promise((resolve, reject) => jobs.push({ input, resolve, reject }))),
    startChunk: (flat) =>
      new Promise((resolve, reject) => {
        const n = flat.length / 3;
        const out = new Array<unknown>(flat.length);
        let left = n;
        const inputs: unknown[] = [];
        for (let i = 0; i < n; i++) {
          inputs.push(flat[3 * i + 2]);
          const end = (ok: boolean, v: unknown, ms = 5) => {
            out[3 * i] = ok;
            out[3 * i + 1] = v;
            out[3 * i + 2] = ms;
            if (--left === 0) resolve(out);
          };
          jobs.push({ input: flat[3 * i + 2], resolve: (v, ms) => end(true, v, ms), reject: (e, ms) => end(false, e, ms) });
        }
        chunks.push({ inputs, fail: reject });
      }),
    failure: (_href, _name, err) => err,
  };
  const transport = {
    emit3: (dest: number, op: number, a: unknown, b: unknown, c: unknown) => {
      assert.is(op, OP_OFFLOAD_REPLY);
      emitted.push([dest, a, b, c]);
    },
    flush: () => flushed(),
  };
  const server = new OffloadServer({ hooks: { offload: pool }, transport } as unknown as ShardState);
  const serve = (from: number, reqId: number, cancellable = false) => server.serve(from, reqId, 'file:///job.js', 'default', reqId, cancellable);
  const nextFlush = () => new Promise<void>((r) => (flushed = r));
  // Served jobs reach the pool in a microtask, settled ones reach the server in one; a macrotask later they have.
  const settled = () => new Promise<void>((r) => setImmediate(r));
  return { server, jobs, chunks, emitted, serve, nextFlush, settled };
}

test('while a shard has more than a chunk (8 jobs) per pool thread here, answers are held; the one that brings it down releases them all, in order', async () => {
  const { jobs, emitted, serve, settled, server } = rig();
  for (let id = 1; id <= 11; id++) serve(1, id);
  await settled();
  jobs[0]!.resolve('a');
  jobs[1]!.resolve('b');
  await settled();
  assert.equal(emitted, [], 'held while 10 and 9 jobs were left');
  jobs[2]!.resolve('c');
  await settled();
  assert.equal(emitted, [[1, 1, true, 'a'], [1, 2, true, 'b'], [1, 3, true, 'c']]);
  jobs[3]!.reject(new Error('boom'));
  await settled();
  assert.is(emitted.length, 4);
  assert.equal(emitted[3]!.slice(0, 3), [1, 4, false]);
  assert.match(JSON.stringify(emitted[3]![3]), 'boom');
  server.stop();
});

test('a held answer goes out from the timer, with a flush, when no later answer releases it', async () => {
  const { jobs, emitted, serve, settled, nextFlush, server } = rig();
  for (let id = 1; id <= 10; id++) serve(2, id);
  await settled();
  const flushed = nextFlush();
  jobs[0]!.resolve('first');
  await settled();
  assert.equal(emitted, []);
  // The hold timer is unref'd: this keeps the test's process up until it fires.
  const alive = setInterval(() => {}, 1000);
  await flushed;
  clearInterval(alive);
  assert.equal(emitted, [[2, 1, true, 'first']]);
  server.stop();
});

test('the pool is handed twice its size of tasks at most; the others start as tasks end, oldest first, from any shard', async () => {
  const { jobs, emitted, serve, settled, server } = rig();
  serve(1, 1);
  serve(2, 1);
  serve(1, 2);
  serve(2, 2);
  await settled();
  assert.equal(jobs.map((j) => j.input), [1, 1], 'two started (pool of one thread)');
  jobs[1]!.resolve('2:1');
  await settled();
  assert.equal(jobs.map((j) => j.input), [1, 1, 2]);
  jobs[0]!.resolve('1:1');
  await settled();
  assert.equal(jobs.map((j) => j.input), [1, 1, 2, 2]);
  assert.equal(emitted, [[2, 1, true, '2:1'], [1, 1, true, '1:1']]);
  server.stop();
});

test('a waiting job its shard cancels never runs; its answer (the abort) goes back when its turn comes', async () => {
  const { jobs, emitted, serve, settled, server } = rig();
  serve(1, 1);
  serve(1, 2);
  serve(1, 3, true);
  serve(1, 4);
  server.cancel(1, 3);
  await settled();
  jobs[0]!.resolve('one');
  await settled();
  assert.equal(jobs.map((j) => j.input), [1, 2, 4], 'job 3 was skipped for job 4');
  assert.equal(emitted.map((e) => e.slice(0, 3)), [[1, 1, true], [1, 3, false]]);
  server.stop();
});

test('a dead shard: its jobs still waiting are not run, answers to its old incarnation are dropped (the new one numbers its jobs from 1 again), and its count starts over', async () => {
  const { jobs, emitted, serve, settled, server } = rig();
  for (let id = 1; id <= 4; id++) serve(1, id);
  await settled();
  server.threadDown(1);
  serve(1, 1);
  jobs[0]!.resolve('old-1');
  jobs[1]!.resolve('old-2');
  await settled();
  assert.equal(emitted, [], 'nothing of the old incarnation');
  // Old jobs 3 and 4 were skipped: the next one started is the new incarnation's job 1.
  assert.is(jobs.length, 3);
  jobs[2]!.resolve('new-1');
  await settled();
  // Not held behind the old incarnation's jobs: it goes out at once.
  assert.equal(emitted, [[1, 1, true, 'new-1']]);
  server.stop();
});

test('stop clears the hold timer and drops later answers', async () => {
  const { jobs, emitted, serve, settled, server } = rig();
  const armed: unknown[] = [];
  const cleared: unknown[] = [];
  const { setTimeout: set, clearTimeout: clear } = globalThis;
  globalThis.setTimeout = ((fn: () => void, ms: number) => {
    const t = set(fn, ms);
    armed.push(t);
    return t;
  }) as typeof setTimeout;
  globalThis.clearTimeout = ((t: ReturnType<typeof setTimeout>) => {
    cleared.push(t);
    clear(t);
  }) as typeof clearTimeout;
  try {
    for (let id = 1; id <= 10; id++) serve(1, id);
    await settled();
    jobs[0]!.resolve('held');
    await settled();
    assert.is(armed.length, 1, 'the hold timer is armed');
    server.stop();
    assert.equal(cleared, armed, 'and cleared by stop');
  } finally {
    globalThis.setTimeout = set;
    globalThis.clearTimeout = clear;
  }
  for (const j of jobs.slice(1)) j.resolve('late');
  await settled();
  assert.equal(emitted, []);
  assert.is(jobs.length, 3, 'nothing started after stop');
});

/** A rig whose job kind has been measured short (0.1 ms): its next jobs may share a task. */
async function shortRig() {
  const r = rig();
  r.serve(9, 1);
  await r.settled();
  assert.equal(r.chunks.map((c) => c.inputs), [[1]], 'a kind not measured yet goes alone');
  r.jobs[0]!.resolve('first', 0.1);
  await r.settled();
  r.jobs.length = 0;
  r.chunks.length = 0;
  r.emitted.length = 0;
  return r;
}

test('short jobs go in chunks split over the free places; each is answered apart, a failing one alone, in order', async () => {
  const { jobs, chunks, emitted, serve, settled, server } = await shortRig();
  for (let id = 2; id <= 7; id++) serve(1, id);
  await settled();
  assert.equal(chunks.map((c) => c.inputs), [[2, 3, 4], [5, 6, 7]], 'six ready, two free places: three each');
  jobs[0]!.resolve('two', 0.1);
  jobs[1]!.reject(new Error('three failed'), 0.1);
  await settled();
  assert.equal(emitted, [], 'a chunk answers when it ends');
  jobs[2]!.resolve('four', 0.1);
  await settled();
  assert.equal(emitted.map((e) => e.slice(0, 3)), [[1, 2, true], [1, 3, false], [1, 4, true]]);
  assert.is(emitted[0]![3], 'two');
  assert.match(JSON.stringify(emitted[1]![3]), 'three failed');
  assert.is(emitted[2]![3], 'four');
  server.stop();
});

test('a chunk whose task fails as a whole (its thread died) fails every job in it; none is left unanswered', async () => {
  const { chunks, emitted, serve, settled, server } = await shortRig();
  for (let id = 1; id <= 4; id++) serve(2, id);
  await settled();
  assert.equal(chunks.map((c) => c.inputs), [[1, 2], [3, 4]]);
  chunks[0]!.fail(new Error('worker exited'));
  await settled();
  assert.equal(emitted.map((e) => e.slice(0, 3)), [[2, 1, false], [2, 2, false]]);
  for (const e of emitted) assert.match(JSON.stringify(e[3]), 'worker exited');
  server.stop();
});

test('a cancellable job never shares a task; a kind measured at CHUNK_MS or more goes alone; a chunk holds 8 jobs at most', async () => {
  const { jobs, chunks, serve, settled, server } = await shortRig();
  serve(1, 1);
  serve(1, 2, true);
  serve(1, 3);
  await settled();
  assert.equal(chunks.map((c) => c.inputs), [[1]], 'the chunk stops before the cancellable job');
  assert.equal(jobs.map((j) => j.input), [1, 2], 'which went alone (not as a chunk)');
  jobs[1]!.resolve('two');
  jobs[0]!.resolve('one', 3);
  await settled();
  // Job 1's kind now averages (0.1 * 3 + 3) / 4 ms: still short. Job 3 went once a place was free.
  assert.equal(chunks.map((c) => c.inputs), [[1], [3]]);
  jobs[2]!.resolve('three', 20);
  await settled();
  for (let id = 4; id <= 6; id++) serve(1, id);
  await settled();
  assert.equal(chunks.slice(2).map((c) => c.inputs), [[4], [5]], 'measured long: one job a task');
  server.stop();
  const r = await shortRig();
  for (let id = 1; id <= 40; id++) r.serve(3, id);
  await r.settled();
  assert.equal(r.chunks.map((c) => c.inputs.length), [8, 8]);
  r.server.stop();
});

test.run();
