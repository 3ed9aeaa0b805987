// A spawn whose module load or async init does not finish in time is killed and rejects with ERR_SPAWN_TIMEOUT.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { ActorSystem, type ShardDeath, SpawnTimeoutError } from '@joerl/runtime';
import { EVENT_TIMEOUT_MS, PROBE, expect, expectReport, probe, withSystem, type Report } from '../helpers.ts';

const HANGING = new URL('../fixtures/hanging-import.actor.mjs', import.meta.url);
const SPINNING = new URL('../fixtures/spinning-import.actor.mjs', import.meta.url);

/** `p`, or a failure naming `what` if it has not settled within EVENT_TIMEOUT_MS. */
function within<T>(p: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: nothing within ${EVENT_TIMEOUT_MS} ms`)), EVENT_TIMEOUT_MS)));
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}
const test = suite('spawn timeout');

test('an init that never resolves: the spawn rejects with ERR_SPAWN_TIMEOUT and the half-started process is killed', () =>
  withSystem({ threads: 2 }, async (system) => {
    const inbox = system.inbox();
    // Loaded (compiled by tsx) on both shards first: the timeout is meant for init here.
    await probe(system, inbox, 2, { tag: 'warm' });
    for (const shard of [1, 2]) {
      const parent = await probe(system, inbox, 1, { tag: `parent-${shard}` });
      system.send(parent, { op: 'spawn', url: PROBE.href, args: { report: inbox.pid, blockInit: true }, mode: 'monitor', opts: { shard, timeoutMs: 100 } });
      const failed = await expectReport(inbox, 'spawn-failed', `parent-${shard}`);
      assert.is(failed.code, 'ERR_SPAWN_TIMEOUT');
      assert.match(String(failed.message), /did not start within 100 ms \(its init had not returned\)/);
      const down = await expect<Report>(inbox, (m) => m?.event === 'got' && m.tag === `parent-${shard}` && m.msg?.type === 'DOWN', 'DOWN of the child');
      assert.is((down.msg as any).reason, 'killed');
    }
  }));

test('the system default (spawnTimeoutMs) applies to spawns without their own', () =>
  withSystem({ threads: 1, spawnTimeoutMs: 100 }, async (system) => {
    const inbox = system.inbox();
    await probe(system, inbox, 1, { tag: 'warm' }, { timeoutMs: 60_000 });
    try {
      await system.spawn(PROBE, { report: inbox.pid, blockInit: true });
      assert.unreachable('the spawn must time out');
    } catch (err) {
      assert.instance(err, SpawnTimeoutError);
      assert.is((err as SpawnTimeoutError).code, 'ERR_SPAWN_TIMEOUT');
    }
    // The shard is fine: an ordinary spawn works.
    await probe(system, inbox, 1, { tag: 'after' });
  }));

test('a module whose top-level await never settles: ERR_SPAWN_TIMEOUT, and the watchdog is not held off for good', () =>
  withSystem({ threads: 2, handlerTimeoutMs: 300 }, async (system) => {
    for (let i = 0; i < 2; i++) {
      try {
        await system.spawn(HANGING, undefined, { shard: 2, timeoutMs: 150 });
        assert.unreachable('the spawn must time out');
      } catch (err) {
        assert.is((err as { code?: string }).code, 'ERR_SPAWN_TIMEOUT');
        assert.match((err as Error).message, /hanging-import\.actor\.mjs was still loading/);
      }
    }
    // A runaway handler on that shard is still caught (an import in progress would have held the watchdog off).
    const inbox = system.inbox();
    const looper = await probe(system, inbox, 2, { tag: 'looper' });
    const down = new Promise<ShardDeath>((r) => system.once('shardDown', r));
    system.send(looper, { op: 'spin-forever' });
    assert.is((await down).cause, 'runaway');
  }));

test('a spawn aborted while its module loads (one that never finishes) does not hold the watchdog off either', () =>
  withSystem({ threads: 2, handlerTimeoutMs: 300, spawnTimeoutMs: 120_000 }, async (system) => {
    // Regression: only a timeout told the loader the load was given up; after an abort (or a kill) the thread
    // counted as loading for good, and a runaway handler there was allowed spawnTimeoutMs, not handlerTimeoutMs.
    const inbox = system.inbox();
    const looper = await probe(system, inbox, 2, { tag: 'looper' });
    const ac = new AbortController();
    const spawn = system.spawn(HANGING, undefined, { shard: 2, signal: ac.signal }).then(() => 'started', (e: unknown) => e);
    ac.abort(new Error('gave up'));
    assert.match(String(((await spawn) as Error).message), /gave up/);
    const down = new Promise<ShardDeath>((r) => system.once('shardDown', r));
    system.send(looper, { op: 'spin-forever' });
    const d = await within(down, 'shardDown');
    assert.is(d.cause, 'runaway');
    assert.not.match(d.message, /imported an actor module/);
  }));

test('a module whose top level never returns: the watchdog ends its shard after spawnTimeoutMs, and the spawn fails', () =>
  withSystem({ threads: 2, handlerTimeoutMs: 200, spawnTimeoutMs: 5000 }, async (system) => {
    const down = new Promise<ShardDeath>((r) => system.once('shardDown', r));
    const err = await within(
      system.spawn(SPINNING, undefined, { shard: 2 }).then(
        () => assert.unreachable('the spawn cannot succeed'),
        (e: unknown) => e,
      ),
      'the spawn',
    );
    assert.is((err as { code?: string }).code, 'ERR_SHARD_DOWN');
    const d = await within(down, 'shardDown');
    assert.equal([d.shard, d.cause], [2, 'runaway']);
    assert.match(d.message, /blocked past spawnTimeoutMs while it imported an actor module/);
    // Restarted: an ordinary spawn there works.
    const inbox = system.inbox();
    await probe(system, inbox, 2, { tag: 'after' }, { timeoutMs: 60_000 });
  }));

test('spawnTimeoutMs and the timeoutMs spawn option are validated (finite)', async () => {
  for (const bad of [Infinity, 0, -1, 'soon']) {
    try {
      await ActorSystem.start({ threads: 1, spawnTimeoutMs: bad as number });
      assert.unreachable(`accepted spawnTimeoutMs ${String(bad)}`);
    } catch (err) {
      assert.is((err as { code?: string }).code, 'ERR_INVALID_OPTION');
      assert.match((err as Error).message, /options\.spawnTimeoutMs/);
    }
  }
  await withSystem({ threads: 1 }, async (system) => {
    for (const bad of [Infinity, 0, 'soon']) {
      try {
        await system.spawn(PROBE, {} as never, { timeoutMs: bad as number });
        assert.unreachable(`accepted timeoutMs ${String(bad)}`);
      } catch (err) {
        assert.is((err as { code?: string }).code, 'ERR_INVALID_OPTION');
        assert.match((err as Error).message, /options\.timeoutMs/);
      }
    }
  });
});

test.run();
