// shutdown({ drainMs }): queued work is handled before the stop, a workload too big is cut at drainMs and its leftovers counted, bad options are refused.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { ActorSystem, InvalidOptionError, type MessagesLost, type Pid, SystemStoppedError } from '@joerl/runtime';
import type { DrainerArgs } from '../fixtures/drainer.actor.ts';

const DRAINER = new URL('../fixtures/drainer.actor.ts', import.meta.url);
const test = suite('shutdown drain');

function drainer(system: ActorSystem, shard: number, args: DrainerArgs): Promise<Pid<{ n: number }>> {
  return system.spawn(DRAINER, args, { shard }) as Promise<Pid<{ n: number }>>;
}

/** What shutdown reported lost (reason `shutdown`), summed over threads. */
function lostCount(lost: MessagesLost[]): number {
  return lost.filter((l) => l.reason === 'shutdown').reduce((n, l) => n + l.queued + l.unsent, 0);
}

test('with drainMs, what was sent before shutdown is handled, across shards, before the stop; main can send nothing new', async () => {
  const system = await ActorSystem.start({ threads: 2 });
  const counts = new Int32Array(new SharedArrayBuffer(8));
  const b = await drainer(system, 2, { counts, slot: 1, ms: 0 });
  const a = await drainer(system, 1, { counts, slot: 0, ms: 1, next: b });
  const lost: MessagesLost[] = [];
  system.on('messagesLost', (l) => lost.push(l));
  const N = 300;
  for (let n = 0; n < N; n++) system.send(a, { n });
  // Same tick: nothing has left the main thread yet, so everything below is the drain's doing.
  assert.is(Atomics.load(counts, 1), 0);
  // The drain ends as soon as nothing is queued: this test would hang for ten minutes otherwise.
  const stopped = system.shutdown({ drainMs: 600_000 });
  assert.not.ok(system.running);
  assert.throws(() => system.send(a, { n: -1 }), (e: unknown) => e instanceof SystemStoppedError, 'no new send from main');
  await system.call(a, undefined as never).then(
    () => assert.unreachable('a call from main during the drain'),
    (e: unknown) => assert.instance(e, SystemStoppedError),
  );
  await system.spawn(DRAINER, { counts, slot: 0, ms: 0 }).then(
    () => assert.unreachable('a spawn from main during the drain'),
    (e: unknown) => assert.instance(e, SystemStoppedError),
  );
  await stopped;
  assert.is(Atomics.load(counts, 0), N, 'every message reached the first actor');
  assert.is(Atomics.load(counts, 1), N, 'and every one it passed on (actor to actor, across shards) reached the second');
  assert.is(lostCount(lost), 0, 'nothing was left to report');
});

test('a workload that cannot drain in time is stopped at drainMs, and what it left is reported with its count', async () => {
  const system = await ActorSystem.start({ threads: 2 });
  const counts = new Int32Array(new SharedArrayBuffer(4));
  // 200 messages of 20 ms each (an async handler: the shard stays responsive): 4 s of work, far past a 100 ms drain.
  const a = await drainer(system, 1, { counts, slot: 0, ms: 0, waitMs: 20 });
  const lost: MessagesLost[] = [];
  system.on('messagesLost', (l) => lost.push(l));
  const N = 200;
  for (let n = 0; n < N; n++) system.send(a, { n });
  await system.shutdown({ drainMs: 100 });
  const handled = Atomics.load(counts, 0);
  assert.ok(lostCount(lost) > 0, 'the drain was cut short');
  assert.is(handled + lostCount(lost), N, `handled (${handled}) + reported (${lostCount(lost)}) = sent`);
  assert.equal(lost.filter((l) => l.queued + l.unsent > 0).map((l) => l.shard), [1], 'reported for the shard that held them');
});

test('bad shutdown options are refused and the system keeps running; drainMs: 0 is the plain shutdown', async () => {
  const system = await ActorSystem.start({ threads: 1 });
  for (const bad of [{ drainMs: -1 }, { drainMs: NaN }, { drainMs: '10' }, { drainMs: 2 ** 31 }, 5]) {
    await system.shutdown(bad as never).then(
      () => assert.unreachable(`accepted ${JSON.stringify(bad)}`),
      (e: unknown) => {
        assert.instance(e, InvalidOptionError);
        assert.match((e as Error).message, bad === 5 ? 'shutdown options must be an object' : 'options.drainMs');
      },
    );
    assert.ok(system.running, 'still running');
  }
  const counts = new Int32Array(new SharedArrayBuffer(4));
  const a = await drainer(system, 1, { counts, slot: 0, ms: 0 });
  system.send(a, { n: 1 });
  await system.shutdown({ drainMs: 0 });
  assert.not.ok(system.running);
});

test.run();
