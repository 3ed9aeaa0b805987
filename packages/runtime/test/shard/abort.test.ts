// AbortSignal on call, spawn and offload: from main and from actors, in-shard and across shards; already aborted, aborted while pending, late answers dropped, listeners removed.
import { getEventListeners } from 'node:events';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { ActorSystem, type Inbox, InvalidOptionError, type Pid } from '@joerl/runtime';
import { PLACEMENTS, expect, expectReport } from '../helpers.ts';
import type { AborterCmd } from '../fixtures/aborter.actor.ts';

const ABORTER = new URL('../fixtures/aborter.actor.ts', import.meta.url);
const JOBS = new URL('../fixtures/jobs.offload.js', import.meta.url);
const COUNTER = new URL('../fixtures/counter.server.ts', import.meta.url);
const test = suite('abort signals');
let system: ActorSystem;
let inbox: Inbox;
test.before(async () => {
  system = await ActorSystem.start({ threads: 2, offload: { threads: 1 } });
  inbox = system.inbox();
});
test.after(() => system.shutdown());

/** Resolves with the rejection of `p` (fails the test if it resolves). */
async function rejection(p: Promise<unknown>, what: string): Promise<unknown> {
  return p.then(
    () => assert.unreachable(`${what} resolved`),
    (err: unknown) => err,
  );
}

async function aborter(shard: number): Promise<Pid<AborterCmd>> {
  return (await system.spawn(ABORTER, { report: inbox.pid }, { shard })) as Pid<AborterCmd>;
}

/**
 * Monitors `pid`, runs `abort`, and checks that `pid` then exits `killed`.
 * `barrier`, an aborter on `pid`'s shard, answers a ping first: the monitor
 * went before it on the same ring, so it is in place before anyone else's kill.
 */
async function killedBy(pid: Pid, abort: () => void, barrier?: Pid<AborterCmd>): Promise<void> {
  const ref = inbox.monitor(pid);
  if (barrier !== undefined) {
    system.send(barrier, { op: 'ping' });
    await expect(inbox, (m) => m?.event === 'pong' && (m.pid as Pid).equals(barrier), 'the barrier\'s pong');
  }
  abort();
  const down = await expect<any>(inbox, (m) => m?.type === 'DOWN' && m.ref === ref, 'the DOWN of the half-started process');
  assert.is(down.reason, 'killed');
}

/** Waits for the aborter's report that the operation ended, and checks it ended by the abort, with nothing left listening. */
async function endedByAbort(what: string): Promise<void> {
  const r = await expect<any>(inbox, (m) => m?.event === `${what}-ended`, `${what}-ended`);
  assert.equal({ ok: r.ok, sameReason: r.sameReason, listeners: r.listeners }, { ok: false, sameReason: true, listeners: 0 });
}

// ---- offload

test('offload from main: an aborted signal rejects at once with its reason; an abort while the job runs rejects with it and the pool carries on', async () => {
  const reason = new Error('not needed any more');
  assert.is(await rejection(system.offload(JOBS, { n: 10 }, { signal: AbortSignal.abort(reason) }), 'an aborted offload'), reason);
  const ac = new AbortController();
  const job = system.offload(JOBS, { ms: 60_000 }, { export: 'sleep', signal: ac.signal });
  ac.abort(reason);
  assert.is(await rejection(job, 'an aborted job'), reason);
  assert.is(getEventListeners(ac.signal, 'abort').length, 0, 'no listener left on the signal');
  const done = new AbortController();
  assert.equal(await system.offload(JOBS, { n: 10 }, { signal: done.signal }), { n: 10, fib: 55 }, 'the pool still runs jobs');
  assert.is(getEventListeners(done.signal, 'abort').length, 0, 'a job that finished leaves no listener either');
});

