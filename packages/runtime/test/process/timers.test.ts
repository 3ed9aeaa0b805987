// sendAfter / cancelTimer: deadline order, at-least-delay, cancel true only before firing, names resolved at fire time.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { ActorSystem, type Inbox, type MessagesLost, move } from '@joerl/runtime';
import { expect, expectReport, probe } from '../helpers.ts';

const test = suite('timers');
let system: ActorSystem;
let inbox: Inbox;
test.before(async () => {
  system = await ActorSystem.start({ threads: 2 });
  inbox = system.inbox();
});
test.after(() => system.shutdown());

test('timers fire in deadline order (ties in creation order), each after at least its delay', async () => {
  const start = performance.now();
  const plan = [40, 10, 25, 10, 0, 60];
  plan.forEach((ms, i) => system.sendAfter(inbox.pid, { timer: i, ms }, ms));
  const got: Array<{ timer: number; ms: number; at: number }> = [];
  for (let i = 0; i < plan.length; i++) {
    const m = await expect<{ timer: number; ms: number }>(inbox, (x) => typeof x?.timer === 'number', `timer ${i}`);
    got.push({ ...m, at: performance.now() - start });
  }
  assert.equal(got.map((g) => g.timer), [4, 1, 3, 2, 0, 5]);
  for (const g of got) assert.ok(g.at >= g.ms, `timer ${g.timer} fired at ${g.at.toFixed(1)} ms, before its ${g.ms} ms`);
});

test('cancelTimer returns true before firing (and the message never comes), false after', async () => {
  const ref = system.sendAfter(inbox.pid, { cancelled: true }, 50);
  assert.ok(system.cancelTimer(ref));
  assert.not.ok(system.cancelTimer(ref), 'a second cancel is false');
  const fired = system.sendAfter(inbox.pid, { fired: true }, 1);
  await expect(inbox, (m) => m?.fired === true, 'the short timer');
  assert.not.ok(system.cancelTimer(fired), 'cancel after firing is false');
  // A later timer proves the cancelled one (earlier deadline) would have arrived by now.
  system.sendAfter(inbox.pid, { later: true }, 80);
  await expect(inbox, (m) => m?.later === true, 'the later timer');
  assert.is(await inbox.receive((m: any) => m?.cancelled === true, { timeoutMs: 0 }), undefined);
});

for (const [label, shard] of [['within one shard', 1], ['across two shards', 2]] as const) {
  test(`an actor's timer to another thread arrives, and cancel works there (${label})`, async () => {
    const target = await probe(system, inbox, 1, { tag: `tt-${shard}` });
    const setter = await probe(system, inbox, shard, { tag: `ts-${shard}` });
    system.send(setter, { op: 'send-after', to: target, msg: { k: 'tick' }, ms: 5 });
    const { ref } = await expectReport(inbox, 'timer', `ts-${shard}`);
    const got = await expect<any>(inbox, (m) => m?.event === 'got' && m.tag === `tt-${shard}`, 'tick at the target');
    assert.equal(got.msg, { k: 'tick' });
    system.send(setter, { op: 'cancel', ref: ref as number });
    assert.is((await expectReport(inbox, 'cancelled', `ts-${shard}`)).result, false);
    system.send(setter, { op: 'send-after', to: target, msg: { k: 'never' }, ms: 60_000 });
    const r2 = await expectReport(inbox, 'timer', `ts-${shard}`);
    system.send(setter, { op: 'cancel', ref: r2.ref as number });
    assert.is((await expectReport(inbox, 'cancelled', `ts-${shard}`)).result, true);
  });
}

test('a named destination is resolved when the timer fires; a missing name becomes a dead letter', async () => {
  system.sendAfter('late-name', { k: 'to-name' }, 20);
  const p = await probe(system, inbox, 2, { tag: 'late' });
  system.register('late-name', p);
  const got = await expect<any>(inbox, (m) => m?.event === 'got' && m.tag === 'late', 'message via name');
  assert.equal(got.msg, { k: 'to-name' });
  const dead = new Promise((resolve) => system.once('deadLetter', resolve));
  system.sendAfter('nobody', { k: 'lost' }, 1);
  const dl = (await dead) as { reason: string; to: string };
  assert.is(dl.reason, 'actor_not_found');
  assert.is(dl.to, 'nobody');
});

test("a timer set by a process's code after it was killed never fires (its timers die with it)", async () => {
  const victim = await probe(system, inbox, 1, { tag: 'tv' });
  const bystander = await probe(system, inbox, 1, { tag: 'tb' });
  const ref = inbox.monitor(victim);
  system.send(victim, { op: 'timer-after-exit', to: inbox.pid, msg: { late: true } });
  await expectReport(inbox, 'waiting', 'tv');
  system.exit(victim, 'kill');
  await expect<any>(inbox, (m) => m?.type === 'DOWN' && m.ref === ref, 'DOWN of the victim');
  // The victim's 1 ms timer, if set, was set before this one (its code ran right after the kill) and is due
  // first on the same thread's heap: by the time the marker comes, the late message would have come.
  system.send(bystander, { op: 'send-after', to: inbox.pid, msg: { marker: true }, ms: 20 });
  await expect(inbox, (m) => m?.marker === true, 'the marker');
  assert.is(await inbox.receive((m: any) => m?.late === true, { timeoutMs: 0 }), undefined);
});

