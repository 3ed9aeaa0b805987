// A handle span not made yet: its fields, reused from message to message, made into a BuiltinSpan only if someone looks.

import { type Context, ROOT_CONTEXT, SpanKind, trace } from '@opentelemetry/api';
import { BUILTIN_HANDLE, BUILTIN_RECEIVE } from './builtin.js';
import { BuiltinSpan } from './builtin-span.js';
import { BUILTIN_NAMES, BUILTIN_SCOPE } from './dense-batch.js';
import { spanOnRoot } from './handle-context.js';
import type { SpanWords, TraceWords } from './ids.js';
import type { ReceivedPair, SpanSink } from './recorder.js';

/**
 * The span a synchronous traced handler runs under, as plain fields. Most
 * handlers never ask for their span (user code reads it through the
 * active context), so a BuiltinSpan (~25 fields) and its context per traced
 * message were garbage made for nobody: the receiving shard's largest
 * allocation at 100%. Here the span is made (`span()`, `context()`) only
 * when asked: by the context manager when user code reads the active
 * context (AsyncLocalContextManager.runLazy), by a handler that throws or
 * returns a promise, by a span start that must be shipped. Untouched, it
 * ends as a row straight from these fields (`made` null).
 *
 * It also holds its parent, the message's receive span, until it ends
 * (`pairs`): untouched, both end as one row (RECEIVED in dense-rows.ts);
 * made, the receive span is written first, on its own.
 *
 * One object per thread, reused once its handler has returned (`live`
 * false); never handed to user code. Read as a parent (SpanWords) only
 * while its handler runs; whoever keeps ids copies them.
 */
export class LazyHandleSpan implements SpanWords, ReceivedPair {
  t0 = 0;
  t1 = 0;
  t2 = 0;
  t3 = 0;
  s0 = 0;
  s1 = 0;
  readonly isRemote = false;
  /** The parent's (the receive span's) id words. */
  p0 = 0;
  p1 = 0;
  /** The receive span's parent (the send span: its id words, remote or not) and start, while it waits to be written with this one (`pairs`). */
  c0 = 0;
  c1 = 0;
  cRemote = false;
  received = 0;
  /** The receive span is not written yet: it goes with this span (see end). */
  pairs = false;
  readonly parentRemote = false;
  readonly name = BUILTIN_NAMES[BUILTIN_HANDLE];
  readonly kind = SpanKind.INTERNAL;
  readonly scope = BUILTIN_SCOPE;
  start = 0;
  /** Its descriptor (builtin.ts): [BUILTIN_HANDLE, node, shard, serial, type], shared, only read. */
  builtin: unknown[] = [];
  /** Its handler has not returned yet. */
  live = false;
  /** The span, once made (then it is the span: it ends itself). */
  made: BuiltinSpan | null = null;
  /** The context active when its handler started (the root one in a turn). */
  private outer: Context = ROOT_CONTEXT;
  private ctx: Context | null = null;
  private readonly sink: SpanSink;

  constructor(sink: SpanSink) {
    this.sink = sink;
  }

  /** (OpenSpanFields: its ids as words.) */
  get words(): this {
    return this;
  }

  /**
   * Starts over as a new span (`trace` is copied): a new message's handle
   * span. Its parent, the receive span (p0, p1), was written already, or,
   * `pairs`, is written with it: then c0, c1, cRemote and `received` are its
   * parent and start (set them after reset), and it ends at `start`.
   */
  reset(trace: TraceWords, s0: number, s1: number, p0: number, p1: number, start: number, builtin: unknown[], outer: Context, pairs: boolean): void {
    this.t0 = trace.t0;
    this.t1 = trace.t1;
    this.t2 = trace.t2;
    this.t3 = trace.t3;
    this.s0 = s0;
    this.s1 = s1;
    this.p0 = p0;
    this.p1 = p1;
    this.start = start;
    this.builtin = builtin;
    this.outer = outer;
    this.pairs = pairs;
    this.made = null;
    this.ctx = null;
    this.live = true;
  }

  /** The span itself (made now if it was not; its receive span is then written on its own, first). */
  span(): BuiltinSpan {
    if (this.made === null && this.pairs) this.receiveAlone();
    return (this.made ??= new BuiltinSpan(this.sink, this, this.s0, this.s1, this.p0, this.p1, false, this.name, this.kind, this.start, this.scope, this.builtin));
  }

  /** The context its handler runs in: the outer one with the span active. */
  context(): Context {
    if (this.ctx === null) {
      const span = this.span();
      this.ctx = this.outer === ROOT_CONTEXT ? spanOnRoot(span) : trace.setSpan(this.outer, span);
    }
    return this.ctx;
  }

  /** Ends it at `end` (abs ms): a row from the fields when it was never made, else the span ends (with what user code added). */
  end(end: number): void {
    this.live = false;
    const made = this.made;
    if (made !== null) {
      made.end(end);
      return;
    }
    const b = this.builtin;
    if (this.pairs) {
      this.pairs = false;
      if (this.sink.endedPair !== undefined) {
        this.sink.endedPair(this, end);
        return;
      }
      this.receiveAlone();
    }
    this.sink.endedBuiltin(BUILTIN_HANDLE, this.s0, this.s1, this, this.p0, this.p1, false, this.start, end, b[1] as number, b[2] as number, b[3] as number, b[4] as string, 0, -1, 0);
  }

  /** Writes the receive span (parent of this one) as a span of its own: it ended where this one starts. */
  private receiveAlone(): void {
    this.pairs = false;
    const b = this.builtin;
    this.sink.endedBuiltin(BUILTIN_RECEIVE, this.p0, this.p1, this, this.c0, this.c1, this.cRemote, this.received, this.start, b[1] as number, b[2] as number, b[3] as number, b[4] as string, 0, -1, 0);
  }
}
