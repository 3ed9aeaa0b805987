// Ring frames share their records through each producer's store: frames carry ids, any reader of the store decodes them, restarts keep the ids.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Pid } from '@joerl/runtime';
import { RECORD_STORE_BYTES, RingCodec, createRecordStores, frameDecoder } from '../../src/codec/ring-codec.ts';

const copy = (b: Uint8Array) => Uint8Array.from(b);
const ascii = (b: Uint8Array) => Buffer.from(b).toString('latin1');

test('a shape sent once is not spelled out again: the second frame names no key, and the consumer reads both', () => {
  const stores = createRecordStores(2);
  const producer = new RingCodec(stores, 1);
  const consumer = new RingCodec(stores, 0);
  const pid = new Pid(0, 1, 42);
  const first = copy(producer.pack([1, 7, { kind: 'ping', seq: 1, from: pid }]));
  const second = copy(producer.pack([1, 7, { kind: 'ping', seq: 2, from: pid }]));
  assert.not.ok(ascii(first).includes('kind'), 'keys live in the store, not the frame');
  assert.not.ok(ascii(second).includes('seq'));
  const a = consumer.unpack(1, first) as [number, number, { kind: string; seq: number; from: Pid }];
  const b = consumer.unpack(1, second) as typeof a;
  assert.equal(a[2].kind, 'ping');
  assert.is(a[2].seq, 1);
  assert.is(b[2].seq, 2);
  assert.ok(b[2].from.equals(pid));
  assert.equal(Object.keys(b[2]), ['kind', 'seq', 'from']);
});

test('a reader that saw none of the earlier frames (the main thread draining a dead shard\'s ring) decodes a later one', () => {
  const stores = createRecordStores(3);
  const producer = new RingCodec(stores, 2);
  const consumer = new RingCodec(stores, 1);
  consumer.unpack(2, copy(producer.pack([1, 3, { job: 'a', n: 1 }])));
  const later = copy(producer.pack([1, 3, { job: 'b', n: 2 }, 1, 4, new Map([['job', 'c']])]));
  const ops = frameDecoder(stores[2]!).unpack(later) as unknown[];
  assert.equal(ops[2], { job: 'b', n: 2 });
  assert.ok(ops[5] instanceof Map, 'a Map stays a Map');
  assert.is((ops[5] as Map<string, string>).get('job'), 'c');
});

test('a restarted producer goes on from its store: frames of the old and the new incarnation both decode, with one decoder', () => {
  const stores = createRecordStores(2);
  const decoder = frameDecoder(stores[1]!);
  const old = new RingCodec(stores, 1);
  const before = copy(old.pack([{ x: 1, y: 2 }, { name: 'n' }]));
  assert.equal(decoder.unpack(before), [{ x: 1, y: 2 }, { name: 'n' }]);
  const fresh = new RingCodec(stores, 1);
  // A shape of its own first (the next id), then the old shapes again.
  const after = copy(fresh.pack([{ other: true }, { x: 3, y: 4 }, { name: 'm' }]));
  assert.equal(decoder.unpack(after), [{ other: true }, { x: 3, y: 4 }, { name: 'm' }]);
  assert.equal(decoder.unpack(before), [{ x: 1, y: 2 }, { name: 'n' }], 'the old frame still reads the same');
});

test('past 32 shared shapes, and for a very long key list, a frame defines its records itself and still decodes anywhere', () => {
  const stores = createRecordStores(2);
  const producer = new RingCodec(stores, 1);
  const decoder = frameDecoder(stores[1]!);
  for (let i = 0; i < 40; i++) {
    const v = { [`k${i}`]: i, shared: i % 2 === 0 };
    assert.equal(decoder.unpack(copy(producer.pack([v]))), [v]);
  }
  const long: Record<string, number> = {};
  for (let i = 0; i < 200; i++) long[`a_rather_long_key_number_${i}`] = i;
  const bytes = copy(producer.pack([long, long]));
  assert.ok(ascii(bytes).includes('a_rather_long_key_number_199'), 'defined in the frame');
  assert.equal(frameDecoder(stores[1]!).unpack(bytes), [long, long]);
  // The 33rd shape on is defined in the frame: a fresh decoder needs nothing else.
  const late = copy(producer.pack([{ k39: 1, shared: false }]));
  assert.ok(ascii(late).includes('k39'));
  assert.ok(stores[1]!.byteLength === RECORD_STORE_BYTES);
});

test('frames from two producers with the same record ids for different shapes are told apart by their ring', () => {
  const stores = createRecordStores(3);
  const one = new RingCodec(stores, 1);
  const two = new RingCodec(stores, 2);
  const main = new RingCodec(stores, 0);
  const a = copy(one.pack([{ alpha: 1 }]));
  const b = copy(two.pack([{ beta: 2, gamma: 3 }]));
  assert.equal(a[1], b[1], 'the same first record id');
  assert.equal(main.unpack(2, b), [{ beta: 2, gamma: 3 }]);
  assert.equal(main.unpack(1, a), [{ alpha: 1 }]);
});

test.run();
