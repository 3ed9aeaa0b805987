// The main-thread end of the trace pipeline: records from every thread become ReadableSpans (SDK 1.x and 2.x shapes) for your processors.

import { type Attributes, SpanStatusCode } from '@opentelemetry/api';
import { type ReadableSpanLike, type SpanProcessorLike, toReadableSpan } from './readable-span.js';
import type { SpanEndRecord, SpanStartRecord } from './recorder.js';
import { BUILTIN_HANDLE, BUILTIN_SEND } from './builtin.js';
import { I_CODE, RECEIVED, ROW_I32 } from './dense-rows.js';
import { type DenseRows, DenseReadableSpan, HANDLE_HALF, RECEIVE_HALF } from './dense-span.js';

/** A resource when none is given: `service.name` only (the SDK's Resource shape). */
export function defaultResource(serviceName = 'joerl'): unknown {
  const attributes: Attributes = { 'service.name': serviceName };
  const resource = {
    attributes,
    asyncAttributesPending: false,
    schemaUrl: undefined,
    waitForAsyncAttributes: async () => {},
    getRawAttributes: () => Object.entries(attributes),
    merge: (other: { attributes?: Attributes } | null) => (other?.attributes ? { ...resource, attributes: { ...attributes, ...other.attributes } } : resource),
  };
  return resource;
}

export class SpanCollector {
  /** Open spans per thread, by span id (so a dying shard's open spans can be ended). */
  private readonly open = new Map<number, Map<string, SpanStartRecord>>();
  /** Open spans over every thread: while there are none (the usual, even at 100%), a finished span looks nothing up. */
  private openCount = 0;

  constructor(
    private readonly processors: readonly SpanProcessorLike[],
    private readonly resource: unknown,
  ) {}

  started(thread: number, rec: SpanStartRecord): void {
    let m = this.open.get(thread);
    if (m === undefined) this.open.set(thread, (m = new Map()));
    const before = m.size;
    m.set(rec.spanId, rec);
    this.openCount += m.size - before;
  }

  ended(thread: number, rec: SpanEndRecord): void {
    if (this.openCount > 0 && this.open.get(thread)?.delete(rec.spanId) === true) this.openCount--;
    this.emit(rec);
  }

  /**
   * A finished span already in its ReadableSpan shape (built lazily by the
   * caller). `spanId` null: not made yet, and only asked of the span when
   * this thread has spans whose start was shipped (rare: at 100% a dense
   * span's id is otherwise made only if a processor reads it).
   */
  endedReadable(thread: number, spanId: string | null, span: ReadableSpanLike): void {
    if (this.openCount > 0) {
      const m = this.open.get(thread);
      if (m !== undefined && m.size > 0 && m.delete(spanId ?? span.spanContext().spanId)) this.openCount--;
    }
    this.deliver(span);
  }

  /**
   * The spans of rows `first` to `end` of `rows` (a frame, see
   * frame-intake.ts), finished on `thread`: one DenseReadableSpan per
   * built-in row, handed to every processor. Nothing is stored per span on
   * the way (a young span written into a long-lived array costs a write
   * barrier's slow path; no closure per span either).
   */
  endedRows(thread: number, rows: DenseRows, first: number, end: number): void {
    const ps = this.processors;
    const ints = rows.i;
    const open = this.openCount > 0 ? this.open.get(thread) : undefined;
    for (let r = first; r < end; r++) {
      const code = ints[r * ROW_I32 + I_CODE]!;
      // (A raw frame holds built-in rows only; anything else is skipped, as the batch reader does.)
      if (code === RECEIVED) {
        // Two spans over one row: the receive span, then its handle span (see RECEIVED).
        this.endedRow(ps, open, new DenseReadableSpan(rows, r, RECEIVE_HALF) as unknown as ReadableSpanLike);
        this.endedRow(ps, open, new DenseReadableSpan(rows, r, HANDLE_HALF) as unknown as ReadableSpanLike);
        continue;
      }
      if (code < BUILTIN_SEND || code > BUILTIN_HANDLE) continue;
      this.endedRow(ps, open, new DenseReadableSpan(rows, r) as unknown as ReadableSpanLike);
    }
  }

  /** One span of endedRows: no longer open (if it was announced), and handed to every processor. */
  private endedRow(ps: readonly SpanProcessorLike[], open: Map<string, unknown> | undefined, span: ReadableSpanLike): void {
    if (open !== undefined && open.size > 0 && open.delete(span.spanContext().spanId)) this.openCount--;
    for (let q = 0; q < ps.length; q++) {
      try {
        ps[q]!.onEnd(span);
      } catch {
        // A processor's failure must not stop the others (or the runtime).
      }
    }
  }

  /** A thread died at `at` (abs ms): its finished spans were already delivered; its open ones end now, with an error. */
  threadDied(thread: number, at: number, why: string): void {
    const m = this.open.get(thread);
    if (m === undefined) return;
    this.open.delete(thread);
    this.openCount -= m.size;
    for (const rec of m.values()) {
      this.emit({
        ...rec,
        end: Math.max(at, rec.start),
        status: { code: SpanStatusCode.ERROR, message: `the shard died: ${why}` },
        events: [],
        links: [],
      });
    }
  }

  forceFlush(): Promise<void> {
    return Promise.all(this.processors.map((p) => p.forceFlush())).then(() => undefined);
  }

  shutdown(): Promise<void> {
    return Promise.all(this.processors.map((p) => p.shutdown())).then(() => undefined);
  }

  private emit(rec: SpanEndRecord): void {
    this.deliver(toReadableSpan(rec, this.resource));
  }

  private deliver(span: ReadableSpanLike): void {
    for (const p of this.processors) {
      try {
        p.onEnd(span);
      } catch {
        // A processor's failure must not stop the others (or the runtime).
      }
    }
  }
}
