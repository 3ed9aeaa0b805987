// Calls to another thread: the monitor rides in the request (OP_CALL) and leaves with the server's reply; the call's OTP semantics stay.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { Pid } from '@joerl/runtime';
import { expect, withSystem } from '../helpers.ts';
import { parse, value } from '../telemetry/exposition.ts';

const test = suite('cross-thread calls');
const COUNTER = new URL('../fixtures/counter.server.ts', import.meta.url);

test('a server that answers a call from another thread and stops in that turn sends no DOWN for the call: its reply took the monitor', () =>
  withSystem({ threads: 2 }, async (system) => {
    const inbox = system.inbox();
    const server = (await system.spawn(COUNTER, undefined, { shard: 2 })) as Pid<any>;
    // One monitor of our own: its DOWN tells us the server is gone (and is the one DOWN it may send).
    const ref = inbox.monitor(server);
    const before = parse(await system.metrics.metrics());
    assert.is(await system.call(server, { kind: 'stop-with-reply' }), 'bye');
    await expect(inbox, (m) => m?.type === 'DOWN' && m.ref === ref, 'the DOWN of our monitor');
    const after = parse(await system.metrics.metrics());
    const downs = value(after, 'joerl_signals_sent_total', { type: 'down' }) - value(before, 'joerl_signals_sent_total', { type: 'down' });
    assert.is(downs, 1, 'only our own monitor fired: the answered call left no monitor behind');
    inbox.close();
  }));

test('a deferred call to another thread still fails with the server reason when the server crashes first, and with noproc once it is gone', () =>
  withSystem({ threads: 2, logLevel: 'silent' }, async (system) => {
    const server = (await system.spawn(COUNTER, undefined, { shard: 2 })) as Pid<any>;
    const pending = system.call(server, { kind: 'defer', key: 'k' }).then(
      () => null,
      (e: Error & { code?: string }) => e,
    );
    system.cast(server, { kind: 'crash' });
    const err = await pending;
    assert.is(err?.code, 'ERR_CALL_FAILED');
    const again = await system.call(server, { kind: 'get' }).then(
      () => null,
      (e: Error & { code?: string }) => e,
    );
    assert.is(again?.code, 'ERR_NO_PROC');
  }));

test('answered calls to another thread, deferred and at once, leave the server watched by nobody', () =>
  withSystem({ threads: 2 }, async (system) => {
    const server = (await system.spawn(COUNTER, undefined, { shard: 2 })) as Pid<any>;
    const deferred = system.call(server, { kind: 'defer', key: 'k' });
    assert.is(await system.call(server, { kind: 'add', n: 2 }), 2);
    system.cast(server, { kind: 'release', key: 'k', value: 'v' });
    assert.is(await deferred, 'v');
    // The monitors went with the replies, before them: nothing the caller must still send.
    const info = await system.processInfo(server);
    assert.equal(info.monitoredBy, []);
  }));

test.run();