for (const when of ['before', 'during'] as const) {
  test(`offload from an actor, aborted ${when === 'before' ? 'before it starts' : 'while the job runs'}: rejects with the reason, no listener left, the late result is dropped`, async () => {
    const a = await aborter(1);
    system.send(a, { op: 'offload', url: JOBS.href, export: 'sleep', input: { ms: 60_000 }, when });
    if (when === 'during') {
      assert.is((await expectReport(inbox, 'offload-pending')).listeners, 1);
      system.send(a, { op: 'abort' });
    }
    await endedByAbort('offload');
    // The actor and the pool go on (a 60 s job still running would not stop this one).
    system.send(a, { op: 'offload', url: JOBS.href, export: 'default', input: { n: 10 }, when: 'never' });
    const r = await expect<any>(inbox, (m) => m?.event === 'offload-ended', 'a second job');
    assert.ok(r.ok, 'the next job ran');
    assert.is(r.listeners, 0);
  });
}

test('a signal that is not an AbortSignal is refused with ERR_INVALID_OPTION', async () => {
  const err = await rejection(system.offload(JOBS, { n: 1 }, { signal: { aborted: false } as never }), 'a fake signal');
  assert.instance(err, InvalidOptionError);
  assert.match((err as Error).message, 'options.signal must be an AbortSignal');
});

// ---- call

async function counter(shard: number): Promise<Pid<any>> {
  return (await system.spawn(COUNTER, { report: inbox.pid }, { shard })) as Pid<any>;
}

test('call from main: an aborted signal rejects at once with its reason and sends nothing', async () => {
  const c = await counter(1);
  const reason = new Error('never mind');
  assert.is(await rejection(system.call(c, { kind: 'add', n: 1 }, { signal: AbortSignal.abort(reason) }), 'an aborted call'), reason);
  assert.is(await system.call(c, { kind: 'get' }), 0, 'the add never reached the server');
});

test('call from main aborted while pending: rejects with the reason, the late reply is dropped, the listener removed', async () => {
  const c = await counter(2);
  const ac = new AbortController();
  const reason = new Error('the user left');
  // The server answers 100 ms later, after the abort.
  const call = system.call(c, { kind: 'slow', ms: 100, value: 'late' }, { signal: ac.signal, timeoutMs: 60_000 });
  assert.is(getEventListeners(ac.signal, 'abort').length, 1);
  ac.abort(reason);
  assert.is(await rejection(call, 'an aborted call'), reason);
  assert.is(getEventListeners(ac.signal, 'abort').length, 0, 'no listener left once the call settled');
  // Answered after the late reply was sent (the server works in order): the late one went nowhere.
  assert.is(await system.call(c, { kind: 'slow', ms: 300, value: 'on time' }), 'on time');
  const kept = new AbortController();
  assert.is(await system.call(c, { kind: 'get' }, { signal: kept.signal }), 0);
  assert.is(getEventListeners(kept.signal, 'abort').length, 0, 'an answered call leaves no listener either');
});

test('an inbox\'s call takes a signal too', async () => {
  const c = await counter(1);
  const own = system.inbox();
  try {
    const ac = new AbortController();
    const reason = new Error('inbox gave up');
    const call = own.call(c, { kind: 'slow', ms: 100, value: 'late' }, { signal: ac.signal, timeoutMs: 60_000 });
    ac.abort(reason);
    assert.is(await rejection(call, 'an aborted inbox call'), reason);
    assert.is(getEventListeners(ac.signal, 'abort').length, 0);
    assert.is(await own.call(c, { kind: 'slow', ms: 300, value: 'on time' }), 'on time', 'the late reply went nowhere');
  } finally {
    own.close();
  }
});

for (const { label, a, b } of PLACEMENTS) {
  for (const when of ['before', 'during'] as const) {
    test(`call from an actor (${label}), aborted ${when === 'before' ? 'before it is sent' : 'while pending'}: rejects with the reason, no listener, no monitor left, late reply dropped`, async () => {
      const c = await counter(b);
      const caller = await aborter(a);
      system.send(caller, { op: 'call', to: c, req: when === 'before' ? { kind: 'add', n: 1 } : { kind: 'slow', ms: 100, value: 'late' }, when });
      if (when === 'during') {
        assert.is((await expectReport(inbox, 'call-pending')).listeners, 1);
        system.send(caller, { op: 'abort' });
      }
      await endedByAbort('call');
      const info = await system.processInfo(caller);
      assert.equal(info.monitorsHeld, [], 'the call\'s monitor on the server is gone with its pending entry');
      // A later call from the same actor gets its own answer, after the late one was sent.
      system.send(caller, { op: 'call', to: c, req: { kind: 'slow', ms: 300, value: 'on time' }, when: 'never' });
      const r = await expect<any>(inbox, (m) => m?.event === 'call-ended', 'the next call');
      assert.equal([r.ok, r.listeners], [true, 0]);
      assert.is(await system.call(c, { kind: 'get' }), 0, when === 'before' ? 'the aborted add was never sent' : 'nothing else reached the server');
    });
  }
}

