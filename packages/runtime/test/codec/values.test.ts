// Values across threads, in one process: what crosses arrives exactly as structuredClone delivers it; the rest is refused by path.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Pid, UnencodableError, move } from '@joerl/runtime';
import { analyze, packr, unpackr } from '../../src/codec/codec.ts';
import { forLocal, forWire } from '../../src/codec/prepare.ts';
import { COPY_AT_SEND_MIN, bigPayloadThreshold } from '../../src/codec/side-items.ts';
import { ACCEPTED, REFUSED, fingerprint } from '../fixtures/values.ts';

/** What a receiver on another thread decodes (no side channel here: large parts go inline). */
const wire = (v: unknown) => unpackr.unpack(Uint8Array.from(packr.pack([forWire(v, false)])))[0] as unknown;
/** What a receiver on this thread gets with checkLocalSends on. */
const local = (v: unknown) => forLocal(v, true);

for (const [name, make] of Object.entries(ACCEPTED)) {
  test(`${name}: arrives as structuredClone delivers it, on this thread and on another`, () => {
    const v = make();
    const expected = fingerprint(structuredClone(v));
    assert.is(fingerprint(wire(v)), expected, 'across threads');
    assert.is(fingerprint(local(v)), expected, 'in-shard, checked');
    assert.is(fingerprint(wire(v)), fingerprint(local(v)));
  });
}

for (const [name, [make, path]] of Object.entries(REFUSED)) {
  test(`${name}: refused with ERR_UNENCODABLE naming the path, on this thread and on another`, () => {
    for (const [where, send] of [['wire', (v: unknown) => forWire(v, false)], ['local', local]] as const) {
      try {
        send(make());
        assert.unreachable(`${where} accepted it`);
      } catch (err) {
        assert.instance(err, UnencodableError, where);
        assert.is((err as UnencodableError).code, 'ERR_UNENCODABLE');
        assert.match((err as Error).message, path, where);
      }
    }
  });
}

test('the four silent changes of msgpack are gone: -0, an own __proto__ key, holes, lone surrogates', () => {
  assert.ok(Object.is(wire(-0), -0));
  assert.ok(Object.is((wire({ v: [-0] }) as { v: number[] }).v[0], -0));
  assert.throws(() => forWire(JSON.parse('{"__proto__":{"x":1}}'), false), /__proto__/);
  assert.throws(() => forWire([0, , 2], false), /sparse/);
  assert.throws(() => forWire('\udfff', false), /lone surrogate/);
});

test('a named property on an array is refused in the deep check (checkLocalSends), which scans arrays', () => {
  const match = Object.assign(['a'], { index: 2 });
  assert.throws(() => analyze(match, true), /a named property "index" on an array at message\.index/);
  assert.not.throws(() => analyze(match, false));
});

test('a view of part of a buffer arrives as a view of just its bytes (structuredClone would copy the whole buffer)', () => {
  const big = new Uint8Array([9, 1, 2, 3, 9]);
  const part = big.subarray(1, 4);
  for (const got of [wire(part), local(part)] as Uint8Array[]) {
    assert.instance(got, Uint8Array);
    assert.equal([...got], [1, 2, 3]);
    assert.is(got.byteOffset, 0);
    assert.is(got.buffer.byteLength, 3);
  }
  // A pooled Buffer is such a view; its bytes come, not the 8 KiB pool.
  const pooled = Buffer.from('hi');
  assert.is((wire(pooled) as Uint8Array).buffer.byteLength, 2);
});

test('a Buffer that crossed keeps its bytes after later frames reuse the reader buffer (regression: it was a view into it)', () => {
  const scratch = Uint8Array.from(packr.pack([Buffer.from('hello, world')]));
  const got = (unpackr.unpack(scratch) as Uint8Array[])[0]!;
  scratch.fill(0);
  assert.is(Buffer.from(got).toString(), 'hello, world');
});

test('a large binary part bound for another thread is copied at the send, in production too: what the sender writes afterwards does not reach the receiver', () => {
  const big = Math.max(COPY_AT_SEND_MIN, bigPayloadThreshold());
  for (const make of [(d: Float64Array) => ({ seq: 1, data: d }), (d: Float64Array) => ({ seq: 1, nested: [{ data: d }] })]) {
    const data = new Float64Array(big / 8).fill(1.5);
    const msg = make(data);
    const out = forWire(msg, false) as { data?: Float64Array; nested?: [{ data: Float64Array }] };
    assert.is.not(out, msg, 'a copy of the message');
    const got = out.data ?? out.nested![0].data;
    assert.is.not(got.buffer, data.buffer, 'its own buffer');
    data.fill(9); // the sender goes on with its array before the batch is packed
    assert.is(got.length, big / 8);
    assert.ok(got.every((x) => x === 1.5), 'the bytes as they were at the send');
  }
  const small = { seq: 2, data: new Float64Array(big / 8 - 1) };
  assert.is(forWire(small, false), small, 'a smaller part is copied when the batch is packed');
});

test('a flat message with a view among its primitives (the fast path) is checked like any other: refusals by path, shared and moved noted', () => {
  const gone = new Float64Array(4);
  structuredClone(gone.buffer, { transfer: [gone.buffer] });
  assert.throws(() => forWire({ kind: 'x', seq: 1, data: gone }, false), /a detached buffer at message\.data/);
  const b = new ArrayBuffer(16);
  assert.throws(() => forWire({ a: new Uint8Array(b), b: new Uint16Array(b) }, false), /a second view of the bytes of the buffer at message\.a at message\.b/);
  const shared = { seq: 1, data: new Int32Array(new SharedArrayBuffer(8)) };
  assert.is(forWire(shared, false), shared, 'shared memory crosses to another thread as it is');
  assert.throws(() => forWire(shared, false, true), /a Int32Array over a SharedArrayBuffer at message\.data/);
  const plain = { seq: 2, data: new Float64Array([1.5, -2]) };
  assert.is(forWire(plain, false), plain, 'nothing to rewrite: the sender\'s object goes to the encoder');
  assert.equal(Array.from((wire(plain) as typeof plain).data), [1.5, -2]);
  const marked = { seq: 3, data: move(new Float64Array([7])) };
  const out = forWire(marked, false) as typeof marked;
  assert.is.not(out, marked, 'a marked buffer makes a copy of the message (the buffer is detached into it)');
  assert.is(marked.data.length, 0);
  assert.equal(Array.from(out.data), [7]);
});

