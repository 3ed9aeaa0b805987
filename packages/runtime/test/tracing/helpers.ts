// Tracing test helpers: the real OpenTelemetry SDK on the main thread, an in-memory exporter, and a wait for spans.
import { context, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { BasicTracerProvider, InMemorySpanExporter, type ReadableSpan, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { ActorSystem } from '@joerl/runtime';

/** Registers the SDK on the main thread, as a user would; returns the exporter and the processor to hand to joerl. */
export function sdk(): { exporter: InMemorySpanExporter; processor: SimpleSpanProcessor; provider: BasicTracerProvider; done: () => Promise<void> } {
  const exporter = new InMemorySpanExporter();
  const processor = new SimpleSpanProcessor(exporter);
  const provider = new BasicTracerProvider({ spanProcessors: [processor] });
  trace.setGlobalTracerProvider(provider);
  const cm = new AsyncLocalStorageContextManager().enable();
  context.setGlobalContextManager(cm);
  return {
    exporter,
    processor,
    provider,
    done: async () => {
      await provider.shutdown();
      trace.disable();
      context.disable();
    },
  };
}

/** Waits until the exporter holds spans matching `pred` (at least `count`), flushing joerl's pipeline as it goes. */
export async function spansWhere(system: ActorSystem, exporter: InMemorySpanExporter, pred: (s: ReadableSpan) => boolean, count = 1): Promise<ReadableSpan[]> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    await system.flushTraces();
    const found = exporter.getFinishedSpans().filter(pred);
    if (found.length >= count || Date.now() > deadline) return found;
    await new Promise((r) => setTimeout(r, 20));
  }
}

export const byName = (name: string) => (s: ReadableSpan) => s.name === name;
export const parentOf = (s: ReadableSpan) => s.parentSpanContext?.spanId;
