// Tracing test helpers for both OpenTelemetry SDK majors: a provider, a BatchSpanProcessor and an exporter of 1.x or 2.x.
//
// The 1.x SDK is installed under npm aliases (otel-sdk-trace-base-1, otel-resources-1,
// otel-exporter-trace-otlp-http-057) next to the 2.x one the rest of the suite uses,
// so one run exercises what users of either major hand to `tracing.processors`.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { context, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { resourceFromAttributes } from '@opentelemetry/resources';
import * as v2 from '@opentelemetry/sdk-trace-base';
import * as v1 from 'otel-sdk-trace-base-1';
import { Resource as ResourceV1 } from 'otel-resources-1';
import { OTLPTraceExporter as OtlpV1 } from 'otel-exporter-trace-otlp-http-057';
import type { ActorSystem } from '@joerl/runtime';

/** A span as either major's exporter sees it (the fields the tests read). */
export type AnyReadableSpan = v1.ReadableSpan | v2.ReadableSpan;

/** One major's SDK set up on the main thread, as a user of that major would. */
export interface Sdk<S> {
  processor: v1.SpanProcessor | v2.SpanProcessor;
  resource: unknown;
  /** Spans the in-memory exporter holds (empty when exporting over OTLP only). */
  finished: () => S[];
  done: () => Promise<void>;
}

function register(provider: { shutdown(): Promise<void> } & Parameters<typeof trace.setGlobalTracerProvider>[0]): () => Promise<void> {
  trace.setGlobalTracerProvider(provider);
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  return async () => {
    await provider.shutdown();
    trace.disable();
    context.disable();
  };
}

/** SDK 1.x: BatchSpanProcessor over `exporter` (default: in memory), a 1.x Resource. */
export function sdkV1(exporter: v1.SpanExporter = new v1.InMemorySpanExporter()): Sdk<v1.ReadableSpan> {
  const processor = new v1.BatchSpanProcessor(exporter, { scheduledDelayMillis: 60_000 });
  const resource = new ResourceV1({ 'service.name': 'joerl-sdk-1' });
  const provider = new v1.BasicTracerProvider({ resource, spanProcessors: [processor] });
  const memory = exporter instanceof v1.InMemorySpanExporter ? exporter : undefined;
  return { processor, resource, finished: () => memory?.getFinishedSpans() ?? [], done: register(provider) };
}

/** SDK 2.x: the same, with the 2.x classes and resource. */
export function sdkV2(): Sdk<v2.ReadableSpan> {
  const exporter = new v2.InMemorySpanExporter();
  const processor = new v2.BatchSpanProcessor(exporter, { scheduledDelayMillis: 60_000 });
  const resource = resourceFromAttributes({ 'service.name': 'joerl-sdk-2' });
  const provider = new v2.BasicTracerProvider({ resource, spanProcessors: [processor] });
  return { processor, resource, finished: () => exporter.getFinishedSpans(), done: register(provider) };
}

/** One OTLP/JSON span as the collector receives it. */
export interface OtlpSpan {
  name: string;
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  attributes: Array<{ key: string; value: { stringValue?: string; intValue?: number | string } }>;
}

/** What a fake collector on 127.0.0.1 received: spans with their scope and service name. */
export interface Received {
  span: OtlpSpan;
  scope: string;
  service: string | undefined;
}

/** A fake OTLP/HTTP collector on a free port; `received` fills as exports arrive. */
export async function collector(): Promise<{ url: string; received: Received[]; close: () => Promise<void> }> {
  const received: Received[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      if (req.url === '/v1/traces') {
        const doc = JSON.parse(body) as {
          resourceSpans: Array<{ resource: { attributes: OtlpSpan['attributes'] }; scopeSpans: Array<{ scope: { name: string }; spans: OtlpSpan[] }> }>;
        };
        for (const rs of doc.resourceSpans) {
          const service = rs.resource.attributes.find((a) => a.key === 'service.name')?.value.stringValue;
          for (const ss of rs.scopeSpans) for (const span of ss.spans) received.push({ span, scope: ss.scope.name, service });
        }
      }
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end('{}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  const close = () =>
    new Promise<void>((r) => {
      server.close(() => r());
      server.closeAllConnections();
    });
  return { url: `http://127.0.0.1:${port}/v1/traces`, received, close };
}

/**
 * Flushes joerl's pipeline (and so the processors and exporters: a BatchSpanProcessor's
 * forceFlush resolves once its export has been answered) until `done()` holds.
 */
export async function flushUntil(system: ActorSystem, done: () => boolean): Promise<void> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    await system.flushTraces();
    if (done() || Date.now() > deadline) return;
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** The 1.x OTLP/HTTP exporter (0.57), JSON over HTTP to `url`. */
export const otlpV1 = (url: string): v1.SpanExporter => new OtlpV1({ url });
