// Output.canDrain: a waiting batch counts as drainable only when its next chunk can be written, wrap included.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { RingReader, RingWriter, createRingBuffer } from '../../src/ring/ring.ts';
import { Output } from '../../src/shard/output.ts';
import type { Outbound } from '../../src/shard/outbound.ts';

test("a batch whose next chunk must start over at the ring's start is not drainable until the tail and the chunk both fit", () => {
  const sab = createRingBuffer(4096);
  const w = new RingWriter(sab);
  const r = new RingReader(sab);
  // Frames of 1024, 1024, 1024 and 512 bytes: the writer 512 bytes from the end. Reading the first frees 1024 at the start.
  for (const n of [1020, 1020, 1020, 508]) assert.ok(w.tryWrite(new Uint8Array(n), false));
  w.publish();
  assert.is(r.read(() => {}, 1), 1);
  // 1536 bytes free, but a chunk of 1024 (1028 with its header) cannot use the 512 at the end: it needs 1540.
  const output = new Output(1024, null as never, null as never, new Int32Array(1), 0, () => {}, null as never);
  const o = { overflow: [{ side: null, bytes: new Uint8Array(4000), offset: 0, tag: 0, msgs: 1 }], writer: w } as unknown as Outbound;
  assert.is(w.maxChunk, 1024);
  assert.not.ok(output.canDrain(o), 'not drainable: the write would fail');
  assert.not.ok(w.tryWrite(new Uint8Array(1024), true), 'and the write does fail');
  assert.is(r.read(() => {}, 1), 1);
  assert.ok(output.canDrain(o), 'drainable once another frame is read');
  assert.ok(w.tryWrite(new Uint8Array(1024), true), 'and the write goes');
});

test.run();
