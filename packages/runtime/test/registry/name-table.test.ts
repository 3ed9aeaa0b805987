// The shared-memory name table: register/whereis/unregister, conflicts, tombstones, capacity, lock recovery.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Pid, NameTakenError, RegistryFullError } from '@joerl/runtime';
import { NameTable, nameTableBytes } from '../../src/registry/name-table.ts';

const THREADS = 8;
const table = (max: number, thread = 0) => {
  const sab = new SharedArrayBuffer(nameTableBytes(max, THREADS));
  return { sab, t: new NameTable(sab, max, thread) };
};
/** i32 index of thread `t`'s count of unnoted names (the table's last THREADS words; THREADS is even). */
const unnotedCount = (sab: SharedArrayBuffer, t: number) => (sab.byteLength >> 2) - THREADS + t;

test('register, look up from another handle, unregister only by the owner pid', () => {
  const { sab, t } = table(64);
  const other = new NameTable(sab, 64, 3);
  const p = new Pid(0, 2, 10);
  t.register('alpha', p);
  assert.ok(other.whereis('alpha')?.equals(p));
  assert.throws(() => other.register('alpha', new Pid(0, 1, 1)), (e: Error) => e instanceof NameTakenError);
  assert.not.ok(other.unregister('alpha', new Pid(0, 1, 1)), 'another pid cannot free it');
  assert.ok(other.unregister('alpha', p));
  assert.is(t.whereis('alpha'), undefined, 'the cached lookup notices the change');
});

test('many names with churn keep resolving (tombstones do not lose entries)', () => {
  const { t } = table(512);
  for (let round = 0; round < 20; round++) {
    for (let i = 0; i < 300; i++) t.register(`n${round}-${i}`, new Pid(0, 1, round * 1000 + i));
    for (let i = 0; i < 300; i += 2) assert.ok(t.unregister(`n${round}-${i}`));
    for (let i = 1; i < 300; i += 2) assert.is(t.whereis(`n${round}-${i}`)?.serial, round * 1000 + i);
    for (let i = 1; i < 300; i += 2) t.unregister(`n${round}-${i}`);
  }
  assert.is(t.entries().length, 0);
});

test('capacity and unicode names', () => {
  const { t } = table(3);
  t.register('ä-名前', new Pid(0, 1, 1));
  t.register('b', new Pid(0, 1, 2));
  t.register('c', new Pid(0, 1, 3));
  assert.throws(() => t.register('d', new Pid(0, 1, 4)), (e: Error) => e instanceof RegistryFullError);
  assert.is(t.whereis('ä-名前')?.serial, 1);
  assert.equal(t.entries().map(([n]) => n).sort(), ['b', 'c', 'ä-名前']);
});

test('a name with a lone surrogate is refused (UTF-8 has no form for it: two such names would be one)', () => {
  const { t } = table(8);
  const invalid = (e: Error & { code?: string }) => e.code === 'ERR_INVALID_ARGUMENT' && /lone surrogate/.test(e.message);
  assert.throws(() => t.register('a\uD800', new Pid(0, 1, 1)), invalid);
  assert.throws(() => t.whereis('a\uDFFF'), invalid);
  t.register('a\uFFFD', new Pid(0, 1, 2));
  assert.is(t.whereis('a\uFFFD')?.serial, 2);
});

test("a spawn's name is checked at the spawn (too long, or a lone surrogate), not after the child started", async () => {
  const { ActorSystem } = await import('@joerl/runtime');
  const system = await ActorSystem.start({ threads: 1 });
  try {
    const probe = new URL('../fixtures/probe.actor.ts', import.meta.url);
    const inbox = system.inbox();
    for (const name of ['n'.repeat(200), 'x\uD800']) {
      await system.spawn(probe, { report: inbox.pid }, { shard: 1, name }).then(
        () => assert.unreachable(`spawned as ${JSON.stringify(name.slice(0, 10))}`),
        (e: Error & { code?: string }) => assert.is(e.code, 'ERR_INVALID_OPTION', e.message),
      );
    }
    assert.is(await inbox.receive((m: any) => m?.event === 'started', { timeoutMs: 0 }), undefined, 'no child started');
  } finally {
    await system.shutdown();
  }
});

