// Tracing on the main thread: the span collector, each shard's open-span slot, and the hooks that take in the spans shards ship.

import {
  type DenseBatchWire,
  FrameIntake,
  LazyReadableSpan,
  OpenSpanSlot,
  SpanCollector,
  type ReadableSpanLike,
  type SpanSink,
  builtinAttributes,
  builtinEndWire,
  createOpenSpanSlot,
  defaultResource,
  forEachDenseSpan,
  nowMs,
  spanStartFromWire,
} from '@joerl/telemetry/internal';
import type { ThreadRuntime } from '../shard/thread-runtime.js';
import type { ResolvedOptions } from './options.js';

/** Slices `flush` runs at most to take in what shards published: each takes at least POLL_SPAN_ROWS (512) rows, a full 1 MiB ring holds ~23 frames of 512. */
const FLUSH_SLICES = 256;

/**
 * One per system with tracing on. Finished spans arrive from shards in
 * batches of wire records; processors get each as a span built on demand
 * (LazyReadableSpan). The span a shard's handler runs under lives in that
 * shard's slot of shared memory, so a shard that dies mid-handler still
 * has it ended.
 */
export class SystemTracing {
  readonly spans: SpanCollector;
  private readonly resource: unknown;
  /** Each shard's open-span slot, for its current incarnation. */
  private readonly slots: SharedArrayBuffer[] = [];
  private tick: NodeJS.Timeout | null = null;

  constructor(tr: NonNullable<ResolvedOptions['tracing']>) {
    this.resource = tr.resource ?? defaultResource();
    this.spans = new SpanCollector(tr.processors, this.resource);
  }

  /** The main thread's own span sink (its spans are recorded where they end, no wire in between). */
  mainSink(): SpanSink {
    const spans = this.spans;
    const resource = this.resource;
    return {
      started: (rec) => spans.started(0, rec),
      ended: (rec) => spans.ended(0, rec),
      endedWire: (w) => spans.endedReadable(0, w[0], new LazyReadableSpan(w, resource)),
      endedBuiltin: (...a: Parameters<SpanSink['endedBuiltin']>) => spans.endedReadable(0, null, new LazyReadableSpan(builtinEndWire(...a), resource)),
    };
  }

  /** Takes in what shards ship through the main thread's runtime, and collects at least every 50 ms. */
  install(rt: ThreadRuntime): void {
    const spans = this.spans;
    const resource = this.resource;
    rt.state.hooks.spanStarted = (thread, w) => spans.started(thread, spanStartFromWire(w));
    const batch = (thread: number, b: DenseBatchWire) => forEachDenseSpan(b, resource, (span, spanId) => spans.endedReadable(thread, spanId, span as ReadableSpanLike));
    rt.state.hooks.spanBatch = (thread, b) => batch(thread, b as DenseBatchWire);
    // Built-in span rows come as raw frames (telemetry's dense-frame.ts), in their place among the ops.
    const intake = new FrameIntake(resource);
    rt.state.transport.input.onRaw = (bytes, thread) => {
      intake.read(bytes);
      if (intake.end > intake.first) spans.endedRows(thread, intake.rows!, intake.first, intake.end);
      return intake.end - intake.first;
    };
    // Shards publish span records without waking us; collect them at least this often.
    this.tick = setInterval(() => rt.state.scheduler.kick(), 50);
    this.tick.unref();
  }

  /** A fresh open-span slot for a shard's new incarnation (null for the main thread). */
  slotFor(thread: number): SharedArrayBuffer | null {
    if (thread === 0) return null;
    return (this.slots[thread] = createOpenSpanSlot());
  }

  /** Shard `s` died: the span of the handler it died in (in its slot, never shipped) ends with its other open spans. */
  threadDied(s: number, message: string): void {
    const slot = this.slots[s];
    const open = slot === undefined ? null : new OpenSpanSlot(slot).read();
    if (open !== null) this.spans.started(s, { ...open, attributes: builtinAttributes(open.builtin!) });
    this.spans.threadDied(s, nowMs(), message);
  }

  /** Stops the collection tick (shutdown). */
  stop(): void {
    if (this.tick !== null) clearInterval(this.tick);
    this.tick = null;
  }

  /**
   * Hands every finished span so far to the processors' exporters: what the
   * shards have published is taken in first, a slice at a time (a slice
   * takes a bounded part of it, see Transport.poll), with the processors'
   * microtasks (a BatchSpanProcessor's next export) between slices; at most
   * FLUSH_SLICES of them, since busy shards keep publishing.
   */
  async flush(rt: ThreadRuntime): Promise<void> {
    const st = rt.state;
    for (let k = 0; k < FLUSH_SLICES; k++) {
      st.scheduler.slice();
      if (!st.transport.input.hasInbound()) break;
      await null;
    }
    await this.spans.forceFlush();
  }

  /** Hands every finished span to the processors' exporters. */
  forceFlush(): Promise<void> {
    return this.spans.forceFlush();
  }
}
