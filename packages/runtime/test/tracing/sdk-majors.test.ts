// Both OpenTelemetry SDK majors read joerl's spans: 1.x and 2.x BatchSpanProcessors, in-memory exporters, and the 1.x OTLP/HTTP exporter.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { trace } from '@opentelemetry/api';
import type { Pid } from '@joerl/runtime';
import { expect, withSystem } from '../helpers.ts';
import { type Sdk, collector, flushUntil, otlpV1, sdkV1, sdkV2 } from './majors.ts';

const test = suite('sdk-majors');
const RELAY = new URL('../fixtures/relay.actor.ts', import.meta.url);

/** What a test reads of a span, whichever major's shape it came in. */
interface Seen {
  name: string;
  spanId: string;
  traceId: string;
  parent: string | undefined;
  scope: string;
  shard: unknown;
}

/** A user root span 'request' (from the SDK's own tracer) whose message hops shard 1 -> shard 2 -> back to main. */
async function relayAcrossTwoShards(sdk: Sdk<unknown>, seen: () => Seen[], count: (s: Seen[]) => boolean): Promise<Seen[]> {
  let out: Seen[] = [];
  await withSystem({ threads: 2, tracing: { processors: [sdk.processor], resource: sdk.resource } }, async (system) => {
    const inbox = system.inbox();
    const a = (await system.spawn(RELAY, undefined, { shard: 1 })) as Pid<any>;
    const b = (await system.spawn(RELAY, undefined, { shard: 2 })) as Pid<any>;
    await trace.getTracer('test').startActiveSpan('request', async (root) => {
      system.send(a, { route: [b], report: inbox.pid, note: 'majors' });
      await expect(inbox, (m) => m?.done === 'majors', 'the relay to finish');
      root.end();
    });
    await flushUntil(system, () => count(seen()));
    out = seen();
  });
  return out;
}

/** Each relay.work span walks up to the user's request span through joerl's send/receive/handle spans. */
function assertOneTrace(spans: Seen[]): void {
  const request = spans.find((s) => s.name === 'request');
  assert.ok(request, 'the user span is exported too');
  const inTrace = spans.filter((s) => s.traceId === request!.traceId);
  const byId = new Map(inTrace.map((s) => [s.spanId, s]));
  const chain = (s: Seen): string[] => {
    const names: string[] = [];
    for (let cur: Seen | undefined = s; cur !== undefined; cur = byId.get(cur.parent ?? '')) names.push(cur.name);
    return names;
  };
  const works = inTrace.filter((s) => s.name === 'relay.work');
  assert.equal(works.map((s) => s.shard).sort(), [1, 2], 'work on both shards');
  const chains = works.map(chain).sort((x, y) => x.length - y.length);
  assert.equal(chains[0], ['relay.work', 'actor.handle_message', 'message.receive', 'message.send', 'request']);
  assert.equal(chains[1]!.slice(0, 4), ['relay.work', 'actor.handle_message', 'message.receive', 'message.send']);
  assert.is(chains[1]!.at(-1), 'request');
  assert.equal(works.map((s) => s.scope), ['relay-test', 'relay-test']);
}

const twoWorks = (s: Seen[]) => s.filter((x) => x.name === 'relay.work').length >= 2 && s.some((x) => x.name === 'request');

test('SDK 1.x: a BatchSpanProcessor and an in-memory exporter get one trace across two shards, as 1.x ReadableSpans', async () => {
  const sdk = sdkV1();
  try {
    const read = () =>
      sdk.finished().map((s) => ({
        name: s.name,
        spanId: s.spanContext().spanId,
        traceId: s.spanContext().traceId,
        parent: s.parentSpanId,
        scope: s.instrumentationLibrary.name,
        shard: s.attributes['relay.shard'],
      }));
    const spans = await relayAcrossTwoShards(sdk, read, twoWorks);
    assertOneTrace(spans);
    const joerl = sdk.finished().filter((s) => s.name === 'message.send');
    assert.ok(joerl.length >= 2);
    for (const s of joerl) {
      assert.is((s.resource.attributes as Record<string, unknown>)['service.name'], 'joerl-sdk-1', 'the user\'s 1.x Resource');
      // The 2.x fields ride along, and agree with the 1.x ones.
      const both = s as typeof s & { instrumentationScope: { name: string }; parentSpanContext?: { spanId: string } };
      assert.is(both.instrumentationScope, s.instrumentationLibrary);
      assert.is(both.parentSpanContext?.spanId, s.parentSpanId);
    }
  } finally {
    await sdk.done();
  }
});

test('SDK 2.x: the same trace through the 2.x BatchSpanProcessor, as 2.x ReadableSpans', async () => {
  const sdk = sdkV2();
  try {
    const read = () =>
      sdk.finished().map((s) => ({
        name: s.name,
        spanId: s.spanContext().spanId,
        traceId: s.spanContext().traceId,
        parent: s.parentSpanContext?.spanId,
        scope: s.instrumentationScope.name,
        shard: s.attributes['relay.shard'],
      }));
    const spans = await relayAcrossTwoShards(sdk, read, twoWorks);
    assertOneTrace(spans);
    for (const s of sdk.finished().filter((x) => x.name === 'message.receive')) {
      assert.is(s.resource.attributes['service.name'], 'joerl-sdk-2', 'the user\'s 2.x Resource');
      assert.ok(s.parentSpanContext?.isRemote === true || s.parentSpanContext?.isRemote === false);
    }
  } finally {
    await sdk.done();
  }
});

test('regression: the SDK 1.x OTLP/HTTP exporter (0.57) posts the trace instead of crashing on instrumentationLibrary.name', async () => {
  const otlp = await collector();
  const sdk = sdkV1(otlpV1(otlp.url));
  try {
    const read = () =>
      otlp.received.map(({ span, scope }) => ({
        name: span.name,
        spanId: span.spanId,
        traceId: span.traceId,
        parent: span.parentSpanId || undefined,
        scope,
        shard: Number(span.attributes.find((a) => a.key === 'relay.shard')?.value.intValue ?? NaN),
      }));
    const spans = await relayAcrossTwoShards(sdk, read, twoWorks);
    assertOneTrace(spans);
    const services = new Set(otlp.received.map((r) => r.service));
    assert.equal([...services], ['joerl-sdk-1']);
  } finally {
    await sdk.done();
    await otlp.close();
  }
});

test.run();
