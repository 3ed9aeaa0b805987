// What may cross threads: one walk that accepts what arrives as structuredClone would deliver it, and refuses the rest by path.

import { isPid } from '../actor/pid.js';
import { UnencodableError } from '../errors.js';
import { type BinaryValue, bufferOf, isDetached, kindOf } from './binary-kinds.js';
import { causeOf, isError } from './error-value.js';
import { isMarked } from './move.js';
import { copiedAtSend } from './side-items.js';

/** Deeper than this is refused (a stack overflow guard; structuredClone would go further). */
const MAX_DEPTH = 200;
/** Objects tracked in an array (linear search) before the walk switches to a Set. */
const SMALL_SEEN = 16;

/** True unless `s` holds a lone surrogate, which UTF-8 cannot carry (a few ns: O(1) for a one-byte string). */
const wellFormed = (s: string): boolean => (s as unknown as { isWellFormed(): boolean }).isWellFormed();
const isNegZero = (n: number): boolean => n === 0 && 1 / n < 0;

/*
 * One walk over a value, with its state at module level (one walk at a time
 * per thread; a getter that sends while we walk gets a walk of its own). It
 * refuses, and notes whether the value needs a rewritten copy before msgpack
 * may encode it: a `-0` (msgpack would write 0) or a buffer marked by
 * `move()`; and whether it holds a binary part the wire copies at the send.
 */
/** What {@link analyze} found besides refusals (bit flags). */
export const REWRITE = 1;
/** The value holds shared memory (it cannot cross to another node). */
export const SHARED = 2;
/** The value holds a binary part large enough to be copied at the send for the wire (see `COPY_AT_SEND_MIN`). */
export const BIG = 4;

let rewrite = false;
let shared = false;
let big = false;
let deep = false;
/** Objects met so far, in a fixed array with a count (push and `length = 0` cost ~30 ns a message). */
const seen: (object | undefined)[] = new Array<object | undefined>(SMALL_SEEN).fill(undefined);
let seenCount = 0;
let seenSet: Set<object> | null = null;
let busy = false;
/** What the error calls the value's root: `message`, or `args` / `reason` for spawn arguments and exit reasons (see analyzeAs). */
let rootName = 'message';

function track(o: object): boolean {
  const set = seenSet;
  if (set !== null) {
    if (set.has(o)) return false;
    set.add(o);
    return true;
  }
  for (let i = 0; i < seenCount; i++) if (seen[i] === o) return false;
  if (seenCount === SMALL_SEEN) {
    seenSet = new Set(seen as object[]);
    seenSet.add(o);
    return true;
  }
  seen[seenCount++] = o;
  return true;
}

/** Forgets the objects of the last walk (the array must not keep a message alive). */
function forget(): void {
  for (let i = 0; i < seenCount; i++) seen[i] = undefined;
  seenCount = 0;
  seenSet = null;
  spans = null;
}

/** Per buffer met in this walk: the byte ranges of its views so far, as start, end pairs. */
let spans: Map<ArrayBuffer, number[]> | null = null;

/**
 * The bytes `v` (a view of `buf`, or `buf` itself) covers, apart from those of any other view
 * of `buf` in the message, and `buf` not moved: true. Each view arrives over a buffer of just its
 * bytes, so views that share a buffer without sharing bytes (Buffer.from() of small data: Node's
 * pool) arrive as they would on their own; views that overlap would not (what one's receiver
 * writes would not show through the other), and a moved buffer goes to one place.
 */
function trackBytes(v: BinaryValue, buf: ArrayBuffer): boolean {
  if (!track(buf)) return apart(spans?.get(buf), v, buf);
  const r = partOf(v, buf);
  if (r !== undefined) (spans ??= new Map()).set(buf, r);
  return true;
}

/**
 * The byte range of `v` as a start, end pair, when it views part of `buf`; undefined when it covers
 * all of it (a buffer met whole records no range: any other sighting of it is refused).
 */
function partOf(v: BinaryValue, buf: ArrayBuffer): number[] | undefined {
  if ((v as unknown) === buf || (v as ArrayBufferView).byteLength === buf.byteLength) return undefined;
  const view = v as ArrayBufferView;
  return [view.byteOffset, view.byteOffset + view.byteLength];
}

/** A further sighting of `buf`, as `v`: true (and its range added to `r`) when `buf` was met as parts only (`r`), is not moved, and `v` shares none of their bytes. */
function apart(r: number[] | undefined, v: BinaryValue, buf: ArrayBuffer): boolean {
  const part = partOf(v, buf);
  if (r === undefined || part === undefined || isMarked(buf)) return false;
  const [start, end] = part as [number, number];
  for (let i = 0; i < r.length; i += 2) if (start < r[i + 1]! && r[i]! < end) return false;
  r.push(start, end);
  return true;
}

