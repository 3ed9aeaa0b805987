// The span a shard's handler runs under, written to shared memory so the main thread can end it if the shard dies mid-handler.

import type { SpanKind } from '@opentelemetry/api';
import { type TraceWords, spanHex, traceHex } from './ids.js';
import type { SpanStartRecord } from './recorder.js';

/** What the slot keeps of a span (a BuiltinSpan has these): its ids as words (see ids.ts), parent 0, 0 for none. */
export interface OpenSpanFields {
  readonly words?: TraceWords & { readonly s0: number; readonly s1: number };
  readonly p0?: number;
  readonly p1?: number;
  readonly parentRemote?: boolean;
  readonly name: string;
  readonly kind: SpanKind;
  readonly start: number;
  readonly scope: string;
  readonly scopeVersion?: string;
  readonly builtin?: unknown[];
}

/*
 * One slot per shard (a SharedArrayBuffer of SLOT_BYTES), written by the
 * shard before a traced handler runs and cleared after it returns; read by
 * the main thread only once the shard is dead. It replaces a flush of the
 * span's start record to the ring before every traced handler.
 *
 *   Int32 [0] STATE      1 while a handler runs under the slot's span (stored last)
 *         [1] KIND, [2] PARENT_REMOTE, [3] CODE, [4] SHARD, [5] SERIAL, [6] TYPE_LEN, [7] NAME_LEN, [8] NODE
 *   Float64 at byte 40   start (abs ms)
 *   Int32 at byte 48     span id hi, lo | trace id t0..t3 | parent span id hi, lo (0, 0: none)
 *   Uint16 at byte 112   name, then type (at most MAX_TEXT code units each)
 *
 * Only a built-in span fits (a descriptor [code, node, shard, serial, type]);
 * `open` says false for any other. Attributes of its own are not kept: a span
 * is put here before its handler runs, so before user code adds any.
 */
const SLOT_BYTES = 112 + 2 * 2 * 128;
const MAX_TEXT = 128;
const STATE = 0;
const KIND = 1;
const PARENT_REMOTE = 2;
const CODE = 3;
const SHARD = 4;
const SERIAL = 5;
const TYPE_LEN = 6;
const NAME_LEN = 7;
const NODE = 8;
const IDS = 48;
const TEXT = 112;

/** A slot for one shard incarnation (tracing on). */
export function createOpenSpanSlot(): SharedArrayBuffer {
  return new SharedArrayBuffer(SLOT_BYTES);
}

export class OpenSpanSlot {
  private readonly i32: Int32Array;
  private readonly f64: Float64Array;
  private readonly u32: Int32Array;
  private readonly u16: Uint16Array;
  /** A span is in the slot now (the shard's side). */
  private current = false;
  /** The name and type last written (most handlers of a thread share them: written again only when they change). */
  private lastName = '';
  private lastType = '';
  /** The descriptor, kind and parent flag last written: a busy process's spans share one descriptor array (see ThreadTracing.handleDescriptor). */
  private lastBuiltin: unknown[] | null = null;
  private lastKind = -1;
  private lastRemote = false;

  constructor(sab: SharedArrayBuffer) {
    this.i32 = new Int32Array(sab, 0, 9);
    this.f64 = new Float64Array(sab, 40, 1);
    this.u32 = new Int32Array(sab, IDS, 8);
    this.u16 = new Uint16Array(sab, TEXT, 2 * MAX_TEXT);
  }

  /** Writes `rec` as the open span; false (nothing written) when it is not a built-in span that fits. */
  open(rec: OpenSpanFields): boolean {
    const b = rec.builtin;
    const w = rec.words;
    if (b === undefined || w === undefined || rec.scope !== 'joerl' || rec.scopeVersion !== undefined) return false;
    const i = this.i32;
    const remote = rec.parentRemote === true;
    // The same descriptor, kind and name as the last span written (a process handling a run of traced messages): only its ids and start change.
    if (b !== this.lastBuiltin || rec.kind !== this.lastKind || remote !== this.lastRemote || rec.name !== this.lastName) {
      if (b.length !== 5 || typeof b[4] !== 'string' || rec.name.length > MAX_TEXT) return false;
      const type = (b[4] as string).slice(0, MAX_TEXT);
      i[KIND] = rec.kind;
      i[PARENT_REMOTE] = remote ? 1 : 0;
      i[CODE] = b[0] as number;
      i[NODE] = b[1] as number;
      i[SHARD] = b[2] as number;
      i[SERIAL] = b[3] as number;
      i[NAME_LEN] = rec.name.length;
      i[TYPE_LEN] = type.length;
      if (rec.name !== this.lastName) {
        for (let k = 0; k < rec.name.length; k++) this.u16[k] = rec.name.charCodeAt(k);
        this.lastName = rec.name;
      }
      if (type !== this.lastType) {
        for (let k = 0; k < type.length; k++) this.u16[MAX_TEXT + k] = type.charCodeAt(k);
        this.lastType = type;
      }
      this.lastBuiltin = b;
      this.lastKind = rec.kind;
      this.lastRemote = remote;
    }
    this.f64[0] = rec.start;
    const u = this.u32;
    u[0] = w.s0;
    u[1] = w.s1;
    u[2] = w.t0;
    u[3] = w.t1;
    u[4] = w.t2;
    u[5] = w.t3;
    u[6] = rec.p0 ?? 0;
    u[7] = rec.p1 ?? 0;
    // Stored last, and plainly (no fence: two a traced message): the main thread reads the slot only
    // once this thread is gone, and a thread's end (the exit or error event's post) orders its writes before.
    i[STATE] = 1;
    this.current = true;
    return true;
  }

  /** The handler returned (or threw): the slot's span is no longer at risk. */
  close(): void {
    if (!this.current) return;
    this.i32[STATE] = 0;
    this.current = false;
  }

  /** The main thread, after the shard died: the span it was running under, if any. */
  read(): SpanStartRecord | null {
    const i = this.i32;
    if (Atomics.load(i, STATE) !== 1) return null;
    const u = this.u32;
    const rec: SpanStartRecord = {
      spanId: spanHex(u[0]!, u[1]!),
      traceId: traceHex({ t0: u[2]!, t1: u[3]!, t2: u[4]!, t3: u[5]! }),
      name: String.fromCharCode(...this.u16.subarray(0, i[NAME_LEN])),
      kind: i[KIND] as SpanKind,
      start: this.f64[0]!,
      attributes: {},
      scope: 'joerl',
      builtin: [i[CODE], i[NODE], i[SHARD], i[SERIAL], String.fromCharCode(...this.u16.subarray(MAX_TEXT, MAX_TEXT + i[TYPE_LEN]!))],
    };
    if (u[6] !== 0 || u[7] !== 0) {
      rec.parentSpanId = spanHex(u[6]!, u[7]!);
      if (i[PARENT_REMOTE] === 1) rec.parentRemote = true;
    }
    return rec;
  }
}
