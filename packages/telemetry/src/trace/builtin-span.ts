// A built-in span that user code can see (the handle span): a real Span, materialized only as far as it is used.

import {
  type Attributes,
  type AttributeValue,
  type Exception,
  type Link,
  type Span,
  type SpanAttributes,
  type SpanContext,
  type SpanKind,
  type SpanStatus,
  SpanStatusCode,
  type TimeInput,
} from '@opentelemetry/api';
import { BUILTIN_HANDLE } from './builtin.js';
import { BUILTIN_NAMES, BUILTIN_SCOPE } from './dense-batch.js';
import { type SpanWords, type TraceWords, spanHex, toMs, traceHex } from './ids.js';
import type { SpanSink, SpanStartRecord } from './recorder.js';
import type { SpanEndWire } from './wire-types.js';

const NO_ITEMS: unknown[] = [];

/**
 * The span a traced handler runs under. Its attributes are a descriptor
 * (builtin.ts); what user code adds (attributes, events, links, a status, a
 * new name) is kept only once it adds it. `end` writes the wire record
 * directly: no record object, no conversion. A RecordingSpan costs about a
 * kilobyte of short-lived objects a span; this, a fifth of that.
 */
export class BuiltinSpan implements Span, SpanWords {
  /** Its ids as words (what the runtime reads; `spanContext()` is what user code sees): the trace's, then the span's. */
  readonly t0: number;
  readonly t1: number;
  readonly t2: number;
  readonly t3: number;
  readonly s0: number;
  readonly s1: number;
  /** (SpanWords: a parent made here is local.) */
  readonly isRemote = false;
  /** The parent span id's words (both 0: none). */
  readonly p0: number;
  readonly p1: number;
  readonly parentRemote: boolean;
  readonly kind: SpanKind;
  readonly start: number;
  readonly builtin: unknown[];
  readonly scope: string;
  name: string;
  private readonly sink: SpanSink;
  private ctx: SpanContext | null = null;
  private tid: string | undefined = undefined;
  private sid: string | undefined = undefined;
  private attributes: unknown[] | null = null;
  private events: unknown[] | null = null;
  private links: unknown[] | null = null;
  private statusCode: number = SpanStatusCode.UNSET;
  private statusMessage: string | null = null;
  private done = false;

  /** `trace`: the trace's words (copied); s0, s1 the span id's; p0, p1 the parent's. `builtin` is only read (it may be shared). */
  constructor(sink: SpanSink, trace: TraceWords, s0: number, s1: number, p0: number, p1: number, parentRemote: boolean, name: string, kind: SpanKind, start: number, scope: string, builtin: unknown[]) {
    this.sink = sink;
    this.t0 = trace.t0;
    this.t1 = trace.t1;
    this.t2 = trace.t2;
    this.t3 = trace.t3;
    this.s0 = s0;
    this.s1 = s1;
    this.p0 = p0;
    this.p1 = p1;
    this.parentRemote = parentRemote;
    this.name = name;
    this.kind = kind;
    this.start = start;
    this.scope = scope;
    this.builtin = builtin;
  }

  /** A plain context, its hex ids made on the first call (most handle spans are never asked). */
  spanContext(): SpanContext {
    return (this.ctx ??= { traceId: this.traceId, spanId: this.spanId, traceFlags: 1 });
  }

  /** Its ids as words (itself: see SpanWords). */
  get words(): SpanWords {
    return this;
  }

  get spanId(): string {
    return (this.sid ??= spanHex(this.s0, this.s1));
  }

  get traceId(): string {
    return (this.tid ??= traceHex(this));
  }

  get parentSpanId(): string | undefined {
    return this.p0 === 0 && this.p1 === 0 ? undefined : spanHex(this.p0, this.p1);
  }

  setAttribute(key: string, value: AttributeValue): this {
    if (!this.done && value !== undefined) (this.attributes ??= []).push(key, value);
    return this;
  }

  setAttributes(attributes: SpanAttributes): this {
    for (const k in attributes) {
      const v = attributes[k];
      if (v !== undefined) this.setAttribute(k, v);
    }
    return this;
  }

