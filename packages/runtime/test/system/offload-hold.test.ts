// Offload answers held back while a shard has many jobs at the pool still reach it (a wake-up follows within HOLD_MS).
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { ActorSystem, type Inbox } from '@joerl/runtime';
import { expect, probe } from '../helpers.ts';

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
