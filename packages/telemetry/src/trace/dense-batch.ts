// A batch of finished spans as a shard ships it: built-in spans as numbers and one id string, other spans as wire records.
//
// A traced message makes three built-in spans. As positional arrays each
// carries ~16 fields, three hex id strings and a descriptor array, and
// msgpackr writes short strings character by character: packing was the
// largest cost of a traced message on the receiving shard. Here a built-in
// span is a row of numbers in one Float64Array (packed as its bytes), its
// ids among them as 32-bit words (never hex on the shard), its type an
// index into the batch's few distinct names. The main thread turns rows back
// into the same wire records as before.

import { SpanKind } from '@opentelemetry/api';
import { BUILTIN_HANDLE, BUILTIN_RECEIVE, BUILTIN_SEND } from './builtin.js';
import { DenseReadableSpan } from './dense-span.js';
import { type TraceWords, spanHex, traceHex } from './ids.js';
import { LazyReadableSpan } from './lazy-span.js';
import type { SpanEndWire } from './wire-types.js';

/**
 * Numbers a row holds: [code, parentRemote, start, end, node, shard, serial, text index | -1, fromNode, fromShard, fromSerial,
 * span id hi, lo, trace id t0..t3, parent span id hi, lo (0, 0: none)].
 */
export const F = 19;
/** Offset in a row of the span id's words (then the trace id's, then the parent's). */
export const R_IDS = 11;
/** Row code for a span that travels as a wire record: field 1 is its index among the batch's records. */
const WIRE = 0;
/** The scope built-in spans are recorded under. */
export const BUILTIN_SCOPE = 'joerl';
/** The name of a built-in span of each code (a handle span renamed by user code is not shipped as a row). */
export const BUILTIN_NAMES = ['', 'message.send', 'message.receive', 'actor.handle_message'] as const;
const KINDS = [0, SpanKind.PRODUCER, SpanKind.CONSUMER, SpanKind.INTERNAL];
const NO_ITEMS: unknown[] = [];
/** Numbers at most in a batch shipped as a plain array (a few rows). */
const SMALL = 8 * F;

/** A shipped batch: rows (ids included), their texts, and the spans sent as wire records. */
export type DenseBatchWire = [Float64Array | number[], string[], SpanEndWire[]];

/** Collects one batch on a shard; `take` hands it over and starts the next. */
export class DenseSpanBatch {
  private readonly capacity: number;
  private nums: Float64Array;
  private texts: string[] = [];
  private wires: SpanEndWire[] = [];
  /** Rows in the batch. */
  length = 0;

  constructor(capacity: number) {
    this.capacity = capacity;
    this.nums = new Float64Array(capacity * F);
  }

  /** Room for another row? */
  get full(): boolean {
    return this.length >= this.capacity;
  }

  /** A finished built-in span: its id's words (s0 hi, s1 lo), its trace's, its parent's (0, 0: none). */
  add(
    code: number,
    s0: number,
    s1: number,
    tw: TraceWords,
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
  ): void {
    const n = this.nums;
    const o = this.length++ * F;
    n[o] = code;
    n[o + 1] = parentRemote ? 1 : 0;
    n[o + 2] = start;
    n[o + 3] = end;
    n[o + 4] = node;
    n[o + 5] = shard;
    n[o + 6] = serial;
    n[o + 7] = text === null ? -1 : this.textIndex(text);
    n[o + 8] = fromNode;
    n[o + 9] = fromShard;
    n[o + 10] = fromSerial;
    n[o + 11] = s0;
    n[o + 12] = s1;
    n[o + 13] = tw.t0;
    n[o + 14] = tw.t1;
    n[o + 15] = tw.t2;
    n[o + 16] = tw.t3;
    n[o + 17] = p0;
    n[o + 18] = p1;
  }

  /** Any other finished span, in its place in the batch. */
  addWire(w: SpanEndWire): void {
    const o = this.length++ * F;
    this.nums[o] = WIRE;
    this.nums[o + 1] = this.wires.push(w) - 1;
  }

