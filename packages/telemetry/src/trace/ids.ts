// Trace and span ids, W3C traceparent, and time conversions (absolute ms <-> OpenTelemetry HrTime).

import { performance } from 'node:perf_hooks';
import { Buffer } from 'node:buffer';
import type { HrTime, SpanContext, TimeInput } from '@opentelemetry/api';
import { keyedTrace, mix32, nextRoot } from './root-key.js';

const view = new DataView(new ArrayBuffer(4));
// Random bytes drawn in bulk (one getRandomValues call per 512 span ids) and
// turned into one long hex string by one native call; an id is a slice of it
// (no per-id string building: a 16-character slice is a view onto the pool in V8).
const pool = Buffer.alloc(4096);
let hexPool = '';
let hexPos = 0;

function hex(bytes: number): string {
  const chars = 2 * bytes;
  if (hexPos + chars > hexPool.length) {
    crypto.getRandomValues(pool);
    hexPool = pool.toString('hex');
    hexPos = 0;
  }
  const id = hexPool.slice(hexPos, hexPos + chars);
  hexPos += chars;
  return id;
}

export const newTraceId = (): string => hex(16);
export const newSpanId = (): string => hex(8);

// Built-in spans' ids are numbers from birth: 32-bit words drawn from a pool
// refilled in bulk, hex only where someone reads them (a span context handed
// to user code or a processor, a traceparent). Making and shipping hex
// strings was a fifth of a traced message's cost on each shard. A word is
// kept as a signed int32 (hex32 reads it unsigned): a small integer to V8,
// where a uint32 past 2^31 is a heap number, one allocation per field.
// 64 KiB a thread, made on first use: getRandomValues costs ~4 ns a word
// filling 4 KiB at a time, under 1 ns filling 64 KiB (its fixed cost is per call).
const POOL_WORDS = 16_384;
let words = new Int32Array(0);
let wordPos = 0;

/** A random 32-bit word, as an int32 (crypto-grade, drawn in bulk). */
export function rand32(): number {
  if (wordPos === words.length) refill();
  return words[wordPos++]!;
}

/**
 * The pool's index of `n` fresh words (n <= 8), read by the caller as
 * `words[i]` .. `words[i + n - 1]`: one bounds check and one call for a new
 * span context's six words instead of six calls.
 */
function take(n: number): number {
  if (wordPos + n > words.length) refill();
  const i = wordPos;
  wordPos += n;
  return i;
}

function refill(): void {
  if (words.length === 0) words = new Int32Array(POOL_WORDS);
  crypto.getRandomValues(words);
  wordPos = 0;
}

/** A random 32-bit word that is not zero: a span id's low word (so the id is never all zeros, invalid in W3C). */
export function rand32NonZero(): number {
  let x = rand32();
  while (x === 0) x = rand32();
  return x;
}

/** A trace id's four words, most significant first. */
export interface TraceWords {
  readonly t0: number;
  readonly t1: number;
  readonly t2: number;
  readonly t3: number;
}

/** A span's ids as words: what a parent is to the runtime (a WordSpanContext or a BuiltinSpan). */
export interface SpanWords extends TraceWords {
  readonly s0: number;
  readonly s1: number;
  readonly isRemote: boolean;
}

/** A new trace id's words. */
export function newTraceWords(): TraceWords {
  return { t0: rand32(), t1: rand32(), t2: rand32(), t3: rand32NonZero() };
}

/** 8 hex digits of a 32-bit word (int32 or uint32). */
export function hex32(n: number): string {
  return (n >>> 0).toString(16).padStart(8, '0');
}

/** A 16-digit span id from its words (hi, lo). */
export function spanHex(hi: number, lo: number): string {
  return hex32(hi) + hex32(lo);
}

/** A 32-digit trace id from its words. */
export function traceHex(w: TraceWords): string {
  return hex32(w.t0) + hex32(w.t1) + hex32(w.t2) + hex32(w.t3);
}

/**
 * A sampled span context whose ids are 32-bit words (int32): what built-in spans and
 * traced envelopes carry. `traceId` and `spanId` are made (once) when read.
 * Valid by construction (a span id's low word is never 0, a trace id is
 * random or copied from a valid one).
 */
