// AbortSignal on call, spawn and offload: from main and from actors, in-shard and across shards; already aborted, aborted while pending, late answers dropped, listeners removed.
import { getEventListeners } from 'node:events';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { ActorSystem, type Inbox, InvalidOptionError, type Pid } from '@joerl/runtime';
import { expect, expectReport } from '../helpers.ts';
import type { AborterCmd } from '../fixtures/aborter.actor.ts';

const ABORTER = new URL('../fixtures/aborter.actor.ts', import.meta.url);
const JOBS = new URL('../fixtures/jobs.offload.js', import.meta.url);
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

test.run();
