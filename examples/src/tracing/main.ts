// Tracing example: one request hops through actors on every shard; the whole trace is exported from the main thread.
//
//   node examples/dist/tracing/main.js                         prints the trace as a tree
//   OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:4318 node examples/dist/tracing/main.js
//                                                              also sends it over OTLP/HTTP (Jaeger, Tempo, a collector)
import { context, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
  type SpanExporter,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { ActorSystem, type Pid } from '@joerl/runtime';
import type Relay from './relay.actor.js';
import type { Hop } from './relay.actor.js';

// The SDK lives on the main thread only; shards record spans and ship them here.
const memory = new InMemorySpanExporter();
const processors: SpanProcessor[] = [new SimpleSpanProcessor(memory)];
const endpoint = process.env.OTEL_EXPORTER_OTLP_ENDPOINT;
// What the OTLP export did: the SDK reports a failed export only to its diagnostics, so the example counts for itself.
const otlp = { sent: 0, failed: null as Error | null };
if (endpoint) {
  const exporter = new OTLPTraceExporter({ url: `${endpoint.replace(/\/$/, '')}/v1/traces` });
  const counted: SpanExporter = {
    export: (batch, done) =>
      exporter.export(batch, (result) => {
        if (result.code === 0) otlp.sent += batch.length; // ExportResultCode.SUCCESS (@opentelemetry/core)
        else otlp.failed ??= result.error ?? new Error('export failed');
        done(result);
      }),
    shutdown: () => exporter.shutdown(),
    forceFlush: () => exporter.forceFlush(),
  };
  processors.push(new SimpleSpanProcessor(counted));
}
const resource = resourceFromAttributes({ 'service.name': 'joerl-tracing-example' });
const provider = new BasicTracerProvider({ resource, spanProcessors: processors });
trace.setGlobalTracerProvider(provider);
context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());

const system = await ActorSystem.start({ tracing: { processors, resource } });
const relays: Pid<Hop>[] = [];
for (let shard = 1; shard <= system.shards; shard++) {
  relays.push(await system.spawn<typeof Relay>(new URL('./relay.actor.js', import.meta.url), undefined, { shard }));
}
const inbox = system.inbox<{ done: string }>();
await trace.getTracer('example').startActiveSpan('request', async (span) => {
  system.send(relays[0]!, { route: [...relays.slice(1), ...relays], replyTo: inbox.pid, id: 'r1' });
  await inbox.receive();
  span.end();
});
// Flushes every shard's spans to the processors; a failed export makes it reject (reported below, after the tree).
await system.shutdown().catch((err: Error) => void (otlp.failed ??= err));

// Print the trace as a tree.
const spans = memory.getFinishedSpans();
const children = new Map<string | undefined, ReadableSpan[]>();
for (const s of spans) {
  const parent = s.parentSpanContext?.spanId;
  children.set(parent, [...(children.get(parent) ?? []), s]);
}
const ids = new Set(spans.map((s) => s.spanContext().spanId));
const print = (s: ReadableSpan, depth: number): void => {
  const us = (s.endTime[0] - s.startTime[0]) * 1e6 + (s.endTime[1] - s.startTime[1]) / 1e3;
  const where = s.attributes['actor.pid'] ?? s.attributes['actor.to_pid'] ?? '';
  console.log(`${'  '.repeat(depth)}${s.name} ${where} (${us.toFixed(0)} us)`);
  for (const c of children.get(s.spanContext().spanId) ?? []) print(c, depth + 1);
};
for (const root of spans.filter((s) => !ids.has(s.parentSpanContext?.spanId ?? ''))) print(root, 0);
console.log(`\n${spans.length} spans in ${new Set(spans.map((s) => s.spanContext().traceId)).size} trace(s)`);
// Said only once the exports are done (shutdown flushes them), and only as they went.
await provider.shutdown().catch((err: Error) => void (otlp.failed ??= err));
if (otlp.failed !== null) {
  const what = endpoint ? `export to ${endpoint} failed (${otlp.sent} of ${spans.length} spans went)` : 'the stop failed';
  console.error(`${what}: ${otlp.failed.message}`);
  process.exitCode = 1;
} else if (endpoint) console.log(`${otlp.sent} spans exported to ${endpoint}`);
