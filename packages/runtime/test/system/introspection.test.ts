// Introspection over the admin channel: processes(), processInfo(), getState(), supervisionTree(), and its failure modes.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ActorSystem, type ChildSpec, type Pid, Supervisor } from '@joerl/runtime';
import type { TreeArgs } from '../fixtures/tree.sup.ts';
import { PROBE, expectReport, probe, withSystem } from '../helpers.ts';

const TREE = new URL('../fixtures/tree.sup.ts', import.meta.url);

const probeChild = (report: Pid, id: string, shard: number): ChildSpec => ({ id, module: PROBE.href, args: { report, tag: id }, shard });

test('supervisionTree() gives the exact tree across two shards, with restarts as they happen', () =>
  withSystem({ threads: 2 }, async (system) => {
    const inbox = system.inbox();
    const inner: TreeArgs = { strategy: 'one_for_all', children: [probeChild(inbox.pid, 'c', 1)] };
    const root = await system.spawn(TREE, {
      strategy: 'rest_for_one',
      intensity: { maxRestarts: 5, withinMs: 10_000 },
      children: [probeChild(inbox.pid, 'a', 1), { id: 'inner', module: TREE.href, args: inner, type: 'supervisor', shard: 2 }, probeChild(inbox.pid, 'b', 2)],
    } satisfies TreeArgs, { shard: 1 });
    const a = await expectReport(inbox, 'started', 'a');
    const c = await expectReport(inbox, 'started', 'c');
    const b = await expectReport(inbox, 'started', 'b');
    let tree = await system.supervisionTree();
    assert.is(tree.length, 1);
    const top = tree[0]!;
    assert.ok(top.pid.equals(root));
    assert.is(top.shard, 1);
    assert.is(top.strategy, 'rest_for_one');
    assert.equal(top.intensity, { maxRestarts: 5, withinMs: 10_000 });
    assert.equal(top.children.map((ch) => [ch.id, ch.type, ch.restart, ch.restarts]), [['a', 'worker', 'permanent', 0], ['inner', 'supervisor', 'permanent', 0], ['b', 'worker', 'permanent', 0]]);
    assert.ok(top.children[0]!.pid!.equals(a.pid));
    assert.ok(top.children[2]!.pid!.equals(b.pid));
    const sub = top.children[1]!.supervisor!;
    assert.is(sub.shard, 2);
    assert.is(sub.strategy, 'one_for_all');
    assert.equal(sub.children.map((ch) => [ch.id, ch.restarts]), [['c', 0]]);
    assert.ok(sub.children[0]!.pid!.equals(c.pid));
    // b crashes: rest_for_one restarts only b (it is last); its restart count shows it.
    system.exit(b.pid, 'boom');
    const b2 = await expectReport(inbox, 'started', 'b');
    // A call queues behind the supervisor's handling of the EXIT: once answered, the restart is recorded.
    await Supervisor.whichChildren(system, root);
    tree = await system.supervisionTree();
    const kids = tree[0]!.children;
    assert.equal(kids.map((ch) => ch.restarts), [0, 0, 1]);
    assert.ok(kids[2]!.pid!.equals(b2.pid));
    assert.not.ok(kids[2]!.pid!.equals(b.pid));
    inbox.close();
  }));

test('processInfo() shows links, monitors both ways, trapExit, the mailbox head and the state', () =>
  withSystem({ threads: 2 }, async (system) => {
    const inbox = system.inbox();
    const x = await probe(system, inbox, 1, { tag: 'x', trap: true });
    const y = await probe(system, inbox, 2, { tag: 'y' });
    system.send(x, { op: 'link', pid: y });
    await expectReport(inbox, 'linked', 'x');
    system.send(y, { op: 'monitor', pid: x });
    const mon = await expectReport(inbox, 'monitoring', 'y');
    // x waits in a selective receive; two messages it does not want stay queued.
    system.send(x, { op: 'select', want: 'never' });
    await expectReport(inbox, 'selecting', 'x');
    system.send(x, { op: 'send', to: inbox.pid, msg: 'queued-1' } as never);
    system.send(x, { op: 'ping' });
    // The admin channel is not ordered with the rings: a round trip through shard 1 first.
    const barrier = await probe(system, inbox, 1, { tag: 'barrier' });
    system.send(barrier, { op: 'ping' });
    await expectReport(inbox, 'pong', 'barrier');
    const info = await system.processInfo(x, { messages: 5, stateTimeoutMs: 50 });
    assert.ok(info.pid.equals(x));
    assert.is(info.type, 'Probe');
    assert.is(info.behaviour, 'actor');
    assert.is(info.trapExit, true);
    assert.equal(info.linkedTo.map(String), [String(y)]);
    assert.equal(info.monitoredBy.map((m) => [m.ref, String(m.pid)]), [[mon.ref, String(y)]]);
    assert.equal(info.monitorsHeld, []);
    assert.is(info.status, 'waiting');
    assert.is(info.mailbox, 2);
    assert.is(info.queue.length, 2);
    assert.match(info.queue[0]!, /queued-1/);
    assert.match(info.queue[1]!, /ping/);
    assert.is(info.state, undefined, 'busy in a handler: no state within 50 ms');
    const yInfo = await system.processInfo(y);
    assert.equal(yInfo.monitorsHeld.map((m) => [m.ref, String(m.pid)]), [[mon.ref, String(x)]]);
    assert.equal(yInfo.linkedTo.map(String), [String(x)]);
    assert.is(yInfo.status, 'idle');
    assert.match(yInfo.state!, /tag: 'y'/);
    inbox.close();
  }));

