// The observed turn takes a plain actor's messages in runs (one stamp, one timing block): counts stay exact when a run is cut by a crash, a stop or a promise.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Pid } from '@joerl/runtime';
import { expect, withSystem } from '../helpers.ts';
import { messageCounts } from '../telemetry/exposition.ts';
import type { RunsMsg } from '../fixtures/runs.actor.ts';

const RUNS = new URL('../fixtures/runs.actor.ts', import.meta.url);
const n = (k: number): RunsMsg[] => Array.from({ length: k }, (_, i) => ({ n: i }));

test('messages handled, queue waits and sends are exact when a run of one sender is cut by a crash, a stop, a pending handler or the turn\'s budget', () =>
  withSystem({ threads: 1 }, async (system) => {
    const inbox = system.inbox();
    const scripted = (await system.spawn(RUNS, undefined, { shard: 1, export: 'scripted' })) as Pid<any>;
    const counts = async () => messageCounts(await system.metrics.metrics());
    /** Sends `msgs` to a fresh target from one handler (one run of one stamp, longer than a timing block), and awaits `until`. */
    const round = async (msgs: RunsMsg[], until: (m: any) => boolean) => {
      const target = (await system.spawn(RUNS, { report: inbox.pid }, { shard: 1 })) as Pid<RunsMsg>;
      const before = await counts();
      system.send(scripted, { to: target, msgs });
      const last = await expect<any>(inbox, until, 'the target');
      const after = await counts();
      return { last, d: { sent: after.sent - before.sent, processed: after.processed - before.processed, timed: after.timed - before.timed, waits: after.waits - before.waits } };
    };

    // A crash after 600: the crashing message waited but is not counted as handled; the 50 behind it are never taken.
    let r = await round([...n(600), { crash: true }, ...n(50)], (m) => m?.bye !== undefined);
    assert.is(r.last.bye, 601);
    // From main 1, from `scripted` 651, the goodbye 1; `scripted` handled 1 and the target 600.
    assert.equal(r.d, { sent: 653, processed: 601, timed: 601, waits: 602 });

    // A stop after 300: the stopping message is handled.
    r = await round([...n(300), { stop: true }, ...n(20)], (m) => m?.bye !== undefined);
    assert.is(r.last.bye, 301);
    assert.equal(r.d, { sent: 323, processed: 302, timed: 302, waits: 302 });

    // A pending handler in the middle: the turn ends there and the rest of the run is taken after it settles.
    r = await round([...n(100), { later: true }, ...n(400), { report: inbox.pid }], (m) => m?.done !== undefined);
    assert.is(r.last.done, 502);
    assert.equal(r.d, { sent: 504, processed: 503, timed: 503, waits: 503 });

    // A run longer than a turn's budget (a run is counted up to what the turn takes): taken over several turns, every message counted once.
    r = await round([...n(20_000), { report: inbox.pid }], (m) => m?.done !== undefined);
    assert.is(r.last.done, 20_001);
    assert.equal(r.d, { sent: 20_003, processed: 20_002, timed: 20_002, waits: 20_002 });
  }));

test.run();
