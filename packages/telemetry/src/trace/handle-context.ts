// The context a traced handler runs in: the root context plus its span, as one small object.

import { type Context, ROOT_CONTEXT, type Span, createContextKey, trace } from '@opentelemetry/api';

/** The API's key for the active span (createContextKey gives the same key for the same description). */
const SPAN_KEY = createContextKey('OpenTelemetry Context Key SPAN');

/**
 * `trace.setSpan(ROOT_CONTEXT, span)` without the API's BaseContext, which
 * copies a Map and makes three closures per context (5% of a receiving
 * shard's time with every message traced). Reads and writes behave alike: a
 * write gives the API's own context.
 */
class SpanOnRoot implements Context {
  constructor(private readonly span: Span) {}

  getValue(key: symbol): unknown {
    return key === SPAN_KEY ? this.span : undefined;
  }

  setValue(key: symbol, value: unknown): Context {
    return ROOT_CONTEXT.setValue(SPAN_KEY, this.span).setValue(key, value);
  }

  deleteValue(key: symbol): Context {
    return key === SPAN_KEY ? ROOT_CONTEXT : ROOT_CONTEXT.setValue(SPAN_KEY, this.span);
  }
}

/** Checked once: the key above is the one the API reads (else every context is the API's own). */
let keyMatches: boolean | undefined;

/** The root context with `span` active. */
export function spanOnRoot(span: Span): Context {
  if (keyMatches === undefined) keyMatches = trace.getSpan(new SpanOnRoot(span)) === span;
  return keyMatches ? new SpanOnRoot(span) : trace.setSpan(ROOT_CONTEXT, span);
}
