// The observed turn of one message (turn-lone.ts): sends, handled messages, queue waits and mailbox depth stay exact.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Pid } from '@joerl/runtime';
import { expect, withSystem } from '../helpers.ts';
import { parse, value } from '../telemetry/exposition.ts';
import type { LoneMsg } from '../fixtures/lone.actor.ts';

const LONE = new URL('../fixtures/lone.actor.ts', import.meta.url);

test('a relay of one-message turns, and lone turns that crash, stop, wait on a promise or send to themselves, count exactly', () =>
  withSystem({ threads: 1 }, async (system) => {
    const inbox = system.inbox();
    const counts = async () => {
      const x = parse(await system.metrics.metrics());
      const depth = x.samples.find((s) => s.name === 'joerl_mailbox_depth' && s.labels.type === 'Lone');
      return {
        sent: value(x, 'joerl_messages_sent_total'),
        processed: value(x, 'joerl_messages_processed_total'),
        timed: value(x, 'joerl_message_processing_duration_seconds_count'),
        waits: value(x, 'joerl_message_queue_wait_seconds_count'),
        depth: depth?.value ?? 0,
      };
    };
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

test.run();
