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

function startFields(r: SpanStartRecord): SpanStartWire {
  return [r.spanId, r.traceId, r.parentSpanId ?? null, r.parentRemote === true ? 1 : 0, r.name, r.kind, r.start, flat(r.attributes), r.scope, r.scopeVersion ?? null];
}

function readStart(w: unknown[]): SpanStartRecord {
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

export function spanStartToWire(r: SpanStartRecord): SpanStartWire {
  return startFields(r);
}

export function spanStartFromWire(w: unknown): SpanStartRecord {
  return readStart(w as unknown[]);
}

export function spanEndToWire(r: SpanEndRecord): SpanEndWire {
  const events = r.events.map((e) => [e.name, e.time, e.attributes === undefined ? null : flat(e.attributes)]);
  const links = r.links.map((l) => [l.traceId, l.spanId, l.traceFlags, l.attributes === undefined ? null : flat(l.attributes)]);
  // prettier-ignore
  return [r.spanId, r.traceId, r.parentSpanId ?? null, r.parentRemote === true ? 1 : 0, r.name, r.kind, r.start, flat(r.attributes), r.scope, r.scopeVersion ?? null,
    r.end, r.status.code, r.status.message ?? null, events, links];
}

export function spanEndFromWire(x: unknown): SpanEndRecord {
  const w = x as unknown[];
  const message = w[12] as string | null;
  // One literal, no spread: `{ ...start, end }` takes V8's slow path (microseconds a span).
  const r: SpanEndRecord = {
    spanId: w[0] as string,
    traceId: w[1] as string,
    name: w[4] as string,
    kind: w[5] as SpanKind,
    start: w[6] as number,
    attributes: unflat(w[7] as unknown[]),
    scope: w[8] as string,
    end: w[10] as number,
    status: message === null ? { code: w[11] as number } : { code: w[11] as number, message },
    events: (w[13] as [string, number, unknown[] | null][]).map(([name, time, a]) => (a === null ? { name, time } : { name, time, attributes: unflat(a) })),
    links: (w[14] as [string, string, number, unknown[] | null][]).map(([traceId, spanId, traceFlags, a]) => (a === null ? { traceId, spanId, traceFlags } : { traceId, spanId, traceFlags, attributes: unflat(a) })),
  };
  if (w[2] !== null) {
    r.parentSpanId = w[2] as string;
    r.parentRemote = w[3] === 1;
  }
  if (w[9] !== null) r.scopeVersion = w[9] as string;
  return r;
}
