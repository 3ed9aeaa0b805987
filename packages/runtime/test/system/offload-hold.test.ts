// Offload answers held back while a shard has many jobs at the pool still reach it (a wake-up follows within HOLD_MS); a dead shard's answers do not reach its successor.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { ActorSystem, type Inbox } from '@joerl/runtime';
import { expect, expectReport, probe } from '../helpers.ts';

const JOBS = new URL('../fixtures/jobs.offload.js', import.meta.url);
const test = suite('offload answers held back');
let system: ActorSystem;
let inbox: Inbox;
test.before(async () => {
  // One pool thread: an answer is held while its shard has more than two other jobs at the pool.
  system = await ActorSystem.start({ threads: 2, offload: { threads: 1 } });
  inbox = system.inbox();
});
test.after(() => system.shutdown());

test('a job of a shard that died ends after the restart: its answer is dropped, not given to the new incarnation\'s job of the same number', async () => {
  const old = await probe(system, inbox, 1, { tag: 'old' });
  const flag = new Int32Array(new SharedArrayBuffer(4));
  // The old incarnation's first job (its number 1: this test runs first) holds the only pool thread.
  system.send(old, { op: 'offload-message', url: JOBS.href, input: { flag }, export: 'gate', tag: 'old-gate' });
  await expectReport(inbox, 'offload-sent', 'old');
  const restarted = new Promise<void>((resolve) => system.once('shardRestart', () => resolve()));
  system.killShard(1);
  await restarted;
  // The new incarnation's first job is number 1 too; it queues behind the gate.
  const fresh = await probe(system, inbox, 1, { tag: 'fresh' });
  const other = await probe(system, inbox, 1, { tag: 'other' });
  system.send(fresh, { op: 'offload', url: JOBS.href, input: { n: 10 } });
  // The job is asked for (fresh awaits it) before the other probe's turn answers (one ring each way, in order).
  system.send(other, { op: 'ping' });
  await expectReport(inbox, 'pong', 'other');
  Atomics.store(flag, 0, 1);
  Atomics.notify(flag, 0);
  // The gate's answer ('released') comes first; had it reached shard 1, job 1 would have resolved with it.
  assert.equal((await expectReport(inbox, 'offloaded', 'fresh')).result, { n: 10, fib: 55 });
});

test('a job that ends while three others of its shard wait behind it still gets its answer (the three are released only after it)', async () => {
  const worker = await probe(system, inbox, 1, { tag: 'holder' });
  const flag = new Int32Array(new SharedArrayBuffer(4));
  // One turn, one frame: the sleeper runs on the only pool thread, the gates queue behind it.
  system.send(worker, { op: 'offload-message', url: JOBS.href, input: { ms: 50 }, export: 'sleep', tag: 'sleeper' });
  for (let i = 0; i < 3; i++) system.send(worker, { op: 'offload-message', url: JOBS.href, input: { flag }, export: 'gate', tag: `gate-${i}` });
  const got = await expect<any>(inbox, (m) => m?.event === 'got' && m.msg?.tag === 'sleeper', 'the sleeper answer');
  assert.equal([got.msg.ok, got.msg.value], [true, 'slept']);
  // Only now may the gates finish: had the answer waited for them, nothing would have come.
  Atomics.store(flag, 0, 1);
  Atomics.notify(flag, 0);
  for (let i = 0; i < 3; i++) {
    const g = await expect<any>(inbox, (m) => m?.event === 'got' && m.msg?.tag === `gate-${i}`, `gate ${i}`);
    assert.equal([g.msg.ok, g.msg.value], [true, 'released']);
  }
});

test.run();
