// @joerl/telemetry/internal: what the runtime drives (metric writers and regions, span records and their wire form, the
// shard tracer). Not a stable API for applications: use the package's main entry. Every shard thread loads it, so it
// leaves out what only the main thread needs: the aggregator (and prom-client with it) is @joerl/telemetry/aggregator,
// the scrape endpoint and the StatsD exporter are in the main entry.

export { DEFAULT_REGION_SLOTS, createRegion, heldWord, waitUnheld } from './region.js';
export { ESTIMATED_BYTES_PER_QUEUED_MESSAGE } from './catalogue.js';
export type { MetricsWriter, SignalKind } from './metrics-writer.js';
export { NOOP_METRICS } from './noop-metrics.js';
export { NOOP_NODE_METRICS } from './node-metrics.js';
export type { NodeMetricsWriter, RemoteFailReason } from './node-metrics.js';
export { ShardMetrics } from './shard-metrics.js';
export { Sequence } from './sampling.js';
export type { Announce } from './shard-metrics.js';
export { REASONS, TypeMetrics } from './type-metrics.js';
export type { ReasonLabel } from './type-metrics.js';
export type { ProviderExport, TelemetryProvider } from './provider.js';
export { resolveTelemetry } from './config.js';
export type { TelemetryConfig } from './config.js';
export { AsyncLocalContextManager, type LazyContext } from './trace/context-manager.js';
export { W3CTraceparentPropagator } from './trace/propagator.js';
export { RecordingSpan, RecordingTracer, RecordingTracerProvider } from './trace/recorder.js';
export type { ReceivedPair, SpanEndRecord, SpanSink, SpanStartRecord } from './trace/recorder.js';
export { SpanCollector, defaultResource } from './trace/collector.js';
export type { ReadableSpanLike, SpanProcessorLike } from './trace/readable-span.js';
export { builtinWire, spanEndFromWire, spanEndToWire, spanStartFromWire, spanStartToWire } from './trace/wire.js';
export { BUILTIN_HANDLE, BUILTIN_RECEIVE, BUILTIN_SEND, builtinAttributes } from './trace/builtin.js';
export { LazyReadableSpan } from './trace/lazy-span.js';
export { OpenSpanSlot, createOpenSpanSlot } from './trace/open-span-slot.js';
export { BuiltinSpan } from './trace/builtin-span.js';
export { LazyHandleSpan } from './trace/lazy-handle.js';
export { spanOnRoot } from './trace/handle-context.js';
export { BUILTIN_NAMES, BUILTIN_SCOPE, DenseSpanBatch, builtinEndWire, forEachDenseSpan, forEachDenseWire, rowsFitting } from './trace/dense-batch.js';
export { DenseReadableSpan } from './trace/dense-span.js';
export { batchFromFrame } from './trace/dense-frame.js';
export { FrameIntake } from './trace/frame-intake.js';
export type { DenseBatchWire } from './trace/dense-batch.js';
export type { SpanEndWire, SpanStartWire } from './trace/wire.js';
export { rootKey, rootKeyGen } from './trace/root-key.js';
export { type SpanWords, type TraceWords, WordSpanContext, asWords, carriedContext, carriedRoot, childSpanHi, childSpanLo, newRootContext, renewChild, renewRoot, rootSpanHi, rootSpanLo, formatTraceparent, hex32, newSpanId, newTraceId, newTraceWords, newWordContext, nowMs, parseTraceparent, rand32, rand32NonZero, sampledByRatio, spanHex, spanWords, toHrTime, traceHex, traceWords } from './trace/ids.js';
