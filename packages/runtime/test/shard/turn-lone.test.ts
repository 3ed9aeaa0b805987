// The observed turn of a few messages (turn-lone.ts): sends, handled messages, queue waits and mailbox depth stay exact.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Pid } from '@joerl/runtime';
import { expect, withSystem } from '../helpers.ts';
import { messageCounts } from '../telemetry/exposition.ts';
import type { LoneMsg } from '../fixtures/lone.actor.ts';
import { LONE_MAX } from '../../src/shard/turn-lone.ts';

const LONE = new URL('../fixtures/lone.actor.ts', import.meta.url);

test('a relay of one-message turns, and lone turns that crash, stop, wait on a promise or send to themselves, count exactly', () =>
  withSystem({ threads: 1 }, async (system) => {
    const inbox = system.inbox();
    const counts = async () => messageCounts(await system.metrics.metrics(), 'Lone');
    const spawn = async () => (await system.spawn(LONE, { report: inbox.pid }, { shard: 1 })) as Pid<LoneMsg>;
    /** Sends `msgs` to `to` from main, awaits `until`, and returns the counts they changed. */
    const round = async (to: Pid<LoneMsg>, msgs: LoneMsg[], until: (m: any) => boolean) => {
      const before = await counts();
      for (const msg of msgs) system.send(to, msg);
      const last = await expect<any>(inbox, until, 'the answer');
      const after = await counts();
      const d = { sent: after.sent - before.sent, processed: after.processed - before.processed, timed: after.timed - before.timed, waits: after.waits - before.waits };
      return { last, d, depth: after.depth };
    };

    const a = await spawn();
    const b = await spawn();
    // 2,001 hops between a and b, each a turn of one message: from main 1, the hops 2,000, the answer 1.
    let r = await round(a, [{ left: 2000, to: b, report: inbox.pid }], (m) => m?.done !== undefined);
    assert.is(r.last.done, 1001);
    assert.equal(r.d, { sent: 2002, processed: 2001, timed: 2001, waits: 2001 });
    assert.is(r.depth, 0);

    // A handler that sends itself 5 messages and a report: the turn goes on with them (lean's), all counted.
    r = await round(a, [{ self: 5, report: inbox.pid }], (m) => m?.done !== undefined);
    assert.is(r.last.done, 1001 + 1 + 5 + 1);
    assert.equal(r.d, { sent: 1 + 6 + 1, processed: 7, timed: 7, waits: 7 });
    assert.is(r.depth, 0);

    // A pending handler: counted as handled (its time until it returned the promise).
    r = await round(b, [{ later: true, report: inbox.pid }], (m) => m?.done !== undefined);
    assert.is(r.last.done, 1000 + 1);
    assert.equal(r.d, { sent: 2, processed: 1, timed: 1, waits: 1 });
    assert.is(r.depth, 0);

    // A crash: the message waited but is not counted as handled; the goodbye is sent after the turn.
    r = await round(a, [{ crash: true }], (m) => m?.bye !== undefined);
    assert.equal(r.d, { sent: 2, processed: 0, timed: 0, waits: 1 });
    assert.is(r.depth, 0);

    // A stop: the stopping message is handled.
    r = await round(b, [{ stop: true }], (m) => m?.bye !== undefined);
    assert.equal(r.d, { sent: 2, processed: 1, timed: 1, waits: 1 });
    assert.is(r.depth, 0);
  }));

test('turns of 2 to LONE_MAX messages, and ones that crash, stop or wait on a promise midway or send themselves past LONE_MAX, count exactly', () =>
  withSystem({ threads: 1 }, async (system) => {
    const inbox = system.inbox();
    const counts = async () => messageCounts(await system.metrics.metrics(), 'Lone');
    const spawn = async () => (await system.spawn(LONE, { report: inbox.pid }, { shard: 1 })) as Pid<LoneMsg>;
    const from = await spawn();
    const report = { report: inbox.pid };
    /**
     * `from` sends `burst` to a new actor in one turn (so that actor's next turn starts with all of it queued),
     * awaits `until`, and returns the counts that changed: main's send and `from`'s turn are 1 sent, 1 handled.
     */
    const burst = async (msgs: LoneMsg[], until: (m: any) => boolean) => {
      const to = await spawn();
      const before = await counts();
      system.send(from, { burst: msgs, to });
      const last = await expect<any>(inbox, until, 'the answer');
      const after = await counts();
      return { last, sent: after.sent - before.sent - 1, processed: after.processed - before.processed - 1, timed: after.timed - before.timed - 1, waits: after.waits - before.waits - 1, depth: after.depth };
    };
    const n = (i: number): LoneMsg => ({ n: i });
    // Warm handlers keep the timing block open across turns (see TurnTiming): then a burst's stamps are the
    // receiver's clock, waits of 0 that the lone turn counts with one compare (a cold block ends at every message).
    const warm = await spawn();
    system.send(from, { left: 20_000, to: warm, report: inbox.pid });
    await expect<any>(inbox, (m) => m?.done !== undefined, 'the warm-up');

    // Bursts of 2 to LONE_MAX + 1 messages, the last a report (the last one goes to lean's turn).
    for (let k = 2; k <= LONE_MAX + 1; k++) {
      const msgs = [...Array.from({ length: k - 1 }, (_, i) => n(i)), report];
      const r = await burst(msgs, (m) => m?.done !== undefined);
      assert.is(r.last.done, k);
      assert.equal({ ...r, last: 0 }, { last: 0, sent: k + 1, processed: k, timed: k, waits: k, depth: 0 }, `a burst of ${k}`);
    }

    // A handler midway sends itself LONE_MAX + 1 messages and a report: taken in the same turn, past LONE_MAX by lean.
    let r = await burst([n(0), { self: LONE_MAX + 1, report: inbox.pid }, n(1)], (m) => m?.done !== undefined);
    assert.is(r.last.done, 3 + LONE_MAX + 2);
    assert.equal({ ...r, last: 0 }, { last: 0, sent: 3 + LONE_MAX + 2 + 1, processed: 3 + LONE_MAX + 2, timed: 3 + LONE_MAX + 2, waits: 3 + LONE_MAX + 2, depth: 0 });

    // A promise midway: the turn ends there, and the message after it is taken once it settles.
    r = await burst([n(0), { later: true, report: inbox.pid }, report], (m) => m?.done === 3);
    assert.equal({ ...r, last: 0 }, { last: 0, sent: 3 + 2, processed: 3, timed: 3, waits: 3, depth: 0 });

    // A crash midway: the crashing message waited but is not handled; the one behind it is never taken.
    r = await burst([n(0), { crash: true }, report], (m) => m?.bye !== undefined);
    assert.is(r.last.bye, 2);
    assert.equal({ ...r, last: 0 }, { last: 0, sent: 3 + 1, processed: 1, timed: 1, waits: 2, depth: 0 });

    // A stop midway: the stopping message is handled; the one behind it is never taken.
    r = await burst([n(0), { stop: true }, report], (m) => m?.bye !== undefined);
    assert.is(r.last.bye, 2);
    assert.equal({ ...r, last: 0 }, { last: 0, sent: 3 + 1, processed: 2, timed: 2, waits: 2, depth: 0 });
  }));

test.run();
