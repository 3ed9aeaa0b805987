// GenStatem: transitions with replies, entry hooks, state and event timeouts, postponing, and invalid transitions that leave the machine alive.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { ActorSystem, GenStatem, type Inbox, InvalidOptionError, InvalidTransitionError, type Pid, defineGenStatem } from '@joerl/runtime';
import { expect, expectReport, withSystem } from '../helpers.ts';

const MACHINES = new URL('../fixtures/machines.statem.ts', import.meta.url);
const test = suite('gen_statem');
let system: ActorSystem;
let inbox: Inbox;
test.before(async () => {
  system = await ActorSystem.start({ threads: 2 });
  inbox = system.inbox();
});
test.after(() => system.shutdown());

const spawn = (exp: string, args?: unknown, shard = 1) => system.spawn(MACHINES, args, { shard, export: exp }) as Promise<Pid<any>>;

test('transitions answer calls, run entry hooks, and the current state is observable', async () => {
  const t = await spawn('Turnstile', { report: inbox.pid }, 2);
  assert.equal(await expectReport(inbox, 'entered'), { event: 'entered', from: null, state: 'locked' } as never);
  assert.is(await system.call(t, 'coin'), 'thanks');
  assert.equal(await expectReport(inbox, 'entered'), { event: 'entered', from: 'locked', state: 'unlocked' } as never);
  assert.equal(await GenStatem.info(system, t), { state: 'unlocked', invalidTransitions: 0 });
  assert.is(await system.call(t, 'push'), 'click');
  assert.is((await GenStatem.info(system, t)).state, 'locked');
});

test('an event the table does not allow is answered with ERR_INVALID_TRANSITION (its state and event on it), counted, and the machine stays alive in its state', async () => {
  const t = await spawn('Turnstile', undefined, 1);
  const ref = inbox.monitor(t);
  for (const ev of ['push', 'kick']) {
    try {
      await system.call(t, ev);
      assert.unreachable();
    } catch (err) {
      assert.instance(err, InvalidTransitionError);
      assert.is((err as InvalidTransitionError).code, 'ERR_INVALID_TRANSITION');
      assert.match((err as Error).message, new RegExp(`"${ev}" is not allowed in state "locked"`));
      // Its fields cross threads with it (the machine is on shard 1, the caller on the main thread).
      assert.is((err as InvalidTransitionError).state, 'locked');
      assert.is((err as InvalidTransitionError).event, ev);
    }
  }
  system.cast(t, 'kick'); // a cast cannot be answered: counted only
  assert.equal(await GenStatem.info(system, t), { state: 'locked', invalidTransitions: 3 });
  assert.is(await system.call(t, 'coin'), 'thanks', 'still working');
  assert.is(await inbox.receive((m: any) => m?.type === 'DOWN' && m.ref === ref, { timeoutMs: 0 }), undefined);
});

test('with a table and no handler, the table drives the machine', async () => {
  const t = await spawn('TableOnly', undefined, 2);
  assert.is(await system.call(t, 'coin'), 'unlocked');
  assert.is(await system.call(t, 'push'), 'locked');
  await system.call(t, 'push').then(() => assert.unreachable(), (e) => assert.instance(e, InvalidTransitionError));
});

test('a state timeout fires in its state, and a state change cancels it', async () => {
  const l = await spawn('Light', { report: inbox.pid }, 1);
  await expectReport(inbox, 'entered');
  // Fires: on with auto-off after 20 ms.
  assert.is(await system.call(l, { kind: 'switch', autoOffMs: 20 }), 'off');
  const fired = await expectReport(inbox, 'state-timeout');
  assert.equal([fired.state, fired.content], ['on', 'auto-off']);
  assert.is((await GenStatem.info(system, l)).state, 'off');
  // Cancelled: switch on with a 150 ms auto-off, then off again at once, then on without a timeout.
  await system.call(l, { kind: 'switch', autoOffMs: 150 });
  await system.call(l, { kind: 'switch' });
  await system.call(l, { kind: 'switch' });
  // An event timeout of 300 ms (longer than the cancelled one) proves by its arrival that the state timeout did not fire.
  await system.call(l, { kind: 'touch', idleMs: 300 });
  const idle = await expectReport(inbox, 'event-timeout');
  assert.is(idle.state, 'on');
  assert.is(await inbox.receive((m: any) => m?.event === 'state-timeout', { timeoutMs: 0 }), undefined, 'the cancelled state timeout never fired');
  assert.is((await GenStatem.info(system, l)).state, 'on');
});

