// A finished built-in span as processors see it, read straight from its row of a shipped batch: one small object a span.

import type { Attributes, HrTime, SpanContext, SpanKind, SpanStatus } from '@opentelemetry/api';
import { BUILTIN_HANDLE, BUILTIN_RECEIVE, BUILTIN_SEND, builtinAttributes } from './builtin.js';
import {
  F_MID,
  I_CODE,
  I_FROM_NODE,
  I_FROM_SERIAL,
  I_FROM_SHARD,
  I_HANDLE_HI,
  I_HANDLE_LO,
  I_NODE,
  I_PARENT,
  I_REMOTE,
  I_SERIAL,
  I_SHARD,
  I_SPAN,
  I_TEXT,
  I_TRACE,
  ROW_F64,
  ROW_I32,
} from './dense-rows.js';
import { spanHex, toHrTime, traceHex } from './ids.js';
import type { RowSlab } from './row-slabs.js';

/** What a batch's rows are read from on the main thread (shared by every span of the batch). */
export interface DenseRows {
  /** The rows' views (dense-rows.ts): the batch's own, or the slab's its frame was copied into. */
  readonly f: Float64Array;
  readonly i: Int32Array;
  readonly texts: string[];
  readonly resource: unknown;
  /** The slab `f` and `i` view (frames of one slab with the same texts share their DenseRows), or null (a batch's own rows). */
  readonly slab: RowSlab | null;
}

const NAMES = ['', 'message.send', 'message.receive', 'actor.handle_message'];
const KINDS = [0, 3, 4, 0] as SpanKind[]; // INTERNAL, PRODUCER, CONSUMER, INTERNAL
/** Every built-in span's scope (the tracer's name, no version): one object, never written to. */
const SCOPE = Object.freeze({ name: 'joerl' });
const UNSET: SpanStatus = Object.freeze({ code: 0 });

/** Which span of a RECEIVED row (dense-rows.ts) a DenseReadableSpan is: the receive span or its handle span (0: a row of one span). */
export const RECEIVE_HALF = 1;
export const HANDLE_HALF = 2;

/** What a span only makes if someone reads it. */
interface Rare {
  tid: string | undefined;
  sid: string | undefined;
  parent: SpanContext | null | undefined;
  attributes: Attributes | undefined;
  events: Array<{ name: string; time: HrTime; attributes?: Attributes }> | undefined;
  links: Array<{ context: SpanContext; attributes?: Attributes }> | undefined;
}

/**
 * The ReadableSpan of both SDK majors (see readable-span.ts) over row `o`
 * of a dense batch. A BatchSpanProcessor reads the span context on `onEnd`,
 * and an exporter that drops spans reads nothing else: such a span costs
 * this object, its context and two id strings. Nothing is copied out of the
 * batch (no wire record, no descriptor array, no boxed times) until read.
 */
export class DenseReadableSpan {
  readonly #rows: DenseRows;
  /** The row's index. */
  readonly #r: number;
  /** 0, or which half of a RECEIVED row (RECEIVE_HALF, HANDLE_HALF). */
  readonly #half: number;
  /** Ids as hex and the rest made on first read (one field: a span object is most of what main allocates per span, and a BatchSpanProcessor reads none of it). */
  #rare: Rare | null = null;

  constructor(rows: DenseRows, r: number, half = 0) {
    this.#rows = rows;
    this.#r = r;
    this.#half = half;
  }

  get ended(): boolean {
    return true;
  }

  get droppedAttributesCount(): number {
    return 0;
  }

  get droppedEventsCount(): number {
    return 0;
  }

  get droppedLinksCount(): number {
    return 0;
  }

  get resource(): unknown {
    return this.#rows.resource;
  }

  get name(): string {
    return NAMES[this.code()]!;
  }

  get kind(): SpanKind {
    return KINDS[this.code()]!;
  }

  /**
   * Its span context is itself (the getters below): a BatchSpanProcessor
   * asks every span for its context to read the flags, and a context
   * object of its own per span was a third of the objects the main
   * thread made per traced message.
   */
  spanContext(): SpanContext {
    return this;
  }

  /** (Its span context's.) Made from the row's words on first read. */
  get traceId(): string {
    const n = this.#rows.i;
    const o = this.#r * ROW_I32 + I_TRACE;
    const r = this.rare();
    return (r.tid ??= traceHex({ t0: n[o]!, t1: n[o + 1]!, t2: n[o + 2]!, t3: n[o + 3]! }));
  }

