// Every message `send` accepted is handled or reported: mailboxes of exiting processes, shards that die, shards given up, shutdown.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { ActorSystem, type DeadLetter, type Inbox, MemoryHub, type MessagesLost, type Pid, type ShardDeath } from '@joerl/runtime';
import { EVENT_TIMEOUT_MS, PROBE, expect, withSystem } from '../helpers.ts';
import { parse } from '../telemetry/exposition.ts';
import type { HolderCmd } from '../fixtures/holder.actor.ts';

const HOLDER = new URL('../fixtures/holder.actor.ts', import.meta.url);
const STUCK = new URL('../fixtures/stuck-terminate.actor.ts', import.meta.url);
const test = suite('message accounting');

/** Resolves with the first `n` events of `event` that match `pred`; fails the test if they do not all come. */
function collect<T>(system: ActorSystem, event: 'deadLetter' | 'messagesLost', n: number, pred: (e: T) => boolean = () => true): Promise<T[]> {
  return new Promise((resolve, reject) => {
    const got: T[] = [];
    const timer = setTimeout(() => {
      system.off(event, on as never);
      reject(new Error(`only ${got.length} of ${n} ${event} events came`));
    }, EVENT_TIMEOUT_MS);
    const on = (e: T): void => {
      if (!pred(e)) return;
      got.push(e);
      if (got.length < n) return;
      clearTimeout(timer);
      system.off(event, on as never);
      resolve(got);
    };
    system.on(event, on as never);
  });
}

async function failedTotal(system: ActorSystem, reason: string): Promise<number> {
  const { samples } = parse(await system.metrics.metrics());
  return samples.find((s) => s.name === 'joerl_messages_sent_failed_total' && s.labels.reason === reason)?.value ?? 0;
}

async function holder(system: ActorSystem, inbox: Inbox, shard: number): Promise<Pid<HolderCmd>> {
  return (await system.spawn(HOLDER, { report: inbox.pid }, { shard })) as Pid<HolderCmd>;
}

/** A round trip through the same ring proves everything sent to `shard` before it has been dispatched there. */
async function settled(system: ActorSystem, inbox: Inbox, shard: number): Promise<void> {
  const p = await holder(system, inbox, shard);
  system.send(p, { op: 'ping' });
  await expect(inbox, (m) => m?.event === 'pong' && m.pid.equals(p), 'pong');
}

for (const then of ['panic', 'stop'] as const) {
  for (const shard of [1, 2]) {
    test(`what waits in the mailbox of a process that exits (${then}) becomes process_exited dead letters with its content (shard ${shard})`, () =>
      withSystem({ threads: 2 }, async (system) => {
        const inbox = system.inbox();
        const h = await holder(system, inbox, shard);
        system.send(h, { op: 'hold' });
        await expect(inbox, (m) => m?.event === 'holding', 'holding');
        for (let i = 0; i < 5; i++) system.send(h, { n: i });
        const letters = collect<DeadLetter>(system, 'deadLetter', 5, (d) => d.reason === 'process_exited');
        system.send(h, { op: 'release', then });
        const got = await letters;
        assert.equal(got.map((d) => (d.message as { n: number }).n), [0, 1, 2, 3, 4], 'content, in order');
        for (const d of got) assert.ok((d.to as Pid).equals(h));
        assert.is(await failedTotal(system, 'process_exited'), 5);
      }));
  }
}

test('a killed process and a closed inbox leave their messages as process_exited dead letters', () =>
  withSystem({ threads: 1 }, async (system) => {
    const inbox = system.inbox();
    const h = await holder(system, inbox, 1);
    system.send(h, { op: 'hold' });
    await expect(inbox, (m) => m?.event === 'holding', 'holding');
    system.send(h, { n: 1 });
    system.send(h, { n: 2 });
    let letters = collect<DeadLetter>(system, 'deadLetter', 2);
    system.exit(h, 'kill');
    assert.equal((await letters).map((d) => [d.reason, (d.message as { n: number }).n]), [['process_exited', 1], ['process_exited', 2]]);

    const other = system.inbox();
    system.send(other.pid, { left: 'behind' } as never);
    letters = collect<DeadLetter>(system, 'deadLetter', 1);
    other.close();
    const [d] = await letters;
    assert.equal([d!.reason, d!.message], ['process_exited', { left: 'behind' }]);
  }));

test('messages queued on a shard that dies are counted and reported (messagesLost, shard_down)', () =>
  withSystem({ threads: 2 }, async (system) => {
    const inbox = system.inbox();
    const h = await holder(system, inbox, 2);
    system.send(h, { op: 'hold' });
    for (let i = 0; i < 100; i++) system.send(h, { n: i });
    await settled(system, inbox, 2);
    const lost = collect<MessagesLost>(system, 'messagesLost', 1);
    const down = new Promise<ShardDeath>((r) => system.once('shardDown', r));
    system.killShard(2);
    assert.is((await down).shard, 2);
    assert.equal(await lost, [{ shard: 2, reason: 'shard_down', queued: 100, unsent: 0 }]);
    assert.is(await failedTotal(system, 'shard_down'), 100);
  }));

test('messages a dying shard had sent but not yet put in a ring are counted as unsent', () =>
  withSystem({ threads: 2 }, async (system) => {
    const inbox = system.inbox();
    const target = await holder(system, inbox, 1);
    const h = await holder(system, inbox, 2);
    const lost = collect<MessagesLost>(system, 'messagesLost', 1);
    // The sends and the thread's end happen in one handler: nothing was flushed.
    system.send(h, { op: 'burst-exit', to: target, count: 40 });
    assert.equal(await lost, [{ shard: 2, reason: 'shard_down', queued: 0, unsent: 40 }]);
  }));

