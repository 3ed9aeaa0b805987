// What may cross threads: plain data passes and round-trips; functions, symbols and class instances are refused with a path.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Pid, UnencodableError } from '@joerl/runtime';
import { assertEncodable, packr, unpackr } from '../../src/codec/codec.ts';
import { forWire } from '../../src/codec/prepare.ts';
import { RingCodec, createRecordStores } from '../../src/codec/ring-codec.ts';
import { beginSideBatch, bigPayloadThreshold, endSideBatch, keepInline } from '../../src/codec/side-items.ts';

const roundTrip = (v: unknown) => unpackr.unpack(Uint8Array.from(packr.pack(v)));
// A thread's ring codec, as thread 0 of a system of one, decoding its own frames.
const ring = new RingCodec(createRecordStores(1), 0);
const packFrame = (v: unknown) => ring.pack(v);
const unpackFrame = (bytes: Uint8Array) => ring.unpack(0, bytes);

test('plain data round-trips intact', () => {
  const values = [
    null, true, 0, -1.5, 'text', 2n ** 70n, undefined,
    { a: 1, b: [1, 'x', { c: null }] },
    new Date(1700000000000), new Map([['k', 1]]), new Set([1, 2]), new Uint8Array([1, 2, 3]),
    new Pid(0, 3, 12345), { who: new Pid(0, 1, 2) },
  ];
  for (const v of values) {
    assertEncodable(v);
    const back = roundTrip(v);
    if (v instanceof Pid) assert.ok(v.equals(back as Pid));
    else if (typeof v === 'object' && v !== null && (v as { who?: Pid }).who) assert.ok((back as { who: Pid }).who.equals((v as { who: Pid }).who));
    else assert.equal(back, v);
  }
  // A null-prototype object is accepted and arrives as a plain one.
  const bare = Object.assign(Object.create(null), { a: 1 });
  assertEncodable(bare);
  assert.equal({ ...(roundTrip(bare) as object) }, { a: 1 });
});

test('a pid decoded again is the object decoded before; another pid in its slot is a pid of its own', () => {
  const a = roundTrip({ peers: [new Pid(0, 1, 4097), new Pid(0, 1, 4097)] }) as { peers: Pid[] };
  assert.ok(a.peers[0] === a.peers[1], 'one frame: one object');
  const again = roundTrip(new Pid(0, 1, 4097)) as Pid;
  assert.ok(again === a.peers[0], 'a later frame: the same object');
  // Serial 1 shares slot 4097's: the slot's pid is replaced, never mistaken for it (node, shard and serial all compared).
  for (const [node, shard, serial] of [[0, 1, 1], [0, 2, 4097], [3, 1, 4097], [0, 1, 4097]] as const) {
    const p = roundTrip(new Pid(node, shard, serial)) as Pid;
    assert.equal([p.node, p.shard, p.serial], [node, shard, serial]);
  }
  assert.ok((roundTrip(new Pid(0, 1, 4097)) as Pid) !== again, 'replaced in its slot meanwhile: a new object');
});

test('a pid of node 0 travels as its key, any other as its three parts: both arrive whole, at the edges too', () => {
  const cases = [
    [0, 0, 0],
    [0, 4095, 1],
    [0, 2, 2 ** 19 + 5], // a key past 2^31: a double
    [0, 1, 2 ** 41 - 1], // the last serial whose key is a safe integer
    [0, 1, 2 ** 41], // past it: three parts
    [7, 3, 12],
    [2 ** 31, 4095, 2 ** 40],
  ] as const;
  for (const [node, shard, serial] of cases) {
    const p = roundTrip({ to: new Pid(node, shard, serial) }) as { to: Pid };
    assert.ok(p.to instanceof Pid);
    assert.equal([p.to.node, p.to.shard, p.to.serial], [node, shard, serial]);
  }
  // [0xd4, type, 0] tags the value that follows: a number (the key) or a fixarray of three (0x93).
  assert.is.not(packr.pack(new Pid(0, 1, 42))[3], 0x93, 'node 0: the key');
  assert.is(packr.pack(new Pid(1, 1, 42))[3], 0x93, 'node 1: three parts');
});