  /** (Its span context's.) Made from the row's words on first read. */
  get spanId(): string {
    const n = this.#rows.i;
    const o = this.#r * ROW_I32;
    const r = this.rare();
    if (this.#half === HANDLE_HALF) return (r.sid ??= spanHex(n[o + I_HANDLE_HI]!, n[o + I_HANDLE_LO]!));
    return (r.sid ??= spanHex(n[o + I_SPAN]!, n[o + I_SPAN + 1]!));
  }

  /** (Its span context's: built-in spans are sampled.) */
  get traceFlags(): number {
    return 1;
  }

  /** (Its span context's.) */
  get isRemote(): boolean {
    return false;
  }

  /** Serialized as the plain span context it also is (its ids are getters). */
  toJSON(): SpanContext {
    return { traceId: this.traceId, spanId: this.spanId, traceFlags: 1, isRemote: false };
  }

  get parentSpanContext(): SpanContext | undefined {
    const r = this.rare();
    if (r.parent === undefined) {
      const id = this.parentSpanId;
      r.parent = id === undefined ? null : { traceId: this.traceId, spanId: id, traceFlags: 1, isRemote: this.#half !== HANDLE_HALF && this.int(I_REMOTE) === 1 };
    }
    return r.parent ?? undefined;
  }

  get parentSpanId(): string | undefined {
    const n = this.#rows.i;
    // (A handle half's parent is the receive half.)
    const o = this.#r * ROW_I32 + (this.#half === HANDLE_HALF ? I_SPAN : I_PARENT);
    return n[o] === 0 && n[o + 1] === 0 ? undefined : spanHex(n[o]!, n[o + 1]!);
  }

  get startTime(): HrTime {
    return toHrTime(this.#rows.f[this.#r * ROW_F64 + (this.#half === HANDLE_HALF ? F_MID : 0)]!);
  }

  get endTime(): HrTime {
    return toHrTime(this.#rows.f[this.#r * ROW_F64 + (this.#half === RECEIVE_HALF ? F_MID : 1)]!);
  }

  get duration(): HrTime {
    const f = this.#rows.f;
    const o = this.#r * ROW_F64;
    return toHrTime(Math.max(0, f[o + (this.#half === RECEIVE_HALF ? F_MID : 1)]! - f[o + (this.#half === HANDLE_HALF ? F_MID : 0)]!));
  }

  get status(): SpanStatus {
    return { code: UNSET.code };
  }

  get attributes(): Attributes {
    const r = this.rare();
    if (r.attributes === undefined) {
      const n = this.#rows.i;
      const o = this.#r * ROW_I32;
      const code = this.code();
      const ti = n[o + I_TEXT]!;
      const desc =
        code === BUILTIN_SEND
          ? [code, n[o + I_NODE], n[o + I_SHARD], n[o + I_SERIAL], n[o + I_FROM_NODE], n[o + I_FROM_SHARD], n[o + I_FROM_SERIAL]]
          : [code, n[o + I_NODE], n[o + I_SHARD], n[o + I_SERIAL], ti < 0 ? null : this.#rows.texts[ti]];
      r.attributes = builtinAttributes(desc);
    }
    return r.attributes;
  }

  get events(): Array<{ name: string; time: HrTime; attributes?: Attributes }> {
    return (this.rare().events ??= []);
  }

  get links(): Array<{ context: SpanContext; attributes?: Attributes }> {
    return (this.rare().links ??= []);
  }

  /** SDK 2.x: the tracer's name (built-in spans have no version). */
  get instrumentationScope(): { readonly name: string } {
    return SCOPE;
  }

  /** SDK 1.x's name for the same. */
  get instrumentationLibrary(): { readonly name: string } {
    return SCOPE;
  }

  /** Its built-in code (builtin.ts): the row's, or that of its half of a RECEIVED row. */
  private code(): number {
    return this.#half === 0 ? this.int(I_CODE) : this.#half === RECEIVE_HALF ? BUILTIN_RECEIVE : BUILTIN_HANDLE;
  }

  /** Int32 slot `k` of its row. */
  private int(k: number): number {
    return this.#rows.i[this.#r * ROW_I32 + k]!;
  }

  private rare(): Rare {
    return (this.#rare ??= { tid: undefined, sid: undefined, parent: undefined, attributes: undefined, events: undefined, links: undefined });
  }
}
