// Two transports in one thread, wired as the main thread wires them: side items in flight are bounded, in order, survive a consumer restart as "lost", and a poll takes a bounded amount of them.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { MessageChannel } from 'node:worker_threads';
import { createRecordStores } from '../../src/codec/ring-codec.ts';
import { controlBytes } from '../../src/ring/control-block.ts';
import { EPOCH_INDEX, PORT_ACK_INDEX, PORT_GEN_INDEX } from '../../src/ring/layout.ts';
import { ringHeader } from '../../src/ring/ring.ts';
import { OP_SEND, type RingGrant } from '../../src/shard/protocol.ts';
import { POLL_SIDE_KIB, lastNudge } from '../../src/shard/side-intake.ts';
import { Transport } from '../../src/shard/transport.ts';

const KiB = 1024;

/** Threads 1 (producer) and 2 (consumer) with what the link broker would do between them. */
function pair(budget: number) {
  const ctl = new Int32Array(new SharedArrayBuffer(controlBytes(3)));
  const got: unknown[] = [];
  const rings: RingGrant[] = [];
  const config = { ringBytes: 64 * KiB, maxPayloadBytesInFlight: budget, records: createRecordStores(3) };
  const consumer = { t: null as Transport | null };
  const makeConsumer = () => new Transport(2, 3, rings, ctl, config, (ops) => { for (let i = 0; i < ops.length; i += 3) got.push(ops[i + 2]); }, () => {});
  consumer.t = makeConsumer();
  const asked: number[] = [];
  const producer = new Transport(1, 3, [], ctl, config, () => {}, () => {});
  producer.links = {
    ringOpened: (to, ring) => {
      rings.push({ from: 1, to, ring });
      consumer.t!.input.attachRing(1, ring);
    },
    channelWanted: (to) => {
      asked.push(to);
      const hdr = ringHeader(rings[0]!.ring);
      const gen = Atomics.add(hdr, PORT_GEN_INDEX, 1) + 1;
      const { port1, port2 } = new MessageChannel();
      producer.attachChannel(1, to, port1, gen);
      consumer.t!.attachChannel(1, to, port2, gen);
    },
  };
  return { producer, consumer, got, asked, rings, restartConsumer: () => (consumer.t = makeConsumer()) };
}

const big = (n: number, fill: number) => new Uint8Array(n).fill(fill);

test('side items in flight to one thread stay within maxPayloadBytesInFlight; the rest waits in order and goes as the consumer takes them', () => {
  const { producer, consumer, got } = pair(1024 * KiB);
  // One batch per send: 512 KiB each, a budget of 1 MiB, so two at a time.
  for (let i = 0; i < 6; i++) {
    producer.emit2(2, OP_SEND, i, { i, data: big(512 * KiB, i) });
    producer.flush();
  }
  assert.ok(producer.hasOverflow(), 'batches wait for the budget');
  assert.not.ok(producer.canDrainOverflow(), 'nothing can go before the consumer takes some');
  const rounds: number[] = [];
  while (got.length < 6) {
    const before = got.length;
    consumer.t!.input.poll(1000);
    rounds.push(got.length - before);
    assert.ok(producer.canDrainOverflow() || got.length === 6, 'taking items opens the gate');
    producer.flush();
  }
  assert.equal(rounds, [2, 2, 2], 'at most 1 MiB (two items) in flight at a time');
  got.forEach((m, i) => {
    const { i: seq, data } = m as { i: number; data: Uint8Array };
    assert.is(seq, i, 'in order');
    assert.is(data.length, 512 * KiB);
    assert.ok(data.every((b) => b === i), 'intact');
  });
  assert.not.ok(producer.hasOverflow());
});

test('a lone batch larger than the budget still goes, alone', () => {
  const { producer, consumer, got } = pair(1024 * KiB);
  producer.emit2(2, OP_SEND, 0, { data: big(3 * 1024 * KiB, 1) });
  producer.flush();
  producer.emit2(2, OP_SEND, 1, { data: big(128 * KiB, 2) });
  producer.flush();
  assert.ok(producer.hasOverflow(), 'the second waits for the first');
  consumer.t!.input.poll(1000);
  assert.is(got.length, 1);
  producer.flush();
  consumer.t!.input.poll(1000);
  assert.is(got.length, 2);
  assert.is((got[1] as { data: Uint8Array }).data[0], 2);
});

test('a consumer restart: frames meant for the dead one report their items lost; the producer asks for a new channel and the new one gets intact items', () => {
  const { producer, consumer, got, asked, rings, restartConsumer } = pair(64 * 1024 * KiB);
  producer.emit2(2, OP_SEND, 0, { seq: 0, data: big(128 * KiB, 7) });
  producer.flush();
  assert.equal(asked, [2]);
  // The consumer dies before reading: the main thread resets the acknowledgement and moves the epoch.
  const hdr = ringHeader(rings[0]!.ring);
  Atomics.store(hdr, PORT_ACK_INDEX, 0);
  Atomics.add(hdr, EPOCH_INDEX, 1);
  restartConsumer();
  producer.emit2(2, OP_SEND, 1, { seq: 1, data: big(128 * KiB, 8) });
  producer.flush();
  assert.equal(asked, [2, 2], 'asked once more, for the new epoch');
  consumer.t!.input.poll(1000);
  assert.is(got.length, 2);
  assert.equal(got[0], { seq: 0, data: '[131072 bytes of binary data, lost with the thread that held them]' });
  assert.is((got[1] as { data: Uint8Array }).data[0], 8);
});

test('a poll takes at most POLL_SIDE_KIB of side items and leaves the rest in the ring, in order; the poll after one that took some first lets V8 check its young ArrayBuffer bytes', () => {
  const { producer, consumer, got } = pair(64 * 1024 * KiB);
  const mib = POLL_SIDE_KIB / 1024;
  // One frame per send: 1 MiB parts, half again as many as a poll takes, all within the budget.
  const n = mib + mib / 2;
  for (let i = 0; i < n; i++) {
    producer.emit2(2, OP_SEND, i, { i, data: big(1024 * KiB, i & 255) });
    producer.flush();
  }
  assert.not.ok(producer.hasOverflow(), 'all posted: the bound is the consumer\'s');
  const before = lastNudge();
  consumer.t!.input.poll(1000);
  assert.is(got.length, mib, 'the first poll stops at POLL_SIDE_KIB, though its op budget allows more');
  assert.is(lastNudge(), before, 'nothing taken before the first poll: no nudge');
  consumer.t!.input.poll(1000);
  assert.is(got.length, n, 'the next poll takes the rest');
  const second = lastNudge();
  assert.ok(second !== before && second instanceof ArrayBuffer, 'the poll after one that took side items allocates a buffer first');
  consumer.t!.input.poll(1000);
  const third = lastNudge();
  assert.ok(third !== second, 'and so does the poll after that one');
  consumer.t!.input.poll(1000);
  assert.is(lastNudge(), third, 'a poll after one that took none does not');
  got.forEach((m, i) => {
    const { i: seq, data } = m as { i: number; data: Uint8Array };
    assert.is(seq, i, 'in order');
    assert.ok(data[0] === (i & 255) && data[data.length - 1] === (i & 255), 'intact');
  });
});

test.run();