test('pids cross as pids, twice in one message too (they are values)', () => {
  const p = new Pid(0, 3, 12345);
  const got = wire({ a: p, b: p }) as { a: Pid; b: Pid };
  assert.ok(got.a instanceof Pid && got.a.equals(p) && got.b.equals(p));
  const mine = local({ a: p }) as { a: Pid };
  assert.ok(mine.a.equals(p));
});

test('a checked in-shard copy is taken at the send: later changes by the sender do not show', () => {
  const msg = { n: 1, list: [1], bytes: new Uint8Array([1]) };
  const got = local(msg) as typeof msg;
  msg.n = 2;
  msg.list.push(2);
  msg.bytes[0] = 9;
  assert.equal(got, { n: 1, list: [1], bytes: new Uint8Array([1]) });
});

test('unchecked in-shard sends (production) hand over the sender object itself', () => {
  const msg = { n: 1 };
  assert.is(forLocal(msg, false), msg);
});

test('a Map whose key has no text form (a null-prototype object) and whose value is refused: ERR_UNENCODABLE with its path, not a TypeError', () => {
  // Regression: building the path called String() on the key, which threw "Cannot convert object to primitive value".
  for (const checked of [true, false]) {
    try {
      forWire(new Map([[Object.create(null), () => 1]]), checked);
      assert.unreachable('refused');
    } catch (err) {
      assert.instance(err, UnencodableError, String(err));
      assert.match((err as Error).message, /a function/);
    }
  }
});

test("a lone surrogate in an error's message or stack, or in a RegExp's source, is refused as in any string (it arrived as U+FFFD)", () => {
  const cases: Array<[unknown, RegExp]> = [
    [{ e: new Error('half \uD800 a pair') }, /message\.e\.message/],
    [{ e: Object.assign(new TypeError('ok'), { stack: 'at \uDC00' }) }, /message\.e\.stack/],
    [{ r: new RegExp('\uD800') }, /message\.r\.source/],
  ];
  for (const [v, where] of cases) {
    for (const checked of [true, false]) {
      try {
        forWire(v, checked);
        assert.unreachable('refused');
      } catch (err) {
        assert.instance(err, UnencodableError, String(err));
        assert.match((err as Error).message, /lone surrogate/);
        assert.match((err as Error).message, where);
      }
    }
  }
  assert.not.throws(() => forWire({ e: new Error('whole \uD83D\uDE00 pair'), r: /\uD83D\uDE00/ }, true));
});

test('a copy for this thread (checkLocalSends) drops symbol keys, as a copy for another thread does', () => {
  // Regression: a flat object was copied with a spread, which kept them; code relying on them passed in-shard only.
  const s = Symbol('s');
  const local = forLocal({ a: 1, [s]: 2 }, true) as Record<string | symbol, unknown>;
  assert.equal(Object.getOwnPropertySymbols(local), []);
  assert.is(local.a, 1);
  const nested = forLocal({ o: { b: 2, [s]: 3 } }, true) as { o: Record<string | symbol, unknown> };
  assert.equal(Object.getOwnPropertySymbols(nested.o), []);
  assert.equal(Object.getOwnPropertySymbols(wire({ a: 1, [s]: 2 }) as object), []);
});

test('Buffers from the pool, and views of apart bytes of one buffer, cross (each over just its bytes); views that share bytes are refused', () => {
  // Regression: small Buffer.from() results share Node's 8 KiB pool, and a message holding two was refused.
  const b = new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]).buffer;
  const v = { key: Buffer.from('k1'), value: Buffer.from('v1'), head: new Uint8Array(b, 0, 4), tail: new Uint8Array(b, 4, 4) };
  assert.is(v.key.buffer, v.value.buffer, 'pooled');
  const bytes = (x: any) => ({ key: [...x.key], value: [...x.value], head: [...x.head], tail: [...x.tail] });
  const want = { key: [107, 49], value: [118, 49], head: [1, 2, 3, 4], tail: [5, 6, 7, 8] };
  assert.equal(bytes(wire(v)), want, 'to another thread');
  const local = forLocal(v, true) as typeof v;
  assert.equal(bytes(local), want, 'a copy for this thread');
  assert.is.not(local.key.buffer, v.key.buffer);
  assert.throws(() => forWire({ a: new Uint8Array(b, 0, 4), b: new Uint8Array(b, 3, 2) }, false), /a second view of the bytes of the buffer at message\.a at message\.b.*share bytes/);
  assert.throws(() => forWire({ whole: b, part: new Uint8Array(b, 6, 2) }, false), /a second view of the bytes/);
  const none = new ArrayBuffer(0);
  assert.throws(() => forWire({ a: new Uint8Array(none), b: new Uint8Array(none) }, false), /a second view of the bytes of the buffer at message\.a at message\.b/, 'an empty buffer met whole, twice');
  const moved = new Uint8Array(8).buffer;
  assert.throws(() => forWire({ a: new Uint8Array(move(moved), 0, 2), b: new Uint8Array(moved, 4, 2) }, false), /a second view of the bytes/);
});

test.run();
