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
import { DenseReadableSpan, HANDLE_HALF, RECEIVE_HALF } from './dense-span.js';
import { FRAME_HEAD, denseFrame } from './dense-frame.js';
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
  PLAIN,
  RECEIVED,
  ROW_F64,
  ROW_I32,
  rowViews,
} from './dense-rows.js';
import { type TraceWords, spanHex, traceHex } from './ids.js';
import { LazyReadableSpan } from './lazy-span.js';
import type { ReceivedPair } from './recorder.js';
import type { SpanEndWire } from './wire-types.js';

/** Row code for a span that travels as a wire record: its index among the batch's records in I_REMOTE. */
const WIRE = 0;
/** The scope built-in spans are recorded under. */
export const BUILTIN_SCOPE = 'joerl';
/** The name of a built-in span of each code (a handle span renamed by user code is not shipped as a row). */
export const BUILTIN_NAMES = ['', 'message.send', 'message.receive', 'actor.handle_message'] as const;
const KINDS = [0, SpanKind.PRODUCER, SpanKind.CONSUMER, SpanKind.INTERNAL];
const NO_ITEMS: unknown[] = [];
/** Rows at most in a batch shipped as a plain array. */
const SMALL = 8;
/**
 * Bytes past the rows in a batch's buffer, for the texts of its frame (see
 * takeFrame): a full batch is the usual one at high rates, and without this
 * room its frame was a fresh copy of the whole buffer (an ArrayBuffer of
 * ~11 KiB and the copy, 1-3.5 us here: the receiving shard spent ~30 ns
 * more a traced message, A/B). Actor type names are short: a few fit.
 */
const TEXT_ROOM = 512;

/** Rows of a batch whose frame (head, rows, the usual texts) fits in `bytes`. */
export function rowsFitting(bytes: number): number {
  return Math.floor((bytes - FRAME_HEAD - TEXT_ROOM) / (ROW_F64 * 8));
}

/** A shipped batch: rows (ids included), their texts, and the spans sent as wire records. */
export type DenseBatchWire = [Float64Array | number[], string[], SpanEndWire[]];

/** Collects one batch on a shard; `take` hands it over and starts the next. */
export class DenseSpanBatch {
  private readonly capacity: number;
  private readonly f: Float64Array;
  private readonly i: Int32Array;
  /** The rows' buffer, from its start: FRAME_HEAD bytes of room for a frame's head, the rows, then TEXT_ROOM bytes for its texts (see takeFrame). */
  private readonly bytes: Uint8Array;
  private texts: string[] = [];
  private wires: SpanEndWire[] = [];
  /** Rows in the batch. */
  length = 0;

  constructor(capacity: number) {
    this.capacity = capacity;
    const buf = new ArrayBuffer(FRAME_HEAD + capacity * ROW_F64 * 8 + TEXT_ROOM);
    this.bytes = new Uint8Array(buf);
    this.f = new Float64Array(buf, FRAME_HEAD, capacity * ROW_F64);
    this.i = new Int32Array(buf, FRAME_HEAD, capacity * ROW_I32);
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
    const r = this.length++;
    const f = r * ROW_F64;
    this.f[f] = start;
    this.f[f + 1] = end;
    const n = this.i;
    const o = r * ROW_I32;
    n[o + I_CODE] = code;
    n[o + I_REMOTE] = parentRemote ? 1 : 0;
    n[o + I_NODE] = node;
    n[o + I_SHARD] = shard;
    n[o + I_SERIAL] = serial;
    n[o + I_TEXT] = text === null ? -1 : this.textIndex(text);
    n[o + I_FROM_NODE] = fromNode;
    n[o + I_FROM_SHARD] = fromShard;
    n[o + I_FROM_SERIAL] = fromSerial;
    n[o + I_SPAN] = s0;
    n[o + I_SPAN + 1] = s1;
    n[o + I_TRACE] = tw.t0;
    n[o + I_TRACE + 1] = tw.t1;
    n[o + I_TRACE + 2] = tw.t2;
    n[o + I_TRACE + 3] = tw.t3;
    n[o + I_PARENT] = p0;
    n[o + I_PARENT + 1] = p1;
  }

  /** A receive span and its handle span, ended at `end`, as one row (RECEIVED in dense-rows.ts). */
  addPair(h: ReceivedPair, end: number): void {
    const r = this.length++;
    const f = r * ROW_F64;
    this.f[f] = h.received;
    this.f[f + 1] = end;
    this.f[f + F_MID] = h.start;
    const n = this.i;
    const o = r * ROW_I32;
    const b = h.builtin;
    n[o + I_CODE] = RECEIVED;
    n[o + I_REMOTE] = h.cRemote ? 1 : 0;
    n[o + I_NODE] = b[1] as number;
    n[o + I_SHARD] = b[2] as number;
    n[o + I_SERIAL] = b[3] as number;
    n[o + I_TEXT] = this.textIndex(b[4] as string);
    n[o + I_HANDLE_HI] = h.s0;
    n[o + I_HANDLE_LO] = h.s1;
    n[o + I_SPAN] = h.p0;
    n[o + I_SPAN + 1] = h.p1;
    n[o + I_TRACE] = h.t0;
    n[o + I_TRACE + 1] = h.t1;
    n[o + I_TRACE + 2] = h.t2;
    n[o + I_TRACE + 3] = h.t3;
    n[o + I_PARENT] = h.c0;
    n[o + I_PARENT + 1] = h.c1;
  }

