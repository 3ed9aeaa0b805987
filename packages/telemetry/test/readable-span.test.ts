// Spans reach processors as a ReadableSpan of SDK 1.x and of SDK 2.x at once: both majors' processors type-check and read their own fields.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type * as v2 from '@opentelemetry/sdk-trace-base';
import { InMemorySpanExporter as Memory2, SimpleSpanProcessor as Simple2 } from '@opentelemetry/sdk-trace-base';
import type * as v1 from 'otel-sdk-trace-base-1';
import { InMemorySpanExporter as Memory1, SimpleSpanProcessor as Simple1 } from 'otel-sdk-trace-base-1';
import type { ReadableSpanLike, SpanProcessorLike } from '@joerl/telemetry';
import { type SpanEndRecord, SpanCollector, defaultResource } from '@joerl/telemetry/internal';

const rec = (over: Partial<SpanEndRecord> = {}): SpanEndRecord => ({
  spanId: '00f067aa0ba902b7',
  traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
  name: 'actor.handle_message',
  kind: 4,
  start: 1_764_000_000_000,
  end: 1_764_000_000_002.5,
  attributes: { 'actor.type': 'Sink' },
  scope: '@joerl/runtime',
  status: { code: 0 },
  events: [],
  links: [],
  ...over,
});

/** Collects what `onEnd` receives. */
function capture(): { seen: ReadableSpanLike[]; processor: SpanProcessorLike } {
  const seen: ReadableSpanLike[] = [];
  return { seen, processor: { onEnd: (s) => void seen.push(s as ReadableSpanLike), forceFlush: async () => {}, shutdown: async () => {} } };
}

test('a span carries the 1.x fields (instrumentationLibrary, parentSpanId) and the 2.x ones (instrumentationScope, parentSpanContext), agreeing', () => {
  const { seen, processor } = capture();
  const collector = new SpanCollector([processor], defaultResource());
  collector.ended(1, rec({ parentSpanId: '53995c3f42cd8ad8', parentRemote: true, scopeVersion: '0.1.0' }));
  const [span] = seen;
  assert.equal(span!.instrumentationScope, { name: '@joerl/runtime', version: '0.1.0' });
  assert.is(span!.instrumentationLibrary, span!.instrumentationScope);
  assert.is(span!.parentSpanId, '53995c3f42cd8ad8');
  assert.equal(span!.parentSpanContext, { traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '53995c3f42cd8ad8', traceFlags: 1, isRemote: true });
  assert.equal(span!.duration, [0, 2_500_000]);
  // Compile-time: the span is each major's ReadableSpan (the Resource is whichever the user passed).
  const asV1: Omit<v1.ReadableSpan, 'resource'> = span!;
  const asV2: Omit<v2.ReadableSpan, 'resource'> = span!;
  assert.is(asV1.instrumentationLibrary.name, asV2.instrumentationScope.name);
});

test('a root span has neither parentSpanId nor parentSpanContext', () => {
  const { seen, processor } = capture();
  new SpanCollector([processor], defaultResource()).ended(1, rec());
  assert.is(seen[0]!.parentSpanId, undefined);
  assert.is(seen[0]!.parentSpanContext, undefined);
  assert.ok(!('parentSpanId' in seen[0]!), 'absent, not undefined-valued (as the SDKs leave it)');
  assert.equal(seen[0]!.instrumentationLibrary, { name: '@joerl/runtime' });
});

test('processors of both SDK majors take the same span, each reading its own fields', async () => {
  const memory1 = new Memory1();
  const memory2 = new Memory2();
  // Both type-check as SpanProcessorLike: that is what `tracing.processors` takes.
  const processors: SpanProcessorLike[] = [new Simple1(memory1), new Simple2(memory2)];
  const collector = new SpanCollector(processors, defaultResource('both'));
  collector.ended(2, rec({ parentSpanId: '53995c3f42cd8ad8' }));
  await collector.forceFlush();
  const [one] = memory1.getFinishedSpans();
  const [two] = memory2.getFinishedSpans();
  assert.is(one!.instrumentationLibrary.name, '@joerl/runtime');
  assert.is(one!.parentSpanId, '53995c3f42cd8ad8');
  assert.is(two!.instrumentationScope.name, '@joerl/runtime');
  assert.is(two!.parentSpanContext?.spanId, '53995c3f42cd8ad8');
  assert.is(one!.resource.attributes['service.name'], 'both');
  await collector.shutdown();
});

test.run();
