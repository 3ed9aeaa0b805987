// A dying shard never takes the system down: it is restarted, its actors exit `killed`, and every link and monitor elsewhere fires.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { ActorSystem, type ShardDeath, ShardDownError, isDownMessage, isExitMessage } from '@joerl/runtime';
import { PROBE, expect, expectReport, probe, withSystem, type Report } from '../helpers.ts';

const test = suite('shard faults');

function nextEvent<T>(system: ActorSystem, event: 'shardDown' | 'shardRestart'): Promise<T> {
  return new Promise((resolve) => system.once(event, resolve as never));
}

test('a shard killed mid-run is restarted, and every cross-shard link and monitor fires', () =>
  withSystem({ threads: 2 }, async (system) => {
    const inbox = system.inbox();
    // On shard 2: victims, one of them registered. On shard 1: a trapping linker, a plain linker, a monitor.
    const v1 = await probe(system, inbox, 2, { tag: 'v1', name: 'victim-name' });
    const v2 = await probe(system, inbox, 2, { tag: 'v2' });
    const trapper = await probe(system, inbox, 1, { tag: 'trapper', trap: true });
    const plain = await probe(system, inbox, 1, { tag: 'plain' });
    const watcher = await probe(system, inbox, 1, { tag: 'watcher' });
    system.send(trapper, { op: 'link', pid: v1 });
    await expectReport(inbox, 'linked', 'trapper');
    system.send(plain, { op: 'link', pid: v2 });
    await expectReport(inbox, 'linked', 'plain');
    system.send(watcher, { op: 'monitor', pid: v1 });
    const { ref: wref } = await expectReport(inbox, 'monitoring', 'watcher');
    const plainRef = inbox.monitor(plain);
    const mainRef = inbox.monitor(v2);
    const linkedFromMain = system.inbox();
    linkedFromMain.link(v1);
    // Keep shard 2 busy mid-run: a burst of traffic towards it.
    for (let i = 0; i < 1000; i++) system.send(v2, { k: `traffic-${i}` } as never);

    const down = nextEvent<ShardDeath>(system, 'shardDown');
    const restarted = nextEvent<{ shard: number; incarnation: number }>(system, 'shardRestart');
    system.killShard(2);
    const death = await down;
    assert.is(death.shard, 2);

    const exit = await expect<Report>(inbox, (m) => m?.event === 'got' && m.tag === 'trapper' && isExitMessage(m.msg), 'EXIT at the trapping linker');
    assert.ok((exit.msg as any).from.equals(v1));
    assert.is((exit.msg as any).reason, 'killed');
    const wdown = await expect<Report>(inbox, (m) => m?.event === 'got' && m.tag === 'watcher' && isDownMessage(m.msg), 'DOWN at the watcher');
    assert.is((wdown.msg as any).ref, wref);
    assert.is((wdown.msg as any).reason, 'killed');
    const pdown = await expect<any>(inbox, (m) => m?.type === 'DOWN' && m.ref === plainRef, 'the plain linker died too');
    assert.is(pdown.reason, 'killed');
    const mdown = await expect<any>(inbox, (m) => m?.type === 'DOWN' && m.ref === mainRef, 'DOWN at main');
    assert.is(mdown.reason, 'killed');
    const lexit = await linkedFromMain.receive(isExitMessage, { timeoutMs: 20_000 });
    assert.is(lexit?.reason, 'killed');
    assert.is(system.whereis('victim-name'), undefined, 'names on the dead shard are freed');

    const r = await restarted;
    assert.is(r.shard, 2);
    assert.ok(r.incarnation >= 1);
    // The new incarnation works, with fresh (never reused) pids.
    const fresh = await probe(system, inbox, 2, { tag: 'fresh' });
    assert.ok(fresh.serial > v2.serial);
    system.send(fresh, { op: 'ping' });
    await expectReport(inbox, 'pong', 'fresh');
    // The survivors on shard 1 are fine.
    system.send(trapper, { op: 'ping' });
    await expectReport(inbox, 'pong', 'trapper');
    linkedFromMain.close();
  }));

