// Span records cross threads as positional arrays: every field survives the trip through msgpackr, and absent optional fields stay absent.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Packr, Unpackr } from 'msgpackr';
import { type SpanEndRecord, spanEndFromWire, spanEndToWire, spanStartFromWire, spanStartToWire } from '@joerl/telemetry/internal';

const options = { useRecords: true, moreTypes: true, structuredClone: false } as const;
const trip = (x: unknown): unknown => new Unpackr(options).unpack(new Packr(options).pack(x));

const full: SpanEndRecord = {
  spanId: '00f067aa0ba902b7',
  traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
  parentSpanId: '53995c3f42cd8ad8',
  parentRemote: true,
  name: 'actor.handle_message',
  kind: 4,
  start: 1_764_000_000_000.25,
  attributes: { 'actor.type': 'Sink', 'actor.pid': '<0.2.17>', retries: 3, hot: true, tags: ['a', 'b'] },
  scope: 'joerl',
  scopeVersion: '0.1.0',
  end: 1_764_000_000_001.5,
  status: { code: 2, message: 'boom' },
  events: [{ name: 'exception', time: 1_764_000_000_001, attributes: { 'exception.message': 'boom' } }, { name: 'tick', time: 1_764_000_000_001.25 }],
  links: [{ traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', traceFlags: 1, attributes: { why: 'batch' } }, { traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'c7ad6b7169203331', traceFlags: 0 }],
};

test('a finished span with every field comes back equal', () => {
  assert.equal(spanEndFromWire(trip(spanEndToWire(full))), full);
});

test('a root span without optional fields comes back without them', () => {
  const bare: SpanEndRecord = { spanId: '00f067aa0ba902b7', traceId: '4bf92f3577b34da6a3ce929d0e0e4736', name: 'message.send', kind: 3, start: 1, attributes: {}, scope: 'joerl', end: 2, status: { code: 0 }, events: [], links: [] };
  const back = spanEndFromWire(trip(spanEndToWire(bare)));
  assert.equal(back, bare);
  assert.not.ok('parentSpanId' in back || 'scopeVersion' in back || 'message' in back.status);
});

test('a start record keeps its parent and drops what only an end has', () => {
  const back = spanStartFromWire(trip(spanStartToWire(full)));
  assert.equal(back, { spanId: full.spanId, traceId: full.traceId, parentSpanId: full.parentSpanId, parentRemote: true, name: full.name, kind: 4, start: full.start, attributes: full.attributes, scope: 'joerl', scopeVersion: '0.1.0' });
});

test.run();
