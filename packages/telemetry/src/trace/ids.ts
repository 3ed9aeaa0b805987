// Trace and span ids, W3C traceparent, and time conversions (absolute ms <-> OpenTelemetry HrTime).

import { Buffer } from 'node:buffer';
import type { HrTime, SpanContext, TimeInput } from '@opentelemetry/api';

const view = new DataView(new ArrayBuffer(4));
// Random bytes drawn in bulk (one getRandomValues call per 512 span ids) and
// turned into one long hex string by one native call; an id is a slice of it
// (no per-id string building: a 16-character slice is a view onto the pool in V8).
const pool = Buffer.alloc(4096);
let hexPool = '';
let hexPos = 0;

function hex(bytes: number): string {
  const chars = 2 * bytes;
  if (hexPos + chars > hexPool.length) {
    crypto.getRandomValues(pool);
    hexPool = pool.toString('hex');
    hexPos = 0;
  }
  const id = hexPool.slice(hexPos, hexPos + chars);
  hexPos += chars;
  return id;
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
