// @joerl/telemetry: the metric catalogue, telemetry options, provider hooks, the scrape endpoint and the StatsD exporter.
// The machinery the runtime drives (writers, regions, the aggregator, span records) is in ./internal.

export { CATALOGUE, ESTIMATED_BYTES_PER_QUEUED_MESSAGE, LATENCY_BUCKETS, LIFETIME_BUCKETS, METRIC_ID, metricId } from './catalogue.js';
export type { MetricDef, MetricType, Source } from './catalogue.js';
export { TelemetryOptionError, resolveTelemetry } from './config.js';
export type { TelemetryConfig, TelemetryOptions } from './config.js';
export { TelemetryServer, checkEndpoint } from './http-server.js';
export type { EndpointOptions, FallbackHandler, RouteHandler, RouteMiss, RouteOptions } from './http-server.js';
export type { ProviderExport, TelemetryProvider } from './provider.js';
export { StatsdClosedError, StatsdExporter } from './statsd/exporter.js';
export type { StatsdPush } from './statsd/exporter.js';
export type { MetricJson, MetricSampleJson, MetricsSource } from './statsd/lines.js';
export type { StatsdOptions } from './statsd/options.js';
export { REASONS } from './type-metrics.js';
export type { ReasonLabel } from './type-metrics.js';
export type { SignalKind } from './metrics-writer.js';
export type {
  InstrumentationScopeLike,
  ReadableSpanCommon,
  ReadableSpanLike,
  ReadableSpanV1Fields,
  ReadableSpanV2Fields,
  SpanProcessorLike,
} from './trace/readable-span.js';