test('getState() of an actor busy in a handler times out with ERR_CALL_TIMEOUT; unknown pids give ERR_NO_PROC', () =>
  withSystem({ threads: 1 }, async (system) => {
    const inbox = system.inbox();
    const x = await probe(system, inbox, 1, { tag: 'x' });
    assert.match(await system.getState(x), /report:/);
    system.send(x, { op: 'select', want: 'never' });
    await expectReport(inbox, 'selecting', 'x');
    const err = await system.getState(x, { timeoutMs: 30 }).then(() => null, (e: Error & { code?: string }) => e);
    assert.is(err?.code, 'ERR_CALL_TIMEOUT');
    // The shard was not blocked: x's shard-mate answers at once.
    const z = await probe(system, inbox, 1, { tag: 'z' });
    assert.match(await system.getState(z), /tag: 'z'/);
    system.exit(z, 'kill');
    await system.join(z);
    const gone = await system.getState(z).then(() => null, (e: Error & { code?: string }) => e);
    assert.is(gone?.code, 'ERR_NO_PROC');
    const bad = await system.processInfo('nope' as never).then(() => null, (e: Error & { code?: string }) => e);
    assert.is(bad?.code, 'ERR_INVALID_ARGUMENT');
    inbox.close();
  }));

test('processes() sorts and limits across shards; bad queries are typed errors', () =>
  withSystem({ threads: 2 }, async (system) => {
    const inbox = system.inbox();
    const blocked = [await probe(system, inbox, 1, { tag: 'p' }), await probe(system, inbox, 2, { tag: 'q' }), await probe(system, inbox, 1, { tag: 'r' })];
    const counts = [5, 2, 9];
    for (const [i, pid] of blocked.entries()) {
      system.send(pid, { op: 'select', want: 'never' });
      await expectReport(inbox, 'selecting', ['p', 'q', 'r'][i]);
      for (let k = 0; k < counts[i]!; k++) system.send(pid, { op: 'ping' });
    }
    // A round trip through each shard after the sends: they are all queued by then.
    for (const shard of [1, 2]) {
      const barrier = await probe(system, inbox, shard, { tag: `barrier${shard}` });
      system.send(barrier, { op: 'ping' });
      await expectReport(inbox, 'pong', `barrier${shard}`);
    }
    const top = await system.processes({ sortBy: 'mailbox', limit: 2 });
    assert.equal(top.map((r) => [String(r.pid), r.mailbox]), [[String(blocked[2]), 9], [String(blocked[0]), 5]]);
    assert.is(top[0]!.memory > 0, true);
    const onTwo = await system.processes({ sortBy: 'mailbox', shard: 2 });
    assert.ok(onTwo.every((r) => r.shard === 2));
    assert.equal(onTwo[0]!.mailbox, 2);
    const all = await system.processes({ limit: 1000 });
    assert.is(all.length, 5);
    for (const q of [{ sortBy: 'size' }, { limit: 0 }, { limit: 1.5 }, { shard: -1 }]) {
      const e = await system.processes(q as never).then(() => null, (x: Error & { code?: string }) => x);
      assert.is(e?.code, 'ERR_INVALID_ARGUMENT', JSON.stringify(q));
    }
    const figures = await system.shardFigures();
    assert.equal(figures.map((f) => f.shard), [1, 2]);
    assert.is(figures[0]!.queued, 14);
    assert.ok(figures[0]!.heapUsed > 0);
    inbox.close();
  }));

test('an admin call to a shard killed mid-call rejects with ERR_SHARD_DOWN; after shutdown, ERR_SYSTEM_STOPPED', async () => {
  const system = await ActorSystem.start({ threads: 2 });
  const inbox = system.inbox();
  const x = await probe(system, inbox, 2, { tag: 'x' });
  system.send(x, { op: 'select', want: 'never' });
  await expectReport(inbox, 'selecting', 'x');
  const pending = system.getState(x, { timeoutMs: 60_000 }).then(() => null, (e: Error & { code?: string }) => e);
  const down = new Promise((r) => system.once('shardDown', r));
  system.killShard(2);
  await down;
  assert.is((await pending)?.code, 'ERR_SHARD_DOWN');
  inbox.close();
  await system.shutdown();
  for (const call of [() => system.processes(), () => system.supervisionTree(), () => system.getState(x), () => system.shardFigures(), () => system.processInfo(x)]) {
    const e = await call().then(() => null, (err: Error & { code?: string }) => err);
    assert.is(e?.code, 'ERR_SYSTEM_STOPPED');
  }
});