function walk(v: unknown, depth: number): boolean {
  switch (typeof v) {
    case 'number':
      if (v === 0 && 1 / v < 0) rewrite = true;
      return true;
    case 'string':
      return wellFormed(v);
    case 'boolean':
    case 'undefined':
    case 'bigint':
      return true;
    case 'object':
      return v === null || object(v, depth);
    default:
      return false;
  }
}

function object(v: object, depth: number): boolean {
  if (depth > MAX_DEPTH) return false;
  if (Array.isArray(v)) {
    if (!track(v)) return false;
    const n = v.length;
    for (let i = 0; i < n; i++) {
      const x: unknown = v[i];
      if ((x === undefined && !(i in v)) || !walk(x, depth + 1)) return false;
    }
    return !deep || Object.keys(v).length === n;
  }
  const proto: unknown = Object.getPrototypeOf(v);
  if (proto === Object.prototype || proto === null) {
    if (!track(v)) return false;
    for (const k in v) {
      if (k === '__proto__' || !wellFormed(k) || !walk((v as Record<string, unknown>)[k], depth + 1)) return false;
    }
    return true;
  }
  if (isPid(v)) return true;
  return special(v, proto, depth);
}
function special(v: object, proto: unknown, depth: number): boolean {
  if (proto === SharedArrayBuffer.prototype) {
    shared = true; // arrives as the same memory, twice or not
    return true;
  }
  if (ArrayBuffer.isView(v) || proto === ArrayBuffer.prototype) return binary(v as BinaryValue);
  if (!track(v)) return false;
  if (proto === Map.prototype) {
    for (const [k, x] of v as Map<unknown, unknown>) if (!walk(k, depth + 1) || !walk(x, depth + 1)) return false;
    return true;
  }
  if (proto === Set.prototype) {
    for (const x of v as Set<unknown>) if (!walk(x, depth + 1)) return false;
    return true;
  }
  if (proto === Date.prototype) return true;
  if (proto === RegExp.prototype) return wellFormed((v as RegExp).source);
  if (isError(v)) {
    if (errorText(v) !== undefined) return false;
    const c = causeOf(v);
    return c === undefined || walk(c.value, depth + 1);
  }
  return false;
}

/** The first of an error's texts (name, message, stack) holding a lone surrogate, which would arrive with U+FFFD in its place. */
function errorText(e: Error): string | undefined {
  for (const k of ['name', 'message', 'stack'] as const) {
    const t: unknown = e[k];
    if (typeof t === 'string' && !wellFormed(t)) return k;
  }
  return undefined;
}

function binary(v: BinaryValue): boolean {
  if (kindOf(v) < 0) return false;
  const buf = bufferOf(v);
  if (buf instanceof SharedArrayBuffer) {
    shared = true;
    return true;
  }
  if (isDetached(buf) || (buf as { resizable?: boolean }).resizable === true || !trackBytes(v, buf)) return false;
  if (isMarked(buf)) rewrite = true;
  else if (copiedAtSend(v.byteLength)) big = true;
  return true;
}


/**
 * Throws {@link UnencodableError} (naming the path) unless `value` can cross
 * threads and arrive as `structuredClone` would deliver it. Returns flags:
 * {@link REWRITE} when it can, but only through a rewritten copy (see
 * `snapshot`): it holds a `-0` or a buffer marked by `move()`; {@link SHARED}
 * when it holds shared memory; {@link BIG} when it holds a binary part of
 * `COPY_AT_SEND_MIN` or more (not shared, not marked). `deep` also looks for named properties on
 * arrays (O(n); development mode).
 */
export function analyze(value: unknown, deepCheck: boolean): number {
  if (typeof value !== 'object' || value === null) {
    if (typeof value === 'function' || typeof value === 'symbol' || (typeof value === 'string' && !wellFormed(value))) fail(value, deepCheck);
    return typeof value === 'number' && isNegZero(value) ? REWRITE : 0;
  }
  // Most messages are one plain object of primitives (and pids): nothing nested, so no identity to track.
  if (Object.getPrototypeOf(value) === Object.prototype) {
    const f = flat(value);
    if (f !== NOT_FLAT) return f;
  }
  if (busy) return analyzeAgain(value, deepCheck);
  busy = true;
  rewrite = false;
  shared = false;
  big = false;
  deep = deepCheck;
  let ok = false;
  try {
    ok = walk(value, 0);
  } finally {
    busy = false;
    forget();
  }
  if (!ok) fail(value, deepCheck);
  return (rewrite ? REWRITE : 0) | (shared ? SHARED : 0) | (big ? BIG : 0);
}

/** What {@link flat} returns for an object it cannot judge alone. */
export const NOT_FLAT = -1;

