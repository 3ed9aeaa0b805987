// A TracerProvider for @opentelemetry/api that records spans as plain data (shipped to the main thread), not SDK objects.

import {
  type Attributes,
  type AttributeValue,
  type Context,
  type Exception,
  type Link,
  type Span,
  type SpanAttributes,
  type SpanContext,
  SpanKind,
  type SpanOptions,
  type SpanStatus,
  SpanStatusCode,
  type TimeInput,
  TraceFlags,
  type Tracer,
  type TracerProvider,
  context,
  isSpanContextValid,
  trace,
} from '@opentelemetry/api';
import { type TraceWords, newSpanId, newTraceId, sampledByRatio, toMs } from './ids.js';
import type { SpanEndWire } from './wire-types.js';

/** A span as it crosses to the main thread when it starts (so a shard's death can still end it). */
export interface SpanStartRecord {
  spanId: string;
  traceId: string;
  parentSpanId?: string;
  parentRemote?: boolean;
  name: string;
  kind: SpanKind;
  start: number;
  attributes: Attributes;
  scope: string;
  scopeVersion?: string;
  /** A built-in span's descriptor (builtin.ts): attributes the main thread expands, merged under `attributes`. */
  builtin?: unknown[];
}

/** A finished span, complete. */
export interface SpanEndRecord extends SpanStartRecord {
  end: number;
  status: SpanStatus;
  events: Array<{ name: string; time: number; attributes?: Attributes }>;
  links: Array<{ traceId: string; spanId: string; traceFlags: number; attributes?: Attributes }>;
}

/** Where records go: the runtime ships them (shards) or hands them over (main). */
export interface SpanSink {
  started(rec: SpanStartRecord): void;
  ended(rec: SpanEndRecord): void;
  /** A finished built-in span, already in its wire form (no record object was built). */
  endedWire(w: SpanEndWire): void;
  /**
   * A finished built-in span as plain values, the common case (no array at
   * all): its ids as 32-bit words (int32) (span s0 hi, s1 lo; the trace's; the
   * parent's, 0 and 0 for none), the fields of its descriptor (builtin.ts),
   * `text` the actor type of a receive or handle span, the from-pid fields
   * those of a send.
   */
  endedBuiltin(
    code: number,
    s0: number,
    s1: number,
    trace: TraceWords,
    p0: number,
    p1: number,
    parentRemote: boolean,
    start: number,
    end: number,
    node: number,
    shard: number,
    serial: number,
    text: string | null,
    fromNode: number,
    fromShard: number,
    fromSerial: number,
  ): void;
  /**
   * A traced message's receive span and its handle span, both finished, as
   * one (a shard writes them as one row, see RECEIVED in dense-rows.ts).
   * Without it the two go to endedBuiltin.
   */
  endedPair?(h: ReceivedPair, end: number): void;
}

/**
 * A receive span and the handle span under it, as a LazyHandleSpan holds
 * them: the handle span's ids (s0, s1) and parent (p0, p1: the receive
 * span), the receive span's parent (c0, c1: the send span, remote or not),
 * the receive's start, the handle's start (the receive's end) and its
 * descriptor [BUILTIN_HANDLE, node, shard, serial, type].
 */
export interface ReceivedPair extends TraceWords {
  readonly s0: number;
  readonly s1: number;
  readonly p0: number;
  readonly p1: number;
  readonly c0: number;
  readonly c1: number;
  readonly cRemote: boolean;
  readonly received: number;
  readonly start: number;
  readonly builtin: unknown[];
}

export class RecordingSpan implements Span {
  private readonly ctx: SpanContext;
  private readonly rec: SpanEndRecord;
  private done = false;

  constructor(
    private readonly sink: SpanSink,
    sc: SpanContext,
    parent: SpanContext | undefined,
    name: string,
    options: SpanOptions,
    scope: string,
    scopeVersion: string | undefined,
    builtin?: unknown[],
  ) {
    this.ctx = sc;
    const rec: SpanEndRecord = {
      spanId: sc.spanId,
      traceId: sc.traceId,
      name,
      kind: options.kind ?? SpanKind.INTERNAL,
      start: toMs(options.startTime),
      attributes: options.attributes === undefined ? {} : { ...options.attributes },
      scope,
      end: 0,
      status: { code: SpanStatusCode.UNSET },
      events: [],
      links: (options.links ?? []).map(toLinkRecord),
    };
    if (scopeVersion !== undefined) rec.scopeVersion = scopeVersion;
    if (builtin !== undefined) rec.builtin = builtin;
    if (parent !== undefined) {
      rec.parentSpanId = parent.spanId;
      if (parent.isRemote) rec.parentRemote = true;
    }
    this.rec = rec;
    // The record itself (a SpanEndRecord is a SpanStartRecord): a copy with
    // conditional spreads cost microseconds a span, and sinks only read it.
    sink.started(rec);
  }

  spanContext(): SpanContext {
    return this.ctx;
  }

  setAttribute(key: string, value: AttributeValue): this {
    if (!this.done && value !== undefined) this.rec.attributes[key] = value;
    return this;
  }

  setAttributes(attributes: SpanAttributes): this {
    if (!this.done) for (const [k, v] of Object.entries(attributes)) if (v !== undefined) this.rec.attributes[k] = v;
    return this;
  }

