// System lifecycle: start options, module formats, spawn errors, placement, shutdown with terminate hooks.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { fileURLToPath } from 'node:url';
import {
  ActorSystem,
  ExportNotFoundError,
  InvalidArgumentError,
  InvalidOptionError,
  ModuleFailedError,
  ModuleNotFoundError,
  NotABehaviourError,
  SystemStoppedError,
  UnencodableError,
  type Pid,
} from '@joerl/runtime';
import { PROBE, expect, expectReport, probe, withSystem } from '../helpers.ts';

const fixture = (f: string) => new URL(`../fixtures/${f}`, import.meta.url);
const test = suite('lifecycle');

test('start validates its options with typed errors that say what to fix', async () => {
  const bad: Array<[object, RegExp]> = [
    [{ threads: 0 }, /options\.threads must be an integer from 1/],
    [{ threads: 1.5 }, /options\.threads/],
    [{ mailboxCapacity: 0 }, /options\.mailboxCapacity must be a positive integer or Infinity/],
    [{ ringBytes: 100_000 }, /options\.ringBytes must be a power of two/],
    [{ spinMicros: -1 }, /options\.spinMicros/],
    [{ handlerTimeoutMs: 0 }, /options\.handlerTimeoutMs/],
    [{ restartShards: 'yes' }, /options\.restartShards must be a boolean/],
    // Past setTimeout's range (Node takes such a delay as 1 ms): the longest a timer can wait is the most.
    [{ terminateTimeoutMs: 2 ** 31 }, /options\.terminateTimeoutMs must be a number from 0 to 2147483647/],
    [{ shutdownTimeoutMs: 2 ** 31 }, /options\.shutdownTimeoutMs/],
    [{ offload: { idleTimeoutMs: 2 ** 31 } }, /options\.offload\.idleTimeoutMs/],
  ];
  for (const [opts, re] of bad) {
    try {
      await ActorSystem.start(opts as never);
      assert.unreachable(`accepted ${JSON.stringify(opts)}`);
    } catch (err) {
      assert.instance(err, InvalidOptionError);
      assert.is((err as InvalidOptionError).code, 'ERR_INVALID_OPTION');
      assert.match((err as Error).message, re);
    }
  }
});

test('behaviours load from .js, .mjs (named export) and .ts modules, by URL or absolute path', () =>
  withSystem({ threads: 2 }, async (system) => {
    const inbox = system.inbox();
    const js = await system.spawn(fixture('plain.actor.js'), { seed: 7 }, { shard: 1 });
    system.send(js, { replyTo: inbox.pid });
    assert.equal(await expect(inbox, (m) => m?.from === 'js', 'js reply'), { from: 'js', shard: 1, args: { seed: 7 } });

    const mjs = await system.spawn(fileURLToPath(fixture('named.actor.mjs')), undefined, { shard: 2, export: 'Greeter' });
    system.send(mjs, { replyTo: inbox.pid, name: 'joe' });
    assert.equal(await expect(inbox, (m) => m?.from === 'mjs', 'mjs reply'), { from: 'mjs', hello: 'joe' });

    const ts = await system.spawn<typeof import('../fixtures/typed.actor.ts').default>(fixture('typed.actor.ts'), { start: 40 }, { shard: 2 });
    system.send(ts, { kind: 'add', n: 2 });
    system.send(ts, { kind: 'get', replyTo: inbox.pid as Pid<{ total: number }> });
    assert.equal(await expect(inbox, (m) => typeof m?.total === 'number', 'ts reply'), { total: 42 });
  }));

