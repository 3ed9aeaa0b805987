// Trace and span ids, W3C traceparent, and time conversions (absolute ms <-> OpenTelemetry HrTime).

import type { HrTime, SpanContext, TimeInput } from '@opentelemetry/api';

const view = new DataView(new ArrayBuffer(4));
const HEX: string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));
// Random bytes drawn in bulk: one getRandomValues call per 256 span ids, not one per id.
const pool = new Uint8Array(4096);
let poolPos = pool.length;

function hex(n: number): string {
  if (poolPos + n > pool.length) {
    crypto.getRandomValues(pool);
    poolPos = 0;
  }
  let s = '';
  for (let i = 0; i < n; i++) s += HEX[pool[poolPos + i]!];
  poolPos += n;
  return s;
}

export const newTraceId = (): string => hex(16);
export const newSpanId = (): string => hex(8);

/** Deterministic ratio sampling on the trace id (the same decision on every thread). */
export function sampledByRatio(traceId: string, ratio: number): boolean {
  if (ratio >= 1) return true;
  if (ratio <= 0) return false;
  view.setUint32(0, Number.parseInt(traceId.slice(-8), 16));
  return view.getUint32(0) / 0x1_0000_0000 < ratio;
}

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

export function formatTraceparent(sc: SpanContext): string {
  return `00-${sc.traceId}-${sc.spanId}-${sc.traceFlags.toString(16).padStart(2, '0')}`;
}

export function parseTraceparent(tp: string): SpanContext | undefined {
  const m = TRACEPARENT.exec(tp);
  if (m === null || /^0+$/.test(m[1]!) || /^0+$/.test(m[2]!)) return undefined;
  return { traceId: m[1]!, spanId: m[2]!, traceFlags: Number.parseInt(m[3]!, 16), isRemote: true };
}

const ORIGIN = performance.timeOrigin;

/** Absolute ms (epoch), with sub-ms precision from the monotonic clock. */
export function nowMs(): number {
  return ORIGIN + performance.now();
}

export function toMs(t: TimeInput | undefined): number {
  if (t === undefined) return nowMs();
  if (typeof t === 'number') return t < 1e11 ? ORIGIN + t : t; // a performance.now() value, or epoch ms
  if (t instanceof Date) return t.getTime();
  return t[0] * 1000 + t[1] / 1e6;
}

export function toHrTime(ms: number): HrTime {
  const s = Math.floor(ms / 1000);
  return [s, Math.round((ms - s * 1000) * 1e6)];
}
