// A shard's spans on their way to the main thread: finished ones in batches, held-back starts, the open-span slot.

import type { Span } from '@opentelemetry/api';
import { BuiltinSpan, DenseSpanBatch, type LazyHandleSpan, OpenSpanSlot, type ReceivedPair, type SpanEndRecord, type SpanEndWire, type SpanSink, type SpanStartRecord, type TraceWords, rowsFitting, spanEndToWire, spanHex, spanStartToWire } from '@joerl/telemetry/internal';
import { MAX_CHUNK_DIVISOR } from '../ring/layout.js';
import { keepInline } from '../codec/side-items.js';
import { OP_SPAN_BATCH, OP_SPAN_START } from './protocol.js';
import type { ShardState } from './shard-state.js';

/**
 * Finished spans per batch at most (a batch goes into the ring as one
 * frame): fewer, larger frames at high rates, since each costs the main
 * thread a fixed part (its header, a copy into a row slab, a check of its
 * texts: ~0.3-0.9 us, see FrameIntake). 512 rows are ~45 KiB; a small ring (many shards) takes
 * fewer, so a frame never needs reassembling (see rowsFitting).
 */
const SPAN_BATCH = 512;

/**
 * The span sink of a shard. Finished spans wait in a batch, shipped before
 * the next flush that publishes (`beforeFlush`). Start records are only
 * needed for spans still open when we publish (so the main thread can end
 * them if this shard dies): held back, dropped if the span ends first, and
 * shipped before the flush otherwise. The synchronous handler running right
 * now has its span in the shard's open-span slot instead (`guardHandler`).
 */
export class SpanShipping implements SpanSink {
  private readonly s: ShardState;
  private readonly unshippedStarts = new Map<string, SpanStartRecord>();
  private readonly slot: OpenSpanSlot | null;
  private readonly batch: DenseSpanBatch;

  constructor(s: ShardState, slot: SharedArrayBuffer | null) {
    this.s = s;
    this.slot = slot === null ? null : new OpenSpanSlot(slot);
    this.batch = new DenseSpanBatch(Math.max(8, Math.min(SPAN_BATCH, rowsFitting(s.config.ringBytes / MAX_CHUNK_DIVISOR))));
  }

  started(rec: SpanStartRecord): void {
    this.unshippedStarts.set(rec.spanId, rec);
  }

  ended(rec: SpanEndRecord): void {
    this.unshippedStarts.delete(rec.spanId);
    this.ship(spanEndToWire(rec));
  }

  endedWire(w: SpanEndWire): void {
    if (this.unshippedStarts.size > 0) this.unshippedStarts.delete(w[0]);
    this.ship(w);
  }

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
  ): void {
    // (Keyed by hex: made only while some start waits, which is rare.)
    if (this.unshippedStarts.size > 0) this.unshippedStarts.delete(spanHex(s0, s1));
    this.batch.add(code, s0, s1, trace, p0, p1, parentRemote, start, end, node, shard, serial, text, fromNode, fromShard, fromSerial);
    if (this.batch.full) this.shipBatch();
  }

  /**
   * A receive span and its handle span, one row. Neither had a start record
   * to drop: a receive span never has one, and a handle span that got one
   * was made, and ends as a span of its own.
   */
  endedPair(h: ReceivedPair, end: number): void {
    this.batch.addPair(h, end);
    if (this.batch.full) this.shipBatch();
  }

  /** Before a flush that publishes: the batch, then the starts of spans still open. */
  beforeFlush(): void {
    if (this.batch.length > 0) this.shipBatch();
    if (this.unshippedStarts.size === 0) return;
    for (const rec of this.unshippedStarts.values()) this.s.transport.emitQuiet(0, OP_SPAN_START, spanStartToWire(rec));
    this.unshippedStarts.clear();
  }

  /**
   * A traced handler is about to run under `span`, and might never return:
   * the main thread must be able to end the span if this shard dies. Its
   * start goes to the open-span slot in shared memory, not through a flush;
   * only when other spans opened since the last flush are still open (an
   * async handler, a call) are they all flushed instead, as before.
   */
  guardHandler(h: LazyHandleSpan): void {
    if (this.unshippedStarts.size === 0 && this.slot !== null && this.slot.open(h)) return;
    const span = h.span();
    this.unshippedStarts.set(span.spanId, span.startRecord());
    this.s.transport.flushTo(0);
  }

  /** The traced handler returned or threw: its span needs no guard any more. */
  handlerReturned(): void {
    this.slot?.close();
  }

  /** It returned a promise: its span stays open, so its start ships with the next flush. */
  handlerPending(span: Span): void {
    if (span instanceof BuiltinSpan) this.unshippedStarts.set(span.spanId, span.startRecord());
  }

  private ship(w: SpanEndWire): void {
    this.batch.addWire(w);
    if (this.batch.full) this.shipBatch();
  }

  private shipBatch(): void {
    // Built-in spans only (the common case): a raw frame, never msgpack (see dense-frame.ts).
    const frame = this.batch.takeFrame();
    if (frame !== null) {
      this.s.transport.emitRaw(0, frame);
      return;
    }
    const b = this.batch.take();
    // Rows go in the frame, never beside it (see keepInline): a batch is a few KiB at most.
    if (b[0] instanceof Float64Array) keepInline(b[0].buffer as ArrayBuffer);
    this.s.transport.emitQuiet(0, OP_SPAN_BATCH, b);
  }
}
