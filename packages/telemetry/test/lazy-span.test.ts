// Built-in spans: their compact wire form, the ReadableSpan built from it on demand (SDK 1.x and 2.x fields), the open-span slot.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Packr, Unpackr } from 'msgpackr';
import { SpanKind, SpanStatusCode, TraceFlags } from '@opentelemetry/api';
import {
  BUILTIN_HANDLE,
  BUILTIN_RECEIVE,
  BUILTIN_SEND,
  BuiltinSpan,
  type DenseBatchWire,
  DenseSpanBatch,
  LazyReadableSpan,
  OpenSpanSlot,
  type SpanEndWire,
  type SpanSink,
  builtinEndWire,
  builtinWire,
  createOpenSpanSlot,
  forEachDenseSpan,
  forEachDenseWire,
  spanEndFromWire,
  spanWords,
  traceWords,
} from '@joerl/telemetry/internal';

const options = { useRecords: true, moreTypes: true, structuredClone: false } as const;
const trip = (x: unknown): SpanEndWire => new Unpackr(options).unpack(new Packr(options).pack(x)) as SpanEndWire;
const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
/** Index of a wire record's end time. */
const W_END_TEST = 11;
const resource = { attributes: { 'service.name': 'test' } };

const parentWords = (parent: string | null): [number, number] => (parent === null ? [0, 0] : spanWords(parent));
type RowRest = [boolean, number, number, number, number, number, string | null, number, number, number];
/** A row added with hex ids (the shard adds words). */
function add(batch: DenseSpanBatch, code: number, spanId: string, traceId: string, parent: string | null, ...rest: RowRest): void {
  batch.add(code, ...spanWords(spanId), traceWords(traceId), ...parentWords(parent), ...rest);
}
/** builtinEndWire with hex ids. */
function endWire(code: number, spanId: string, traceId: string, parent: string | null, ...rest: RowRest): SpanEndWire {
  return builtinEndWire(code, ...spanWords(spanId), traceWords(traceId), ...parentWords(parent), ...rest);
}
/** A span context as plain fields (built-in contexts make their ids in getters). */
const plain = (sc: { traceId: string; spanId: string; traceFlags: number; isRemote?: boolean }) => ({ traceId: sc.traceId, spanId: sc.spanId, traceFlags: sc.traceFlags, isRemote: sc.isRemote });

test('a send span in wire form reads back as a ReadableSpan of both SDK majors, attributes spelled out', () => {
  const w = trip(builtinWire('00f067aa0ba902b7', TRACE, '53995c3f42cd8ad8', false, 'message.send', SpanKind.PRODUCER, 1000.5, 1000.5, 'joerl', [BUILTIN_SEND, 3, 2, 17, 3, 1, 4], null));
  const s = new LazyReadableSpan(w, resource);
  assert.is(s.name, 'message.send');
  assert.is(s.kind, SpanKind.PRODUCER);
  assert.equal(s.spanContext(), { traceId: TRACE, spanId: '00f067aa0ba902b7', traceFlags: TraceFlags.SAMPLED, isRemote: false });
  assert.equal(s.parentSpanContext, { traceId: TRACE, spanId: '53995c3f42cd8ad8', traceFlags: 1, isRemote: false });
  assert.is(s.parentSpanId, '53995c3f42cd8ad8', 'SDK 1.x');
  assert.is(s.instrumentationScope, s.instrumentationLibrary, 'one scope object under both names');
  assert.equal(s.instrumentationScope, { name: 'joerl' });
  assert.equal(s.startTime, [1, 500_000]);
  assert.equal(s.duration, [0, 0]);
  assert.equal(s.status, { code: SpanStatusCode.UNSET });
  assert.equal(s.attributes, {
    'messaging.system': 'joerl',
    'messaging.operation': 'send',
    'messaging.operation.type': 'send',
    'messaging.operation.name': 'send',
    'messaging.destination.name': '<3.2.17>',
    'actor.to_pid': '<3.2.17>',
    'otel.kind': 'producer',
    'actor.from_pid': '<3.1.4>',
  });
  assert.is(s.attributes, s.attributes, 'computed once');
  assert.equal(s.events, []);
  assert.equal(s.links, []);
  assert.is(s.resource, resource);
  assert.ok(s.ended);
});

test('a receive span in link mode: a root with a link to the send; the full record path expands the same attributes', () => {
  const w = trip(builtinWire('1111111111111111', TRACE, null, false, 'message.receive', SpanKind.CONSUMER, 10, 12, 'joerl', [BUILTIN_RECEIVE, 0, 1, 9, 'Sink'], { traceId: 'a'.repeat(32), spanId: 'b'.repeat(16), traceFlags: 1 }));
  const s = new LazyReadableSpan(w, resource);
  assert.is(s.parentSpanContext, undefined);
  assert.is(s.parentSpanId, undefined);
  assert.equal(s.links, [{ context: { traceId: 'a'.repeat(32), spanId: 'b'.repeat(16), traceFlags: 1, isRemote: true } }]);
  assert.is(s.attributes['actor.type'], 'Sink');
  assert.is(s.attributes['otel.kind'], 'consumer');
  assert.equal(spanEndFromWire(w).attributes, s.attributes);
});