  /** Any other finished span, in its place in the batch. */
  addWire(w: SpanEndWire): void {
    const o = this.length++ * ROW_I32;
    this.i[o + I_CODE] = WIRE;
    this.i[o + I_REMOTE] = this.wires.push(w) - 1;
  }

  /** The batch so far, for the wire; the next batch starts empty. */
  take(): DenseBatchWire {
    const rows = this.length;
    // A few rows (tracing at a low rate ships a batch with nearly every flush) go as a plain array (see PLAIN).
    let nums: Float64Array | number[];
    if (rows > SMALL) nums = this.f.slice(0, rows * ROW_F64);
    else {
      nums = new Array<number>(rows * PLAIN);
      for (let r = 0; r < rows; r++) {
        const p = r * PLAIN;
        nums[p] = this.f[r * ROW_F64]!;
        nums[p + 1] = this.f[r * ROW_F64 + 1]!;
        for (let k = 2; k < PLAIN; k++) nums[p + k] = this.i[r * ROW_I32 + 2 + k]!;
      }
    }
    const out: DenseBatchWire = [nums, this.texts, this.wires];
    this.length = 0;
    this.texts = [];
    this.wires = [];
    return out;
  }

  /**
   * The batch as a raw frame (dense-frame.ts), a view of this batch's own
   * buffer to be copied before the next add, and the next batch starts
   * empty; or null when it holds spans sent as wire records (then `take`).
   */
  takeFrame(): Uint8Array | null {
    if (this.wires.length > 0) return null;
    const out = denseFrame(this.bytes, this.length, this.texts);
    this.length = 0;
    if (this.texts.length > 0) this.texts = [];
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
  const { f, i, rows } = rowViews(nums);
  for (let r = 0; r < rows; r++) {
    const o = r * ROW_I32;
    const code = i[o + I_CODE]!;
    if (code === WIRE) {
      fn(wires[i[o + I_REMOTE]!]!);
      continue;
    }
    const ti = i[o + I_TEXT]!;
    if (code === RECEIVED) {
      // The receive span, then its handle span (see RECEIVED).
      const tw = { t0: i[o + I_TRACE]!, t1: i[o + I_TRACE + 1]!, t2: i[o + I_TRACE + 2]!, t3: i[o + I_TRACE + 3]! };
      const text = ti < 0 ? null : texts[ti]!;
      const s0 = i[o + I_SPAN]!;
      const s1 = i[o + I_SPAN + 1]!;
      const mid = f[r * ROW_F64 + F_MID]!;
      fn(builtinEndWire(BUILTIN_RECEIVE, s0, s1, tw, i[o + I_PARENT]!, i[o + I_PARENT + 1]!, i[o + I_REMOTE] === 1, f[r * ROW_F64]!, mid, i[o + I_NODE]!, i[o + I_SHARD]!, i[o + I_SERIAL]!, text, 0, -1, 0));
      fn(builtinEndWire(BUILTIN_HANDLE, i[o + I_HANDLE_HI]!, i[o + I_HANDLE_LO]!, tw, s0, s1, false, mid, f[r * ROW_F64 + 1]!, i[o + I_NODE]!, i[o + I_SHARD]!, i[o + I_SERIAL]!, text, 0, -1, 0));
      continue;
    }
    if (code !== BUILTIN_SEND && code !== BUILTIN_RECEIVE && code !== BUILTIN_HANDLE) continue;
    fn(
      builtinEndWire(
        code,
        i[o + I_SPAN]!,
        i[o + I_SPAN + 1]!,
        { t0: i[o + I_TRACE]!, t1: i[o + I_TRACE + 1]!, t2: i[o + I_TRACE + 2]!, t3: i[o + I_TRACE + 3]! },
        i[o + I_PARENT]!,
        i[o + I_PARENT + 1]!,
        i[o + I_REMOTE] === 1,
        f[r * ROW_F64]!,
        f[r * ROW_F64 + 1]!,
        i[o + I_NODE]!,
        i[o + I_SHARD]!,
        i[o + I_SERIAL]!,
        ti < 0 ? null : texts[ti]!,
        i[o + I_FROM_NODE]!,
        i[o + I_FROM_SHARD]!,
        i[o + I_FROM_SERIAL]!,
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
  const v = rowViews(nums);
  const rows = { f: v.f, i: v.i, texts, resource, slab: null };
  const i = v.i;
  for (let r = 0; r < v.rows; r++) {
    const code = i[r * ROW_I32 + I_CODE]!;
    if (code === WIRE) {
      const w = wires[i[r * ROW_I32 + I_REMOTE]!]!;
      fn(new LazyReadableSpan(w, resource), w[0]);
      continue;
    }
    if (code === RECEIVED) {
      // Two spans over one row: the receive span, then its handle span.
      fn(new DenseReadableSpan(rows, r, RECEIVE_HALF), null);
      fn(new DenseReadableSpan(rows, r, HANDLE_HALF), null);
      continue;
    }
    if (code !== BUILTIN_SEND && code !== BUILTIN_RECEIVE && code !== BUILTIN_HANDLE) continue;
    fn(new DenseReadableSpan(rows, r), null);
  }
}