test('spawn failures are typed: missing module, broken import, a module that throws as it loads, missing export, not a behaviour, relative path, bad args', () =>
  withSystem({ threads: 1 }, async (system) => {
    const cases: Array<[() => Promise<unknown>, new (...a: never[]) => Error, RegExp]> = [
      [() => system.spawn(fixture('no-such.actor.js')), ModuleNotFoundError, /cannot load actor module .*no-such\.actor\.js/],
      [() => system.spawn(fixture('no-such.actor.ts')), ModuleNotFoundError, /cannot load actor module .*no-such\.actor\.ts/],
      [() => system.spawn(fixture('broken-import.actor.js')), ModuleNotFoundError, /nowhere\.js/],
      [() => system.spawn(fixture('throwing-import.actor.js')), ModuleFailedError, /throwing-import\.actor\.js failed while it loaded: TypeError: boom at import/],
      [() => system.spawn(fixture('plain.actor.js'), undefined, { export: 'Missing' }), ExportNotFoundError, /has no export "Missing" \(exports: default, notABehaviour\)/],
      [() => system.spawn(fixture('plain.actor.js'), undefined, { export: 'notABehaviour' }), NotABehaviourError, /wrap it with defineActor/],
      [() => system.spawn('./relative.actor.js'), InvalidArgumentError, /new URL\('\.\/relative\.actor\.js', import\.meta\.url\)/],
      [() => system.spawn(fixture('plain.actor.js'), { f: () => 1 }), UnencodableError, /a function .* at args\.f/],
      [() => system.spawn(fixture('plain.actor.js'), undefined, { shard: 5 }), InvalidOptionError, /options\.shard must be an integer from 1 to 1, got 5/],
      [() => system.spawn(fixture('plain.actor.js'), undefined, { mailboxCapacity: -3 }), InvalidOptionError, /options\.mailboxCapacity/],
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
    // The shard is fine after all that.
    const inbox = system.inbox();
    const ok = await system.spawn(fixture('plain.actor.js'), 1);
    system.send(ok, { replyTo: inbox.pid });
    await expect(inbox, (m) => m?.from === 'js', 'reply');
  }));

test('placement: a given shard, round-robin, least-loaded, and ctx.spawn defaults to its own shard', () =>
  withSystem({ threads: 2 }, async (system) => {
    const inbox = system.inbox();
    const shards = [];
    for (let i = 0; i < 4; i++) shards.push((await system.spawn(fixture('plain.actor.js'), i, { shard: 'round-robin' })).shard);
    assert.equal(shards.sort(), [1, 1, 2, 2]);
    for (let i = 0; i < 3; i++) await system.spawn(fixture('plain.actor.js'), i, { shard: 1 });
    assert.is((await system.spawn(fixture('plain.actor.js'), 0, { shard: 'least-loaded' })).shard, 2);
    const parent = await probe(system, inbox, 2, { tag: 'parent' });
    system.send(parent, { op: 'spawn', url: PROBE.href, args: { report: inbox.pid, tag: 'child' }, mode: 'plain' });
    const spawned = await expectReport(inbox, 'spawned', 'parent');
    assert.is((spawned.child as Pid).shard, 2);
    system.send(parent, { op: 'spawn', url: PROBE.href, args: { report: inbox.pid, tag: 'child2' }, mode: 'plain', opts: { shard: 1 } });
    assert.is(((await expectReport(inbox, 'spawned', 'parent')).child as Pid).shard, 1);
  }));

test('least-loaded spreads spawns asked back to back (the counts move only once each child exists): ties go in turn', () =>
  withSystem({ threads: 4 }, async (system) => {
    const pids = await Promise.all(Array.from({ length: 8 }, (_, i) => system.spawn(fixture('plain.actor.js'), i, { shard: 'least-loaded' })));
    const per = [1, 2, 3, 4].map((s) => pids.filter((p) => p.shard === s).length);
    assert.equal(per, [2, 2, 2, 2], `per shard: ${per.join(', ')}`);
  }));

test('pids print Erlang-style and survive the trip through messages', () =>
  withSystem({ threads: 1 }, async (system) => {
    const inbox = system.inbox();
    const p = await probe(system, inbox, 1, { tag: 'printed' });
    assert.match(String(p), /^<0\.1\.\d+>$/);
    assert.match(String(inbox.pid), /^<0\.0\.\d+>$/);
    system.send(p, { op: 'send', to: inbox.pid, msg: { me: p } });
    const back = await expect<{ me: Pid }>(inbox, (m) => m?.me !== undefined, 'pid echo');
    assert.ok(back.me.equals(p));
    assert.is(back.me.toString(), p.toString());
  }));

test('shutdown stops every actor with reason shutdown (terminate runs), then refuses new work', async () => {
  const system = await ActorSystem.start({ threads: 2 });
  const inbox = system.inbox();
  const a = await probe(system, inbox, 1, { tag: 'sa' });
  const b = await probe(system, inbox, 2, { tag: 'sb' });
  const ra = inbox.monitor(a);
  const rb = inbox.monitor(b);
  const reports = Promise.all([
    inbox.receive((m: any) => m?.event === 'terminated' && m.tag === 'sa'),
    inbox.receive((m: any) => m?.event === 'terminated' && m.tag === 'sb'),
    inbox.receive((m: any) => m?.type === 'DOWN' && m.ref === ra),
    inbox.receive((m: any) => m?.type === 'DOWN' && m.ref === rb),
  ]);
  await system.shutdown();
  const [ta, tb, da, db] = (await reports) as any[];
  assert.is(ta.reason, 'shutdown');
  assert.is(tb.reason, 'shutdown');
  assert.is(da.reason, 'shutdown');
  assert.is(db.reason, 'shutdown');
  assert.not.ok(system.running);
  assert.throws(() => system.send(a, { op: 'ping' }), (e: Error) => e instanceof SystemStoppedError);
  try {
    await system.spawn(PROBE, {});
    assert.unreachable();
  } catch (err) {
    assert.instance(err, SystemStoppedError);
  }
  await system.shutdown(); // idempotent
  // The test runner fails this file if the process does not exit on its own now.
});

test('a shard that does not stop in time is terminated, and a spawn waiting on it fails instead of never settling', async () => {
  const system = await ActorSystem.start({ threads: 1, shutdownTimeoutMs: 200 });
  const inbox = system.inbox();
  const hog = await probe(system, inbox, 1, { tag: 'stuck' });
  system.send(hog, { op: 'hog', ms: 60_000 });
  await expectReport(inbox, 'hogging', 'stuck');
  // Asked of the stuck shard, which will never read it: only the shard's end can answer it.
  let outcome = 'pending';
  const spawning = system.spawn(PROBE, { report: inbox.pid }, { shard: 1 }).then(
    () => (outcome = 'resolved'),
    (err: { code?: string }) => (outcome = String(err.code)),
  );
  await system.shutdown();
  await new Promise((resolve) => setImmediate(resolve));
  assert.is(outcome, 'ERR_SHARD_DOWN', 'the spawn failed when its shard was terminated');
  await spawning;
});

test('a closed inbox sends, links, monitors, calls and sets timers no more (ERR_NO_PROC); after shutdown no inbox does (ERR_SYSTEM_STOPPED)', async () => {
  const system = await ActorSystem.start({ threads: 1 });
  const inbox = system.inbox();
  const p = await probe(system, inbox, 1, { tag: 'after-close' });
  const closed = system.inbox();
  closed.close();
  const noProc = (e: { code?: string }) => e.code === 'ERR_NO_PROC';
  assert.throws(() => closed.send(p, { op: 'ping' }), noProc);
  assert.throws(() => closed.monitor(p), noProc);
  assert.throws(() => closed.link(p), noProc);
  assert.throws(() => closed.sendAfter(p, { op: 'ping' }, 1), noProc);
  assert.throws(() => closed.cast(p as never, 'x' as never), noProc);
  const call = await closed.call(p as never, 'x' as never).then(() => 'answered', (e: { code?: string }) => String(e.code));
  assert.is(call, 'ERR_NO_PROC');
  await system.shutdown();
  assert.throws(() => inbox.send(p, { op: 'ping' }), (e: { code?: string }) => e.code === 'ERR_SYSTEM_STOPPED');
});

test('shutdown ends stopped when a late step fails (an exporter that cannot flush) and rejects with that error; a processor without forceFlush is refused at start', async () => {
  const failing = { onStart() {}, onEnd() {}, forceFlush: () => Promise.reject(new Error('collector unreachable')), shutdown: async () => {} };
  const system = await ActorSystem.start({ threads: 1, tracing: { processors: [failing as never] } });
  const err = await system.shutdown().then(() => null, (e: Error) => e);
  assert.match(String(err?.message), /collector unreachable/);
  assert.is(system.inspect().state, 'stopped');
  try {
    await ActorSystem.start({ threads: 1, tracing: { processors: [{ onStart() {}, onEnd() {}, shutdown: async () => {} } as never] } });
    assert.unreachable('a processor without forceFlush was taken');
  } catch (e) {
    assert.is((e as { code?: string }).code, 'ERR_INVALID_OPTION');
  }
});

test('after shutdown, an inbox receive rejects with ERR_SYSTEM_STOPPED and the global-name calls reject (they threw)', async () => {
  const system = await ActorSystem.start({ threads: 1 });
  const inbox = system.inbox();
  await system.shutdown();
  const got = await inbox.receive().then(() => 'received', (e: { code?: string }) => String(e.code));
  assert.is(got, 'ERR_SYSTEM_STOPPED');
  let where: Promise<unknown> | undefined;
  assert.not.throws(() => (where = system.whereisGlobal('x')));
  assert.is(await where!.then(() => 'found', (e: { code?: string }) => String(e.code)), 'ERR_SYSTEM_STOPPED');
});

test('a failed start rejects with its own error, even when stopping what had started fails too', async () => {
  const failing = { onStart() {}, onEnd() {}, forceFlush: () => Promise.reject(new Error('collector unreachable')), shutdown: async () => {} };
  const err = await ActorSystem.start({ threads: 1, tracing: { processors: [failing as never] }, telemetry: { provider: fixture('no-such-provider.mjs') } }).then(
    () => null,
    (e: { code?: string; message?: string }) => e,
  );
  assert.is(err?.code, 'ERR_MODULE_NOT_FOUND', String(err?.message));
});

test("a listener that throws is reported (JOERL_LISTENER_FAILED) and the runtime's bookkeeping goes on: the dead shard restarts, the main thread's loop runs", async () => {
  const system = await ActorSystem.start({ threads: 1, logLevel: 'silent' });
  const warnings: Error[] = [];
  const onWarning = (w: Error) => warnings.push(w);
  process.on('warning', onWarning);
  try {
    const inbox = system.inbox();
    system.on('shardDown', () => {
      throw new Error('a buggy shardDown listener');
    });
    // A listener after the one that throws still hears the event.
    let heard = 0;
    system.on('shardDown', () => heard++);
    system.on('crashReport', () => {
      throw new Error('a buggy crashReport listener');
    });
    // An async one that rejects is reported too (unhandled, its rejection would end the process).
    system.on('shardRestart', async () => {
      throw new Error('a buggy async shardRestart listener');
    });
    const restarted = new Promise<void>((resolve) => system.once('shardRestart', () => resolve()));
    system.killShard(1);
    await restarted;
    assert.is(heard, 1);
    // A crash report dispatched on the main thread's loop: the loop goes on (the echo below comes back).
    const p = await probe(system, inbox, 1, { tag: 'after-listeners' });
    system.send(p, { op: 'panic', message: 'reported to a buggy listener' });
    const q = await probe(system, inbox, 1, { tag: 'still-served' });
    system.send(q, { op: 'ping' });
    await expectReport(inbox, 'pong', 'still-served');
    await new Promise<void>((resolve) => setImmediate(resolve)); // warnings are emitted on the next tick
    const codes = warnings.map((w) => (w as { code?: string }).code);
    assert.ok(codes.filter((c) => c === 'JOERL_LISTENER_FAILED').length >= 3, JSON.stringify(codes));
  } finally {
    process.off('warning', onWarning);
    await system.shutdown();
  }
});

test("shutdown does not wait for a shard kept alive by a handle its actors' code left open, once the shard has stopped its processes", async () => {
  // Regression: the host waited for the worker's own exit, which never came, until shutdownTimeoutMs (here 10 min: the file would time out).
  const system = await ActorSystem.start({ threads: 1, shutdownTimeoutMs: 600_000 });
  await system.spawn(fixture('open-handle.actor.ts'), undefined, { shard: 1 });
  await system.shutdown();
  assert.is(system.inspect().state, 'stopped');
});

test.run();