test('a handle span untouched by user code ships its descriptor only; what user code adds ships too', () => {
  const shipped: SpanEndWire[] = [];
  const sink: SpanSink = { started: () => {}, ended: () => {}, endedWire: (w) => void shipped.push(w), endedBuiltin: (...a) => void shipped.push(builtinEndWire(...a)) };
  const untouched = new BuiltinSpan(sink, traceWords(TRACE), ...spanWords('2222222222222222'), ...spanWords('1111111111111111'), true, 'actor.handle_message', SpanKind.INTERNAL, 5, 'joerl', [BUILTIN_HANDLE, 0, 1, 3, 'Worker']);
  assert.equal(untouched.spanContext(), { traceId: TRACE, spanId: '2222222222222222', traceFlags: TraceFlags.SAMPLED }, 'user code sees a plain context');
  untouched.end(6);
  assert.equal(shipped[0]![7], [], 'no attributes of its own');
  const touched = new BuiltinSpan(sink, traceWords(TRACE), ...spanWords('3333333333333333'), ...spanWords('1111111111111111'), true, 'actor.handle_message', SpanKind.INTERNAL, 5, 'joerl', [BUILTIN_HANDLE, 0, 1, 3, 'Worker']);
  touched.setAttribute('order.id', 42);
  touched.recordException(new Error('boom'));
  touched.setStatus({ code: SpanStatusCode.ERROR, message: 'boom' });
  touched.end(7);
  touched.setAttribute('late', true); // after end: ignored
  const s = new LazyReadableSpan(trip(shipped[1]), resource);
  assert.is(s.attributes['order.id'], 42);
  assert.is(s.attributes['actor.type'], 'Worker');
  assert.is(s.attributes['actor.pid'], '<0.1.3>');
  assert.is(s.attributes.late, undefined);
  assert.equal(s.status, { code: SpanStatusCode.ERROR, message: 'boom' });
  assert.is(s.events[0]!.name, 'exception');
  assert.is(s.events[0]!.attributes!['exception.message'], 'boom');
  assert.equal(s.parentSpanContext, { traceId: TRACE, spanId: '1111111111111111', traceFlags: 1, isRemote: true });
});

test('a dense batch carries built-in spans as rows and other spans as records, in the order they ended, through msgpackr', () => {
  const batch = new DenseSpanBatch(4);
  add(batch, BUILTIN_SEND, '00f067aa0ba902b7', TRACE, null, false, 10, 10, 0, 2, 5, null, 0, 1, 4);
  const other = builtinWire('1111111111111111', TRACE, '00f067aa0ba902b7', false, 'message.receive', SpanKind.CONSUMER, 10, 11, 'joerl', [BUILTIN_RECEIVE, 0, 2, 5, 'Sink'], { traceId: 'a'.repeat(32), spanId: 'b'.repeat(16), traceFlags: 1 });
  batch.addWire(other);
  add(batch, BUILTIN_RECEIVE, '2222222222222222', TRACE, '00f067aa0ba902b7', true, 10.5, 11, 0, 2, 5, 'Sink', 0, -1, 0);
  add(batch, BUILTIN_HANDLE, '3333333333333333', TRACE, '2222222222222222', false, 11, 12.25, 0, 2, 5, 'Sink', 0, -1, 0);
  assert.ok(batch.full);
  const wire = new Unpackr(options).unpack(new Packr(options).pack(batch.take())) as DenseBatchWire;
  assert.is(batch.length, 0, 'the next batch starts empty');
  const out: SpanEndWire[] = [];
  forEachDenseWire(wire, (w) => out.push(w));
  assert.equal(out.map((w) => w[0]), ['00f067aa0ba902b7', '1111111111111111', '2222222222222222', '3333333333333333']);
  const send = new LazyReadableSpan(out[0]!, resource);
  assert.is(send.name, 'message.send');
  assert.is(send.kind, SpanKind.PRODUCER);
  assert.is(send.parentSpanContext, undefined);
  assert.is(send.attributes['actor.from_pid'], '<0.1.4>');
  assert.is(send.attributes['actor.to_pid'], '<0.2.5>');
  assert.is(new LazyReadableSpan(out[1]!, resource).links.length, 1);
  const receive = new LazyReadableSpan(out[2]!, resource);
  assert.equal(receive.parentSpanContext, { traceId: TRACE, spanId: '00f067aa0ba902b7', traceFlags: 1, isRemote: true });
  assert.is(receive.attributes['actor.type'], 'Sink');
  const handle = new LazyReadableSpan(out[3]!, resource);
  assert.is(handle.name, 'actor.handle_message');
  assert.equal(handle.endTime, [0, 12_250_000]);
  assert.equal(out[3], endWire(BUILTIN_HANDLE, '3333333333333333', TRACE, '2222222222222222', false, 11, 12.25, 0, 2, 5, 'Sink', 0, -1, 0));
});

