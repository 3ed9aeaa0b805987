// A finished span as processors see it, built from its wire record only as far as someone reads it.

import type { Attributes, HrTime, SpanContext, SpanKind, SpanStatus } from '@opentelemetry/api';
import { builtinAttributes } from './builtin.js';
import { toHrTime } from './ids.js';
import { type SpanEndWire, W_END, unflat, wireEvents, wireLinks } from './wire.js';

interface Scope {
  readonly name: string;
  readonly version?: string;
}

/**
 * The ReadableSpan of @opentelemetry/sdk-trace-base, SDK 1.x and 2.x fields
 * alike (`instrumentationScope` and `instrumentationLibrary`,
 * `parentSpanContext` and `parentSpanId`), over a span's wire record. Every
 * field is computed on first read and kept: a BatchSpanProcessor reads the
 * span context on `onEnd` and an exporter that drops spans reads nothing
 * else, so a span nobody looks at costs one small object on the main thread.
 */
export class LazyReadableSpan {
  readonly #w: SpanEndWire;
  readonly resource: unknown;
  readonly ended = true;
  readonly droppedAttributesCount = 0;
  readonly droppedEventsCount = 0;
  readonly droppedLinksCount = 0;
  #ctx: SpanContext | undefined;
  #parent: SpanContext | null | undefined;
  #attributes: Attributes | undefined;
  #events: Array<{ name: string; time: HrTime; attributes?: Attributes }> | undefined;
  #links: Array<{ context: SpanContext; attributes?: Attributes }> | undefined;
  #scope: Scope | undefined;

  constructor(w: SpanEndWire, resource: unknown) {
    this.#w = w;
    this.resource = resource;
  }

  get name(): string {
    return this.#w[4];
  }

  get kind(): SpanKind {
    return this.#w[5] as SpanKind;
  }

  spanContext(): SpanContext {
    return (this.#ctx ??= { traceId: this.#w[1], spanId: this.#w[0], traceFlags: 1, isRemote: false });
  }

  get parentSpanContext(): SpanContext | undefined {
    if (this.#parent === undefined) {
      const w = this.#w;
      this.#parent = w[2] === null ? null : { traceId: w[1], spanId: w[2], traceFlags: 1, isRemote: w[3] === 1 };
    }
    return this.#parent ?? undefined;
  }

  get parentSpanId(): string | undefined {
    return this.#w[2] ?? undefined;
  }

  get startTime(): HrTime {
    return toHrTime(this.#w[6]);
  }

  get endTime(): HrTime {
    return toHrTime(this.#w[W_END] as number);
  }

  get duration(): HrTime {
    return toHrTime(Math.max(0, (this.#w[W_END] as number) - this.#w[6]));
  }

  get status(): SpanStatus {
    const w = this.#w;
    const message = w[W_END + 2] as string | null;
    return message === null ? { code: w[W_END + 1] as number } : { code: w[W_END + 1] as number, message };
  }

  get attributes(): Attributes {
    if (this.#attributes === undefined) {
      const w = this.#w;
      const own = (w[7] as unknown[]).length === 0 ? null : unflat(w[7] as unknown[]);
      const builtin = w[10];
      this.#attributes = builtin === null ? (own ?? {}) : own === null ? builtinAttributes(builtin) : Object.assign(builtinAttributes(builtin), own);
    }
    return this.#attributes;
  }

  get events(): Array<{ name: string; time: HrTime; attributes?: Attributes }> {
    return (this.#events ??= wireEvents(this.#w[W_END + 3] as unknown[]).map((e) =>
      e.attributes === undefined ? { name: e.name, time: toHrTime(e.time) } : { name: e.name, time: toHrTime(e.time), attributes: e.attributes },
    ));
  }

  get links(): Array<{ context: SpanContext; attributes?: Attributes }> {
    return (this.#links ??= wireLinks(this.#w[W_END + 4] as unknown[]).map((l) => {
      const context: SpanContext = { traceId: l.traceId, spanId: l.spanId, traceFlags: l.traceFlags, isRemote: true };
      return l.attributes === undefined ? { context } : { context, attributes: l.attributes };
    }));
  }

  /** SDK 2.x: the tracer's name and version. */
  get instrumentationScope(): Scope {
    if (this.#scope === undefined) {
      const w = this.#w;
      this.#scope = w[9] === null ? { name: w[8] } : { name: w[8], version: w[9] };
    }
    return this.#scope;
  }

  /** SDK 1.x's name for the same (one object under both names). */
  get instrumentationLibrary(): Scope {
    return this.instrumentationScope;
  }
}
