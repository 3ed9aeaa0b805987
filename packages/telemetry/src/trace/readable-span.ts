// The finished span handed to span processors, in the shape of both OpenTelemetry SDK majors' ReadableSpan (1.x and 2.x).
//
// The two majors name two fields differently, and their exporters read only their own:
//
//   field               SDK 1.x (sdk-trace-base 1.x,     SDK 2.x (sdk-trace-base 2.x,
//                       exporters 0.5x)                  exporters 0.2xx)
//   ------------------  -------------------------------  -----------------------------
//   scope of the span   instrumentationLibrary           instrumentationScope
//   parent              parentSpanId?: string            parentSpanContext?: SpanContext
//
// A 1.x OTLP exporter handed a 2.x-only span reads `instrumentationLibrary.name`
// of undefined and takes the process down on its first flush. So every span
// carries both: the two scope fields are the same object, and `parentSpanId`
// is `parentSpanContext.spanId`. Everything else is common to both majors.

import type { Attributes, HrTime, SpanContext, SpanKind, SpanStatus } from '@opentelemetry/api';
import { toHrTime } from './ids.js';
import type { SpanEndRecord } from './recorder.js';

/** The instrumentation scope (2.x) / library (1.x) of a span: the tracer's name and version. */
export interface InstrumentationScopeLike {
  readonly name: string;
  readonly version?: string;
  readonly schemaUrl?: string;
}

/** The fields both SDK majors' ReadableSpan share. */
export interface ReadableSpanCommon {
  readonly name: string;
  readonly kind: SpanKind;
  readonly spanContext: () => SpanContext;
  readonly startTime: HrTime;
  readonly endTime: HrTime;
  readonly status: SpanStatus;
  readonly attributes: Attributes;
  readonly links: Array<{ context: SpanContext; attributes?: Attributes }>;
  readonly events: Array<{ name: string; time: HrTime; attributes?: Attributes }>;
  readonly duration: HrTime;
  readonly ended: boolean;
  /** The SDK Resource given as `tracing.resource` (either major's), or a minimal one. */
  readonly resource: unknown;
  readonly droppedAttributesCount: number;
  readonly droppedEventsCount: number;
  readonly droppedLinksCount: number;
}

/** SDK 1.x's own fields (`@opentelemetry/sdk-trace-base` 1.x). */
export interface ReadableSpanV1Fields {
  readonly instrumentationLibrary: InstrumentationScopeLike;
  readonly parentSpanId?: string;
}

/** SDK 2.x's own fields (`@opentelemetry/sdk-trace-base` 2.x). */
export interface ReadableSpanV2Fields {
  readonly instrumentationScope: InstrumentationScopeLike;
  readonly parentSpanContext?: SpanContext;
}

/**
 * What joerl hands to `onEnd`: a ReadableSpan of SDK 1.x and of SDK 2.x at
 * once, so the processors and exporters of either major can read it.
 */
export interface ReadableSpanLike extends ReadableSpanCommon, ReadableSpanV1Fields, ReadableSpanV2Fields {}

/**
 * A span processor of either SDK major (e.g. SimpleSpanProcessor or
 * BatchSpanProcessor from sdk-trace-base 1.x or 2.x). Only `onEnd` is called:
 * spans arrive finished.
 */
export interface SpanProcessorLike {
  // The parameter names each major's shape on its own (a 1.x processor's
  // ReadableSpan has no instrumentationScope, a 2.x one's no
  // instrumentationLibrary), so processors of both majors type-check here;
  // what they receive is a ReadableSpanLike, which is both.
  onEnd(span: ReadableSpanCommon & (ReadableSpanV1Fields | ReadableSpanV2Fields)): void;
  forceFlush(): Promise<void>;
  shutdown(): Promise<void>;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** A finished span record as both majors' ReadableSpan. */
export function toReadableSpan(rec: SpanEndRecord, resource: unknown): ReadableSpanLike {
  const ctx: SpanContext = { traceId: rec.traceId, spanId: rec.spanId, traceFlags: 1, isRemote: false };
  const scope: InstrumentationScopeLike = rec.scopeVersion === undefined ? { name: rec.scope } : { name: rec.scope, version: rec.scopeVersion };
  const span: Mutable<ReadableSpanLike> = {
    name: rec.name,
    kind: rec.kind,
    spanContext: () => ctx,
    startTime: toHrTime(rec.start),
    endTime: toHrTime(rec.end),
    status: rec.status,
    attributes: rec.attributes,
    links: rec.links.map((l) => {
      const link: { context: SpanContext; attributes?: Attributes } = { context: { traceId: l.traceId, spanId: l.spanId, traceFlags: l.traceFlags, isRemote: true } };
      if (l.attributes !== undefined) link.attributes = l.attributes;
      return link;
    }),
    events: rec.events.map((e) => {
      const ev: { name: string; time: HrTime; attributes?: Attributes } = { name: e.name, time: toHrTime(e.time) };
      if (e.attributes !== undefined) ev.attributes = e.attributes;
      return ev;
    }),
    duration: toHrTime(Math.max(0, rec.end - rec.start)),
    ended: true,
    resource,
    // One object under both names: a processor that groups by scope sees the same scope either way.
    instrumentationScope: scope,
    instrumentationLibrary: scope,
    droppedAttributesCount: 0,
    droppedEventsCount: 0,
    droppedLinksCount: 0,
  };
  if (rec.parentSpanId !== undefined) {
    span.parentSpanContext = { traceId: rec.traceId, spanId: rec.parentSpanId, traceFlags: 1, isRemote: rec.parentRemote === true };
    span.parentSpanId = rec.parentSpanId;
  }
  return span;
}