test('a dense batch of many rows (shipped as a Float64Array) reads back the same', () => {
  const batch = new DenseSpanBatch(64);
  const ids = Array.from({ length: 40 }, (_, i) => i.toString(16).padStart(16, '0').replace(/^0/, 'f'));
  for (let i = 0; i < ids.length; i++) add(batch, i % 2 === 0 ? BUILTIN_RECEIVE : BUILTIN_HANDLE, ids[i]!, TRACE, i === 0 ? null : ids[i - 1]!, false, i, i + 0.5, 0, 1, i, i % 3 === 0 ? 'A' : 'B', 0, -1, 0);
  const taken = batch.take();
  assert.ok(taken[0] instanceof Float64Array);
  const out: SpanEndWire[] = [];
  forEachDenseWire(new Unpackr(options).unpack(new Packr(options).pack(taken)) as DenseBatchWire, (w) => out.push(w));
  assert.equal(out.map((w) => w[0]), ids);
  assert.equal(out.map((w) => (w[10] as unknown[])[4]), ids.map((_, i) => (i % 3 === 0 ? 'A' : 'B')));
  assert.is(out[0]![2], null);
  assert.is(out[39]![2], ids[38]);
  assert.is(out[39]![W_END_TEST], 39.5);
});

/** Every field a processor or exporter of either SDK major reads. */
const FIELDS = ['name', 'kind', 'parentSpanContext', 'parentSpanId', 'startTime', 'endTime', 'duration', 'status', 'attributes', 'events', 'links', 'ended', 'resource', 'instrumentationScope', 'instrumentationLibrary', 'droppedAttributesCount', 'droppedEventsCount', 'droppedLinksCount'] as const;

test('a dense batch read as spans (no wire record per row) gives processors the same spans as the wire records, field by field', () => {
  for (const many of [false, true]) {
    const batch = new DenseSpanBatch(64);
    const n = many ? 30 : 4;
    for (let i = 0; i < n; i++) {
      const id = (i + 1).toString(16).padStart(16, 'a');
      if (i % 4 === 1) batch.addWire(builtinWire(id, TRACE, null, false, 'message.receive', SpanKind.CONSUMER, 10, 11, 'joerl', [BUILTIN_RECEIVE, 0, 2, 5, 'Sink'], { traceId: 'a'.repeat(32), spanId: 'b'.repeat(16), traceFlags: 1 }));
      else if (i % 4 === 0) add(batch, BUILTIN_SEND, id, TRACE, i === 0 ? null : 'cccccccccccccccc', i % 8 === 4, 10 + i, 10 + i, 1, 2, 5, null, 1, i === 0 ? -1 : 1, 4);
      else add(batch, i % 4 === 2 ? BUILTIN_RECEIVE : BUILTIN_HANDLE, id, TRACE, 'dddddddddddddddd', i % 8 === 2, 10.25 + i, 12.5 + i, 0, 2, 5 + i, i % 3 === 0 ? 'A' : 'Sink', 0, -1, 0);
    }
    const wire = new Unpackr(options).unpack(new Packr(options).pack(batch.take())) as DenseBatchWire;
    assert.is(wire[0] instanceof Float64Array, many);
    const expected: LazyReadableSpan[] = [];
    forEachDenseWire(wire, (w) => expected.push(new LazyReadableSpan(w, resource)));
    const got: Array<{ span: unknown; id: string | null }> = [];
    forEachDenseSpan(wire, resource, (span, id) => got.push({ span, id }));
    assert.is(got.length, n);
    for (let i = 0; i < n; i++) {
      const e = expected[i]! as unknown as Record<string, unknown> & { spanContext(): unknown };
      const g = got[i]!.span as Record<string, unknown> & { spanContext(): unknown };
      assert.equal(plain(g.spanContext() as never), plain(e.spanContext() as never), `span ${i}: context`);
      for (const f of FIELDS) assert.equal(g[f], e[f], `span ${i}: ${f}`);
      assert.is(got[i]!.id, i % 4 === 1 ? e.spanContext() && (e.spanContext() as { spanId: string }).spanId : null, 'a row leaves its id to the span');
      if (i % 4 !== 1) {
        // A row's context is the span itself (no object per span); it serializes as the plain context.
        assert.is(g.spanContext(), g, 'a row makes no context object');
        assert.equal(JSON.parse(JSON.stringify(g.spanContext())), plain(e.spanContext() as never));
      }
    }
  }
});