  addEvent(name: string, attrsOrTime?: SpanAttributes | TimeInput, time?: TimeInput): this {
    if (this.done) return this;
    const isTime = typeof attrsOrTime === 'number' || attrsOrTime instanceof Date || Array.isArray(attrsOrTime);
    const attrs = !isTime && attrsOrTime !== undefined ? flat(attrsOrTime as Attributes) : null;
    (this.events ??= []).push([name, toMs(isTime ? (attrsOrTime as TimeInput) : time), attrs]);
    return this;
  }

  addLink(link: Link): this {
    if (!this.done) (this.links ??= []).push([link.context.traceId, link.context.spanId, link.context.traceFlags, link.attributes === undefined ? null : flat(link.attributes)]);
    return this;
  }

  addLinks(links: Link[]): this {
    for (const l of links) this.addLink(l);
    return this;
  }

  setStatus(status: SpanStatus): this {
    if (!this.done) {
      this.statusCode = status.code;
      this.statusMessage = status.message ?? null;
    }
    return this;
  }

  updateName(name: string): this {
    if (!this.done) this.name = name;
    return this;
  }

  isRecording(): boolean {
    return !this.done;
  }

  recordException(exception: Exception, time?: TimeInput): void {
    const a: Attributes = {};
    if (typeof exception === 'string') a['exception.message'] = exception;
    else {
      const e = exception as { name?: string; message?: string; stack?: string; code?: string | number };
      if (e.name !== undefined) a['exception.type'] = e.name;
      else if (e.code !== undefined) a['exception.type'] = String(e.code);
      if (e.message !== undefined) a['exception.message'] = e.message;
      if (e.stack !== undefined) a['exception.stacktrace'] = e.stack;
    }
    this.addEvent('exception', a, time);
  }

  end(endTime?: TimeInput): void {
    if (this.done) return;
    this.done = true;
    const b = this.builtin;
    // Untouched by user code (the common case): plain values, no record at all.
    if (
      this.attributes === null &&
      this.events === null &&
      this.links === null &&
      this.statusCode === SpanStatusCode.UNSET &&
      b.length === 5 &&
      b[0] === BUILTIN_HANDLE &&
      this.name === BUILTIN_NAMES[BUILTIN_HANDLE] &&
      this.scope === BUILTIN_SCOPE
    ) {
      this.sink.endedBuiltin(BUILTIN_HANDLE, this.s0, this.s1, this, this.p0, this.p1, this.parentRemote, this.start, toMs(endTime), b[1] as number, b[2] as number, b[3] as number, b[4] as string, 0, -1, 0);
      return;
    }
    const w: SpanEndWire = [
      this.spanId,
      this.traceId,
      this.parentSpanId ?? null,
      this.parentRemote ? 1 : 0,
      this.name,
      this.kind,
      this.start,
      this.attributes ?? NO_ITEMS,
      this.scope,
      null,
      this.builtin,
      toMs(endTime),
      this.statusCode,
      this.statusMessage,
      this.events ?? NO_ITEMS,
      this.links ?? NO_ITEMS,
    ];
    this.sink.endedWire(w);
  }

  /** Its start as a record (for a span left open past a flush: the main thread ends it if the thread dies). */
  startRecord(): SpanStartRecord {
    const attributes: Attributes = {};
    const a = this.attributes;
    if (a !== null) for (let i = 0; i < a.length; i += 2) attributes[a[i] as string] = a[i + 1] as AttributeValue;
    const rec: SpanStartRecord = { spanId: this.spanId, traceId: this.traceId, name: this.name, kind: this.kind, start: this.start, attributes, scope: this.scope, builtin: this.builtin };
    const parent = this.parentSpanId;
    if (parent !== undefined) {
      rec.parentSpanId = parent;
      if (this.parentRemote) rec.parentRemote = true;
    }
    return rec;
  }
}

function flat(a: Attributes): unknown[] {
  const out: unknown[] = [];
  for (const k in a) {
    const v = a[k];
    if (v !== undefined) out.push(k, v);
  }
  return out;
}