test('after shutdown no admin proxy or port is left: the process exits by itself', async () => {
  const runtime = fileURLToPath(new URL('../../dist/index.js', import.meta.url));
  const code = `
    const { ActorSystem } = await import(${JSON.stringify(runtime)});
    const system = await ActorSystem.start({ threads: 2 });
    await system.processes(); await system.supervisionTree(); await system.shardFigures(); await system.stats();
    await system.shutdown();
    console.log('stopped');`;
  const dir = mkdtempSync(join(tmpdir(), 'joerl-exit-'));
  const file = join(dir, 'main.mjs');
  writeFileSync(file, code);
  const child = spawn(process.execPath, [file], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  const exitCode = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  assert.is(exitCode, 0);
  assert.match(out, /stopped/);
  rmSync(dir, { recursive: true, force: true });
});

test('processes() gives each process its handled messages per second (reductions), with telemetry on as off', async () => {
  for (const enabled of [true, false]) {
    await withSystem({ threads: 1, telemetry: { enabled } }, async (system) => {
      const inbox = system.inbox();
      const busy = await probe(system, inbox, 1, { tag: 'busy' });
      for (let k = 0; k < 20; k++) system.send(busy, { op: 'ping' });
      for (let k = 0; k < 20; k++) await expectReport(inbox, 'pong', 'busy');
      const [row] = await system.processes({ match: String(busy) });
      assert.ok(row!.reductions > 0, `telemetry ${enabled ? 'on' : 'off'}: ${row!.reductions}`);
      inbox.close();
    });
  }
});

test('processes({ match }) filters by name, type or pid on each shard before its top-N', () =>
  withSystem({ threads: 2 }, async (system) => {
    const inbox = system.inbox();
    const named = await probe(system, inbox, 2, { tag: 'n', name: 'Billing-Worker' });
    await probe(system, inbox, 1, { tag: 'o' });
    const byName = await system.processes({ match: 'billing' });
    assert.equal(byName.map((r) => String(r.pid)), [String(named)]);
    assert.is(byName[0]!.name, 'Billing-Worker');
    assert.is((await system.processes({ match: 'PROBE' })).length, 2, 'the type, case-insensitive');
    assert.equal((await system.processes({ match: String(named) })).map((r) => String(r.pid)), [String(named)]);
    assert.equal(await system.processes({ match: 'nothing-like-this' }), []);
    for (const q of [{ match: 7 }, { match: 'x'.repeat(201) }, { timeoutMs: -1 }, { timeoutMs: 'soon' }]) {
      const e = await system.processes(q as never).then(() => null, (x: Error & { code?: string }) => x);
      assert.is(e?.code, 'ERR_INVALID_ARGUMENT', JSON.stringify(q).slice(0, 40));
    }
    inbox.close();
  }));

test('with timeoutMs, a shard stalled in a handler is left out instead of holding up the answer', () =>
  withSystem({ threads: 2 }, async (system) => {
    const inbox = system.inbox();
    const one = await probe(system, inbox, 1, { tag: 'one' });
    const stuck = await probe(system, inbox, 2, { tag: 'stuck' });
    system.send(stuck, { op: 'hog', ms: 600_000 });
    await expectReport(inbox, 'hogging', 'stuck');
    const rows = await system.processes({ timeoutMs: 50 });
    assert.equal(rows.map((r) => String(r.pid)), [String(one)]);
    const figures = await system.shardFigures({ timeoutMs: 50 });
    assert.equal(figures.map((f) => [f.shard, f.answered]), [[1, true], [2, false]]);
    assert.is(figures[1]!.up, true, 'up, only stalled');
    assert.equal(await system.supervisionTree({ timeoutMs: 50 }), []);
    const bad = await system.shardFigures({ timeoutMs: NaN }).then(() => null, (x: Error & { code?: string }) => x);
    assert.is(bad?.code, 'ERR_INVALID_ARGUMENT');
    // Regression: these two waited for the watchdog (here: for ever, the default handlerTimeoutMs being 30 s).
    const stats = await system.stats({ timeoutMs: 2000 });
    assert.equal(stats.map((x) => [x.shard, x.actors]), [[1, 1], [2, 0]], 'the stalled one reports zeros');
    const info = await system.processInfo(stuck, { stateTimeoutMs: 50 }).then(() => null, (x: Error & { code?: string }) => x);
    assert.is(info?.code, 'ERR_CALL_TIMEOUT');
    assert.is((await system.stats({ timeoutMs: -1 }).then(() => null, (x: Error & { code?: string }) => x))?.code, 'ERR_INVALID_ARGUMENT');
    const restarted = new Promise((r) => system.once('shardRestart', r));
    system.killShard(2);
    await restarted;
    inbox.close();
  }));

test.run();