test('a receive span and its handle span in one row read back as the two rows would, as wire records and as spans (framed or small)', () => {
  const tw = traceWords(TRACE);
  const [r0, r1] = spanWords('1111111111111111');
  const [h0, h1] = spanWords('2222222222222222');
  const [c0, c1] = spanWords('00f067aa0ba902b7');
  for (const remote of [false, true]) {
    // What a LazyHandleSpan holds (ReceivedPair): the handle span's ids, its parent (the receive), the receive's parent and start.
    const pair = { ...tw, s0: h0, s1: h1, p0: r0, p1: r1, c0, c1, cRemote: remote, received: 10.125, start: 11.5, builtin: [BUILTIN_HANDLE, 0, 2, 7, 'Zähler'] };
    for (const many of [false, true]) {
      const one = new DenseSpanBatch(64);
      const two = new DenseSpanBatch(64);
      for (let k = 0; k < (many ? 12 : 1); k++) {
        one.addPair(pair, 12.75 + k);
        two.add(BUILTIN_RECEIVE, r0, r1, tw, c0, c1, remote, 10.125, 11.5, 0, 2, 7, 'Zähler', 0, -1, 0);
        two.add(BUILTIN_HANDLE, h0, h1, tw, r0, r1, false, 11.5, 12.75 + k, 0, 2, 7, 'Zähler', 0, -1, 0);
      }
      assert.is(one.length, many ? 12 : 1, 'one row a pair');
      // A small batch goes as a plain array of numbers (the handle's low word is in the last slot), a larger one as its Float64Array.
      const a = new Unpackr(options).unpack(new Packr(options).pack(one.take())) as DenseBatchWire;
      const b = new Unpackr(options).unpack(new Packr(options).pack(two.take())) as DenseBatchWire;
      assert.is(a[0] instanceof Float64Array, many);
      const wa: SpanEndWire[] = [];
      const wb: SpanEndWire[] = [];
      forEachDenseWire(a, (w) => wa.push(w));
      forEachDenseWire(b, (w) => wb.push(w));
      assert.equal(wa, wb);
      const ga: Array<Record<string, unknown> & { spanContext(): unknown }> = [];
      const gb: Array<Record<string, unknown> & { spanContext(): unknown }> = [];
      forEachDenseSpan(a, resource, (span) => ga.push(span as never));
      forEachDenseSpan(b, resource, (span) => gb.push(span as never));
      assert.is(ga.length, gb.length);
      for (let i = 0; i < ga.length; i++) {
        assert.equal(plain(ga[i]!.spanContext() as never), plain(gb[i]!.spanContext() as never), `span ${i}: context`);
        for (const f of FIELDS) assert.equal(ga[i]![f], gb[i]![f], `span ${i}: ${f}`);
      }
      assert.equal([ga[0]!.name, ga[1]!.name, ga[1]!.parentSpanId, ga[0]!.parentSpanId], ['message.receive', 'actor.handle_message', '1111111111111111', '00f067aa0ba902b7']);
    }
  }
});

test('the open-span slot keeps the span a handler runs under until it returns, and refuses spans it cannot hold', () => {
  const sab = createOpenSpanSlot();
  const writer = new OpenSpanSlot(sab);
  const reader = new OpenSpanSlot(sab);
  assert.is(reader.read(), null);
  const sink: SpanSink = { started: () => {}, ended: () => {}, endedWire: () => {}, endedBuiltin: () => {} };
  const span = new BuiltinSpan(sink, traceWords(TRACE), ...spanWords('4444444444444444'), ...spanWords('1111111111111111'), false, 'actor.handle_message', SpanKind.INTERNAL, 123.25, 'joerl', [BUILTIN_HANDLE, 5, 2, 77, 'Looper']);
  assert.ok(writer.open(span));
  assert.equal(reader.read(), {
    spanId: '4444444444444444',
    traceId: TRACE,
    parentSpanId: '1111111111111111',
    name: 'actor.handle_message',
    kind: SpanKind.INTERNAL,
    start: 123.25,
    attributes: {},
    scope: 'joerl',
    builtin: [BUILTIN_HANDLE, 5, 2, 77, 'Looper'],
  });
  writer.close();
  assert.is(reader.read(), null);
  assert.not.ok(writer.open({ name: 'user', kind: SpanKind.INTERNAL, start: 1, scope: 'joerl' }), 'not a built-in span');
  assert.not.ok(writer.open({ words: span.words, p0: span.p0, p1: span.p1, name: span.name, kind: span.kind, start: span.start, scope: 'my-lib', builtin: span.builtin }), 'another scope');
});

test.run();