export class WordSpanContext implements SpanContext, SpanWords {
  readonly t0: number;
  readonly t1: number;
  readonly t2: number;
  readonly t3: number;
  readonly s0: number;
  readonly s1: number;
  readonly traceFlags = 1;
  readonly isRemote: boolean;
  /**
   * A new trace made on this thread (renewRoot): its number under the
   * thread's root key, from which the trace id and then its span id are
   * derived, so an envelope carries that number alone (see rootKey). 0 for
   * any other context.
   */
  readonly root: number;
  private tid: string | undefined = undefined;
  private sid: string | undefined = undefined;

  /** The trace id's words t0..t3, the span id's s0 (hi), s1 (lo). (Plain numbers: a words object here made every caller's loads polymorphic.) */
  constructor(t0: number, t1: number, t2: number, t3: number, s0: number, s1: number, isRemote: boolean, root = 0) {
    this.t0 = t0;
    this.t1 = t1;
    this.t2 = t2;
    this.t3 = t3;
    this.s0 = s0;
    this.s1 = s1;
    this.isRemote = isRemote;
    this.root = root;
  }

  get traceId(): string {
    return (this.tid ??= traceHex(this));
  }

  get spanId(): string {
    return (this.sid ??= spanHex(this.s0, this.s1));
  }

  /** Drops the hex ids made so far (see renewRoot, renewChild). */
  forget(): void {
    this.tid = undefined;
    this.sid = undefined;
  }

  /** A context of its own with the same ids (of a reused one, see ThreadTracing.onSend). */
  kept(): WordSpanContext {
    return new WordSpanContext(this.t0, this.t1, this.t2, this.t3, this.s0, this.s1, this.isRemote, this.root);
  }
}

type Renewed = { -readonly [K in 't0' | 't1' | 't2' | 't3' | 's0' | 's1' | 'root']: WordSpanContext[K] };

/**
 * `sc`, reused, as a new trace's first span's context: the thread's next
 * trace under its root key, its span id derived from the trace id (see
 * rootSpanHi). For a thread's send context, whose ids the envelope and the
 * span row copy at once (a local mailbox keeps `kept()`), so a traced send
 * allocates nothing.
 */
export function renewRoot(sc: WordSpanContext): WordSpanContext {
  const m = sc as unknown as Renewed;
  const n = nextRoot(m);
  m.s0 = rootSpanHi(sc);
  m.s1 = rootSpanLo(sc);
  m.root = n;
  sc.forget();
  return sc;
}

/** `sc`, reused, as a new span's context in `trace` (as newWordContext makes one): see renewRoot. */
export function renewChild(sc: WordSpanContext, trace: TraceWords): WordSpanContext {
  const i = take(2);
  const w = words;
  const m = sc as unknown as Renewed;
  m.t0 = trace.t0;
  m.t1 = trace.t1;
  m.t2 = trace.t2;
  m.t3 = trace.t3;
  m.s0 = w[i]!;
  m.s1 = w[i + 1] || rand32NonZero();
  m.root = 0;
  sc.forget();
  return sc;
}


/**
 * The span id words (hi, lo) of a new trace's first span, from its trace
 * id's: so a traced envelope that starts a trace need not carry it (each
 * word a msgpack item to pack and unpack; ids are ~a tenth of a traced
 * message's cost on the receiving shard). Unique within the trace (it is
 * the trace's only span with no parent) and as random-looking as the trace
 * id, every bit mixed from two of its words; never all zero (lo is not 0).
 */
export function rootSpanHi(t: TraceWords): number {
  return mix32(t.t0 ^ t.t2 ^ 0x5bd1e995);
}

/** See rootSpanHi. */
export function rootSpanLo(t: TraceWords): number {
  return mix32(t.t1 ^ t.t3 ^ 0x27d4eb2f) || 1;
}

/**
 * The span id words (hi, lo) of the one span made right under span (s0,
 * s1) as its next step: a traced message's receive span under its send
 * span, its handle span under the receive span. A bijection of the 64-bit
 * id (lo mixes s1 alone; hi mixes s0 with lo), so distinct parents give
 * distinct children, as random-looking as the parent's id; lo never 0.
 * Each send span is its own message's (one receive each): the receiving
 * shard then draws no random words per traced message (it drew four, ~25
 * ns with the pool's refills, measured).
 */
export function childSpanLo(s1: number): number {
  return mix32(s1 ^ 0x68e31da4) || 1;
}

