// In-shard calls answered at once (Scheduler.runNow): other actors and the rings still get their turns, and a crash still fails the call with its reason.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { ActorSystem, type Inbox, type Pid } from '@joerl/runtime';
import { expect, expectReport } from '../helpers.ts';
import type { AskerCmd, LateJoinCmd, LooperCmd, SelfAborterCmd, TickerCmd } from '../fixtures/call-loop.actor.ts';

const LOOP = new URL('../fixtures/call-loop.actor.ts', import.meta.url);
const test = suite('in-shard calls');
let system: ActorSystem;
let inbox: Inbox;
test.before(async () => {
  system = await ActorSystem.start({ threads: 2 });
  inbox = system.inbox();
});
test.after(() => system.shutdown());

const spawn = (exp: string, shard: number, args?: unknown) => system.spawn(LOOP, args, { shard, export: exp }) as Promise<Pid<any>>;

test('a loop of calls to a server on its shard leaves turns to an actor queued on that shard, which stops it', async () => {
  const gate = await spawn('gate', 1);
  const looper = (await spawn('looper', 1)) as Pid<LooperCmd>;
  const ticker = (await spawn('ticker', 1)) as Pid<TickerCmd>;
  system.send(looper, { kind: 'run', to: gate, report: inbox.pid });
  // The loop never ends by itself: only the ticker, on the same shard, can stop it.
  system.send(ticker, { kind: 'stop', gate, report: inbox.pid });
  await expectReport(inbox, 'ticked');
  const r = await expectReport(inbox, 'looped');
  assert.ok((r as unknown as { n: number }).n >= 1);
  // Every call was handled once: the gate counted as many as the looper made (plus this one, not counted).
  assert.is(await system.call(gate, { kind: 'count' }), (r as unknown as { n: number }).n);
});

test('a loop of in-shard calls is stopped by a timer of the looper (the event loop still gets its turn)', async () => {
  const gate = await spawn('gate', 1);
  const looper = (await spawn('looper', 1)) as Pid<LooperCmd>;
  system.send(looper, { kind: 'run', to: gate, report: inbox.pid, stopAfterMs: 20 });
  const r = await expectReport(inbox, 'looped');
  assert.ok((r as unknown as { n: number }).n >= 1);
});

test('a loop of in-shard calls is stopped by a cast from the main thread (the rings are still read)', async () => {
  const gate = await spawn('gate', 2);
  const looper = (await spawn('looper', 2)) as Pid<LooperCmd>;
  system.send(looper, { kind: 'run', to: gate, report: inbox.pid });
  system.cast(gate, { kind: 'stop' });
  const r = await expectReport(inbox, 'looped');
  assert.ok((r as unknown as { n: number }).n >= 1);
});

test('a server that crashes in the middle of a loop of in-shard calls fails that call with its reason', async () => {
  const gate = await spawn('gate', 1, { crashAt: 500 });
  const looper = (await spawn('looper', 1)) as Pid<LooperCmd>;
  const ref = inbox.monitor(gate);
  system.send(looper, { kind: 'run', to: gate, report: inbox.pid });
  const r = await expect<{ n: number; code: string; reason: { kind: string; message: string } }>(inbox, (m) => m?.event === 'loop-failed', 'loop-failed');
  assert.is(r.n, 500);
  assert.is(r.code, 'ERR_CALL_FAILED');
  assert.equal([r.reason.kind, r.reason.message], ['panic', 'gate crashed at call 500']);
  await expect(inbox, (m) => m?.type === 'DOWN' && m.ref === ref, 'DOWN of the gate');
});

test('in-shard calls their server aborts while answering them (one inside call(), before it has a promise) reject with the abort reason; the answers are dropped', async () => {
  const server = await spawn('abortingServer', 1);
  const caller = (await spawn('selfAborter', 1)) as Pid<SelfAborterCmd>;
  system.send(caller, { kind: 'run', to: server, report: inbox.pid, tries: 50 });
  const r = await expect<{ inside: boolean; allRejected: boolean; listeners: number; stray: boolean; made: number }>(inbox, (m) => m?.event === 'aborted-calls', 'aborted-calls');
  assert.equal({ inside: r.inside, allRejected: r.allRejected, listeners: r.listeners, stray: r.stray }, { inside: true, allRejected: true, listeners: 0, stray: false }, `after ${r.made} calls`);
  // The server goes on answering.
  assert.is(await system.call(server, { kind: 'warm' }), 'answered anyway');
});

test('an in-shard call its server did not answer at once times out by its own deadline, ahead of a later one that server made meanwhile', async () => {
  // Its deadline is queued after the server's turn (Calls.call), behind the server's own call of the same timeout.
  const server = await spawn('nester', 1);
  const other = await spawn('nester', 1);
  const caller = (await spawn('lateJoiner', 1)) as Pid<LateJoinCmd>;
  system.send(caller, { kind: 'run', to: server, other, report: inbox.pid, tries: 20 });
  const r = await expect<{ inside: boolean; first: boolean; code: string; made: number }>(inbox, (m) => m?.event === 'late-join', 'late-join');
  assert.equal({ inside: r.inside, first: r.first, code: r.code }, { inside: true, first: true, code: 'ERR_CALL_TIMEOUT' }, `after ${r.made} tries`);
});

test("a reply to a From with an in-shard call's ref and another pid is not that call's answer (refs are unique per node only)", async () => {
  const server = await spawn('nester', 1);
  const caller = (await spawn('asker', 1)) as Pid<AskerCmd>;
  system.send(caller, { kind: 'run', to: server, report: inbox.pid, tries: 20 });
  const r = await expect<{ inside: boolean; answers: unknown[] }>(inbox, (m) => m?.event === 'asked', 'asked');
  assert.ok(r.inside, `the server's turn never ran inside call() in ${r.answers.length} tries`);
  assert.ok(r.answers.every((a) => a === 'yours'), `answers: ${JSON.stringify(r.answers)}`);
});

test.run();
