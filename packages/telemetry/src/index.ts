// @joerl/telemetry: the metric catalogue, per-thread metric shards, the main-thread aggregator, the scrape endpoint.

export { Aggregator } from './aggregator.js';
export { CATALOGUE, ESTIMATED_BYTES_PER_QUEUED_MESSAGE, LATENCY_BUCKETS, LIFETIME_BUCKETS, METRIC_ID, metricId } from './catalogue.js';
export type { MetricDef, MetricType, Source } from './catalogue.js';
export { TelemetryOptionError, resolveTelemetry } from './config.js';
export type { TelemetryConfig, TelemetryOptions } from './config.js';
export { TelemetryServer, checkEndpoint } from './http-server.js';
export type { EndpointOptions, RouteHandler } from './http-server.js';
export type { ProviderExport, TelemetryProvider } from './provider.js';
export { DEFAULT_REGION_SLOTS, createRegion } from './region.js';
export { NoopMetrics, REASONS, ShardMetrics, TypeMetrics } from './shard-metrics.js';
export type { Announce, ReasonLabel, SignalKind } from './shard-metrics.js';
export { AsyncLocalContextManager } from './trace/context-manager.js';
export { W3CTraceparentPropagator } from './trace/propagator.js';
export { RecordingSpan, RecordingTracer, RecordingTracerProvider } from './trace/recorder.js';
export type { SpanEndRecord, SpanSink, SpanStartRecord } from './trace/recorder.js';
export { SpanCollector, defaultResource } from './trace/collector.js';
export { spanEndFromWire, spanEndToWire, spanStartFromWire, spanStartToWire } from './trace/wire.js';
export type { SpanEndWire, SpanStartWire } from './trace/wire.js';
export type { ReadableSpanLike, SpanProcessorLike } from './trace/collector.js';
export { formatTraceparent, newSpanId, newTraceId, nowMs, parseTraceparent, sampledByRatio, toHrTime } from './trace/ids.js';
