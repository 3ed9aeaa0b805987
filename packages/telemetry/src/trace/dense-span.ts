// A finished built-in span as processors see it, read straight from its row of a shipped batch: one small object a span.

import type { Attributes, HrTime, SpanContext, SpanKind, SpanStatus } from '@opentelemetry/api';
import { BUILTIN_SEND, builtinAttributes } from './builtin.js';
import { spanHex, toHrTime, traceHex } from './ids.js';

/** What a batch's rows are read from on the main thread (shared by every span of the batch). */
export interface DenseRows {
  /** Row numbers: see dense-batch.ts (F per row). */
  readonly nums: Float64Array | number[];
  readonly texts: string[];
  readonly resource: unknown;
}

/** Row layout (see dense-batch.ts): [code, parentRemote, start, end, node, shard, serial, text index | -1, fromNode, fromShard, fromSerial, ids as words]. */
const R_REMOTE = 1;
const R_START = 2;
const R_END = 3;
const R_TEXT = 7;
/** Offsets of the span id's words, the trace id's, the parent's. */
const R_SPAN = 11;
const R_TRACE = 13;
const R_PARENT = 17;
const NAMES = ['', 'message.send', 'message.receive', 'actor.handle_message'];
const KINDS = [0, 3, 4, 0] as SpanKind[]; // INTERNAL, PRODUCER, CONSUMER, INTERNAL
/** Every built-in span's scope (the tracer's name, no version): one object, never written to. */
const SCOPE = Object.freeze({ name: 'joerl' });
const UNSET: SpanStatus = Object.freeze({ code: 0 });

/** What a span only makes if someone reads it. */
interface Rare {
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
  /** Offset of the row in `nums`. */
  readonly #o: number;
  #ctx: SpanContext | undefined = undefined;
  #rare: Rare | null = null;

  constructor(rows: DenseRows, o: number) {
    this.#rows = rows;
    this.#o = o;
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
    return NAMES[this.#rows.nums[this.#o]!]!;
  }

  get kind(): SpanKind {
    return KINDS[this.#rows.nums[this.#o]!]!;
  }

  spanContext(): SpanContext {
    // Hex made here, on first read (an exporter that drops spans never asks: a BatchSpanProcessor reads only the flags).
    if (this.#ctx === undefined) this.#ctx = new RowContext(this.#rows.nums, this.#o);
    return this.#ctx;
  }

  get parentSpanContext(): SpanContext | undefined {
    const r = this.rare();
    if (r.parent === undefined) {
      const id = this.parentSpanId;
      r.parent = id === undefined ? null : { traceId: this.spanContext().traceId, spanId: id, traceFlags: 1, isRemote: this.#rows.nums[this.#o + R_REMOTE] === 1 };
    }
    return r.parent ?? undefined;
  }

  get parentSpanId(): string | undefined {
    const n = this.#rows.nums;
    const o = this.#o + R_PARENT;
    return n[o] === 0 && n[o + 1] === 0 ? undefined : spanHex(n[o]!, n[o + 1]!);
  }

  get startTime(): HrTime {
    return toHrTime(this.#rows.nums[this.#o + R_START]!);
  }

  get endTime(): HrTime {
    return toHrTime(this.#rows.nums[this.#o + R_END]!);
  }

  get duration(): HrTime {
    const n = this.#rows.nums;
    return toHrTime(Math.max(0, n[this.#o + R_END]! - n[this.#o + R_START]!));
  }

  get status(): SpanStatus {
    return { code: UNSET.code };
  }

  get attributes(): Attributes {
    const r = this.rare();
    if (r.attributes === undefined) {
      const n = this.#rows.nums;
      const o = this.#o;
      const code = n[o]!;
      const ti = n[o + R_TEXT]!;
      const desc =
        code === BUILTIN_SEND ? [code, n[o + 4], n[o + 5], n[o + 6], n[o + 8], n[o + 9], n[o + 10]] : [code, n[o + 4], n[o + 5], n[o + 6], ti < 0 ? null : this.#rows.texts[ti]];
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

  private rare(): Rare {
    return (this.#rare ??= { parent: undefined, attributes: undefined, events: undefined, links: undefined });
  }
}

/** A row's span context: its ids made from the row's words on first read, then kept. */
class RowContext implements SpanContext {
  readonly traceFlags = 1;
  readonly isRemote = false;
  readonly #nums: Float64Array | number[];
  readonly #o: number;
  #tid: string | undefined = undefined;
  #sid: string | undefined = undefined;

  constructor(nums: Float64Array | number[], o: number) {
    this.#nums = nums;
    this.#o = o;
  }

  get traceId(): string {
    const n = this.#nums;
    const o = this.#o + R_TRACE;
    return (this.#tid ??= traceHex({ t0: n[o]!, t1: n[o + 1]!, t2: n[o + 2]!, t3: n[o + 3]! }));
  }

  get spanId(): string {
    const n = this.#nums;
    return (this.#sid ??= spanHex(n[this.#o + R_SPAN]!, n[this.#o + R_SPAN + 1]!));
  }

  /** Serialized as the plain context it stands for (its ids are getters). */
  toJSON(): SpanContext {
    return { traceId: this.traceId, spanId: this.spanId, traceFlags: 1, isRemote: false };
  }
}