// ---- spawn

test('spawn from main: an aborted signal rejects at once with its reason and starts nothing', async () => {
  const reason = new Error('no thanks');
  const before = (await system.stats()).reduce((n, s) => n + s.spawned, 0);
  const err = await rejection(system.spawn(ABORTER, { report: inbox.pid }, { shard: 1, name: 'never-started', signal: AbortSignal.abort(reason) }), 'an aborted spawn');
  assert.is(err, reason);
  assert.is(system.whereis('never-started'), undefined);
  assert.is((await system.stats()).reduce((n, s) => n + s.spawned, 0), before, 'no process was created');
});

test('spawn from main aborted while init runs: rejects with the reason and the half-started process is killed', async () => {
  const ac = new AbortController();
  const reason = new Error('took too long for me');
  const spawn = system.spawn(ABORTER, { report: inbox.pid }, { shard: 2, export: 'blocked', name: 'half-started', signal: ac.signal });
  const failed = rejection(spawn, 'an aborted spawn');
  const { pid } = await expectReport(inbox, 'init-running');
  await killedBy(pid as Pid, () => ac.abort(reason));
  assert.is(await failed, reason);
  assert.is(getEventListeners(ac.signal, 'abort').length, 0);
  assert.is(system.whereis('half-started'), undefined, 'its name was freed');
  const kept = new AbortController();
  await system.spawn(ABORTER, { report: inbox.pid }, { shard: 1, signal: kept.signal });
  assert.is(getEventListeners(kept.signal, 'abort').length, 0, 'a spawn that finished leaves no listener');
});

for (const { label, a, b } of PLACEMENTS) {
  for (const mode of ['plain', 'link', 'monitor'] as const) {
    test(`spawn${mode === 'plain' ? '' : mode === 'link' ? 'Link' : 'Monitor'} from an actor (${label}) aborted while init runs: rejects, the child is killed, the parent hears nothing of it`, async () => {
      const parent = await aborter(a);
      // In one shard, the abort message follows the monitor on main's ring: no barrier needed (the parent is busy anyway).
      const barrier = a === b ? undefined : await aborter(b);
      system.send(parent, { op: 'spawn', url: ABORTER.href, export: 'blocked', args: { report: inbox.pid }, mode, shard: b, when: 'during' });
      await expectReport(inbox, 'spawn-pending');
      const { pid } = await expectReport(inbox, 'init-running');
      await killedBy(pid as Pid, () => system.send(parent, { op: 'abort' }), barrier);
      await endedByAbort('spawn');
      // The link and the monitor set at birth were undone first: no EXIT (the parent lives), no DOWN.
      system.send(parent, { op: 'any-down' });
      assert.is((await expectReport(inbox, 'down-check')).found, false);
      system.send(parent, { op: 'ping' });
      await expectReport(inbox, 'pong');
    });
  }
  test(`spawn from an actor (${label}) with an aborted signal rejects at once`, async () => {
    const parent = await aborter(a);
    const before = (await system.stats()).reduce((n, s) => n + s.spawned, 0);
    system.send(parent, { op: 'spawn', url: ABORTER.href, export: 'blocked', args: { report: inbox.pid }, mode: 'plain', shard: b, when: 'before' });
    await endedByAbort('spawn');
    assert.is((await system.stats()).reduce((n, s) => n + s.spawned, 0), before, 'no process was created');
  });
}

test.run();
