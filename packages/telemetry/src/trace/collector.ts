// The main-thread end of the trace pipeline: records from every thread become SDK-shaped ReadableSpans for your processors.

import { type Attributes, type HrTime, type SpanContext, SpanStatusCode } from '@opentelemetry/api';
import { toHrTime } from './ids.js';
import type { SpanEndRecord, SpanStartRecord } from './recorder.js';

/** What `onEnd` receives: the shape of @opentelemetry/sdk-trace-base's ReadableSpan. */
export interface ReadableSpanLike {
  readonly name: string;
  readonly kind: number;
  readonly spanContext: () => SpanContext;
  readonly parentSpanContext?: SpanContext;
  readonly startTime: HrTime;
  readonly endTime: HrTime;
  readonly status: { code: number; message?: string };
  readonly attributes: Attributes;
  readonly links: Array<{ context: SpanContext; attributes?: Attributes }>;
  readonly events: Array<{ name: string; time: HrTime; attributes?: Attributes }>;
  readonly duration: HrTime;
  readonly ended: boolean;
  readonly resource: unknown;
  readonly instrumentationScope: { name: string; version?: string };
  readonly droppedAttributesCount: number;
  readonly droppedEventsCount: number;
  readonly droppedLinksCount: number;
}

/** A span processor (e.g. the SDK's SimpleSpanProcessor or BatchSpanProcessor). Only `onEnd` is called: spans arrive finished. */
export interface SpanProcessorLike {
  onEnd(span: ReadableSpanLike): void;
  forceFlush(): Promise<void>;
  shutdown(): Promise<void>;
}

/** A resource when none is given: `service.name` only (the SDK's Resource shape). */
export function defaultResource(serviceName = 'joerl'): unknown {
  const attributes: Attributes = { 'service.name': serviceName };
  const resource = {
    attributes,
    asyncAttributesPending: false,
    schemaUrl: undefined,
    waitForAsyncAttributes: async () => {},
    getRawAttributes: () => Object.entries(attributes),
    merge: (other: { attributes?: Attributes } | null) => (other?.attributes ? { ...resource, attributes: { ...attributes, ...other.attributes } } : resource),
  };
  return resource;
}

export class SpanCollector {
  /** Open spans per thread, by span id (so a dying shard's open spans can be ended). */
  private readonly open = new Map<number, Map<string, SpanStartRecord>>();

  constructor(
    private readonly processors: readonly SpanProcessorLike[],
    private readonly resource: unknown,
  ) {}

  started(thread: number, rec: SpanStartRecord): void {
    let m = this.open.get(thread);
    if (m === undefined) this.open.set(thread, (m = new Map()));
    m.set(rec.spanId, rec);
  }

  ended(thread: number, rec: SpanEndRecord): void {
    this.open.get(thread)?.delete(rec.spanId);
    this.emit(rec);
  }

  /** A finished span already in its ReadableSpan shape (built lazily from its wire record by the caller). */
  endedReadable(thread: number, spanId: string, span: ReadableSpanLike): void {
    this.open.get(thread)?.delete(spanId);
    this.deliver(span);
  }

  /** A thread died at `at` (abs ms): its finished spans were already delivered; its open ones end now, with an error. */
  threadDied(thread: number, at: number, why: string): void {
    const m = this.open.get(thread);
    if (m === undefined) return;
    this.open.delete(thread);
    for (const rec of m.values()) {
      this.emit({
        ...rec,
        end: Math.max(at, rec.start),
        status: { code: SpanStatusCode.ERROR, message: `the shard died: ${why}` },
        events: [],
        links: [],
      });
    }
  }

  forceFlush(): Promise<void> {
    return Promise.all(this.processors.map((p) => p.forceFlush())).then(() => undefined);
  }

  shutdown(): Promise<void> {
    return Promise.all(this.processors.map((p) => p.shutdown())).then(() => undefined);
  }

  private emit(rec: SpanEndRecord): void {
    this.deliver(toReadable(rec, this.resource));
  }

  private deliver(span: ReadableSpanLike): void {
    for (const p of this.processors) {
      try {
        p.onEnd(span);
      } catch {
        // A processor's failure must not stop the others (or the runtime).
      }
    }
  }
}

function toReadable(rec: SpanEndRecord, resource: unknown): ReadableSpanLike {
  const ctx: SpanContext = { traceId: rec.traceId, spanId: rec.spanId, traceFlags: 1, isRemote: false };
  const span: { -readonly [K in keyof ReadableSpanLike]: ReadableSpanLike[K] } = {
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
    instrumentationScope: rec.scopeVersion === undefined ? { name: rec.scope } : { name: rec.scope, version: rec.scopeVersion },
    droppedAttributesCount: 0,
    droppedEventsCount: 0,
    droppedLinksCount: 0,
  };
  if (rec.parentSpanId !== undefined) {
    span.parentSpanContext = { traceId: rec.traceId, spanId: rec.parentSpanId, traceFlags: 1, isRemote: rec.parentRemote === true };
  }
  return span;
}