/**
 * The flags of a plain object whose values are all primitives or pids, or
 * NOT_FLAT when it holds anything else (or something the full walk must
 * refuse and name): the full walk then decides.
 */
export function flat(v: object): number {
  let flags = 0;
  let views = 0;
  for (const k in v) {
    if (k === '__proto__' || !wellFormed(k)) return NOT_FLAT;
    const x = (v as Record<string, unknown>)[k];
    switch (typeof x) {
      case 'string':
        if (!wellFormed(x)) return NOT_FLAT;
        break;
      case 'number':
        if (isNegZero(x)) flags |= REWRITE;
        break;
      case 'boolean':
      case 'undefined':
      case 'bigint':
        break;
      case 'object':
        if (x === null) break;
        // One view (a typed array's payload, say): alone, it cannot repeat a buffer, so nothing to track.
        if (ArrayBuffer.isView(x)) {
          const f = views++ === 0 ? flatView(x) : NOT_FLAT;
          if (f === NOT_FLAT) return NOT_FLAT;
          flags |= f;
          break;
        }
        if (!isPid(x)) return NOT_FLAT;
        break;
      default:
        return NOT_FLAT;
    }
  }
  return flags;
}

/** {@link binary}'s checks for a lone view, as flags; NOT_FLAT for what the walk must refuse and name. */
function flatView(v: ArrayBufferView): number {
  if (kindOf(v) < 0) return NOT_FLAT;
  const buf = v.buffer;
  if (buf instanceof SharedArrayBuffer) return SHARED;
  if (isDetached(buf) || (buf as { resizable?: boolean }).resizable === true) return NOT_FLAT;
  if (isMarked(buf)) return REWRITE;
  return copiedAtSend(v.byteLength) ? BIG : 0;
}

/** A walk started while another is under way (a getter that sends): the outer one's state is kept aside. */
function analyzeAgain(value: unknown, deepCheck: boolean): number {
  const outer = { rewrite, shared, big, deep, seen: seen.slice(0, seenCount), seenSet, spans };
  forget();
  busy = false;
  try {
    return analyze(value, deepCheck);
  } finally {
    rewrite = outer.rewrite;
    shared = outer.shared;
    big = outer.big;
    deep = outer.deep;
    forget();
    for (const o of outer.seen) seen[seenCount++] = o;
    seenSet = outer.seenSet;
    spans = outer.spans;
    busy = true;
  }
}

/**
 * {@link analyze} for a value that is not a message: `root` names it in the
 * error's path (`args.list[1]`, `reason.f`).
 */
export function analyzeAs(value: unknown, deepCheck: boolean, root: string): number {
  const outer = rootName;
  rootName = root;
  try {
    return analyze(value, deepCheck);
  } finally {
    rootName = outer;
  }
}

/** Throws {@link UnencodableError} unless `value` can cross threads intact (see {@link analyze}). */
export function assertEncodable(value: unknown): void {
  analyze(value, false);
}

/** Second, slower walk that names the offending path and says what to do; runs only on failure. */
function fail(root: unknown, deep: boolean, remote = false): never {
  located = new Map();
  const found = locate(root, rootName, 0, new Map(), deep, remote);
  located = new Map();
  throw new UnencodableError(found?.[0] ?? rootName, found?.[1] ?? 'a value that changed while it was being checked', found?.[2]);
}

/** Throws {@link UnencodableError} naming the shared memory in a value bound for another node (it cannot cross machines). */
export function refuseShared(value: unknown, root = 'message'): never {
  const outer = rootName;
  rootName = root;
  try {
    fail(value, false, true);
  } finally {
    rootName = outer;
  }
}

const NOT_SHARED_ACROSS_NODES = 'shared memory cannot cross to another node; send a copy of its bytes (new Uint8Array(sab).slice())';

type Found = [path: string, what: string, hint?: string];

const OVERLAP = 'views that share bytes would not share them on arrival: send one view, or copies (view.slice())';
/** locate's byte ranges per buffer met as parts (see trackBytes). */
let located = new Map<ArrayBuffer, number[]>();
const SURROGATE = 'it would arrive with U+FFFD in its place; send text.toWellFormed()';
const TREE = 'a message must be a tree; structuredClone would keep one object, msgpack would send two copies (or loop on a cycle): send a copy, or refer to it by key';

