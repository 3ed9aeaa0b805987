// Rendering a state or a message as text: bounded work however big the value, and never a throw.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { inspect } from 'node:util';
import { renderState, renderValue } from '../../src/shard/render.ts';

const RENDER = { depth: 3, maxArrayLength: 10, maxStringLength: 200, breakLength: Infinity, compact: true } as const;

const keyed = (n: number): Record<string, number> => {
  const o: Record<string, number> = {};
  for (let i = 0; i < n; i++) o[`k${i}`] = i;
  return o;
};

test('an object with 200,000 keys renders its first keys and how many were left out', () => {
  const text = renderValue(keyed(200_000));
  assert.ok(text.length <= 500, `${text.length} characters`);
  assert.ok(text.startsWith('{ k0: 0, k1: 1, k2: 2,'), text);
  assert.ok(text.endsWith(', k19: 19, ... 199980 more keys }'), text);
});

test('a big object inside arrays, Maps, Sets and class instances is cut the same way, with its container kept', () => {
  const big = keyed(50_000);
  class Holder {
    constructor(readonly inner: unknown) {}
  }
  assert.match(renderValue([big, 1]), /^\[ \{ k0: 0, .* k19: 19, \.\.\. 49980 more keys \}, 1 \]$/);
  assert.match(renderValue(new Map([['a', big]])), /^Map\(1\) \{ 'a' => \{ k0: 0, .* \.\.\. 49980 more keys \} \}$/);
  assert.match(renderValue(new Set([big])), /^Set\(1\) \{ \{ k0: 0, .* \.\.\. 49980 more keys \} \}$/);
  assert.match(renderValue(new Holder(big)), /^Holder \{ inner: \{ k0: 0, .* \.\.\. 49980 more keys \} \}$/);
});

test('many medium objects: the walk stops at its budget of values, and only what it kept is formatted', () => {
  let formatted = 0;
  const leaf = { [inspect.custom]: () => `#${++formatted}` };
  const rows = Array.from({ length: 10 }, () => Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`k${i}`, leaf])));
  const text = renderValue(rows);
  assert.ok(text.length <= 500);
  assert.ok(text.startsWith('[ { k0: #1, k1: #2,'), text);
  // util.inspect alone formats all 300 leaves (and would for 300,000): 20 keys of each row at most, 200 values in all.
  assert.ok(formatted > 0 && formatted <= 190, `${formatted} leaves formatted`);
});

test('what needs no cut renders exactly as util.inspect does', () => {
  class Point {
    constructor(
      readonly x: number,
      readonly y: number,
    ) {}
  }
  const cyclic: Record<string, unknown> = { a: 1 };
  cyclic.self = cyclic;
  for (const v of [
    { a: 1, b: 'x', c: [1, 2, 3], d: new Map([[1, { x: 1 }]]), e: new Set(['s']) },
    Array.from({ length: 50 }, (_, i) => i),
    new Point(1, 2),
    { a: { b: { c: { d: { e: 1 } } } } },
    { get g(): number { throw new Error('a getter is not run'); }, v: 1 },
    Object.assign(Object.create(null) as object, { a: 1 }),
    { [Symbol('s')]: 1, a: 2 },
    'x'.repeat(1000),
    undefined,
    () => 1,
  ]) {
    const full = inspect(v, RENDER);
    assert.is(renderValue(v), full.length > 500 ? `${full.slice(0, 499)}…` : full);
  }
  assert.is(renderValue(cyclic), '{ a: 1, self: [Circular] }');
});

test('a value whose rendering throws, or an inspect that throws, renders as what was thrown', () => {
  assert.is(renderValue({ [inspect.custom]: () => { throw new RangeError('nope'); } }), '<inspect threw: RangeError: nope>');
  assert.is(renderState(() => { throw new TypeError('inspect broke'); }, {}), '<inspect threw: TypeError: inspect broke>');
  assert.is(renderState(() => { throw 'a string'; }, {}), "<inspect threw: 'a string'>");
  assert.is(renderState((s) => (s as { n: number }).n, { n: 7 }), '7');
  assert.is(renderState(undefined, { n: 7 }), '{ n: 7 }');
});

test.run();
