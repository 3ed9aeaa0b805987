// GenServer: typed calls from main and actors, deferred replies, fail-fast on dead servers, timeouts that never leak.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import {
  ActorSystem,
  CallFailedError,
  type DeadLetter,
  CallTimeoutError,
  type Inbox,
  NoProcError,
  type Pid,
  UnknownNameError,
} from '@joerl/runtime';
import type Counter from '../fixtures/counter.server.ts';
import { PLACEMENTS, expect, expectReport, probe } from '../helpers.ts';

const COUNTER = new URL('../fixtures/counter.server.ts', import.meta.url);
const test = suite('gen_server');
let system: ActorSystem;
let inbox: Inbox;
test.before(async () => {
  system = await ActorSystem.start({ threads: 2 });
  inbox = system.inbox();
});
test.after(() => system.shutdown());

const start = (shard: number, args?: object, name?: string) =>
  system.spawn<typeof Counter>(COUNTER, { report: inbox.pid, ...args }, name ? { shard, name } : { shard });

test('typed calls and casts from the main thread', async () => {
  const c = await start(1, { start: 40 });
  const n: unknown = await system.call(c, { kind: 'add', n: 2 });
  assert.is(n, 42);
  system.cast(c, { kind: 'bump' });
  await expectReport(inbox, 'bumped');
  assert.is(await system.call(c, { kind: 'get' }), 43);
});

test('deferred replies from two concurrent calls both arrive; casts are handled while they wait', async () => {
  const c = await start(2);
  const a = system.call(c, { kind: 'defer', key: 'a' }, { timeoutMs: 20_000 });
  const b = system.call(c, { kind: 'defer', key: 'b' }, { timeoutMs: 20_000 });
  system.cast(c, { kind: 'bump' });
  assert.is((await expectReport(inbox, 'bumped')).count, 1, 'the cast ran while both calls were pending');
  system.cast(c, { kind: 'release', key: 'b', value: 'second' });
  system.cast(c, { kind: 'release', key: 'a', value: 'first' });
  assert.equal(await Promise.all([a, b]), ['first', 'second']);
});

test('a call that times out rejects with ERR_CALL_TIMEOUT, and its late reply never reaches the next call', async () => {
  const c = await start(1);
  try {
    await system.call(c, { kind: 'slow', ms: 150, value: 'late' }, { timeoutMs: 20 });
    assert.unreachable();
  } catch (err) {
    assert.instance(err, CallTimeoutError);
    assert.is((err as CallTimeoutError).code, 'ERR_CALL_TIMEOUT');
  }
  // The next call is answered only after the late reply has been sent (the server handles messages in order).
  const next = system.call(c, { kind: 'slow', ms: 300, value: 'on time' }, { timeoutMs: 20_000 });
  assert.is(await next, 'on time');
  assert.is(await system.call(c, { kind: 'get' }), 0);
});

test('calls waiting with two timeout values: the answered ones resolve, the others time out, the shorter timeout first', async () => {
  const c = await start(1);
  const settled: string[] = [];
  const calls = ['a', 'b', 'c', 'd', 'e', 'f'].map((key, i) => {
    const timeoutMs = i % 2 === 0 ? 3000 : 1500;
    return system.call(c, { kind: 'defer', key }, { timeoutMs }).then(
      (v) => void settled.push(`${key}=${String(v)}`),
      (err: unknown) => void settled.push(`${key}:${(err as { code?: string }).code}@${timeoutMs}`),
    );
  });
  // One answered call of each timeout, at the head and in the middle of their queues.
  system.cast(c, { kind: 'release', key: 'a', value: 1 });
  system.cast(c, { kind: 'release', key: 'd', value: 4 });
  await Promise.all(calls);
  assert.equal(settled.slice(0, 2).sort(), ['a=1', 'd=4']);
  const timedOut = settled.slice(2);
  assert.equal(timedOut, ['b:ERR_CALL_TIMEOUT@1500', 'f:ERR_CALL_TIMEOUT@1500', 'c:ERR_CALL_TIMEOUT@3000', 'e:ERR_CALL_TIMEOUT@3000']);
  // The server still answers (the timed-out calls' late replies, if any, go nowhere).
  assert.is(await system.call(c, { kind: 'get' }), 0);
});

for (const { label, a, b } of PLACEMENTS) {
  test(`an actor calls a named server on another shard and gets the reply (${label})`, async () => {
    await start(b, {}, `counter-${a}${b}`);
    const caller = await start(a);
    // The caller server forwards a call to the named one, from inside its own handleCall.
    assert.is(await system.call(caller, { kind: 'forward', to: `counter-${a}${b}` as never, req: { kind: 'add', n: 5 } }), 5);
    assert.is(await system.call(`counter-${a}${b}`, { kind: 'get' }), 5);
    system.cast(`counter-${a}${b}`, { kind: 'bump' });
    await expectReport(inbox, 'bumped');
  });

  test(`a server that panics during a call fails that call with its exit reason (${label})`, async () => {
    const c = await start(b);
    const caller = await probe(system, inbox, a, { tag: `caller-${a}${b}` });
    void caller;
    try {
      await system.call(c, { kind: 'crash', message: 'handler blew up' });
      assert.unreachable();
    } catch (err) {
      assert.instance(err, CallFailedError);
      const reason = (err as CallFailedError).reason as { kind: string; message: string };
      assert.equal([reason.kind, reason.message], ['panic', 'handler blew up']);
    }
  });
}