test('any event cancels an event timeout', async () => {
  const l = await spawn('Light', { report: inbox.pid }, 2);
  await system.call(l, { kind: 'switch' });
  await system.call(l, { kind: 'touch', idleMs: 30, tag: 'first' });
  await system.call(l, { kind: 'touch', idleMs: 60, tag: 'second' }); // cancels the first, sets its own
  const idle = await expectReport(inbox, 'event-timeout');
  assert.is(idle.content, 'second', 'the first event timeout was cancelled by the second event');
  assert.is(await inbox.receive((m: any) => m?.event === 'event-timeout', { timeoutMs: 0 }), undefined);
});

test('a timeout of Infinity sets none and cancels the one running (OTP: infinity)', async () => {
  const l = await spawn('Light', { report: inbox.pid }, 1);
  // On, with an auto-off in 1 s; held (a state timeout of Infinity) at once: no auto-off.
  await system.call(l, { kind: 'switch', autoOffMs: 1000 });
  await system.call(l, { kind: 'hold' });
  // An event timeout of Infinity sets none; the next one (1.5 s, after the cancelled auto-off's 1 s) proves by its
  // arrival that neither the auto-off nor an Infinity one fired.
  await system.call(l, { kind: 'touch', idleMs: Infinity, tag: 'never' });
  await system.call(l, { kind: 'touch', idleMs: 1500, tag: 'last' });
  const idle = await expectReport(inbox, 'event-timeout');
  assert.is(idle.content, 'last');
  assert.is(await inbox.receive((m: any) => m?.event === 'state-timeout' || m?.event === 'event-timeout', { timeoutMs: 0 }), undefined);
  assert.is((await GenStatem.info(system, l)).state, 'on', 'alive, and still on');
});

test('postponed events are retried, in order, after the next state change', async () => {
  const l = await spawn('Light', { report: inbox.pid }, 1);
  system.cast(l, { kind: 'queue', tag: 'a' });
  const pending = system.call(l, { kind: 'queue', tag: 'b' });
  system.cast(l, { kind: 'queue', tag: 'c' });
  assert.is((await GenStatem.info(system, l)).state, 'off', 'all three postponed while off');
  system.cast(l, { kind: 'switch' });
  const order = [];
  for (let i = 0; i < 3; i++) order.push((await expectReport(inbox, 'queued-handled')).tag);
  assert.equal(order, ['a', 'b', 'c']);
  assert.is(await pending, 'on', 'the postponed call was answered once handled');
});

test('a stop stops the machine: postponed events behind the one that stopped it are not handled', async () => {
  const l = await spawn('Light', { report: inbox.pid }, 2);
  const ref = inbox.monitor(l);
  system.cast(l, { kind: 'queue', tag: 'a', stop: true });
  system.cast(l, { kind: 'queue', tag: 'b' });
  system.cast(l, { kind: 'switch' });
  assert.is((await expectReport(inbox, 'queued-handled')).tag, 'a');
  const down = await inbox.receive((m: any) => m?.type === 'DOWN' && m.ref === ref);
  assert.is((down as any).reason, 'normal');
  // The machine's reports come before its DOWN (one sender): 'b' would be queued by now.
  assert.is(await inbox.receive((m: any) => m?.event === 'queued-handled', { timeoutMs: 0 }), undefined);
});

