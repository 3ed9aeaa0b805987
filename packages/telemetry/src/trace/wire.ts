// Span records as they cross threads: positional arrays, not objects.
//
// A batch packed with msgpackr records carries a definition for every object
// shape it holds, and a span's attributes are a new shape for nearly every
// span, so objects cost a definition each (pack and unpack alike). Arrays
// carry no shape: a traced message's three spans pack about three times faster.

import type { Attributes, AttributeValue, SpanKind } from '@opentelemetry/api';
import type { SpanEndRecord, SpanStartRecord } from './recorder.js';

/** [spanId, traceId, parentSpanId | null, parentRemote (0/1), name, kind, start, attributes (flat), scope, scopeVersion | null] */
export type SpanStartWire = [string, string, string | null, number, string, number, number, unknown[], string, string | null];
/** The start fields, then [end, status code, status message | null, events, links]. */
export type SpanEndWire = [...SpanStartWire, number, number, string | null, unknown[], unknown[]];

/** Attributes as [key, value, key, value, ...]. */
function flat(a: Attributes): unknown[] {
  const out: unknown[] = [];
  for (const k in a) {
    const v = a[k];
    if (v !== undefined) out.push(k, v);
  }
  return out;
}

function unflat(f: unknown[]): Attributes {
  const a: Attributes = {};
  for (let i = 0; i < f.length; i += 2) a[f[i] as string] = f[i + 1] as AttributeValue;
  return a;
}

export function spanStartToWire(r: SpanStartRecord): SpanStartWire {
  return [r.spanId, r.traceId, r.parentSpanId ?? null, r.parentRemote === true ? 1 : 0, r.name, r.kind, r.start, flat(r.attributes), r.scope, r.scopeVersion ?? null];
}

export function spanStartFromWire(x: unknown): SpanStartRecord {
  const w = x as unknown[];
  const r: SpanStartRecord = {
    spanId: w[0] as string,
    traceId: w[1] as string,
    name: w[4] as string,
    kind: w[5] as SpanKind,
    start: w[6] as number,
    attributes: unflat(w[7] as unknown[]),
    scope: w[8] as string,
  };
  if (w[2] !== null) {
    r.parentSpanId = w[2] as string;
    r.parentRemote = w[3] === 1;
  }
  if (w[9] !== null) r.scopeVersion = w[9] as string;
  return r;
}

export function spanEndToWire(r: SpanEndRecord): SpanEndWire {
  const events = r.events.map((e) => [e.name, e.time, e.attributes === undefined ? null : flat(e.attributes)]);
  const links = r.links.map((l) => [l.traceId, l.spanId, l.traceFlags, l.attributes === undefined ? null : flat(l.attributes)]);
  return [...spanStartToWire(r), r.end, r.status.code, r.status.message ?? null, events, links];
}

export function spanEndFromWire(x: unknown): SpanEndRecord {
  const w = x as unknown[];
  // Fields added to the start record, not `{ ...start, end }`: an object spread
  // followed by more properties takes V8's slow path (microseconds a span).
  const r = spanStartFromWire(w) as SpanEndRecord;
  r.end = w[10] as number;
  const message = w[12] as string | null;
  r.status = message === null ? { code: w[11] as number } : { code: w[11] as number, message };
  r.events = (w[13] as [string, number, unknown[] | null][]).map(([name, time, a]) => (a === null ? { name, time } : { name, time, attributes: unflat(a) }));
  r.links = (w[14] as [string, string, number, unknown[] | null][]).map(([traceId, spanId, traceFlags, a]) => (a === null ? { traceId, spanId, traceFlags } : { traceId, spanId, traceFlags, attributes: unflat(a) }));
  return r;
}
