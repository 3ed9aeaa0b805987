// The scheduler's turns: an actor whose handlers are slow gets short turns even when it is alone on its shard.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { ActorSystem, type Pid } from '@joerl/runtime';
import { expect, withSystem } from '../helpers.ts';

const STEPPER = new URL('../fixtures/stepper.actor.ts', import.meta.url);
const SLOW = new URL('../fixtures/slow.actor.ts', import.meta.url);
const test = suite('scheduler');

// Regression (issue 17, "Shard 2 lags"): the demo's shard 2 held only two
// hash workers, each hashing a job in steps (a message to itself per step).
// Its slices had one or two turns, fewer than the four after which the
// scheduler first looks at the clock, so it never noticed the slow handlers,
// and each turn ran a whole job (a 64-message budget): the shard's event
// loop stood still for tens of ms, hundreds on a loaded machine. And one
// fast message (a new job) handed a known-slow actor a whole budget again:
// the stepper pokes itself just before it pings.
test('a lone actor stepping through bursts of slow self-sent messages yields after each step', () =>
  withSystem({ threads: 1 }, async (system) => {
    const inbox = system.inbox();
    const stepper = (await system.spawn(STEPPER, undefined, { shard: 1 })) as Pid<any>;
    const echo = (await system.spawn(STEPPER, undefined, { shard: 1, export: 'echo' })) as Pid<any>;
    const behind: number[] = [];
    for (let burst = 0; burst < 6; burst++) {
      // Each burst starts from another thread, as a job reaches a worker from the dispatcher.
      system.send(stepper, { go: 20, stepMs: 1, pingAt: 10, echo, report: inbox.pid });
      const pong = await expect<{ behind: number }>(inbox, (m) => m?.event === 'pong', 'the echo of a mid-burst ping');
      behind.push(pong.behind);
      await expect(inbox, (m) => m?.event === 'burst-done', 'the end of the burst');
    }
    // The first two bursts teach the scheduler that the stepper is slow; a
    // whole-burst turn would leave the ping 10 steps behind.
    for (const [i, b] of behind.slice(2).entries()) assert.ok(b <= 1, `burst ${i + 2}: ${b} steps ran before the ping on the same shard was answered (all: ${behind.join(', ')})`);
  }));

/**
 * Starts a one-shard system and runs `load`, which queues slow work counted in `counter` and returns the count
 * before it; the system is stopped as soon as one slow message has run (the shard inside that actor's turn).
 * How many slow messages ran in all: what the turn in progress, and any before the stop got in, ran.
 */
async function slowAfterStop(load: (system: ActorSystem, counter: Int32Array) => Promise<number>): Promise<number> {
  const system = await ActorSystem.start({ threads: 1, logLevel: 'silent' });
  const counter = new Int32Array(new SharedArrayBuffer(4));
  let base = 0;
  try {
    base = await load(system, counter);
    const first = Atomics.waitAsync(counter, 0, base);
    if (first.async) await first.value;
  } finally {
    await system.shutdown();
  }
  return Atomics.load(counter, 0) - base;
}

/** A probe on shard 1 whose handlers queue bursts (a whole burst lands before the target's next turn). */
async function producer(system: ActorSystem, tag: string): Promise<Pid<any>> {
  const inbox = system.inbox();
  const pid = await system.spawn(new URL('../fixtures/probe.actor.ts', import.meta.url), { report: inbox.pid, tag }, { shard: 1 });
  await expect(inbox, (m) => m?.event === 'started' && m.tag === tag, 'the producer');
  return pid;
}

// Regression: a new actor's first turn is untimed (up to 64 messages), and the clock was
// looked at every fourth turn only, so four new actors with slow handlers kept the shard from
// its event loop, where a stop arrives, for four whole turns (200 handlers of 20 ms: 4-5 s).
// A turn of many messages is now looked at at once: the stop comes after the first.
test('a stop reaches a shard busy with new actors with slow handlers after one of their turns, not four', async () => {
  const handled = await slowAfterStop(async (system, counter) => {
    const actors: Pid<'work'>[] = [];
    for (let i = 0; i < 4; i++) actors.push((await system.spawn(SLOW, { counter, ms: 4 }, { shard: 1, export: 'counted' })) as Pid<'work'>);
    for (const a of actors) for (let k = 0; k < 64; k++) system.send(a, 'work');
    return 0;
  });
  // Before the fix: all four turns (256 messages). Now one turn, and at most one more if
  // the stop was still on its way when the shard yielded.
  assert.ok(handled <= 128, `${handled} slow messages ran after the stop was asked for`);
});

// Regression: a long mailbox earns a catch-up turn (a quarter of its backlog), and a new actor got it
// untimed: a burst of 2,000 slow messages ran 500 handlers (0.5 s here; 50,000 of 1 ms for a burst of
// 200,000) before the shard saw its event loop, a stop, or any other actor. Now only an actor a timed
// turn found fast gets it: a new one's first turn is one budget (64), timed.
test("a new actor's long backlog of slow messages gets one timed budget first, not a catch-up turn", async () => {
  const handled = await slowAfterStop(async (system, counter) => {
    const slow = (await system.spawn(SLOW, { counter, ms: 1 }, { shard: 1, export: 'counted' })) as Pid<any>;
    system.send(await producer(system, 'producer'), { op: 'burst', to: slow, count: 2000 });
    return 0;
  });
  assert.ok(handled <= 128, `${handled} slow messages ran after the stop was asked for`);
});

// Regression: an actor found fast once (a burst of cheap messages) got catch-up turns of a quarter of
// any later backlog, untimed until they ended: 20,000 costly messages made one turn of 5,000.
test('an actor found fast, then handed a long backlog of slow messages, gets a bounded catch-up turn (16 budgets at most)', async () => {
  const handled = await slowAfterStop(async (system, counter) => {
    const actor = (await system.spawn(SLOW, { counter }, { shard: 1, export: 'varied' })) as Pid<any>;
    const feeder = await producer(system, 'feeder');
    // Cheap ones first, queued by one handler: a long backlog, timed and found fast.
    system.send(feeder, { op: 'send', to: actor, msg: { ms: 0 } });
    for (let i = 0; i < 3; i++) system.send(feeder, { op: 'burst', to: actor, count: 2000 });
    while (Atomics.load(counter, 0) < 6001) {
      const r = Atomics.waitAsync(counter, 0, Atomics.load(counter, 0), 5000);
      if (r.async) await r.value;
    }
    const fastDone = Atomics.load(counter, 0);
    // Then costly ones (0.2 ms each), 20,000 of them queued by one handler.
    system.send(feeder, { op: 'send-many', to: actor, msg: { ms: 0.2 }, count: 20_000 });
    return fastDone;
  });
  // 16 budgets of 64, and one more turn if the stop was still on its way: well under a quarter of 20,000.
  assert.ok(handled <= 16 * 64 + 128, `${handled} slow messages ran after the stop was asked for`);
});

test.run();
