// W3C trace-context propagation (traceparent / tracestate) for @opentelemetry/api, without the SDK.

import { type Context, type TextMapGetter, type TextMapPropagator, type TextMapSetter, isSpanContextValid, trace } from '@opentelemetry/api';
import { formatTraceparent, parseTraceparent } from './ids.js';

export class W3CTraceparentPropagator implements TextMapPropagator {
  inject(ctx: Context, carrier: unknown, setter: TextMapSetter): void {
    const sc = trace.getSpanContext(ctx);
    if (sc === undefined || !isSpanContextValid(sc)) return;
    setter.set(carrier, 'traceparent', formatTraceparent(sc));
    if (sc.traceState !== undefined) setter.set(carrier, 'tracestate', sc.traceState.serialize());
  }

  extract(ctx: Context, carrier: unknown, getter: TextMapGetter): Context {
    const raw = getter.get(carrier, 'traceparent');
    const tp = Array.isArray(raw) ? raw[0] : raw;
    if (typeof tp !== 'string') return ctx;
    const sc = parseTraceparent(tp.trim());
    return sc === undefined ? ctx : trace.setSpanContext(ctx, sc);
  }

  fields(): string[] {
    return ['traceparent', 'tracestate'];
  }
}