/** See childSpanLo: hi from the parent's hi and the child's lo. */
export function childSpanHi(s0: number, lo: number): number {
  return mix32(s0 ^ lo ^ 0x1b56c4e9);
}

/** A new trace and its first span's context (see renewRoot): a context of its own. */
export function newRootContext(): WordSpanContext {
  return renewRoot(newWordContext(null)).kept();
}

/** The context of a traced envelope that started trace `n` of a thread whose root key is k0..k3 (OP_SEND_TR): its words derived as the sender's were. */
export function carriedRoot(k0: number, k1: number, k2: number, k3: number, n: number): WordSpanContext {
  const c = CARRIED;
  keyedTrace(c, k0, k1, k2, k3, n);
  return new WordSpanContext(c.t0, c.t1, c.t2, c.t3, rootSpanHi(c), rootSpanLo(c), true);
}

/** Scratch words for carriedContext (the constructor copies them). */
const CARRIED = { t0: 0, t1: 0, t2: 0, t3: 0 };

/** The context a traced envelope carried, from its six words. */
export function carriedContext(t0: number, t1: number, t2: number, t3: number, s0: number, s1: number): WordSpanContext {
  return new WordSpanContext(t0, t1, t2, t3, s0, s1, true);
}

/** A new span's context: new words for the span, the trace's (new ones when `trace` is null). */
export function newWordContext(trace: TraceWords | null): WordSpanContext {
  const i = take(2);
  const w = words;
  const s0 = w[i]!;
  const s1 = w[i + 1] || rand32NonZero();
  if (trace !== null) return new WordSpanContext(trace.t0, trace.t1, trace.t2, trace.t3, s0, s1, false);
  const t = newTraceWords();
  return new WordSpanContext(t.t0, t.t1, t.t2, t.t3, s0, s1, false);
}

/** The words of a 16-digit span id: [hi, lo]. */
export function spanWords(spanId: string): [number, number] {
  return [Number.parseInt(spanId.slice(0, 8), 16) | 0, Number.parseInt(spanId.slice(8, 16), 16) | 0];
}

/** The words of a 32-digit trace id. */
export function traceWords(traceId: string): TraceWords {
  const w = (k: number) => Number.parseInt(traceId.slice(8 * k, 8 * k + 8), 16) | 0;
  return { t0: w(0), t1: w(1), t2: w(2), t3: w(3) };
}

/** Any valid span context as words (the same object when it already is one; hex parsed otherwise, as for a user's SDK context). */
export function asWords(sc: SpanContext): WordSpanContext {
  if (sc instanceof WordSpanContext) return sc;
  const [s0, s1] = spanWords(sc.spanId);
  const t = traceWords(sc.traceId);
  return new WordSpanContext(t.t0, t.t1, t.t2, t.t3, s0, s1, sc.isRemote === true);
}

/** Deterministic ratio sampling on the trace id (the same decision on every thread). */
export function sampledByRatio(traceId: string, ratio: number): boolean {
  if (ratio >= 1) return true;
  if (ratio <= 0) return false;
  view.setUint32(0, Number.parseInt(traceId.slice(-8), 16));
  return view.getUint32(0) / 0x1_0000_0000 < ratio;
}

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

export function formatTraceparent(sc: SpanContext): string {
  return `00-${sc.traceId}-${sc.spanId}-${sc.traceFlags.toString(16).padStart(2, '0')}`;
}

export function parseTraceparent(tp: string): SpanContext | undefined {
  const m = TRACEPARENT.exec(tp);
  if (m === null || /^0+$/.test(m[1]!) || /^0+$/.test(m[2]!)) return undefined;
  return { traceId: m[1]!, spanId: m[2]!, traceFlags: Number.parseInt(m[3]!, 16), isRemote: true };
}

const ORIGIN = performance.timeOrigin;

/** Absolute ms (epoch), with sub-ms precision from the monotonic clock. */
export function nowMs(): number {
  return ORIGIN + performance.now();
}

export function toMs(t: TimeInput | undefined): number {
  if (t === undefined) return nowMs();
  if (typeof t === 'number') return t < 1e11 ? ORIGIN + t : t; // a performance.now() value, or epoch ms
  if (t instanceof Date) return t.getTime();
  return t[0] * 1000 + t[1] / 1e6;
}

export function toHrTime(ms: number): HrTime {
  const s = Math.floor(ms / 1000);
  return [s, Math.round((ms - s * 1000) * 1e6)];
}
