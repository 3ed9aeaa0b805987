// Regressions from a new user's report: stats() counts spawns on the hosting shard; a state machine's casts are not GenServer casts.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { expectReport, probe, withSystem } from '../helpers.ts';
import { scrape, value } from './exposition.ts';

const MACHINES = new URL('../fixtures/machines.statem.ts', import.meta.url);
const LOOP = new URL('../fixtures/call-loop.actor.ts', import.meta.url);

test('stats() counts a process on the shard that hosts it, also when main spawned it', () =>
  withSystem({ threads: 2 }, async (system) => {
    const inbox = system.inbox();
    for (let i = 0; i < 3; i++) await probe(system, inbox, 2, { tag: `p${i}` });
    await probe(system, inbox, 1, { tag: 'q' });
    const stats = await system.stats();
    assert.equal(stats.map((s) => [s.shard, s.spawned, s.actors]), [[1, 1, 1], [2, 3, 3]]);
    inbox.close();
  }));

test("a GenStatem's casts and calls are not counted as GenServer casts and calls", () =>
  withSystem({ threads: 1 }, async (system) => {
    const server = await system.serveMetrics({ port: 0 });
    const t = await system.spawn(MACHINES, undefined, { export: 'Turnstile', shard: 1 });
    system.cast(t as never, 'coin' as never);
    assert.is(await system.call(t as never, 'push' as never), 'click');
    const text = await scrape(server.url);
    assert.is(value(text, 'joerl_gen_server_casts_total', { type: 'Turnstile' }), 0);
    assert.is(value(text, 'joerl_gen_statem_transitions_total', { type: 'Turnstile', from: 'unlocked', to: 'locked' }), 1);
  }));

test("signals_ignored_total counts the exit signals a trapping process took as messages, not a 'normal' one a process that does not trap drops", () =>
  withSystem({ threads: 1 }, async (system) => {
    // Regression: the dropped 'normal' counted as ignored too (the spec: "signals ignored (trapped)").
    const server = await system.serveMetrics({ port: 0 });
    const inbox = system.inbox();
    const plain = await probe(system, inbox, 1, { tag: 'plain' });
    const trapping = await probe(system, inbox, 1, { tag: 'trapping', trap: true });
    system.exit(plain, 'normal');
    system.exit(trapping, 'normal');
    await expect(inbox, 'trapping');
    // The plain one lived on; its pong comes after its signal was taken.
    system.send(plain, { op: 'ping' });
    await expectReport(inbox, 'pong', 'plain');
    const text = await scrape(server.url);
    assert.is(value(text, 'joerl_signals_received_total', { type: 'exit' }), 2);
    assert.is(value(text, 'joerl_signals_ignored_total', { type: 'exit' }), 1);
  }));

test('a loop of in-shard calls (each taken while its server serves no other): every call timed once, none left in flight', () =>
  withSystem({ threads: 1 }, async (system) => {
    const inbox = system.inbox();
    const gate = await system.spawn(LOOP, undefined, { shard: 1, export: 'gate' });
    const looper = await system.spawn(LOOP, undefined, { shard: 1, export: 'looper' });
    system.send(looper as never, { kind: 'run', to: gate, report: inbox.pid, stopAfterMs: 20 } as never);
    const r = (await inbox.receive((m: any) => m?.event === 'looped', { timeoutMs: 20_000 })) as { n: number };
    assert.ok(r.n > 1, 'the loop made calls');
    // One more, from the main thread: answered after the loop's, so they are all in the figures it reads.
    assert.is(await system.call(gate as never, { kind: 'count' } as never), r.n);
    assert.is(system.metricTotal('joerl_gen_server_call_duration_seconds'), r.n + 1);
    assert.is(system.metricTotal('joerl_gen_server_calls_in_flight'), 0);
    assert.is(system.metricTotal('joerl_gen_server_call_timeouts_total'), 0);
  }));

/** The trapping probe reports its EXIT message. */
function expect(inbox: import('@joerl/runtime').Inbox, tag: string): Promise<unknown> {
  return inbox.receive((m: any) => m?.event === 'got' && m.tag === tag && m.msg?.type === 'EXIT', { timeoutMs: 20_000 });
}

test.run();
