// A message taken at send time: checked, then copied exactly as the trip between threads would deliver it.

import { isPid } from '../actor/pid.js';
import { type BinaryValue, K_DATA_VIEW, bufferOf, copyOf, kindOf, lengthOf, viewOf } from './binary-kinds.js';
import { errorFromWire, errorToWire, isError } from './error-value.js';
import { MOVE_INLINE_MAX, adopt, bigPayloadThreshold } from './side-items.js';
import { NEG_ZERO } from './markers.js';
import { isMarked, takeMarked } from './move.js';
import { analyze } from './values.js';

/**
 * Checks `value` (throws `ERR_UNENCODABLE` like a cross-thread send would)
 * and returns a copy of it as the receiver will see it:
 * - for a receiver on this thread (`wire` false), the copy is what it gets,
 *   the same value a receiver on another thread decodes;
 * - for the wire (`wire` true), the copy is what msgpack then encodes, with
 *   `-0` as a marker it cannot lose.
 * Buffers marked by `move()` are detached into new ones (no copy), shared
 * memory stays shared, and other buffers are copied.
 */
export function snapshot(value: unknown, wire: boolean, deep: boolean): unknown {
  analyze(value, deep);
  return copy(value, wire);
}

/** The copy {@link snapshot} makes, of a value {@link analyze} has already let through. */
export function copy(v: unknown, wire: boolean): unknown {
  if (typeof v !== 'object' || v === null) return wire && v === 0 && 1 / v < 0 ? NEG_ZERO : v;
  if (Array.isArray(v)) {
    const n = v.length;
    const a = new Array<unknown>(n);
    for (let i = 0; i < n; i++) a[i] = copy(v[i], wire);
    return a;
  }
  const proto: unknown = Object.getPrototypeOf(v);
  // A flat object of primitives and pids (checked already): one spread copies it. (A spread would keep symbol keys,
  // which no other thread sees: for this thread, only an object without them; on the wire msgpack drops them.)
  if (proto === Object.prototype && flatShape(v, wire) && (wire || Object.getOwnPropertySymbols(v).length === 0)) return { ...(v as object) };
  if (proto === Object.prototype || proto === null) {
    const o: Record<string, unknown> = {};
    for (const k in v) o[k] = copy((v as Record<string, unknown>)[k], wire);
    return o;
  }
  if (isPid(v)) return v;
  if (ArrayBuffer.isView(v) || proto === ArrayBuffer.prototype || proto === SharedArrayBuffer.prototype) return copyBinary(v as BinaryValue, wire);
  if (proto === Map.prototype) {
    const m = new Map<unknown, unknown>();
    for (const [k, x] of v as Map<unknown, unknown>) m.set(copy(k, wire), copy(x, wire));
    return m;
  }
  if (proto === Set.prototype) {
    const s = new Set<unknown>();
    for (const x of v as Set<unknown>) s.add(copy(x, wire));
    return s;
  }
  if (proto === Date.prototype) return new Date((v as Date).getTime());
  if (proto === RegExp.prototype) return new RegExp((v as RegExp).source, (v as RegExp).flags);
  if (isError(v)) return errorFromWire(errorToWire(v, (c) => copy(c, wire)));
  // analyze() let nothing else through.
  throw new Error('joerl internal error: snapshot met a value analyze() should have refused');
}

/** True when every value of `v` is a primitive or a pid (and, for the wire, none is a -0, which needs its marker). */
function flatShape(v: object, wire: boolean): boolean {
  for (const k in v) {
    const x = (v as Record<string, unknown>)[k];
    if (typeof x === 'object' ? x !== null && !isPid(x) : wire && x === 0 && 1 / (x as number) < 0) return false;
  }
  return true;
}

/**
 * `wire`: the copy goes to the encoder, which may hand a buffer the runtime
 * made (adopted) over without copying it again. For a receiver on this
 * thread nothing is adopted: the buffer is the receiver's from then on, and
 * one it forwards to another thread must be copied like any other, not
 * transferred away from under it.
 */
function copyBinary(v: BinaryValue, wire: boolean): BinaryValue {
  const kind = kindOf(v);
  const buf = bufferOf(v);
  if (buf instanceof SharedArrayBuffer) {
    // The same memory, in a view of its own (as structuredClone and postMessage deliver it).
    return ArrayBuffer.isView(v) ? viewOf(kind, buf, v.byteOffset, lengthOf(v, kind)) : v;
  }
  if (isMarked(buf)) {
    // Read the view's shape first: the move detaches it.
    const view = ArrayBuffer.isView(v);
    const offset = view ? v.byteOffset : 0;
    const length = lengthOf(v, kind);
    const moved = takeMarked(buf);
    // A small one is copied inline (see MOVE_INLINE_MAX); a larger one is handed over as it is.
    if (wire && moved.byteLength > MOVE_INLINE_MAX) adopt(moved, true);
    return view ? viewOf(kind, moved, offset, length) : moved;
  }
  const c = copyOf(v, kind);
  // A large copy is ours already: the transport hands it over instead of copying it again.
  if (wire && v.byteLength >= bigPayloadThreshold()) adopt(kind <= K_DATA_VIEW ? (c as ArrayBufferView).buffer as ArrayBuffer : (c as ArrayBuffer), false);
  return c;
}
