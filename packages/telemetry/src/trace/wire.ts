// Span records as they cross threads: positional arrays, not objects.
//
// A batch packed with msgpackr records carries a definition for every object
// shape it holds, and a span's attributes are a new shape for nearly every
// span, so objects cost a definition each (pack and unpack alike). Arrays
// carry no shape: a traced message's three spans pack about three times faster.

import type { Attributes, AttributeValue, SpanKind } from '@opentelemetry/api';
import { builtinAttributes } from './builtin.js';
import type { SpanEndRecord, SpanStartRecord } from './recorder.js';

import type { SpanEndWire, SpanStartWire } from './wire-types.js';

export type { SpanEndWire, SpanStartWire };

/** Index of the first end field in a SpanEndWire (the start fields come first). */
export const W_END = 11;

const NO_ITEMS: unknown[] = [];

/**
 * A finished built-in span straight in wire form, without a record object:
 * no attributes of its own (the descriptor stands for them), OK status, no
 * events; `link` is a context it links to (receive in link mode).
 */
export function builtinWire(
  spanId: string,
  traceId: string,
  parent: string | null,
  parentRemote: boolean,
  name: string,
  kind: SpanKind,
  start: number,
  end: number,
  scope: string,
  builtin: unknown[],
  link: { traceId: string; spanId: string; traceFlags: number } | null,
): SpanEndWire {
  return [spanId, traceId, parent, parentRemote ? 1 : 0, name, kind, start, NO_ITEMS, scope, null, builtin, end, 0, null, NO_ITEMS, link === null ? NO_ITEMS : [[link.traceId, link.spanId, link.traceFlags, null]]];
}

/** Attributes as [key, value, key, value, ...]. */
function flat(a: Attributes): unknown[] {
  let out: unknown[] | null = null;
  for (const k in a) {
    const v = a[k];
    if (v === undefined) continue;
    (out ??= []).push(k, v);
  }
  return out ?? NO_ITEMS;
}

/** The events of an end wire, as records. */
export function wireEvents(x: unknown[]): SpanEndRecord['events'] {
  return (x as [string, number, unknown[] | null][]).map(([name, time, a]) => (a === null ? { name, time } : { name, time, attributes: unflat(a) }));
}

/** The links of an end wire, as records. */
export function wireLinks(x: unknown[]): SpanEndRecord['links'] {
  return (x as [string, string, number, unknown[] | null][]).map(([traceId, spanId, traceFlags, a]) => (a === null ? { traceId, spanId, traceFlags } : { traceId, spanId, traceFlags, attributes: unflat(a) }));
}

/** Flat [key, value, ...] back to attributes. */
export function unflat(f: unknown[]): Attributes {
  const a: Attributes = {};
  for (let i = 0; i < f.length; i += 2) a[f[i] as string] = f[i + 1] as AttributeValue;
  return a;
}

export function spanStartToWire(r: SpanStartRecord): SpanStartWire {
  return [r.spanId, r.traceId, r.parentSpanId ?? null, r.parentRemote === true ? 1 : 0, r.name, r.kind, r.start, flat(r.attributes), r.scope, r.scopeVersion ?? null, r.builtin ?? null];
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
  // A built-in span's descriptor becomes the attributes it stands for (under any the span set itself).
  if (w[10] !== null) r.attributes = Object.assign(builtinAttributes(w[10] as unknown[]), r.attributes);
  return r;
}

export function spanEndToWire(r: SpanEndRecord): SpanEndWire {
  // Written out, not `[...spanStartToWire(r), ...]`: the spread is V8's slow path, and this runs for every span.
  const events = r.events.length === 0 ? NO_ITEMS : r.events.map((e) => [e.name, e.time, e.attributes === undefined ? null : flat(e.attributes)]);
  const links = r.links.length === 0 ? NO_ITEMS : r.links.map((l) => [l.traceId, l.spanId, l.traceFlags, l.attributes === undefined ? null : flat(l.attributes)]);
  return [
    r.spanId,
    r.traceId,
    r.parentSpanId ?? null,
    r.parentRemote === true ? 1 : 0,
    r.name,
    r.kind,
    r.start,
    flat(r.attributes),
    r.scope,
    r.scopeVersion ?? null,
    r.builtin ?? null,
    r.end,
    r.status.code,
    r.status.message ?? null,
    events,
    links,
  ];
}

export function spanEndFromWire(x: unknown): SpanEndRecord {
  const w = x as unknown[];
  // Fields added to the start record, not `{ ...start, end }`: an object spread
  // followed by more properties takes V8's slow path (microseconds a span).
  const r = spanStartFromWire(w) as SpanEndRecord;
  r.end = w[W_END] as number;
  const message = w[W_END + 2] as string | null;
  r.status = message === null ? { code: w[W_END + 1] as number } : { code: w[W_END + 1] as number, message };
  r.events = wireEvents(w[W_END + 3] as unknown[]);
  r.links = wireLinks(w[W_END + 4] as unknown[]);
  return r;
}
