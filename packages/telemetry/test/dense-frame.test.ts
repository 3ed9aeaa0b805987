// Span rows as a raw frame: what a shard writes into its ring to the main thread reads back as the same spans, texts included.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { BUILTIN_HANDLE, BUILTIN_RECEIVE, BUILTIN_SEND, DenseSpanBatch, type SpanEndWire, batchFromFrame, builtinWire, forEachDenseWire, spanWords, traceWords } from '@joerl/telemetry/internal';
import { SpanKind } from '@opentelemetry/api';

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';

/** A row with hex ids; `text` the actor type of a receive or handle span. */
function add(batch: DenseSpanBatch, code: number, span: string, parent: string | null, at: number, text: string | null): void {
  const [p0, p1] = parent === null ? [0, 0] : spanWords(parent);
  batch.add(code, ...spanWords(span), traceWords(TRACE), p0, p1, code === BUILTIN_RECEIVE, at, at + 0.25, 0, 2, 7, text, 0, code === BUILTIN_SEND ? 1 : -1, code === BUILTIN_SEND ? 3 : 0);
}

/** What a frame stands for, as wire records (the form the collector used to get). */
function records(frame: Uint8Array): SpanEndWire[] {
  // The ring hands the main thread a copy at any offset: read it from an odd one.
  const copy = new Uint8Array(frame.length + 3);
  copy.set(frame, 3);
  const out: SpanEndWire[] = [];
  forEachDenseWire(batchFromFrame(copy.subarray(3)), (w) => out.push(w));
  return out;
}

test('a batch of built-in spans reads back from its frame: ids, parents, times, pids and actor types (non-ASCII too)', () => {
  const batch = new DenseSpanBatch(8);
  add(batch, BUILTIN_SEND, '00f067aa0ba902b7', null, 10, null);
  add(batch, BUILTIN_RECEIVE, '1111111111111111', '00f067aa0ba902b7', 11, 'Zähler');
  add(batch, BUILTIN_HANDLE, '2222222222222222', '1111111111111111', 12, 'Zähler');
  add(batch, BUILTIN_HANDLE, '3333333333333333', '1111111111111111', 13, 'Sink');
  const frame = batch.takeFrame()!;
  assert.ok(frame instanceof Uint8Array);
  assert.is(batch.length, 0, 'the next batch starts empty');
  const out = records(frame);
  assert.equal(out.map((w) => w[0]), ['00f067aa0ba902b7', '1111111111111111', '2222222222222222', '3333333333333333']);
  assert.equal(out.map((w) => w[1]), [TRACE, TRACE, TRACE, TRACE]);
  assert.equal(out.map((w) => w[2]), [null, '00f067aa0ba902b7', '1111111111111111', '1111111111111111']);
  assert.equal(out.map((w) => w[4]), ['message.send', 'message.receive', 'actor.handle_message', 'actor.handle_message']);
  assert.equal(out.map((w) => [w[6], w[11]]), [[10, 10.25], [11, 11.25], [12, 12.25], [13, 13.25]]);
  assert.equal(out[0]![10], [BUILTIN_SEND, 0, 2, 7, 0, 1, 3]);
  assert.equal(out.slice(1).map((w) => (w[10] as unknown[])[4]), ['Zähler', 'Zähler', 'Sink']);
  // The next batch reuses the buffer: a frame taken after it holds only its own rows and texts.
  add(batch, BUILTIN_HANDLE, '4444444444444444', null, 20, 'Other');
  assert.equal(records(batch.takeFrame()!).map((w) => [w[0], (w[10] as unknown[])[4]]), [['4444444444444444', 'Other']]);
});

test("a full batch whose texts do not fit in the rows' buffer still reads back whole", () => {
  const batch = new DenseSpanBatch(4);
  const long = (i: number) => `${'T'.repeat(300)}${i}`;
  for (let i = 0; i < 4; i++) add(batch, BUILTIN_HANDLE, `${i + 1}`.repeat(16), null, i, long(i));
  assert.ok(batch.full);
  const out = records(batch.takeFrame()!);
  assert.equal(out.map((w) => (w[10] as unknown[])[4]), [0, 1, 2, 3].map(long));
});

test("a full batch with short actor types is framed in the batch's own buffer, not copied out of it", () => {
  const batch = new DenseSpanBatch(4);
  const frames: Uint8Array[] = [];
  for (let round = 0; round < 2; round++) {
    for (let i = 0; i < 4; i++) add(batch, BUILTIN_HANDLE, `${i + 1}`.repeat(16), null, i, 'Sink');
    assert.ok(batch.full);
    frames.push(batch.takeFrame()!);
  }
  assert.is(frames[0]!.buffer, frames[1]!.buffer, 'one buffer, reused');
  assert.equal(records(frames[1]!).map((w) => (w[10] as unknown[])[4]), ['Sink', 'Sink', 'Sink', 'Sink']);
});

test('a batch holding a span that is not built in does not go as a frame (it takes the msgpack path, in order)', () => {
  const batch = new DenseSpanBatch(4);
  add(batch, BUILTIN_SEND, '00f067aa0ba902b7', null, 10, null);
  batch.addWire(builtinWire('1111111111111111', TRACE, null, false, 'user.work', SpanKind.INTERNAL, 10, 11, 'app', [], null));
  assert.is(batch.takeFrame(), null);
  assert.is(batch.length, 2, 'still there for take()');
  const [, , wires] = batch.take();
  assert.is(wires.length, 1);
});

test.run();
