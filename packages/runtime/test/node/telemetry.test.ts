// Distribution telemetry over a real nats-server: the spec's node metrics after a scripted run, and one trace across two nodes.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { trace } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { ActorSystem, type Pid } from '@joerl/runtime';
import { PROBE, expect, expectReport } from '../helpers.ts';
import { byName, parentOf, sdk, spansWhere } from '../tracing/helpers.ts';
import { FAST, connected, down } from './helpers.ts';
import { type NatsServer, startNats } from './nats-server.ts';

const test = suite('nodes: telemetry');
const RELAY = new URL('../fixtures/relay.actor.ts', import.meta.url);
let nats: NatsServer;

test.before(async () => {
  nats = await startNats();
});
test.after(() => nats.stop());

const node = (name: string, extra: object = {}): Promise<ActorSystem> =>
  ActorSystem.start({ threads: 1, ...extra, node: { name, cluster: 'tel', servers: nats.url, ...nats.auth, ...FAST } });

/** The value of one series in Prometheus text (0 when absent). */
function value(text: string, series: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? 0 : Number(line.slice(series.length + 1));
}

test('the distribution metrics read what happened: messages sent and failed per node, connections, losses, latency', async () => {
  const a = await node('a');
  const b = await node('b');
  try {
    await connected(a, 'b');
    const inB = b.inbox();
    const there = await b.spawn(PROBE, { report: inB.pid, tag: 't' }, { shard: 1 });
    await expectReport(inB, 'started', 't');
    for (let i = 0; i < 25; i++) a.send(there, { n: i } as never);
    for (let i = 0; i < 25; i++) await expect<any>(inB, (m) => m?.event === 'got' && m.msg?.n === i, `message ${i}`);
    // A heartbeat round trip has been measured (ticks every 100 ms).
    for (let i = 0; value(await a.metrics.metrics(), 'joerl_network_latency_seconds_count{node="b"}') === 0; i++) {
      assert.ok(i < 2000, 'no latency measured');
      await new Promise((r) => setTimeout(r, 5));
    }
    let text = await a.metrics.metrics();
    assert.is(value(text, 'joerl_remote_messages_sent_total{target_node="b"}'), 25);
    assert.is(value(text, 'joerl_node_connections_active'), 1);
    assert.is(value(text, 'joerl_node_connection_established_total{node="b"}'), 1);
    assert.is(value(text, 'joerl_node_connection_lost_total{node="b"}'), 0);
    assert.ok(value(text, 'joerl_network_latency_seconds_sum{node="b"}') > 0);
    // b goes away; a message to it afterwards fails (reason connection_failed).
    const gone = down(a, 'b');
    await b.shutdown();
    await gone;
    const dl = new Promise<any>((resolve) => a.once('deadLetter', resolve));
    a.send(there, { late: true } as never);
    assert.is((await dl).reason, 'noconnection');
    text = await a.metrics.metrics();
    assert.is(value(text, 'joerl_node_connections_active'), 0);
    assert.is(value(text, 'joerl_node_connection_lost_total{node="b"}'), 1);
    assert.is(value(text, 'joerl_remote_messages_failed_total{target_node="b",reason="connection_failed"}'), 1);
    // An unencodable message is refused on the spot and counted.
    assert.throws(() => a.send(there, { f: () => 1 } as never), /cannot send a function/);
    assert.is(value(await a.metrics.metrics(), 'joerl_serialization_errors_total'), 1);
  } finally {
    await b.shutdown();
    await a.shutdown();
  }
});

test('one trace continues from an actor on node a to an actor on node b (the context rides in the NATS headers)', async () => {
  const otel = sdk();
  try {
    const a = await node('a', { tracing: { processors: [otel.processor] } });
    const b = await node('b', { tracing: { processors: [otel.processor] } });
    try {
      await connected(a, 'b');
      const inbox = a.inbox();
      const ra = (await a.spawn(RELAY, undefined, { shard: 1 })) as Pid<any>;
      const rb = (await b.spawn(RELAY, undefined, { shard: 1 })) as Pid<any>;
      otel.exporter.reset();
      await trace.getTracer('test').startActiveSpan('request', async (root) => {
        a.send(ra, { route: [rb], report: inbox.pid, note: 'across' });
        await expect(inbox, (m) => m?.done === 'across', 'the relay to finish');
        root.end();
      });
      await spansWhere(b, otel.exporter, byName('relay.work'), 2);
      await spansWhere(a, otel.exporter, byName('relay.work'), 2);
      const all = otel.exporter.getFinishedSpans();
      const root = all.find(byName('request'))!;
      const inTrace = all.filter((s) => s.spanContext().traceId === root.spanContext().traceId);
      const byId = new Map(inTrace.map((s) => [s.spanContext().spanId, s]));
      const chain = (s: ReadableSpan): string[] => {
        const names: string[] = [];
        for (let cur: ReadableSpan | undefined = s; cur !== undefined; cur = byId.get(parentOf(cur) ?? '')) names.push(cur.name);
        return names;
      };
      const onB = inTrace.find((s) => s.name === 'actor.handle_message' && s.attributes['actor.pid'] === String(rb));
      assert.ok(onB !== undefined, 'the handle span on b is in the same trace');
      assert.equal(chain(onB!), ['actor.handle_message', 'message.receive', 'message.send', 'actor.handle_message', 'message.receive', 'message.send', 'request']);
    } finally {
      await b.shutdown();
      await a.shutdown();
    }
  } finally {
    await otel.done();
  }
});

test.run();