test('removeShard frees every name of a dead shard; recoverLock releases a lock it held', () => {
  const { sab, t } = table(64);
  t.register('on1', new Pid(0, 1, 1));
  t.register('on2', new Pid(0, 2, 1));
  assert.is(t.removeShard(2), 1);
  assert.is(t.whereis('on2'), undefined);
  assert.ok(t.whereis('on1'));
  // Simulate shard 2 dying while holding the lock.
  new Int32Array(sab)[0] = 2 + 1;
  t.recoverLock(2);
  t.register('after', new Pid(0, 1, 9)); // would spin forever if the lock were still held
  assert.ok(t.whereis('after'));
});


test("a name registered from another thread is freed by its holder's exit until that thread notes it; after, only by name", () => {
  const { sab, t: holderThread } = table(64, 2);
  const main = new NameTable(sab, 64, 0);
  const p = new Pid(0, 2, 7);
  const q = new Pid(0, 2, 8);
  assert.equal(holderThread.freeUnnoted(p), [], 'nothing unnoted: nothing freed');
  main.register('late', p, true);
  main.register('other', q, true);
  assert.ok(holderThread.whereis('late')?.equals(p), 'an unnoted name resolves like any');
  assert.equal(main.entries().map(([n]) => n).sort(), ['late', 'other']);
  // The holder exits before its thread has heard of the name: its exit frees it, and no other process's.
  assert.equal(holderThread.freeUnnoted(p), ['late']);
  assert.is(main.whereis('late'), undefined);
  assert.ok(main.whereis('other')?.equals(q));
  // The late note finds the name gone (the thread then does not list it).
  assert.not.ok(holderThread.noted('late', p));
  // Noted: the thread's list frees it from now on, not the scan.
  assert.ok(holderThread.noted('other', q));
  assert.equal(holderThread.freeUnnoted(q), []);
  assert.ok(main.whereis('other')?.equals(q));
  // Re-registered to another process: not noted for the old one.
  main.register('late', q, true);
  assert.not.ok(holderThread.noted('late', p));
  assert.ok(main.unregister('late'));
  assert.equal(holderThread.freeUnnoted(q), [], 'an unregistered unnoted name is uncounted');
});

test('lock recovery counts unnoted names again (a writer that died between a slot and its count)', () => {
  const { sab, t: dead } = table(64, 4);
  const main = new NameTable(sab, 64, 0);
  const i32 = new Int32Array(sab);
  main.register('kept', new Pid(0, 1, 1), true);
  // Thread 4 died holding the lock with thread 1's count raised by one, and no slot written.
  Atomics.store(i32, 0, 5);
  Atomics.add(i32, unnotedCount(sab, 1), 1);
  main.recoverLock(4);
  assert.is(Atomics.load(i32, unnotedCount(sab, 1)), 1);
  assert.equal(dead.freeUnnoted(new Pid(0, 1, 1)), ['kept']);
  assert.is(Atomics.load(i32, unnotedCount(sab, 1)), 0);
});

test("a name left unnoted on one thread costs no other thread's exits a scan (nor a wait for the lock)", () => {
  const { sab, t: main } = table(64, 0);
  const i32 = new Int32Array(sab);
  main.register('stuck', new Pid(0, 2, 7), true); // thread 2 is blocked, or its notice was lost
  assert.is(Atomics.load(i32, unnotedCount(sab, 2)), 1);
  assert.is(Atomics.load(i32, unnotedCount(sab, 1)), 0);
  // Another thread holds the lock meanwhile: an exit on thread 1 neither scans nor waits for it.
  Atomics.store(i32, 0, 4);
  assert.equal(new NameTable(sab, 64, 1).freeUnnoted(new Pid(0, 1, 3)), []);
  Atomics.store(i32, 0, 0);
  assert.equal(new NameTable(sab, 64, 2).freeUnnoted(new Pid(0, 2, 7)), ['stuck']);
  assert.is(Atomics.load(i32, unnotedCount(sab, 2)), 0);
});
test.run();
