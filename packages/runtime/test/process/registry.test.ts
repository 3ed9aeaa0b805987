// Registered names: unique, resolvable from every thread, freed when the holder exits.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { ActorSystem, type Inbox, NameTakenError, UnknownNameError } from '@joerl/runtime';
import { PLACEMENTS, PROBE, expect, expectReport, probe } from '../helpers.ts';

const test = suite('registry');
let system: ActorSystem;
let inbox: Inbox;
test.before(async () => {
  system = await ActorSystem.start({ threads: 2 });
  inbox = system.inbox();
});
test.after(() => system.shutdown());

for (const { label, a, b } of PLACEMENTS) {
  test(`a name is taken once, resolves everywhere, and is free once its holder exits (${label})`, async () => {
    const name = `svc-${a}${b}`;
    const holder = await probe(system, inbox, a, { tag: `h-${a}${b}`, name });
    assert.ok(system.whereis(name)?.equals(holder));
    const rival = await probe(system, inbox, b, { tag: `r-${a}${b}` });
    system.send(rival, { op: 'register', name });
    const refused = await expectReport(inbox, 'register-failed', `r-${a}${b}`);
    assert.is(refused.code, 'ERR_NAME_TAKEN');
    // Send by name from another shard.
    system.send(rival, { op: 'send', to: name, msg: { op: 'ping' } });
    await expectReport(inbox, 'pong', `h-${a}${b}`);
    const ref = inbox.monitor(holder);
    system.send(holder, { op: 'panic', message: 'bye' });
    await expect(inbox, (m) => m?.type === 'DOWN' && m.ref === ref, 'DOWN of the holder');
    // Freed before the DOWN went out.
    assert.is(system.whereis(name), undefined);
    system.send(rival, { op: 'register', name });
    await expectReport(inbox, 'registered', `r-${a}${b}`);
    assert.ok(system.whereis(name)?.equals(rival));
  });
}

test('spawn with a name that is taken fails with ERR_NAME_TAKEN', async () => {
  await probe(system, inbox, 1, { tag: 'first' }, { name: 'only-one' });
  try {
    await system.spawn(PROBE, { report: inbox.pid }, { shard: 2, name: 'only-one' });
    assert.unreachable();
  } catch (err) {
    assert.instance(err, NameTakenError);
  }
});

test('a name registered from main for a shard actor is freed when it exits', async () => {
  const p = await probe(system, inbox, 2, { tag: 'named-from-main' });
  system.register('from-main', p);
  assert.throws(() => system.register('from-main', p), (e: Error) => e instanceof NameTakenError);
  assert.ok(system.registered().some(([n, pid]) => n === 'from-main' && pid.equals(p)));
  const ref = inbox.monitor(p);
  system.send(p, { op: 'stop', reason: 'normal' });
  await expect(inbox, (m) => m?.type === 'DOWN' && m.ref === ref, 'DOWN');
  // The owning shard learns of the name through its ring, ahead of the stop
  // message, so it frees it at exit like any other.
  assert.is(system.whereis('from-main'), undefined);
});

test('a name registered from main while its holder is exiting is gone before the DOWN, even when the holder\'s shard hears of it after', async () => {
  const race = new URL('../fixtures/name-race.actor.ts', import.meta.url);
  const holder = await system.spawn(race, { report: inbox.pid }, { shard: 1 });
  const watcher = await system.spawn(race, { report: inbox.pid }, { shard: 1 });
  system.send(watcher, { op: 'watch', pid: holder, name: 'registered-late' });
  await expect(inbox, (m) => m?.event === 'watching', 'watching');
  const flag = new Int32Array(new SharedArrayBuffer(8));
  system.send(holder, { op: 'block-then-stop', flag });
  while (Atomics.load(flag, 1) === 0) {
    const w = Atomics.waitAsync(flag, 1, 0, 1000);
    if (w.async) await w.value;
  }
  // The holder's shard is blocked: it notes the name only after the holder has exited.
  system.register('registered-late', holder);
  Atomics.store(flag, 0, 1);
  Atomics.notify(flag, 0);
  const down = await expect(inbox, (m) => m?.event === 'down', 'the watcher\'s DOWN');
  assert.is(down.holder, null, 'the watcher saw the name still held by the dead process');
  assert.is(system.whereis('registered-late'), undefined);
  // And the name is free for another process.
  system.register('registered-late', watcher);
  assert.ok(system.whereis('registered-late')?.equals(watcher));
});

test('sending to an unknown name throws UnknownNameError with the message', () => {
  try {
    system.send('nobody-here', { hello: 1 });
    assert.unreachable();
  } catch (err) {
    assert.instance(err, UnknownNameError);
    assert.equal((err as UnknownNameError).undelivered, { hello: 1 });
  }
});

test('unregister frees a name; names are validated', async () => {
  const p = await probe(system, inbox, 1, { tag: 'unreg' });
  system.register('temp-name', p);
  assert.ok(system.unregister('temp-name'));
  assert.not.ok(system.unregister('temp-name'));
  assert.is(system.whereis('temp-name'), undefined);
  assert.throws(() => system.register('', p), (e: { code?: string }) => e.code === 'ERR_INVALID_ARGUMENT');
  assert.throws(() => system.register('x'.repeat(200), p), (e: { code?: string }) => e.code === 'ERR_INVALID_ARGUMENT');
});

test('ten registrations racing from two shards each get their own name', async () => {
  const pids = [];
  for (let i = 0; i < 10; i++) pids.push(await probe(system, inbox, (i % 2) + 1, { tag: `race${i}` }));
  pids.forEach((p, i) => system.send(p, { op: 'register', name: `race-${i}` }));
  for (let i = 0; i < 10; i++) await expectReport(inbox, 'registered', `race${i}`);
  pids.forEach((p, i) => assert.ok(system.whereis(`race-${i}`)?.equals(p)));
});

test("a name unregistered from another thread leaves its holder's names too (introspection shows it no more); one registered to it again stays", async () => {
  const p = await probe(system, inbox, 2, { tag: 'renamed' });
  system.register('old-name', p);
  system.unregister('old-name');
  system.register('kept', p);
  system.unregister('kept');
  system.register('kept', p);
  // Through the same ring as the registry's notes to its shard, behind them.
  system.send(p, { op: 'ping' });
  await expectReport(inbox, 'pong', 'renamed');
  assert.is((await system.processInfo(p)).name, 'kept');
  assert.equal((await system.processes({ match: 'old-name' })).length, 0, 'a process listed under a name it no longer holds');
});

test.run();
