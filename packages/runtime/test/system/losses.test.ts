// The main thread in a dead consumer's place: what it reads from the rings into a gone shard, and what it counts lost there.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Pid } from '@joerl/runtime';
import { RingCodec, createRecordStores } from '../../src/codec/ring-codec.ts';
import { controlBytes } from '../../src/ring/control-block.ts';
import { RingReader, RingWriter, createRingBuffer } from '../../src/ring/ring.ts';
import { OP_SEND } from '../../src/shard/protocol.ts';
import { RingDrains, drainRingsInto } from '../../src/system/losses.ts';
import { consoleLogger } from '../../src/system/logger.ts';
import { SystemReports } from '../../src/system/reports.ts';
import { ReportSink, type Shipped } from '../../src/shard/report-sink.ts';

/** Thread 0 (a live producer) writes to thread 1 (a consumer gone for good). */
function setup() {
  const ring = createRingBuffer(16 * 1024);
  const records = createRecordStores(2);
  const ctl = new Int32Array(new SharedArrayBuffer(controlBytes(2)));
  const rings = [[null, ring], [null, null]];
  const codec = new RingCodec(records, 0);
  // One batch of ten sends, larger than the whole ring: written in pieces as room is made.
  const ops: unknown[] = [];
  for (let n = 0; n < 10; n++) ops.push(OP_SEND, 5, { n, pad: 'x'.repeat(3000) });
  const bytes = Uint8Array.from(codec.pack(ops));
  return { ring, records, ctl, rings, bytes, writer: new RingWriter(ring) };
}

/** Writes the chunks of `bytes` from `offset` while they fit (the first carries the count of 10); returns how far it got. */
function writeSome(w: RingWriter, bytes: Uint8Array, offset: number): number {
  while (offset < bytes.length) {
    const end = Math.min(bytes.length, offset + w.maxChunk);
    if (!w.tryWrite(bytes.subarray(offset, end), end < bytes.length, 0, offset === 0 ? 10 : -1)) break;
    offset = end;
  }
  w.publish();
  return offset;
}

test('a batch larger than the ring into a gone shard, read over several drains, is found whole: every send with its content', () => {
  const { records, ctl, rings, bytes, writer } = setup();
  const drains = new RingDrains();
  const found: Array<{ to: Pid; n: number }> = [];
  let offset = 0;
  let drainsRun = 0;
  while (offset < bytes.length) {
    offset = writeSome(writer, bytes, offset);
    drainRingsInto(rings, records, ctl, 1, (to, m) => found.push({ to, n: (m as { n: number }).n }), drains);
    drainsRun++;
  }
  assert.ok(drainsRun > 1, 'the batch spanned drains');
  assert.equal(found.map((f) => f.n), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  assert.ok(found.every((f) => f.to.shard === 1 && f.to.serial === 5));
  assert.is(drains.skipped, 0);
});

test('the rest of a batch the dead consumer had begun to read is skipped and counted with the sends it carried', () => {
  const { ring, records, ctl, rings, bytes, writer } = setup();
  let offset = writeSome(writer, bytes, 0);
  // The consumer reads the first pieces (freeing them), then dies.
  new RingReader(ring).read(() => assert.unreachable('not whole yet'));
  const drains = new RingDrains();
  const found: unknown[] = [];
  while (offset < bytes.length) {
    offset = writeSome(writer, bytes, offset);
    drainRingsInto(rings, records, ctl, 1, (_to, m) => found.push(m), drains);
  }
  assert.is(found.length, 0, 'its content went with the consumer');
  assert.is(drains.skipped, 10);
});

test('sends a restarted shard found lost (the rest of a batch its predecessor had begun) come out as messagesLost of that shard, counted as failed sends', () => {
  const events: unknown[] = [];
  const counted: unknown[] = [];
  const reports = new SystemReports((event, r) => events.push([event, r]), consoleLogger, 'silent', (reason, n) => counted.push([reason, n]));
  // What the shard ships to the main thread (OP_REPORT), handed to the main thread's reports.
  new ReportSink(2, (r: Shipped) => reports.report(r)).lost(7);
  assert.equal(events, [['messagesLost', { shard: 2, reason: 'shard_down', queued: 7, unsent: 0 }]]);
  assert.equal(counted, [['shard_down', 7]]);
});

test.run();