test('a state timeout is not lost to a full mailbox (it is internal to the machine, as in OTP)', async () => {
  const l = (await system.spawn(MACHINES, { report: inbox.pid }, { shard: 1, export: 'Light', mailboxCapacity: 2 })) as Pid<any>;
  const dead: unknown[] = [];
  const onDead = (d: any) => dead.push(d);
  system.on('deadLetter', onDead);
  try {
    // On with an auto-off in 200 ms; then, right behind it, a stall that fills the mailbox (2 of 2) and waits a second:
    // the timeout comes while the mailbox is full.
    system.cast(l, { kind: 'switch', autoOffMs: 200 });
    system.cast(l, { kind: 'stall', ms: 1000, fill: 2 });
    await expectReport(inbox, 'stalling');
    const t = await expectReport(inbox, 'state-timeout');
    assert.is(t.content, 'auto-off');
    assert.is((await GenStatem.info(system, l)).state, 'off');
    assert.equal(dead, [], 'nothing was dead-lettered');
  } finally {
    system.off('deadLetter', onDead);
  }
});

test('an event named like an Object.prototype member (toString, constructor, __proto__) is not in the table: ERR_INVALID_TRANSITION, the machine stays put', async () => {
  const t = await spawn('TableOnly', undefined, 1);
  const ref = inbox.monitor(t);
  await system.call(t, 'toString').then(() => assert.unreachable(), (e) => {
    assert.instance(e, InvalidTransitionError);
    assert.match((e as Error).message, /"toString" is not allowed in state "locked"/);
  });
  for (const ev of ['constructor', '__proto__', { kind: 'hasOwnProperty' }]) system.cast(t, ev);
  assert.equal(await GenStatem.info(system, t), { state: 'locked', invalidTransitions: 4 });
  assert.is(await system.call(t, 'coin'), 'unlocked', 'still working');
  // With a handler too: the table refuses the event before the handler sees it.
  const h = await spawn('Turnstile', undefined, 2);
  await system.call(h, 'valueOf').then(() => assert.unreachable(), (e) => assert.instance(e, InvalidTransitionError));
  assert.equal(await GenStatem.info(system, h), { state: 'locked', invalidTransitions: 1 });
  assert.is(await inbox.receive((m: any) => m?.type === 'DOWN' && m.ref === ref, { timeoutMs: 0 }), undefined);
});

// 'other' is already in the mailbox when 'go' sets the timeout of 0: the timeout comes first (OTP since 22).
for (const timeout of ['state', 'event'] as const) {
  test(`a ${timeout} timeout of 0 is the next event, ahead of a message already in the mailbox (and not cancelled by it)`, async () => {
    const z = await spawn('ZeroTimeout', { report: inbox.pid, tag: timeout }, 1);
    system.cast(z, { kind: 'prime', timeout });
    const seen: unknown[] = [];
    for (let m = await expectReport(inbox, 'zero-saw', timeout); ; m = await expectReport(inbox, 'zero-saw', timeout)) {
      seen.push([m.type, m.content]);
      if (m.content === 'other') break;
    }
    assert.equal(seen, [[timeout === 'state' ? 'state_timeout' : 'timeout', 'kick'], ['cast', 'other']]);
  });
}

test('a machine that re-arms a timeout of 0 forever does not hold its thread: a message still gets in', async () => {
  const s = await spawn('Spinner', { report: inbox.pid }, 2);
  system.cast(s, 'spin');
  system.cast(s, 'halt');
  const halted = await expectReport(inbox, 'halted');
  assert.ok((halted.spins as number) >= 1, `${halted.spins} spins`);
  assert.is((await GenStatem.info(system, s)).state, 'idle');
});

test('an enter hook may stop the machine (OTP: {stop, Reason, Data}): it stops with that reason and data', async () => {
  const e = await spawn('Edges', { report: inbox.pid, reason: 'normal' }, 2);
  const ref = inbox.monitor(e);
  system.cast(e, 'finish');
  const down = await inbox.receive((m: any) => m?.type === 'DOWN' && m.ref === ref);
  assert.is((down as any).reason, 'normal');
  const t = await expectReport(inbox, 'terminated');
  assert.equal([t.reason, t.state, t.finished], ['normal', 'done', true]);
});

