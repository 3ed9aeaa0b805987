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
  type SpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { ActorSystem, type Pid } from '@joerl/runtime';
import type Relay from './relay.actor.js';
import type { Hop } from './relay.actor.js';

// The SDK lives on the main thread only; shards record spans and ship them here.
const memory = new InMemorySpanExporter();
const processors: SpanProcessor[] = [new SimpleSpanProcessor(memory)];
const endpoint = process.env.OTEL_EXPORTER_OTLP_ENDPOINT;
if (endpoint) processors.push(new SimpleSpanProcessor(new OTLPTraceExporter({ url: `${endpoint.replace(/\/$/, '')}/v1/traces` })));
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
await system.shutdown(); // flushes every shard's spans to the processors

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
console.log(`\n${spans.length} spans in ${new Set(spans.map((s) => s.spanContext().traceId)).size} trace(s)${endpoint ? `, exported to ${endpoint}` : ''}`);
await provider.shutdown();