test('calls to a dead pid or an unknown name fail fast, not by timeout', async () => {
  const c = await start(2);
  const ref = inbox.monitor(c);
  system.cast(c, { kind: 'crash' });
  await expect(inbox, (m) => m?.type === 'DOWN' && m.ref === ref, 'server down');
  const t0 = performance.now();
  try {
    await system.call(c, { kind: 'get' }, { timeoutMs: 60_000 });
    assert.unreachable();
  } catch (err) {
    assert.instance(err, NoProcError);
  }
  try {
    await system.call('nobody', { kind: 'get' } as never);
    assert.unreachable();
  } catch (err) {
    assert.instance(err, UnknownNameError);
  }
  assert.ok(performance.now() - t0 < 60_000, 'did not wait for the timeout');
});

test("a cast to a dead server or to a name nobody holds is a dead letter, not an error (OTP's cast never fails): from the main thread and from an actor on the dead server's shard", async () => {
  const dead = await start(1);
  const ref = inbox.monitor(dead);
  system.exit(dead, 'kill');
  await expect(inbox, (m) => m?.type === 'DOWN' && m.ref === ref, 'server down');
  const letters: DeadLetter[] = [];
  const four = new Promise<void>((resolve) => {
    const on = (dl: DeadLetter): void => {
      letters.push(dl);
      if (letters.length < 4) return;
      system.off('deadLetter', on);
      resolve();
    };
    system.on('deadLetter', on);
  });
  system.cast(dead, { kind: 'bump' });
  system.cast('nobody-casts-here', { kind: 'bump' } as never);
  const caster = await start(1);
  assert.is(await system.call(caster, { kind: 'cast-to', to: dead, msg: { kind: 'bump' } }), 'cast', 'the casting server lives on');
  assert.is(await system.call(caster, { kind: 'cast-to', to: 'nobody-casts-here', msg: { kind: 'bump' } }), 'cast');
  await four;
  const seen = letters.map((dl) => `${String(dl.to)} ${dl.reason} ${dl.shard} ${JSON.stringify(dl.message)}`).sort();
  const cast = JSON.stringify({ $joerl: 'cast', msg: { kind: 'bump' } });
  // The dead server's shard reports both casts to it (the main thread's crossed threads before it was found dead).
  assert.equal(seen, [`${dead} actor_not_found 1 ${cast}`, `${dead} actor_not_found 1 ${cast}`, `nobody-casts-here actor_not_found 0 ${cast}`, `nobody-casts-here actor_not_found 1 ${cast}`].sort());
  // A call still fails: it waits for an answer.
  await system.call(dead, { kind: 'get' }).then(() => assert.unreachable(), (e) => assert.instance(e, NoProcError));
});

test('a server that calls itself fails at once with ERR_INVALID_ARGUMENT, not by its timeout (OTP: calling_self)', async () => {
  const c = await start(2);
  const err = await system.call(c, { kind: 'forward', to: c, req: { kind: 'get' } } as never, { timeoutMs: 60_000 }).catch((e: unknown) => e);
  // The server's handler got the error and threw it: the caller's call fails with it as the reason.
  assert.instance(err, CallFailedError);
  const reason = (err as CallFailedError).reason as { kind?: string; name?: string; message?: string };
  assert.equal([reason.kind, reason.name], ['panic', 'InvalidArgumentError']);
  assert.match(reason.message!, /cannot call itself/);
});

test('stop with a reply: the caller gets the reply, then the server is gone', async () => {
  const c = await start(1);
  assert.is(await system.call(c, { kind: 'stop-with-reply' }), 'bye');
  const term = await expect<any>(inbox, (m) => m?.event === 'server-terminated' && m.pid.equals(c), 'terminate of this server');
  assert.is(term.reason, 'normal');
});

test('a reply survives crossing threads before the DOWN: calls from an inbox to a crashing server', async () => {
  const c = await start(2);
  const results = await Promise.allSettled([
    system.call(c, { kind: 'add', n: 1 }),
    system.call(c, { kind: 'crash', message: 'second' }),
    system.call(c, { kind: 'get' }),
  ]);
  assert.equal(results[0], { status: 'fulfilled', value: 1 });
  assert.is(results[1]!.status, 'rejected');
  assert.instance((results[1] as PromiseRejectedResult).reason, CallFailedError);
  assert.is(results[2]!.status, 'rejected');
});

