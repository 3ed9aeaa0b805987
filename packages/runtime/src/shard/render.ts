// Renders a process's state or a queued message as short text: bounded work, and never a throw.

import { inspect, types } from 'node:util';

/** util.inspect's own bounds: depth, items of an array, Map or Set, characters of a string. */
const RENDER = { depth: 3, maxArrayLength: 10, maxStringLength: 200, breakLength: Infinity, compact: true } as const;
const MAX_TEXT = 500;
/** Keys shown of one object: util.inspect has no such bound, and formats a million keys to show the first fifty. */
const MAX_KEYS = 20;
/** Values walked in one rendering: 500 characters never show more, however the value nests. */
const MAX_NODES = 200;

/**
 * Stands for a container cut short: renders what was kept (`kept`, a bounded
 * copy) and says how much was left out, where util.inspect says it of arrays.
 */
class Cut {
  constructor(
    readonly kept: object,
    readonly left: number,
    readonly noun: 'keys' | 'items',
    readonly size?: string,
  ) {}

  [inspect.custom](depth: number, options: object): string {
    let text = inspect(this.kept, { ...options, depth });
    // A Map or Set copy names its own size; the reader wants the original's.
    if (this.size !== undefined) text = text.replace(/^(Map|Set)\(\d+\)/, `$1(${this.size})`);
    const more = `... ${this.left} more ${this.noun}`;
    const close = text.at(-1);
    if (close !== '}' && close !== ']') return `${text} ${more}`;
    const body = text.slice(0, -1).trimEnd();
    return /[{[]$/.test(body) ? `${body} ${more} ${close}` : `${body}, ${more} ${close}`;
  }
}

/** Stands for a value inside itself: a cycle within the depth shown. */
const CIRCULAR = { [inspect.custom]: (): string => '[Circular]' };

/** What walking one value may still spend. */
interface Walk {
  nodes: number;
  /** Originals walked, to their stand-in (CIRCULAR while still being walked: a reference back up is a cycle). */
  seen: Map<object, unknown>;
}

const isPlain = (v: object): boolean => Object.prototype.toString.call(v) === '[object Object]' && !types.isProxy(v);

/**
 * `v`, or a stand-in that util.inspect renders with the same text as far as
 * MAX_KEYS keys per object and MAX_NODES values in all, each cut marked with
 * how much it left out. Left as they are: primitives, what lies deeper than
 * util.inspect looks, and objects that render themselves (a custom inspect, a
 * Date, an Error, a typed array, a Proxy: util.inspect bounds those).
 */
function bound(v: unknown, depth: number, w: Walk): unknown {
  if (typeof v !== 'object' || v === null || depth > RENDER.depth) return v;
  const done = w.seen.get(v);
  if (done !== undefined) return done;
  w.seen.set(v, CIRCULAR);
  let out: unknown = v;
  if (Array.isArray(v)) out = boundList(v, v, v.length, depth, w, (items) => items, undefined);
  else if (v instanceof Map) out = boundList(v, v.entries(), v.size, depth, w, (entries) => new Map(entries as [unknown, unknown][]), 'Map');
  else if (v instanceof Set) out = boundList(v, v.values(), v.size, depth, w, (items) => new Set(items), 'Set');
  else if (isPlain(v) && typeof (v as { [inspect.custom]?: unknown })[inspect.custom] !== 'function') out = boundObject(v, depth, w);
  w.seen.set(v, out);
  return out;
}

/** The first items util.inspect shows of an array, a Map or a Set (`v`), each bounded. */
function boundList(v: object, items: Iterable<unknown>, size: number, depth: number, w: Walk, make: (kept: unknown[]) => object, kind: 'Map' | 'Set' | undefined): unknown {
  const kept: unknown[] = [];
  let changed = false;
  for (const item of items) {
    if (kept.length >= RENDER.maxArrayLength || w.nodes <= 0) break;
    w.nodes--;
    // A Map's entry is a [key, value] pair: both are shown, at the depth of the Map's items.
    const b = kind === 'Map' ? (item as unknown[]).map((x) => bound(x, depth + 1, w)) : bound(item, depth + 1, w);
    changed ||= kind === 'Map' ? (b as unknown[]).some((x, i) => x !== (item as unknown[])[i]) : b !== item;
    kept.push(b);
  }
  const left = size - kept.length;
  // Past maxArrayLength util.inspect only counts (cheaply): the original renders the same when nothing in it was cut.
  if (!changed && (left === 0 || kept.length === RENDER.maxArrayLength)) return v;
  const copy = make(kept);
  return left > 0 ? new Cut(copy, left, 'items', kind === undefined ? undefined : String(size)) : copy;
}

/** The first MAX_KEYS own enumerable keys of an object (its prototype kept, for its class name), each value bounded. */
function boundObject(v: object, depth: number, w: Walk): unknown {
  // Listing the keys is the one cost that grows with the object (V8 orders them): still a third of formatting them all.
  const keys: (string | symbol)[] = Object.keys(v);
  for (const s of Object.getOwnPropertySymbols(v)) if (Object.prototype.propertyIsEnumerable.call(v, s)) keys.push(s);
  const take = Math.min(keys.length, MAX_KEYS, Math.max(0, w.nodes));
  let changed = take < keys.length;
  const copy = Object.create(Object.getPrototypeOf(v) as object | null) as Record<string | symbol, unknown>;
  for (let i = 0; i < take; i++) {
    const k = keys[i]!;
    // The descriptor, not v[k]: util.inspect shows a getter as [Getter] without running it, and so must this.
    const d = Object.getOwnPropertyDescriptor(v, k)!;
    w.nodes--;
    if ('value' in d) {
      const b = bound(d.value, depth + 1, w);
      changed ||= b !== d.value;
      d.value = b;
    }
    Object.defineProperty(copy, k, d);
  }
  if (!changed) return v;
  return take < keys.length ? new Cut(copy, keys.length - take, 'keys') : copy;
}

/** What was thrown, as one line, whatever it is (its message may itself throw). */
function describe(err: unknown): string {
  try {
    return err instanceof Error ? `${err.name}: ${err.message}` : inspect(err, { depth: 0, maxStringLength: 200, breakLength: Infinity });
  } catch {
    return 'a value that cannot be shown';
  }
}

/**
 * A value as bounded text: safe for anything (functions, cycles, class
 * instances, a million keys), never more than 500 characters. A value whose
 * rendering throws (its own custom inspect, a getter-laden Proxy) renders as
 * `<inspect threw: ...>`: the detail stays useful and the caller is not failed.
 */
export function renderValue(value: unknown): string {
  let text: string;
  try {
    text = inspect(bound(value, 0, { nodes: MAX_NODES, seen: new Map() }), RENDER);
  } catch (err) {
    text = `<inspect threw: ${describe(err)}>`;
  }
  return text.length > MAX_TEXT ? `${text.slice(0, MAX_TEXT - 1)}…` : text;
}

/** A process's state as its behaviour shows it (`inspect`), rendered; a throwing `inspect` is rendered as what it threw. */
export function renderState(inspectState: ((state: unknown) => unknown) | undefined, state: unknown): string {
  if (inspectState === undefined) return renderValue(state);
  let shown: unknown;
  try {
    shown = inspectState(state);
  } catch (err) {
    return `<inspect threw: ${describe(err)}>`;
  }
  return renderValue(shown);
}
