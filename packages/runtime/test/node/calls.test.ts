// Calls between nodes: timed on the server's clock (the caller's is another machine's); a full mailbox answers at once.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { MemoryHub } from '@joerl/runtime';
import { connected, memoryNode } from './helpers.ts';
import { PROBE, expectReport } from '../helpers.ts';

const COUNTER = new URL('../fixtures/counter.server.ts', import.meta.url);
const test = suite('nodes: calls');

/** The value of one series in Prometheus text (0 when absent). */
function value(text: string, series: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? 0 : Number(line.slice(series.length + 1));
}

test("a call whose caller's clock runs 10 s ahead is timed from its arrival: no negative duration, not counted late", async () => {
  const hub = new MemoryHub();
  const a = await memoryNode(hub, 'a');
  const b = await memoryNode(hub, 'b');
  try {
    await connected(a, 'b');
    const server = await b.spawn(COUNTER, { start: 7 }, { shard: 1 });
    const inbox = a.inbox();
    // The envelope a caller on a machine whose clock is 10 s ahead (and 10 s behind, for the deadline) would send.
    const ahead = performance.timeOrigin + performance.now() + 10_000;
    a.send(server, { $joerl: 'call', from: { pid: inbox.pid, ref: 424242 }, req: { kind: 'get' }, t: ahead, d: ahead + 5000 } as never);
    const behind = performance.timeOrigin + performance.now() - 10_000;
    a.send(server, { $joerl: 'call', from: { pid: inbox.pid, ref: 424243 }, req: { kind: 'get' }, t: behind, d: behind + 5000 } as never);
    // Both answered (then answered again by a real call: its reply comes after theirs on the same path).
    assert.is(await a.call(server, { kind: 'get' }), 7);
    const text = await b.metrics.metrics();
    const sum = value(text, 'joerl_gen_server_call_duration_seconds_sum{type="Counter"}');
    const count = value(text, 'joerl_gen_server_call_duration_seconds_count{type="Counter"}');
    assert.is(count, 3, 'three calls timed');
    assert.ok(sum >= 0 && sum < 5, `durations from arrival: sum ${sum} s`);
    assert.is(value(text, 'joerl_gen_server_call_timeouts_total{type="Counter"}'), 0, 'none late');
  } finally {
    await b.shutdown();
    await a.shutdown();
  }
});

test('a call from another node into a full mailbox fails at once with ERR_MAILBOX_FULL, not at its timeout', async () => {
  const hub = new MemoryHub();
  const a = await memoryNode(hub, 'a');
  const b = await memoryNode(hub, 'b');
  try {
    await connected(a, 'b');
    const inB = b.inbox();
    const target = await b.spawn(PROBE, { report: inB.pid, tag: 'full' }, { shard: 1, mailboxCapacity: 1 });
    await expectReport(inB, 'started', 'full');
    b.send(target, { op: 'select', want: 'release' });
    await expectReport(inB, 'selecting', 'full');
    b.send(target, { n: 0 } as never);
    // A 20 s timeout only bounds the old behaviour (the caller waited it out).
    const code = await a.call(target, { kind: 'get' }, { timeoutMs: 20_000 }).then(() => 'answered', (err: { code?: string }) => err.code);
    assert.is(code, 'ERR_MAILBOX_FULL');
  } finally {
    await b.shutdown();
    await a.shutdown();
  }
});

test("a reply over the servers' max payload fails its call at once with ERR_CALL_FAILED, not at its timeout", async () => {
  const hub = new MemoryHub({ maxPayload: 64 * 1024 });
  const a = await memoryNode(hub, 'a');
  const b = await memoryNode(hub, 'b');
  try {
    await connected(a, 'b');
    const server = await b.spawn(COUNTER, { start: 1 }, { shard: 1 });
    // A 20 s timeout only bounds the old behaviour (the reply was dropped and the caller waited it out).
    const err = await a.call(server, { kind: 'big', bytes: 100_000 }, { timeoutMs: 20_000 }).then(() => null, (e: Error & { code?: string }) => e);
    assert.is(err?.code, 'ERR_CALL_FAILED');
    assert.match(err!.message, /max payload of 65536 bytes/);
    assert.is(await a.call(server, { kind: 'big', bytes: 10 }), 'x'.repeat(10), 'a reply that fits goes on as before');
  } finally {
    await b.shutdown();
    await a.shutdown();
  }
});

test('a call from another node that times out while the server holds it counts as a timeout on the server\'s node then, once', async () => {
  // Regression: its demonitor came under the server node's own ref for the monitor, not the call's, so the
  // timeout was counted only when the server answered or exited (a server that hung showed none).
  const hub = new MemoryHub();
  const a = await memoryNode(hub, 'a');
  const b = await memoryNode(hub, 'b');
  try {
    await connected(a, 'b');
    const server = await b.spawn(COUNTER, { start: 1 }, { shard: 1 });
    const hung = a.call(server, { kind: 'defer', key: 'hung' }, { timeoutMs: 1000 }).then(() => 'answered', (e: { code?: string }) => e.code);
    // Taken (and held) by the server before this one is answered: its mailbox is in order.
    assert.is(await a.call(server, { kind: 'get' }), 1);
    assert.is(await hung, 'ERR_CALL_TIMEOUT');
    // The demonitor and this call go the same way, in order: the server's thread has taken the demonitor.
    assert.is(await a.call(server, { kind: 'get' }), 1);
    let text = await b.metrics.metrics();
    assert.is(value(text, 'joerl_gen_server_call_timeouts_total{type="Counter"}'), 1, 'counted at the timeout');
    assert.is(value(text, 'joerl_gen_server_calls_in_flight{type="Counter"}'), 1, 'still held by the server');
    const inB = b.inbox();
    const ref = inB.monitor(server);
    b.exit(server, 'kill');
    await inB.receive((m: any) => m?.type === 'DOWN' && m.ref === ref, { timeoutMs: 10_000 });
    text = await b.metrics.metrics();
    assert.is(value(text, 'joerl_gen_server_call_timeouts_total{type="Counter"}'), 1, 'not counted again at the exit');
    assert.is(value(text, 'joerl_gen_server_calls_in_flight{type="Counter"}'), 0);
  } finally {
    await b.shutdown();
    await a.shutdown();
  }
});

test.run();