  addEvent(name: string, attrsOrTime?: SpanAttributes | TimeInput, time?: TimeInput): this {
    if (this.done) return this;
    const isTime = typeof attrsOrTime === 'number' || attrsOrTime instanceof Date || Array.isArray(attrsOrTime);
    const ev: { name: string; time: number; attributes?: Attributes } = { name, time: toMs(isTime ? (attrsOrTime as TimeInput) : time) };
    if (!isTime && attrsOrTime !== undefined) ev.attributes = attrsOrTime as Attributes;
    this.rec.events.push(ev);
    return this;
  }

  addLink(link: Link): this {
    if (!this.done) this.rec.links.push(toLinkRecord(link));
    return this;
  }

  addLinks(links: Link[]): this {
    for (const l of links) this.addLink(l);
    return this;
  }

  setStatus(status: SpanStatus): this {
    if (!this.done) this.rec.status = { ...status };
    return this;
  }

  updateName(name: string): this {
    if (!this.done) this.rec.name = name;
    return this;
  }

  end(endTime?: TimeInput): void {
    if (this.done) return;
    this.done = true;
    this.rec.end = toMs(endTime);
    this.sink.ended(this.rec);
  }

  isRecording(): boolean {
    return !this.done;
  }

  recordException(exception: Exception, time?: TimeInput): void {
    const attributes: Attributes = {};
    if (typeof exception === 'string') attributes['exception.message'] = exception;
    else {
      const e = exception as { name?: string; message?: string; stack?: string; code?: string | number };
      if (e.name !== undefined) attributes['exception.type'] = e.name;
      else if (e.code !== undefined) attributes['exception.type'] = String(e.code);
      if (e.message !== undefined) attributes['exception.message'] = e.message;
      if (e.stack !== undefined) attributes['exception.stacktrace'] = e.stack;
    }
    this.addEvent('exception', attributes, time);
  }
}

function toLinkRecord(l: Link): SpanEndRecord['links'][number] {
  const r: SpanEndRecord['links'][number] = { traceId: l.context.traceId, spanId: l.context.spanId, traceFlags: l.context.traceFlags };
  if (l.attributes !== undefined) r.attributes = l.attributes;
  return r;
}

/**
 * A tracer whose root spans are sampled by trace-id ratio and whose children
 * follow their parent's sampled flag, so a trace is kept or dropped whole
 * across threads. An unsampled span is a non-recording span that still
 * carries its context (flag 00), so descendants know to skip too.
 */
export class RecordingTracer implements Tracer {
  constructor(
    private readonly sink: SpanSink,
    private readonly rate: number,
    private readonly scope: string,
    private readonly scopeVersion?: string,
  ) {}

  startSpan(name: string, options: SpanOptions = {}, ctx: Context = context.active()): Span {
    const parent = options.root === true ? undefined : trace.getSpanContext(ctx);
    const hasParent = parent !== undefined && isSpanContextValid(parent);
    const traceId = hasParent ? parent.traceId : newTraceId();
    const sampled = hasParent ? (parent.traceFlags & TraceFlags.SAMPLED) !== 0 : sampledByRatio(traceId, this.rate);
    const sc: SpanContext = { traceId, spanId: newSpanId(), traceFlags: sampled ? TraceFlags.SAMPLED : TraceFlags.NONE };
    if (!sampled) return trace.wrapSpanContext(sc);
    return new RecordingSpan(this.sink, sc, hasParent ? parent : undefined, name, options, this.scope, this.scopeVersion);
  }

  /**
   * A span with an explicit parent (or none) and an explicit sampling
   * decision: for spans that must follow a carried context even when they
   * only link to it. Returns undefined when not sampled.
   */
  startWith(name: string, options: SpanOptions, parent: SpanContext | undefined, sampled: boolean, builtin?: unknown[]): RecordingSpan | undefined {
    if (!sampled) return undefined;
    const sc: SpanContext = { traceId: parent?.traceId ?? newTraceId(), spanId: newSpanId(), traceFlags: TraceFlags.SAMPLED };
    return new RecordingSpan(this.sink, sc, parent, name, options, this.scope, this.scopeVersion, builtin);
  }

  /** The sink this tracer records into (built-in spans that need no Span object go straight there). */
  get spanSink(): SpanSink {
    return this.sink;
  }

  /** Is a new root trace sampled? (ratio on a fresh trace id) */
  get ratio(): number {
    return this.rate;
  }

  startActiveSpan<F extends (span: Span) => unknown>(name: string, fn: F): ReturnType<F>;
  startActiveSpan<F extends (span: Span) => unknown>(name: string, options: SpanOptions, fn: F): ReturnType<F>;
  startActiveSpan<F extends (span: Span) => unknown>(name: string, options: SpanOptions, ctx: Context, fn: F): ReturnType<F>;
  startActiveSpan<F extends (span: Span) => unknown>(name: string, a?: SpanOptions | F, b?: Context | F, c?: F): ReturnType<F> {
    const fn = (typeof a === 'function' ? a : typeof b === 'function' ? b : c) as F;
    const options = typeof a === 'object' ? a : {};
    const parentCtx = typeof b === 'object' ? b : context.active();
    const span = this.startSpan(name, options, parentCtx);
    return context.with(trace.setSpan(parentCtx, span), fn as (s: Span) => ReturnType<F>, undefined, span);
  }
}

/** The provider a shard registers globally: every tracer records into the same sink. */
export class RecordingTracerProvider implements TracerProvider {
  constructor(
    private readonly sink: SpanSink,
    private readonly ratio: number,
  ) {}

  getTracer(name: string, version?: string): Tracer {
    return new RecordingTracer(this.sink, this.ratio, name, version);
  }
}
