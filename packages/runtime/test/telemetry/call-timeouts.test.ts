// gen_server_call_timeouts_total: a call the server answered too late, and one it never answered before it exited.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { CallTimeoutError, type Pid } from '@joerl/runtime';
import { expect, expectReport, probe, withSystem } from '../helpers.ts';

const COUNTER = new URL('../fixtures/counter.server.ts', import.meta.url);
const test = suite('call-timeouts');

test('a call the server took and never answered counts as a timeout when the server exits past the caller\'s deadline (not one still within it)', () =>
  withSystem({ threads: 1 }, async (system) => {
    const inbox = system.inbox();
    const c = (await system.spawn(COUNTER, { report: inbox.pid }, { shard: 1 })) as Pid<any>;
    const timedOut = await system.call(c, { kind: 'defer', key: 'never' }, { timeoutMs: 20 }).catch((e: unknown) => e);
    assert.instance(timedOut, CallTimeoutError);
    void system.call(c, { kind: 'defer', key: 'waiting' }, { timeoutMs: 3_600_000 }).catch(() => {});
    await system.call(c, { kind: 'get' }); // both deferred calls have been taken by now
    assert.is(system.metricTotal('joerl_gen_server_calls_in_flight'), 2);
    const ref = inbox.monitor(c);
    system.exit(c, 'kill');
    await expect(inbox, (m) => m?.type === 'DOWN' && m.ref === ref, 'the server to exit');
    assert.is(system.metricTotal('joerl_gen_server_call_timeouts_total'), 1, 'the call whose caller timed out, not the one still waiting');
    assert.is(system.metricTotal('joerl_gen_server_calls_in_flight'), 0);
  }));

test('a call that times out while the server holds it unanswered counts as a timeout then, from another thread or from its own: a server that hangs is seen', () =>
  withSystem({ threads: 1 }, async (system) => {
    // Regression: it counted only when the server answered or exited; a server that never did showed no timeout.
    const inbox = system.inbox();
    const c = (await system.spawn(COUNTER, { report: inbox.pid }, { shard: 1 })) as Pid<any>;
    // From main (another thread): its demonitor tells the server's thread.
    const first = await system.call(c, { kind: 'defer', key: 'hung-1' }, { timeoutMs: 20 }).catch((e: unknown) => e);
    assert.instance(first, CallTimeoutError);
    // The counter's own call, after the demonitor on the same ring: the server's thread has taken it.
    await system.call(c, { kind: 'get' });
    assert.is(system.metricTotal('joerl_gen_server_call_timeouts_total'), 1);
    // From an actor on the server's shard.
    const caller = await probe(system, inbox, 1, { tag: 'caller' });
    system.send(caller, { op: 'call', to: c, req: { kind: 'defer', key: 'hung-2' }, timeoutMs: 20 });
    assert.is((await expectReport(inbox, 'call-failed', 'caller')).code, 'ERR_CALL_TIMEOUT');
    await system.call(c, { kind: 'get' });
    assert.is(system.metricTotal('joerl_gen_server_call_timeouts_total'), 2);
    // Still held: in flight until the server answers or exits, and not counted again then.
    assert.is(system.metricTotal('joerl_gen_server_calls_in_flight'), 2);
    const ref = inbox.monitor(c);
    system.exit(c, 'kill');
    await expect(inbox, (m) => m?.type === 'DOWN' && m.ref === ref, 'the server to exit');
    assert.is(system.metricTotal('joerl_gen_server_call_timeouts_total'), 2);
    assert.is(system.metricTotal('joerl_gen_server_calls_in_flight'), 0);
  }));

test.run();