test('an enter hook that returns GenStatem.next crashes the machine with ERR_INVALID_TRANSITION saying what to return', async () => {
  const e = await spawn('Edges', { report: inbox.pid, reason: 'normal', enterNext: true }, 1);
  const ref = inbox.monitor(e);
  system.cast(e, 'finish');
  const down = (await inbox.receive((m: any) => m?.type === 'DOWN' && m.ref === ref)) as any;
  assert.is(down.reason.kind, 'panic');
  assert.is(down.reason.name, 'InvalidTransitionError');
  assert.match(down.reason.message, /enter hook returned GenStatem\.next\("start", \.\.\.\).*GenStatem\.stop\(reason, data, \.\.\.actions\)/);
});

test('falsy entries in an action list (undefined, null, false: an action on a condition) are skipped', async () => {
  const e = await spawn('Edges', { report: inbox.pid, reason: 'normal' }, 2);
  assert.is(await system.call(e, 'ask'), 'answered');
  assert.is((await GenStatem.info(system, e)).state, 'start');
});

test("a machine's own terminateTimeoutMs is honoured, as a GenServer's is", () =>
  // The system kills a slow terminate at once; SlowStop's own 60 s limit lets its 50 ms terminate finish.
  withSystem({ threads: 1, terminateTimeoutMs: 0 }, async (sys) => {
    const box = sys.inbox();
    const s = (await sys.spawn(MACHINES, { report: box.pid }, { export: 'SlowStop' })) as Pid<any>;
    const ref = box.monitor(s);
    sys.cast(s, 'stop');
    const down = await expect<any>(box, (m) => m?.type === 'DOWN' && m.ref === ref, 'the DOWN of SlowStop');
    assert.is(down.reason, 'normal', 'not killed by the system-wide limit');
  }));

test('defineGenStatem refuses a malformed spec with ERR_INVALID_OPTION saying what to fix', () => {
  const init = () => ({ state: 'a', data: null });
  const cases: Array<[unknown, RegExp]> = [
    [null, /needs an object with init/],
    [{ init }, /needs handleEvent, a transitions table, or both/],
    [{ init, handleEvent: 'nope' }, /handleEvent must be a function, got "nope"/],
    [{ init, transitions: 5 }, /transitions must be an object/],
    [{ init, transitions: { a: 'b' } }, /transitions\.a must be an object of event -> next state/],
    [{ init, transitions: { a: { go: 1 } } }, /transitions\.a\.go must be a state name, got 1/],
  ];
  for (const [spec, message] of cases) {
    try {
      defineGenStatem(spec as never);
      assert.unreachable();
    } catch (err) {
      assert.instance(err, InvalidOptionError);
      assert.is((err as InvalidOptionError).code, 'ERR_INVALID_OPTION');
      assert.match((err as Error).message, message);
    }
  }
});

test('a timeout of 0 set by the start runs once the start is over (its spawn resolved), ahead of the first message', async () => {
  // Regression: it ran inside init, so its handler's failure failed the spawn (ERR_INIT_FAILED) and its time counted against the spawn's timeout.
  const ok = await spawn('ConnectsAfterStart', { report: inbox.pid });
  system.cast(ok as never, 'hello' as never);
  const first = await expect<any>(inbox, (m) => m?.event === 'statem-event', 'the first event');
  assert.equal([first.type, first.ev, first.state], ['state_timeout', 'connect', 'connecting']);
  const second = await expect<any>(inbox, (m) => m?.event === 'statem-event', 'the cast');
  assert.equal([second.type, second.ev, second.state], ['cast', 'hello', 'connected']);
  // Its handler's failure is a crash of the running machine (a crash report), after a spawn that resolved.
  const crashes: any[] = [];
  const onCrash = (r: any) => crashes.push(r);
  system.on('crashReport', onCrash);
  try {
    const failing = await spawn('ConnectsAfterStart', { report: inbox.pid, fail: true });
    await expect<any>(inbox, (m) => m?.event === 'statem-event' && String(m.pid) === String(failing), "the failing machine's timeout");
    // The crash report travels behind that report, and the answer below behind it (one ring, in order).
    assert.equal(await GenStatem.info(system, ok), { state: 'connected', invalidTransitions: 0 });
    assert.ok(crashes.some((r) => String(r.pid) === String(failing)), JSON.stringify(crashes.map((r) => String(r.pid))));
  } finally {
    system.off('crashReport', onCrash);
  }
});

test.run();