test("a trapping server whose parent exits with 'killed' runs terminate with it (OTP's terminate(killed, State)); only kill skips it", async () => {
  // Regression: a stop with the reason 'killed' was taken for a kill, and terminate was skipped.
  const inbox = system.inbox();
  const pid = await system.spawn(COUNTER, { report: inbox.pid, trap: true }, { shard: 1 });
  system.exit(pid, 'killed'); // from its parent, the main thread
  const done = await expect<any>(inbox, (m) => m?.event === 'server-terminated', 'terminate');
  assert.is(done.reason, 'killed');
  const killed = await system.spawn(COUNTER, { report: inbox.pid, trap: true }, { shard: 1 });
  const joined = system.join(killed);
  system.exit(killed, 'kill');
  assert.is(await joined, 'killed');
  // Its terminate would have reported before the DOWN behind join (one ring, in order).
  assert.is(await inbox.receive((m: any) => m?.event === 'server-terminated', { timeoutMs: 0 }), undefined);
  inbox.close();
});

test("a plain message shaped like an EXIT, its from no pid, is an info message: it does not crash the server", async () => {
  // Regression: the parent check called msg.from.equals on whatever `from` held.
  const inbox = system.inbox();
  const pid = await system.spawn(COUNTER, { report: inbox.pid }, { shard: 1 });
  const ref = inbox.monitor(pid);
  system.send(pid as Pid<any>, { type: 'EXIT', from: 'job-7', reason: 'done' });
  const info = await expect<any>(inbox, (m) => m?.event === 'info' || (m?.type === 'DOWN' && m.ref === ref), 'the info report');
  assert.is(info.event, 'info');
  assert.is(info.msg.from, 'job-7');
  inbox.close();
});

test('handleCast and handleInfo may return GenServer.noreply(state), as Erlang code returns {noreply, State}; a reply from them is a clear error', async () => {
  // Regression: the wrapper itself became the state, and every later callback got it.
  const s = (await system.spawn(new URL('../fixtures/noreply.server.ts', import.meta.url), undefined, { shard: 1 })) as Pid<any>;
  system.cast(s, 'bump');
  system.send(s, 'info');
  assert.is(await system.call(s, 'get'), 11);
  const ref = inbox.monitor(s);
  system.cast(s, 'bad');
  const down = await expect<any>(inbox, (m) => m?.type === 'DOWN' && m.ref === ref, 'the server to crash');
  assert.match(JSON.stringify(down.reason), /handleCast must return the next state, GenServer.noreply\(state\) or GenServer.stop/);
});

test('bad call arguments get typed errors', async () => {
  const c = await start(1);
  for (const [run, code] of [
    [() => system.call(c, { kind: 'add', n: 1 }, { timeoutMs: -5 }), 'ERR_INVALID_ARGUMENT'],
    [() => system.call(c as Pid<any>, { f: () => 1 } as never), 'ERR_UNENCODABLE'],
    [() => system.call(42 as never, {} as never), 'ERR_INVALID_ARGUMENT'],
  ] as const) {
    try {
      await run();
      assert.unreachable();
    } catch (err) {
      assert.is((err as { code?: string }).code, code);
    }
  }
});

test("a call to a GenServer without handleCall fails naming the misuse, even when the request holds a bigint", async () => {
  const server = await system.spawn(new URL('../fixtures/cast-only.server.ts', import.meta.url), undefined, { shard: 1 });
  const err = await system.call(server, { n: 1n } as never).then(() => null, (e: Error & { code?: string }) => e);
  assert.is(err?.code, 'ERR_CALL_FAILED');
  assert.match(err!.message, /CastOnly has no handleCall, but was called with \{"n":"1n"\}/);
});

test('a forged call envelope (from: null) panics its server only, telemetry on: the shard and its other actors live on', async () => {
  const downs: unknown[] = [];
  const onDown = (d: unknown) => void downs.push(d);
  system.on('shardDown', onDown);
  try {
    const server = await system.spawn(COUNTER, { start: 0 }, { shard: 1 });
    const bystander = await probe(system, inbox, 1, { tag: 'bystander' });
    const ref = inbox.monitor(server);
    system.send(server, { $joerl: 'call', from: null, req: { kind: 'get' } } as never);
    const down = await expect<{ reason: { kind?: string } }>(inbox, (m) => m?.type === 'DOWN' && m.ref === ref, 'the server exits');
    assert.is(down.reason.kind, 'panic');
    system.send(bystander, { op: 'ping' });
    await expectReport(inbox, 'pong', 'bystander');
    assert.equal(downs, [], 'no shard died');
  } finally {
    system.off('shardDown', onDown);
  }
});

test('GenServer.stop(reason, state, reply) answers the caller once terminate has run, as OTP does (a terminate that throws too)', async () => {
  for (const req of ['stop', 'stop-throwing'] as const) {
    const pid = await system.spawn(new URL('../fixtures/stopping.server.ts', import.meta.url), { report: inbox.pid }, { shard: 1 });
    assert.is(await system.call(pid as Pid<any>, req), 'stopped');
    // Its cleanup came through the same ring ahead of the reply: here already.
    const cleaned = await inbox.receive((m: any) => m?.event === 'cleaned', { timeoutMs: 0 });
    assert.equal(cleaned, { event: 'cleaned', throws: req === 'stop-throwing' }, `${req}: cleaned up before the reply`);
  }
});

test.run();
