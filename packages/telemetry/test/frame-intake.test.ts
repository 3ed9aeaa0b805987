// Span frames read on the main thread: rows into shared slabs, texts decoded once, every processor handed one span per row.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { BUILTIN_HANDLE, BUILTIN_RECEIVE, BUILTIN_SEND, DenseSpanBatch, FrameIntake, LazyReadableSpan, type ReadableSpanLike, SpanCollector, type SpanEndWire, batchFromFrame, forEachDenseWire, spanWords, traceWords } from '@joerl/telemetry/internal';

const resource = { attributes: { 'service.name': 'test' } };
/** Every field a processor or exporter of either SDK major reads. */
const FIELDS = ['name', 'kind', 'parentSpanContext', 'parentSpanId', 'startTime', 'endTime', 'duration', 'status', 'attributes', 'events', 'links', 'ended', 'resource', 'instrumentationScope', 'instrumentationLibrary', 'droppedAttributesCount', 'droppedEventsCount', 'droppedLinksCount'] as const;
const hex = (n: number, digits: number) => n.toString(16).padStart(digits, '0');

/** A frame of `rows` built-in rows as shard `seed` writes it; the i-th row's type is `types(i)`. */
function frame(seed: number, rows: number, types: (i: number) => string): Uint8Array {
  const batch = new DenseSpanBatch(512);
  for (let i = 0; i < rows; i++) {
    const code = [BUILTIN_SEND, BUILTIN_RECEIVE, BUILTIN_HANDLE][i % 3]!;
    const [s0, s1] = spanWords(hex(seed * 100_000 + i + 1, 16));
    const [p0, p1] = i % 3 === 0 ? [0, 0] : spanWords(hex(seed * 100_000 + i, 16));
    const at = 1_700_000_000_000 + seed * 10 + i * 0.001;
    const text = code === BUILTIN_SEND ? null : types(i);
    batch.add(code, s0, s1, traceWords(hex(seed, 8) + hex(i + 1, 24)), p0, p1, i % 6 === 1, at, at + 0.0125, 0, 2, 7 + i, text, 0, code === BUILTIN_SEND ? 1 : -1, 3);
  }
  // The ring hands over a copy that is overwritten by the next frame: so is this one.
  return batch.takeFrame()!.slice();
}

/** What the frame stands for, span by span, as the wire-record reader builds it. */
function expected(bytes: Uint8Array): LazyReadableSpan[] {
  const out: LazyReadableSpan[] = [];
  forEachDenseWire(batchFromFrame(bytes), (w: SpanEndWire) => out.push(new LazyReadableSpan(w, resource)));
  return out;
}

function sameSpan(g: ReadableSpanLike, e: LazyReadableSpan, what: string): void {
  const ec = e.spanContext();
  assert.is(g.spanContext().traceId, ec.traceId, `${what}: trace id`);
  assert.is(g.spanContext().spanId, ec.spanId, `${what}: span id`);
  assert.is(g.spanContext().traceFlags, 1, `${what}: sampled`);
  for (const f of FIELDS) assert.equal((g as unknown as Record<string, unknown>)[f], (e as unknown as Record<string, unknown>)[f], `${what}: ${f}`);
}

test('frames read into shared slabs give every processor the spans their rows stand for, earlier spans intact after later frames', () => {
  const got: ReadableSpanLike[] = [];
  const also: ReadableSpanLike[] = [];
  const collector = new SpanCollector(
    [
      { onEnd: (s) => void got.push(s as ReadableSpanLike), forceFlush: async () => {}, shutdown: async () => {} },
      { onEnd: (s) => void also.push(s as ReadableSpanLike), forceFlush: async () => {}, shutdown: async () => {} },
    ],
    resource,
  );
  const intake = new FrameIntake(resource);
  const frames: Uint8Array[] = [];
  // Full frames (a new slab every one or two), small ones sharing a slab, texts that change (non-ASCII too), none.
  for (let k = 0; k < 12; k++) {
    const rows = k % 3 === 0 ? 512 : 1 + k;
    frames.push(frame(k + 1, rows, k % 4 === 1 ? (i) => (i % 2 === 0 ? 'Zähler' : `Other${k}`) : () => 'Sink'));
  }
  frames.push(frame(99, 3, () => 'Sink'));
  const want: LazyReadableSpan[] = [];
  for (const f of frames) {
    want.push(...expected(f));
    intake.read(f);
    collector.endedRows(f[0]! % 2, intake.rows!, intake.first, intake.end);
  }
  assert.is(got.length, want.length);
  // Read only now, after every frame: a slab reused or overwritten under a live span would show here.
  for (let i = 0; i < want.length; i++) sameSpan(got[i]!, want[i]!, `span ${i}`);
  assert.ok(
    got.every((s, i) => s === also[i]),
    'both processors get the same span object',
  );
  assert.is(got[0]!.spanContext(), got[0], 'a row is its own span context');
  assert.equal(JSON.parse(JSON.stringify(got[1]!.spanContext())), { traceId: want[1]!.spanContext().traceId, spanId: want[1]!.spanContext().spanId, traceFlags: 1, isRemote: false });
});

test('a processor that throws on a span of a frame still gets the spans after it, and the processors after it get them all', () => {
  const seen: string[] = [];
  const after: string[] = [];
  const collector = new SpanCollector(
    [
      {
        onEnd: (s) => {
          const id = s.spanContext().spanId;
          seen.push(id);
          if (seen.length === 2) throw new Error('a failing exporter');
        },
        forceFlush: async () => {},
        shutdown: async () => {},
      },
      { onEnd: (s) => void after.push(s.spanContext().spanId), forceFlush: async () => {}, shutdown: async () => {} },
    ],
    resource,
  );
  const intake = new FrameIntake(resource);
  intake.read(frame(5, 6, () => 'Sink'));
  collector.endedRows(1, intake.rows!, intake.first, intake.end);
  assert.is(seen.length, 6);
  assert.equal(after, seen);
});

test('a frame that announces more rows than it holds is refused', () => {
  const f = frame(3, 4, () => 'Sink');
  assert.throws(() => new FrameIntake(resource).read(f.subarray(0, 8 + 88 * 3)), /announces 4 rows/);
});

test.run();