test('inline binary parts: every kind at every place in the frame arrives as its own type, alone in its buffer; read at an odd offset too; the older layout still reads', () => {
  const kinds = [Int8Array, Uint8Array, Uint8ClampedArray, Int16Array, Uint16Array, Int32Array, Uint32Array, Float32Array, Float64Array, BigInt64Array, BigUint64Array];
  for (const C of kinds) {
    for (const n of [0, 1, 7, 8, 9, 513]) {
      const src = new C(n + 2);
      for (let i = 0; i < src.length; i++) (src as unknown as unknown[])[i] = C === BigInt64Array || C === BigUint64Array ? BigInt(i * 7 + 1) : (i * 7 + 1) % 100;
      const view = src.subarray(1, n + 1);
      for (let pad = 0; pad < 9; pad++) {
        const bytes = packFrame(['x'.repeat(pad), view, new DataView(src.buffer, 1), src.buffer]).slice();
        // As a ring delivers it (aligned), and as a frame from another node may come (at an odd offset).
        const odd = new Uint8Array(bytes.length + 1);
        odd.set(bytes, 1);
        for (const frame of [bytes, odd.subarray(1)]) {
          const [, v, dv, ab] = unpackFrame(frame) as [string, InstanceType<typeof C>, DataView, ArrayBuffer];
          assert.is(v.constructor, C);
          assert.equal(Array.from(v as ArrayLike<unknown>), Array.from(view as ArrayLike<unknown>), `${C.name} of ${n}`);
          assert.is(v.byteOffset, 0);
          assert.is(v.buffer.byteLength, v.byteLength, 'the value alone in its buffer');
          assert.equal(new Uint8Array(dv.buffer, dv.byteOffset, dv.byteLength), new Uint8Array(src.buffer, 1));
          assert.equal(new Uint8Array(ab), new Uint8Array(src.buffer));
        }
      }
    }
  }
  // [kind 8: Float64Array][8 bytes]: the ext type 0x41 layout older versions wrote.
  const old = Uint8Array.from([0xc7, 9, 0x41, 8, 0, 0, 0, 0, 0, 0, 0xf8, 0x3f]);
  assert.equal(Array.from(unpackr.unpack(old) as Float64Array), [1.5]);
});

test('typed arrays packed before and after the encoder grows its buffer mid-frame arrive intact (its views of the buffer follow the new one)', () => {
  const a = Float64Array.from([1.5, Number.NaN, -0, 2 ** 60]);
  const b = Int16Array.from([-3, 7, 32767]);
  // Larger than any buffer the encoder has had: it is replaced between the two parts of each pair.
  for (let round = 1; round <= 2; round++) {
    const big = 'y'.repeat(round * 8 * 1024 * 1024);
    const back = unpackFrame(packFrame([a, b, big, a, b]).slice()) as [Float64Array, Int16Array, string, Float64Array, Int16Array];
    for (const [v, want] of [[back[0], a], [back[1], b], [back[3], a], [back[4], b]] as const) {
      assert.is(v.constructor, want.constructor);
      assert.equal(new Uint8Array(v.buffer, v.byteOffset, v.byteLength), new Uint8Array(want.buffer, want.byteOffset, want.byteLength));
    }
    assert.is(back[2].length, big.length);
  }
  // And a small frame after it, into whatever buffer the encoder now holds.
  assert.equal(Array.from((unpackFrame(packFrame([b]).slice()) as unknown[])[0] as Int16Array), [-3, 7, 32767]);
});