  /** The batch so far, for the wire; the next batch starts empty. */
  take(): DenseBatchWire {
    const len = this.length * F;
    // A few rows (tracing at a low rate ships a batch with nearly every flush) go as a plain array: a typed
    // array's own backing store per flush costs more than packing a few dozen numbers one by one.
    let nums: Float64Array | number[];
    if (len > SMALL) nums = this.nums.slice(0, len);
    else {
      nums = new Array<number>(len);
      for (let i = 0; i < len; i++) nums[i] = this.nums[i]!;
    }
    const out: DenseBatchWire = [nums, this.texts, this.wires];
    this.length = 0;
    this.texts = [];
    this.wires = [];
    return out;
  }

  private textIndex(text: string): number {
    const t = this.texts;
    for (let i = t.length - 1; i >= 0; i--) if (t[i] === text) return i;
    return t.push(text) - 1;
  }
}

/** The wire record of a built-in span (what a row stands for). */
export function builtinEndWire(
  code: number,
  s0: number,
  s1: number,
  tw: TraceWords,
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
): SpanEndWire {
  const desc = code === BUILTIN_SEND ? [code, node, shard, serial, fromNode, fromShard, fromSerial] : [code, node, shard, serial, text];
  return [spanHex(s0, s1), traceHex(tw), p0 === 0 && p1 === 0 ? null : spanHex(p0, p1), parentRemote ? 1 : 0, BUILTIN_NAMES[code]!, KINDS[code]!, start, NO_ITEMS, BUILTIN_SCOPE, null, desc, end, 0, null, NO_ITEMS, NO_ITEMS];
}

/** Each span of a shipped batch as its wire record, in the order the shard finished them. */
export function forEachDenseWire(batch: DenseBatchWire, fn: (w: SpanEndWire) => void): void {
  const [nums, texts, wires] = batch;
  for (let o = 0; o < nums.length; o += F) {
    const code = nums[o]!;
    if (code === WIRE) {
      fn(wires[nums[o + 1]!]!);
      continue;
    }
    if (code !== BUILTIN_SEND && code !== BUILTIN_RECEIVE && code !== BUILTIN_HANDLE) continue;
    const ti = nums[o + 7]!;
    fn(
      builtinEndWire(
        code,
        nums[o + 11]!,
        nums[o + 12]!,
        { t0: nums[o + 13]!, t1: nums[o + 14]!, t2: nums[o + 15]!, t3: nums[o + 16]! },
        nums[o + 17]!,
        nums[o + 18]!,
        nums[o + 1] === 1,
        nums[o + 2]!,
        nums[o + 3]!,
        nums[o + 4]!,
        nums[o + 5]!,
        nums[o + 6]!,
        ti < 0 ? null : texts[ti]!,
        nums[o + 8]!,
        nums[o + 9]!,
        nums[o + 10]!,
      ),
    );
  }
}

/**
 * Each span of a shipped batch as processors see it, in the order the shard
 * finished them: a built-in row as a DenseReadableSpan over the batch (its
 * span id is then not made: `spanId` is null, ask the span if needed), any
 * other span as a LazyReadableSpan over its wire record.
 */
export function forEachDenseSpan(batch: DenseBatchWire, resource: unknown, fn: (span: DenseReadableSpan | LazyReadableSpan, spanId: string | null) => void): void {
  const [nums, texts, wires] = batch;
  const rows = { nums, texts, resource };
  for (let o = 0; o < nums.length; o += F) {
    const code = nums[o]!;
    if (code === WIRE) {
      const w = wires[nums[o + 1]!]!;
      fn(new LazyReadableSpan(w, resource), w[0]);
      continue;
    }
    if (code !== BUILTIN_SEND && code !== BUILTIN_RECEIVE && code !== BUILTIN_HANDLE) continue;
    fn(new DenseReadableSpan(rows, o), null);
  }
}