test('bad timer arguments get typed errors', () => {
  // A name no registry can hold: refused at the call, not when the timer fires (where it would end its thread).
  assert.throws(() => system.sendAfter('x\uD800', {}, 0), (e: { code?: string; message?: string }) => e.code === 'ERR_INVALID_ARGUMENT' && /lone surrogate/.test(e.message ?? ''));
  assert.throws(() => system.sendAfter('n'.repeat(200), {}, 0), (e: { code?: string }) => e.code === 'ERR_INVALID_ARGUMENT');
  assert.throws(() => system.sendAfter('', {}, 0), (e: { code?: string }) => e.code === 'ERR_INVALID_ARGUMENT', "an empty name, as send('') (it became a dead letter when the timer fired)");
  assert.throws(() => system.sendAfter(inbox.pid, {}, -1), (e: { code?: string }) => e.code === 'ERR_INVALID_ARGUMENT');
  assert.throws(() => system.sendAfter(inbox.pid, {}, NaN), (e: { code?: string }) => e.code === 'ERR_INVALID_ARGUMENT');
  assert.throws(() => system.cancelTimer(12345 * 4096 + 1 as never), (e: { code?: string }) => e.code === 'ERR_INVALID_ARGUMENT');
});

test('timeoutAfter refuses a message that is not an object at the call (it failed when the timer fired, and took the shard down)', async () => {
  const p = await probe(system, inbox, 1, { tag: 'timeout-bad' });
  const ref = inbox.monitor(p);
  system.send(p, { op: 'timeout-bad' });
  const got = await expect<any>(inbox, (m) => (m?.event?.startsWith('timeout-') && m.tag === 'timeout-bad') || (m?.type === 'DOWN' && m.ref === ref), 'the refusal');
  assert.is(got.event, 'timeout-refused');
  assert.is(got.code, 'ERR_INVALID_ARGUMENT');
});

test('one object queued twice by timeoutAfter is taken twice as a timeout: the shard counts no message it does not hold', async () => {
  // Regression: kept in a WeakSet, the second take counted as a send, and the shard's queued count went one below
  // the truth: a message really queued when the shard died was then reported as none lost.
  const own = await ActorSystem.start({ threads: 1 });
  try {
    const box = own.inbox();
    const p = await probe(own, box, 1, { tag: 'twice' });
    own.send(p, { op: 'timeout-twice' });
    await expectReport(box, 'armed', 'twice');
    await expectReport(box, 'timed-out', 'twice');
    await expectReport(box, 'timed-out', 'twice');
    // One message that stays queued: its receiver waits for another.
    const holder = await probe(own, box, 1, { tag: 'holder' });
    own.send(holder, { op: 'select', want: 'never' });
    await expectReport(box, 'selecting', 'holder');
    own.send(holder, { k: 'other' } as never);
    own.send(p, { op: 'ping' }); // behind it on the same ring
    await expectReport(box, 'pong', 'twice');
    const lost: MessagesLost[] = [];
    own.on('messagesLost', (l) => lost.push(l));
    const restarted = new Promise<void>((resolve) => own.once('shardRestart', () => resolve()));
    own.killShard(1);
    await restarted;
    assert.is(lost.reduce((n, l) => n + l.queued, 0), 1);
  } finally {
    await own.shutdown();
  }
});

test('in production (checkLocalSends off) a moved buffer is taken at sendAfter to a process of this thread, as a send takes it, not when the timer fires', async () => {
  // Regression: it stayed attached and marked until the timer fired, and what the sender wrote meanwhile reached the receiver.
  const prod = await ActorSystem.start({ threads: 1, checkLocalSends: false });
  try {
    const box = prod.inbox();
    const buf = new Uint8Array([1, 2, 3]).buffer;
    prod.sendAfter(box.pid, { b: move(buf) }, 10);
    assert.is(buf.byteLength, 0, 'detached at the call');
    const got = (await box.receive((m: any) => m?.b !== undefined, { timeoutMs: 10_000 })) as { b: ArrayBuffer };
    assert.equal([...new Uint8Array(got.b)], [1, 2, 3]);
    // Another buffer marked and not sent yet: this message, unchecked as any send here, is not checked either.
    const pending = move(new ArrayBuffer(4));
    const fn = () => 1;
    prod.sendAfter(box.pid, { fn }, 1);
    assert.is(((await box.receive((m: any) => m?.fn !== undefined, { timeoutMs: 10_000 })) as { fn: unknown }).fn, fn);
    prod.send(box.pid, { pending });
  } finally {
    await prod.shutdown();
  }
});

test.run();
