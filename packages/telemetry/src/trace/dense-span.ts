// A finished built-in span as processors see it, read straight from its row of a shipped batch: one small object a span.

import type { Attributes, HrTime, SpanContext, SpanKind, SpanStatus } from '@opentelemetry/api';
import { BUILTIN_SEND, builtinAttributes } from './builtin.js';
import { toHrTime } from './ids.js';

/** What a batch's rows are read from on the main thread (shared by every span of the batch). */
export interface DenseRows {
  /** Row numbers: see dense-batch.ts (F per row). */
  readonly nums: Float64Array | number[];
  /** 64 hex digits per built-in row: span id, trace id, parent span id (all zeros: none). */
  readonly ids: string;
  readonly texts: string[];
  readonly resource: unknown;
}

/** Row layout (see dense-batch.ts): [code, parentRemote, start, end, node, shard, serial, text index | -1, fromNode, fromShard, fromSerial]. */
const R_REMOTE = 1;
const R_START = 2;
const R_END = 3;
const R_TEXT = 7;
const NO_PARENT = '0000000000000000';
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
  /** Offset of the row in `nums`, and of its ids in `ids`. */
  readonly #o: number;
  readonly #p: number;
  #ctx: SpanContext | undefined = undefined;
  #rare: Rare | null = null;

  constructor(rows: DenseRows, o: number, p: number) {
    this.#rows = rows;
    this.#o = o;
    this.#p = p;
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
    if (this.#ctx === undefined) {
      const ids = this.#rows.ids;
      const p = this.#p;
      this.#ctx = { traceId: ids.slice(p + 16, p + 48), spanId: ids.slice(p, p + 16), traceFlags: 1, isRemote: false };
    }
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
    const p = this.#p;
    const id = this.#rows.ids.slice(p + 48, p + 64);
    return id === NO_PARENT ? undefined : id;
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