function locate(v: unknown, path: string, depth: number, seen: Map<object, string>, deep: boolean, remote: boolean): Found | undefined {
  if (typeof v === 'function') return [path, `a function${v.name ? ` (${v.name})` : ''}`];
  if (typeof v === 'symbol') return [path, 'a symbol'];
  if (typeof v === 'string') return wellFormed(v) ? undefined : [path, 'a string with a lone surrogate', 'it would arrive with U+FFFD in its place; send str.toWellFormed(), or the UTF-16 code units in a Uint16Array'];
  if (typeof v !== 'object' || v === null) return undefined;
  if (depth > MAX_DEPTH) return [path, `a value nested deeper than ${MAX_DEPTH} levels`];
  if (isPid(v)) return undefined;
  const proto: unknown = Object.getPrototypeOf(v);
  if (proto === SharedArrayBuffer.prototype) return remote ? [path, 'a SharedArrayBuffer', NOT_SHARED_ACROSS_NODES] : undefined;
  if (ArrayBuffer.isView(v) || proto === ArrayBuffer.prototype) return locateBinary(v as BinaryValue, path, seen, remote);
  const first = seen.get(v);
  if (first !== undefined) return [path, `the same object again (first at ${first})`, TREE];
  seen.set(v, path);
  const at = (x: unknown, p: string): Found | undefined => locate(x, p, depth + 1, seen, deep, remote);
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) {
      if (!(i in v)) return [`${path}[${i}]`, 'a hole in a sparse array', 'holes would arrive as undefined: fill the array, or send an object keyed by index'];
      const r = at(v[i], `${path}[${i}]`);
      if (r) return r;
    }
    if (deep) {
      const named = Object.keys(v).find((k) => !/^(0|[1-9]\d*)$/.test(k));
      if (named !== undefined) return [`${path}.${named}`, `a named property "${named}" on an array`, 'only the elements of an array cross: put it in an object beside the array'];
    }
    return undefined;
  }
  if (proto === Object.prototype || proto === null) {
    for (const k in v) {
      if (k === '__proto__') return [`${path}.__proto__`, 'an own "__proto__" key', 'msgpack would deliver it renamed; rename the key'];
      if (!wellFormed(k)) return [`${path}[${JSON.stringify(k)}]`, 'a key with a lone surrogate', 'it would arrive with U+FFFD in its place'];
      const r = at((v as Record<string, unknown>)[k], `${path}.${k}`);
      if (r) return r;
    }
    return undefined;
  }
  if (proto === Map.prototype) {
    for (const [k, x] of v as Map<unknown, unknown>) {
      const r = at(k, `${path}<key>`) ?? at(x, `${path}.get(${keyText(k)})`);
      if (r) return r;
    }
    return undefined;
  }
  if (proto === Set.prototype) {
    let i = 0;
    for (const x of v as Set<unknown>) {
      const r = at(x, `${path}<item ${i++}>`);
      if (r) return r;
    }
    return undefined;
  }
  if (proto === Date.prototype) return undefined;
  if (proto === RegExp.prototype) return wellFormed((v as RegExp).source) ? undefined : [`${path}.source`, 'a lone surrogate', SURROGATE];
  if (isError(v)) {
    const bad = errorText(v);
    if (bad !== undefined) return [`${path}.${bad}`, 'a lone surrogate', SURROGATE];
    const c = causeOf(v);
    return c === undefined ? undefined : at(c.value, `${path}.cause`);
  }
  if (v instanceof Error) return [path, 'an object that inherits from Error but is not one (made without an Error constructor)', 'throwable errors cross; this would arrive as a plain object'];
  const ctor = (proto as { constructor?: { name?: string } } | null)?.constructor?.name;
  return [path, `an instance of ${ctor || 'a class'} (it would arrive as a plain object)`];
}

function locateBinary(v: BinaryValue, path: string, seen: Map<object, string>, remote: boolean): Found | undefined {
  if (kindOf(v) < 0) return [path, `a ${v.constructor.name}`, 'this runtime carries ArrayBuffers, DataViews and the typed arrays of Node 20'];
  const buf = bufferOf(v);
  if (buf instanceof SharedArrayBuffer) return remote ? [path, `a ${v.constructor.name} over a SharedArrayBuffer`, NOT_SHARED_ACROSS_NODES] : undefined;
  if (isDetached(buf)) return [path, 'a detached buffer', 'its memory was moved or transferred; it has no bytes left to send'];
  if ((buf as { resizable?: boolean }).resizable === true) return [path, 'a resizable ArrayBuffer', 'send a fixed-length copy (buf.slice(0))'];
  // The same rule as the first walk's (trackBytes), with ranges of its own.
  const first = seen.get(buf);
  if (first === undefined) {
    seen.set(buf, path);
    const r = partOf(v, buf);
    if (r !== undefined) located.set(buf, r);
    return undefined;
  }
  if (apart(located.get(buf), v, buf)) return undefined;
  return [path, `a second view of the bytes of the buffer at ${first}`, isMarked(buf) ? TREE : OVERLAP];
}

/** A Map key in a path: primitives as text, anything else by its kind (a null-prototype object has no text form). */
function keyText(k: unknown): string {
  if (k === null || (typeof k !== 'object' && typeof k !== 'function')) return String(k);
  return Array.isArray(k) ? 'an array' : 'an object';
}