test('a binary part over the side-item threshold goes beside the frame, unless the runtime kept it inline (a span batch)', () => {
  const size = bigPayloadThreshold() / 8 + 16;
  const pack = (v: unknown) => {
    beginSideBatch();
    const bytes = Uint8Array.from(packFrame(v));
    return { bytes, side: endSideBatch() };
  };
  const big = new Float64Array(size).fill(1.5);
  assert.ok(pack([20, big]).side !== null, 'a big part of a message is a side item');
  const rows = new Float64Array(size).map((_, i) => i / 4);
  keepInline(rows.buffer);
  const { bytes, side } = pack([20, [rows, [], []]]);
  assert.is(side, null);
  const back = (unpackr.unpack(bytes) as [number, [Float64Array]])[1][0];
  assert.ok(back instanceof Float64Array);
  assert.equal(Array.from(back), Array.from(rows));
});

test('a copy made for the wire at the send is handed to the side batch as it is; the sender\'s own buffer is copied', () => {
  const pack = (v: unknown) => {
    beginSideBatch();
    packFrame(v);
    return endSideBatch()!;
  };
  const mine = new Float64Array(64 * 1024 / 8).fill(2.5);
  const wired = forWire({ payload: mine }, false) as { payload: Float64Array };
  assert.is.not(wired.payload, mine, 'a 64 KiB part is copied at the send');
  const side = pack([20, 1, wired]);
  assert.is(side.transfer.length, 1);
  assert.is(side.transfer[0], wired.payload.buffer, 'the send\'s copy goes as it is, not copied again');
  assert.equal(Object.getOwnPropertySymbols(mine.buffer), [], 'the sender\'s buffer is not marked');
  // The sender's own buffer, packed without going through forWire: copied, never handed away.
  const own = pack([20, 1, { payload: mine }]);
  assert.is.not(own.transfer[0], mine.buffer);
  assert.is(mine.length, 8192, 'the sender keeps its bytes');
});

test('functions, symbols, class instances and cycles are refused with the path to the culprit', () => {
  class Point { x = 1; }
  const cyclic: Record<string, unknown> = {};
  cyclic.self = cyclic;
  const cases: Array<[unknown, RegExp]> = [
    [() => 1, /a function at message/],
    [{ a: { b: [1, Symbol('s')] } }, /a symbol at message\.a\.b\[1\]/],
    [{ p: new Point() }, /an instance of Point .* at message\.p/],
    [new Map([['k', { f() {} }]]), /a function \(f\) at message\.get\(k\)\.f/],
    [[new WeakMap()], /an instance of WeakMap/],
    [cyclic, /the same object again \(first at message\) at message\.self/],
    [Promise.resolve(1), /an instance of Promise/],
  ];
  for (const [v, re] of cases) {
    try {
      assertEncodable(v);
      assert.unreachable(`accepted ${re}`);
    } catch (err) {
      assert.instance(err, UnencodableError);
      assert.is((err as UnencodableError).code, 'ERR_UNENCODABLE');
      assert.match((err as Error).message, re);
    }
  }
});

test('Pid parses its printed form and compares by value', () => {
  const p = new Pid(0, 2, 77);
  assert.is(p.toString(), '<0.2.77>');
  assert.ok(Pid.parse('<0.2.77>').equals(p));
  assert.not.ok(p.equals(new Pid(0, 1, 77)));
  assert.throws(() => Pid.parse('0.2.77'), (e: Error & { code?: string }) => e.code === 'ERR_INVALID_ARGUMENT' && /not a pid/.test(e.message));
});

test('a Pid of anything but whole numbers (shard below 4096) is refused: it would be routed to a thread that does not exist', () => {
  for (const [node, shard, serial] of [[0, 1.5, 1], [0, -1, 1], [0, -2, 1], [0, NaN, 1], [0, 4096, 1], [-1, 1, 1], [0, 1, 0.5], [0, 1, Infinity]]) {
    assert.throws(() => new Pid(node!, shard!, serial!), (e: Error & { code?: string }) => e.code === 'ERR_INVALID_ARGUMENT' && /whole numbers/.test(e.message), `<${node}.${shard}.${serial}>`);
  }
  assert.is(new Pid(3, 4095, 2 ** 40).toString(), '<3.4095.1099511627776>');
});

test.run();
