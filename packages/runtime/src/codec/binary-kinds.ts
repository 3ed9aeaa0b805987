// Binary values that cross threads: every kind of buffer and view, numbered for the wire, and how to rebuild one.

/** Typed-array classes by wire kind (0..10). Subclasses (Buffer among them) travel as their base class, as structuredClone does. */
export const TYPED_ARRAYS = [
  Int8Array,
  Uint8Array,
  Uint8ClampedArray,
  Int16Array,
  Uint16Array,
  Int32Array,
  Uint32Array,
  Float32Array,
  Float64Array,
  BigInt64Array,
  BigUint64Array,
] as const;

/** Wire kind of a DataView. */
export const K_DATA_VIEW = 11;
/** Wire kind of a bare ArrayBuffer. */
export const K_ARRAY_BUFFER = 12;
/** Wire kind of a bare SharedArrayBuffer. */
export const K_SHARED_BUFFER = 13;

/** Any buffer or view the codec carries. */
export type BinaryValue = ArrayBuffer | SharedArrayBuffer | ArrayBufferView;

type TypedArrayClass = (typeof TYPED_ARRAYS)[number];
type AnyTypedArray = InstanceType<TypedArrayClass>;

/** %TypedArray%, the hidden superclass of every typed array: `x instanceof TypedArray` is true for all of them. */
export const TypedArray = Object.getPrototypeOf(Uint8Array) as abstract new (...args: never[]) => AnyTypedArray;

const byClass = new Map<unknown, number>(TYPED_ARRAYS.map((c, i) => [c, i]));

/** The wire kind of a view or buffer; -1 for a view kind this runtime does not know (a future Float16Array, say). */
export function kindOf(v: BinaryValue): number {
  const direct = byClass.get(v.constructor);
  if (direct !== undefined) return direct;
  if (v instanceof DataView) return K_DATA_VIEW;
  if (v instanceof ArrayBuffer) return K_ARRAY_BUFFER;
  if (v instanceof SharedArrayBuffer) return K_SHARED_BUFFER;
  // A subclass (Buffer, or a user's): its base class decides.
  for (let i = 0; i < TYPED_ARRAYS.length; i++) if (v instanceof TYPED_ARRAYS[i]!) return i;
  return -1;
}

/** `length` as the wire carries it: elements for typed arrays, bytes otherwise. */
export function lengthOf(v: BinaryValue, kind: number): number {
  if (kind < K_DATA_VIEW) return (v as AnyTypedArray).length;
  return v.byteLength;
}

/** The memory under a value: the buffer of a view, or the buffer itself. */
export function bufferOf(v: BinaryValue): ArrayBuffer | SharedArrayBuffer {
  return ArrayBuffer.isView(v) ? v.buffer : v;
}

/** Builds a value of `kind` over `buffer` (a view at `byteOffset` with `length` elements, or the buffer itself). */
export function viewOf(kind: number, buffer: ArrayBuffer | SharedArrayBuffer, byteOffset: number, length: number): BinaryValue {
  if (kind < K_DATA_VIEW) return new TYPED_ARRAYS[kind]!(buffer as ArrayBuffer, byteOffset, length);
  if (kind === K_DATA_VIEW) return new DataView(buffer, byteOffset, length);
  return buffer;
}

/** A copy of just the bytes a value spans, as the same kind at offset 0 (a bare buffer: a copy of it). */
export function copyOf(v: BinaryValue, kind: number): BinaryValue {
  if (kind < K_DATA_VIEW) return new TYPED_ARRAYS[kind]!(v as never);
  if (kind === K_DATA_VIEW) {
    const d = v as DataView;
    return new DataView((d.buffer as ArrayBuffer).slice(d.byteOffset, d.byteOffset + d.byteLength));
  }
  return (v as ArrayBuffer).slice(0);
}

/** True for a buffer whose memory was handed away (moved, transferred): it has no bytes any more. */
export function isDetached(buf: ArrayBuffer): boolean {
  if (buf.byteLength !== 0) return false;
  try {
    new Uint8Array(buf);
    return false;
  } catch {
    return true;
  }
}