test('killShard on a shard whose loop is blocked still ends it; a shard number out of range is a typed error', () =>
  withSystem({ threads: 2, handlerTimeoutMs: Infinity }, async (system) => {
    for (const bad of [0, 3, 1.5]) assert.throws(() => system.killShard(bad), (e: { code?: string }) => e.code === 'ERR_INVALID_ARGUMENT');
    const inbox = system.inbox();
    const h = await holder(system, inbox, 2);
    await settled(system, inbox, 2);
    system.send(h, { op: 'spin' });
    const down = new Promise<ShardDeath>((r) => system.once('shardDown', r));
    system.killShard(2);
    assert.is((await down).shard, 2);
  }));

test('a frame cut short by actor code that never returns (a terminate the watchdog ends): the messages behind it are counted', () =>
  withSystem({ threads: 1, handlerTimeoutMs: 300 }, async (system) => {
    const inbox = system.inbox();
    const stuck = await system.spawn(STUCK, null, { shard: 1 });
    const h = await holder(system, inbox, 1);
    system.send(h, { op: 'hold' });
    await expect(inbox, (m) => m?.event === 'holding', 'holding');
    let reported = 0;
    system.on('deadLetter', (d) => {
      if ((d.to as Pid).equals(h)) reported++;
    });
    system.on('messagesLost', (l) => {
      if (l.shard === 1) reported += l.queued + l.unsent;
    });
    const restarted = new Promise<unknown>((r) => system.once('shardRestart', r));
    // One batch from the main thread, so one frame: the exit signal, whose terminate never returns, then the sends.
    system.exit(stuck, 'stuck');
    for (let i = 0; i < 100; i++) system.send(h, { n: i });
    await restarted;
    // Whatever of it the new incarnation found in the ring has been dispatched (and dead-lettered) by now.
    await settled(system, inbox, 1);
    assert.is(reported, 100, 'every send reported, as a dead letter or in messagesLost');
    assert.is(await failedTotal(system, 'shard_down') + (await failedTotal(system, 'actor_not_found')), 100);
  }));

/** A holder on shard 2, then shard 2 killed for good (the system must not restart shards): the holder and the dead letter of `msg` sent to it. */
async function sendToGivenUp(system: ActorSystem, inbox: Inbox, msg: object): Promise<{ h: Pid<HolderCmd>; d: DeadLetter }> {
  const h = await holder(system, inbox, 2);
  const down = new Promise<ShardDeath>((r) => system.once('shardDown', r));
  system.killShard(2);
  assert.ok((await down).final);
  const letters = collect<DeadLetter>(system, 'deadLetter', 1, (d) => d.reason === 'shard_down');
  system.send(h, msg as never);
  const [d] = await letters;
  return { h, d: d! };
}

test('a shard the system gave up on: what is sent to its pids is reported with content, monitors get noproc', () =>
  withSystem({ threads: 2, restartShards: false }, async (system) => {
    const inbox = system.inbox();
    const { h, d } = await sendToGivenUp(system, inbox, { n: 7 });
    assert.equal(d.message, { n: 7 });
    assert.ok((d.to as Pid).equals(h));
    const ref = inbox.monitor(h);
    const dn = await expect<any>(inbox, (m) => m?.type === 'DOWN' && m.ref === ref, 'DOWN noproc');
    assert.equal(dn.reason, { kind: 'custom', value: 'noproc' });
    // Regression: a spawn there said it was being restarted (retry), and introspection of its pids ERR_SHARD_DOWN.
    const spawn = await system.spawn(PROBE, { report: inbox.pid }, { shard: 2 }).then(() => null, (e: Error & { code?: string }) => e);
    assert.is(spawn?.code, 'ERR_SHARD_DOWN');
    assert.match(spawn!.message, /down for good: the system gave up restarting it/);
    for (const ask of [() => system.processInfo(h), () => system.getState(h)]) {
      assert.is((await ask().then(() => null, (e: Error & { code?: string }) => e))?.code, 'ERR_NO_PROC');
    }
  }));

test('on a node, a dead letter for a shard given up on names the very pid sent to (its node id)', () =>
  withSystem({ threads: 2, restartShards: false, node: { name: 'acct', cluster: 'acct', transport: new MemoryHub().connect('joerl:acct:acct') } }, async (system) => {
    const { h, d } = await sendToGivenUp(system, system.inbox(), { n: 8 });
    assert.ok(h.node !== 0, 'a node pid');
    assert.ok((d.to as Pid).equals(h), `${String(d.to)} is ${String(h)}`);
  }));

test('a message larger than the ring sent to a shard the system gave up on: read over several drains, reported whole', () =>
  withSystem({ threads: 2, restartShards: false, ringBytes: 64 * 1024 }, async (system) => {
    const big = 'x'.repeat(300_000);
    const { h, d } = await sendToGivenUp(system, system.inbox(), { big });
    assert.ok((d.to as Pid).equals(h));
    assert.is((d.message as { big: string }).big, big);
  }));

test('shutdown() counts what is still queued, and reports it (messagesLost, shutdown)', async () => {
  const system = await ActorSystem.start({ threads: 2 });
  const inbox = system.inbox();
  const h = await holder(system, inbox, 1);
  system.send(h, { op: 'hold' });
  await expect(inbox, (m) => m?.event === 'holding', 'holding');
  for (let i = 0; i < 10; i++) system.send(h, { n: i });
  await settled(system, inbox, 1);
  const lost: MessagesLost[] = [];
  system.on('messagesLost', (l) => lost.push(l));
  await system.shutdown();
  assert.equal(lost, [{ shard: 1, reason: 'shutdown', queued: 10, unsent: 0 }]);
  assert.is(await failedTotal(system, 'shutdown'), 10);
});

test.run();