test('an uncaught error in a shard restarts it; a spawn in flight there is rejected with ERR_SHARD_DOWN', () =>
  withSystem({ threads: 2 }, async (system) => {
    const inbox = system.inbox();
    const p = await probe(system, inbox, 2, { tag: 'thrower' });
    const ref = inbox.monitor(p);
    const pending = system.spawn(PROBE, { report: inbox.pid, blockInit: true }, { shard: 2 });
    const down = nextEvent<ShardDeath>(system, 'shardDown');
    const restarted = nextEvent(system, 'shardRestart');
    system.send(p, { op: 'uncaught', message: 'escaped the actor' });
    const death = await down;
    assert.is(death.cause, 'error');
    assert.match(death.message, 'escaped the actor');
    const d = await expect<any>(inbox, (m) => m?.type === 'DOWN' && m.ref === ref, 'DOWN');
    assert.is(d.reason, 'killed');
    try {
      await pending;
      assert.unreachable('the pending spawn must fail');
    } catch (err) {
      assert.instance(err, ShardDownError);
    }
    await restarted;
  }));

test('a handler that runs past handlerTimeoutMs gets its shard restarted', () =>
  withSystem({ threads: 2, handlerTimeoutMs: 200 }, async (system) => {
    const inbox = system.inbox();
    const looper = await probe(system, inbox, 1, { tag: 'looper' });
    const bystander = await probe(system, inbox, 1, { tag: 'bystander' });
    const other = await probe(system, inbox, 2, { tag: 'other' });
    const ref = inbox.monitor(bystander);
    const down = nextEvent<ShardDeath>(system, 'shardDown');
    const restarted = nextEvent(system, 'shardRestart');
    system.send(looper, { op: 'spin-forever' });
    const death = await down;
    assert.is(death.cause, 'runaway');
    assert.is(death.shard, 1);
    const d = await expect<any>(inbox, (m) => m?.type === 'DOWN' && m.ref === ref, 'bystander DOWN');
    assert.is(d.reason, 'killed');
    await restarted;
    system.send(other, { op: 'ping' });
    await expectReport(inbox, 'pong', 'other');
  }));

test('a handler that blocks its shard after an await is caught too', () =>
  withSystem({ threads: 2, handlerTimeoutMs: 200 }, async (system) => {
    const inbox = system.inbox();
    const looper = await probe(system, inbox, 2, { tag: 'async-looper' });
    const ref = inbox.monitor(looper);
    const down = nextEvent<ShardDeath>(system, 'shardDown');
    system.send(looper, { op: 'spin-after-await' });
    const death = await down;
    assert.is(death.cause, 'runaway');
    assert.is(death.shard, 2);
    assert.is(death.final, false);
    const d = await expect<any>(inbox, (m) => m?.type === 'DOWN' && m.ref === ref, 'DOWN');
    assert.is(d.reason, 'killed');
  }));

test('a shard over its memory limit is restarted', () =>
  withSystem({ threads: 1, resourceLimits: { maxOldGenerationSizeMb: 48, maxYoungGenerationSizeMb: 8 } }, async (system) => {
    const inbox = system.inbox();
    const hog = await probe(system, inbox, 1, { tag: 'hog' });
    const ref = inbox.monitor(hog);
    const down = nextEvent<ShardDeath>(system, 'shardDown');
    const restarted = nextEvent(system, 'shardRestart');
    system.send(hog, { op: 'alloc-forever' });
    const death = await down;
    assert.is(death.cause, 'out_of_memory');
    const d = await expect<any>(inbox, (m) => m?.type === 'DOWN' && m.ref === ref, 'DOWN');
    assert.is(d.reason, 'killed');
    await restarted;
    const again = await probe(system, inbox, 1, { tag: 'again' });
    system.send(again, { op: 'ping' });
    await expectReport(inbox, 'pong', 'again');
  }));

test.run();
