// Big parts sent in a stream: they leave the sender before its turn ends, and those waiting for the budget stay off its heap.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { ActorSystem, Inbox, Pid } from '@joerl/runtime';
import { expect, withSystem } from '../helpers.ts';
import { makeBinary, summary } from '../fixtures/payload.actor.ts';

const STREAM = new URL('../fixtures/stream.actor.ts', import.meta.url);
const MiB = 1 << 20;
const test = suite('payloads-stream');

/** A stream actor on each shard, reporting to one inbox, and a first part sent from a to b (it sets up the side channel: the sender's thread must be free to take its end). */
async function streamPair(system: ActorSystem): Promise<{ inbox: Inbox<any>; a: Pid<any>; b: Pid<any> }> {
  const inbox = system.inbox();
  const a = (await system.spawn(STREAM, { report: inbox.pid }, { shard: 1 })) as Pid<any>;
  const b = (await system.spawn(STREAM, { report: inbox.pid }, { shard: 2 })) as Pid<any>;
  system.send(a, { op: 'send-and-measure', to: b, seq: 0, bytes: MiB, count: 1 });
  await expect(inbox, (m) => m?.event === 'checked' && m.seq === 0, 'the first part');
  return { inbox, a, b };
}

test('a moved part of 1 MiB or more leaves its sender before the turn ends: the receiver has it while the sender is still in its handler', () =>
  withSystem({ threads: 2, handlerTimeoutMs: 120_000 }, async (system) => {
    const { inbox, a, b } = await streamPair(system);
    for (const [seq, bytes] of [[1, MiB], [2, 8 * MiB]] as const) {
      const flags = new Int32Array(new SharedArrayBuffer(8));
      system.send(a, { op: 'send-and-wait', to: b, flags, seq, bytes });
      const waited = await expect<{ result: string }>(inbox, (m) => m?.event === 'waited' && m.seq === seq, 'the sender done waiting');
      assert.is.not(waited.result, 'timed-out', `${bytes} bytes: published before the sender's turn ended`);
      const got = await expect<{ summary: string }>(inbox, (m) => m?.event === 'checked' && m.seq === seq, 'the part');
      assert.is(got.summary, summary(makeBinary('Float64Array', bytes, seq)));
    }
  }));

test('parts waiting for the in-flight budget are held off the sender\'s heap, and arrive intact and in order once the receiver reads again', () =>
  withSystem({ threads: 2, maxPayloadBytesInFlight: MiB, handlerTimeoutMs: 120_000 }, async (system) => {
    const { inbox, a, b } = await streamPair(system);
    // The receiver's thread stops reading: one part takes the whole budget, the other seven wait.
    const flags = new Int32Array(new SharedArrayBuffer(8));
    system.send(b, { op: 'block', flags });
    await Atomics.waitAsync(flags, 0, 0).value;
    system.send(a, { op: 'send-and-measure', to: b, seq: 1, bytes: MiB, count: 8 });
    const measured = await expect<{ grew: number }>(inbox, (m) => m?.event === 'measured' && m.seq === 1, 'the sends');
    // Held as ArrayBuffers of the sender's isolate, the seven waiting parts were 7 MiB of its external memory.
    assert.ok(measured.grew < 3 * MiB, `the sender's external memory grew by ${(measured.grew / MiB).toFixed(1)} MiB`);
    Atomics.store(flags, 1, 1);
    Atomics.notify(flags, 1);
    for (let seq = 1; seq <= 8; seq++) {
      const got = await expect<{ seq: number; summary: string }>(inbox, (m) => m?.event === 'checked', `part ${seq}`);
      assert.is(got.seq, seq, 'in order');
      assert.is(got.summary, summary(makeBinary('Uint8Array', MiB, seq)));
    }
  }));

test('parts waiting for the budget keep their place: a crashed sender\'s parts and plain messages all reach the receiver before its DOWN', () =>
  withSystem({ threads: 2, maxPayloadBytesInFlight: MiB, handlerTimeoutMs: 120_000 }, async (system) => {
    const { inbox, a, b } = await streamPair(system);
    system.send(b, { op: 'watch', who: a });
    await expect(inbox, (m) => m?.event === 'watching', 'the monitor');
    const ref = inbox.monitor(a);
    const flags = new Int32Array(new SharedArrayBuffer(8));
    system.send(b, { op: 'block', flags });
    await Atomics.waitAsync(flags, 0, 0).value;
    // Four parts of 1 MiB and four plain messages, then a crash: with the receiver not reading, three parts wait.
    system.send(a, { op: 'send-and-crash', to: b, seq: 1, bytes: MiB, count: 4 });
    await expect(inbox, (m) => m?.ref === ref, 'the sender\'s DOWN at main');
    Atomics.store(flags, 1, 1);
    Atomics.notify(flags, 1);
    for (let seq = 1; seq <= 8; seq++) {
      const got = await expect<{ event: string; seq: number; summary: string }>(inbox, (m) => m?.event === 'checked' || m?.event === 'down', `message ${seq}`);
      assert.is(got.event, 'checked', `message ${seq} before the DOWN`);
      assert.is(got.seq, seq, 'in order');
      assert.is(got.summary, seq % 2 === 1 ? summary(makeBinary('Uint8Array', MiB, seq)) : summary(null));
    }
    await expect(inbox, (m) => m?.event === 'down', 'the DOWN, last');
  }));

test.run();
