// Raw frames (span rows for the main thread's processors): a poll takes about POLL_SPAN_ROWS rows of them, so processors get spans in bounded bursts; the rest waits in order for the next poll.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createRecordStores } from '../../src/codec/ring-codec.ts';
import { controlBytes } from '../../src/ring/control-block.ts';
import type { RingGrant } from '../../src/shard/protocol.ts';
import { Transport } from '../../src/shard/transport.ts';

/** Thread 1 writes raw frames to thread 2, whose input.onRaw reads each frame's row count (a u32 at its start) and returns it. */
function pair() {
  const ctl = new Int32Array(new SharedArrayBuffer(controlBytes(3)));
  const rings: RingGrant[] = [];
  const config = { ringBytes: 64 * 1024, maxPayloadBytesInFlight: 1 << 20, records: createRecordStores(3) };
  const consumer = new Transport(2, 3, rings, ctl, config, () => {}, () => {});
  const got: number[] = [];
  consumer.input.onRaw = (bytes) => {
    const rows = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(0, true);
    got.push(bytes[4]!);
    return rows;
  };
  const producer = new Transport(1, 3, [], ctl, config, () => {}, () => {});
  producer.links = {
    ringOpened: (to, ring) => {
      rings.push({ from: 1, to, ring });
      consumer.input.attachRing(1, ring);
    },
    channelWanted: () => {},
  };
  return { producer, consumer, got };
}

function frame(rows: number, seq: number): Uint8Array {
  const b = new Uint8Array(16);
  new DataView(b.buffer).setUint32(0, rows, true);
  b[4] = seq;
  return b;
}

test('one poll hands over about 512 rows of raw frames (past that, not another frame); the rest come in order at the next polls', () => {
  const { producer, consumer, got } = pair();
  for (let k = 0; k < 40; k++) producer.emitRaw(2, frame(100, k));
  producer.flush();
  const perPoll: number[] = [];
  while (got.length < 40) {
    const before = got.length;
    consumer.input.poll(4096);
    perPoll.push(got.length - before);
  }
  // 100 rows a frame: the sixth frame takes a poll past 512 rows.
  assert.equal(perPoll, [6, 6, 6, 6, 6, 6, 4]);
  assert.equal(got, [...Array(40).keys()], 'in order');
});

test('frames of few rows (tracing at a low rate) all go in one poll', () => {
  const { producer, consumer, got } = pair();
  for (let k = 0; k < 40; k++) producer.emitRaw(2, frame(3, k));
  producer.flush();
  consumer.input.poll(4096);
  assert.is(got.length, 40);
});

test.run();
