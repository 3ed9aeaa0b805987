// The SPSC ring: frames in order across wrap-around, fragmentation of large messages, full-ring refusal, reset.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { RingReader, RingWriter, createRingBuffer, ringFill, ringHeader } from '../../src/ring/ring.ts';
import { READ_INDEX, WRITE_INDEX } from '../../src/ring/layout.ts';

const bytes = (n: number, seed: number) => Uint8Array.from({ length: n }, (_, i) => (i * 31 + seed) & 255);
function readAll(r: RingReader): Uint8Array[] {
  const out: Uint8Array[] = [];
  r.read((b) => out.push(b.slice()));
  return out;
}

test('frames arrive in order, intact, across many wrap-arounds', () => {
  const sab = createRingBuffer(1024);
  const w = new RingWriter(sab);
  const r = new RingReader(sab);
  let seq = 0;
  let expected = 0;
  for (let round = 0; round < 500; round++) {
    const n = 1 + (round % 5);
    for (let i = 0; i < n; i++) {
      const len = 1 + ((seq * 37) % 150);
      assert.ok(w.tryWrite(bytes(len, seq), false), `write ${seq}`);
      seq++;
    }
    assert.not.ok(r.hasData(), 'nothing visible before publish');
    w.publish();
    for (const got of readAll(r)) {
      const len = 1 + ((expected * 37) % 150);
      assert.equal(got, bytes(len, expected));
      expected++;
    }
  }
  assert.is(expected, seq);
});

test('the byte counters pass 2^31 and wrap at 2^32 with every frame intact, and stay small integers (int32) all the way', () => {
  for (const start of [2 ** 31 - 600, 2 ** 32 - 600]) {
    const sab = createRingBuffer(1024);
    const ctl = ringHeader(sab);
    // As the counters of a ring that has carried ~2 or ~4 GiB (what a restarted end would find).
    Atomics.store(ctl, WRITE_INDEX, start | 0);
    Atomics.store(ctl, READ_INDEX, start | 0);
    const w = new RingWriter(sab);
    const r = new RingReader(sab);
    let seq = 0;
    let expected = 0;
    for (let round = 0; round < 40; round++) {
      for (let i = 0; i < 3; i++) {
        assert.ok(w.tryWrite(bytes(1 + ((seq * 53) % 200), seq), false), `write ${seq}`);
        seq++;
      }
      w.publish();
      assert.ok(ringFill(sab) > 0 && ringFill(sab) <= 1, `fill ${ringFill(sab)}`);
      for (const got of readAll(r)) {
        assert.equal(got, bytes(1 + ((expected * 53) % 200), expected));
        expected++;
      }
      assert.is(ringFill(sab), 0);
      const fields = w as unknown as { w: number };
      assert.ok(Number.isInteger(fields.w) && fields.w === (fields.w | 0), `writer counter ${fields.w} is int32`);
    }
    assert.is(expected, seq);
    // The counters went past the boundary (and the read one with them).
    assert.ok(((Atomics.load(ctl, WRITE_INDEX) - (start | 0)) >>> 0) > 600);
  }
});

test('frames of every length up to 600 bytes (copied word by word, handed over in a view kept per length) and one of an odd length over the reader\'s buffer read back intact', () => {
  const sab = createRingBuffer(1 << 20);
  const w = new RingWriter(sab);
  const r = new RingReader(sab);
  // Two frames of each length, different bytes: the second comes in the same view, with its own content.
  for (let len = 0; len <= 600; len++) {
    assert.ok(w.tryWrite(bytes(len, len), false));
    assert.ok(w.tryWrite(bytes(len, len + 1), false));
  }
  // Over the reader's 64 KiB buffer, and not a whole number of words: the buffer grows to a whole number of them.
  const big = bytes(65 * 1024 + 3, 9);
  assert.ok(w.tryWrite(big, false));
  assert.ok(w.tryWrite(bytes(5, 77), false), 'a small frame after the buffer grew');
  w.publish();
  const got = readAll(r);
  assert.is(got.length, 601 * 2 + 2);
  for (let len = 0; len <= 600; len++) {
    assert.equal(got[2 * len], bytes(len, len), `length ${len}`);
    assert.equal(got[2 * len + 1], bytes(len, len + 1), `length ${len}, again`);
  }
  assert.equal(got[1202], big);
  assert.equal(got[1203], bytes(5, 77));
});

test('a full ring refuses a frame without writing anything, then accepts after the reader frees space', () => {
  const sab = createRingBuffer(256);
  const w = new RingWriter(sab);
  const r = new RingReader(sab);
  let n = 0;
  while (w.tryWrite(bytes(60, n), false)) n++;
  assert.is(n, 4); // 4 x 64 bytes fill 256
  w.publish();
  assert.is(readAll(r).length, 4);
  assert.ok(w.tryWrite(bytes(60, 99), false));
});

test('a writer reuses exactly the space the reader has freed, however often it last looked', () => {
  const sab = createRingBuffer(256);
  const w = new RingWriter(sab);
  const r = new RingReader(sab);
  for (let i = 0; i < 4; i++) assert.ok(w.tryWrite(bytes(60, i), false));
  w.publish();
  const got: Uint8Array[] = [];
  assert.is(r.read((b) => got.push(b.slice()), 2), 2);
  // Two frames' worth freed: two more fit, a third does not, and nothing unread is overwritten.
  assert.ok(w.tryWrite(bytes(60, 4), false));
  assert.ok(w.tryWrite(bytes(60, 5), false));
  assert.not.ok(w.tryWrite(bytes(60, 6), false));
  w.publish();
  r.read((b) => got.push(b.slice()));
  assert.equal(got, [0, 1, 2, 3, 4, 5].map((i) => bytes(60, i)));
  assert.ok(w.tryWrite(bytes(60, 6), false));
});

test('a message larger than a chunk is fragmented and reassembled', () => {
  const sab = createRingBuffer(4096);
  const w = new RingWriter(sab);
  const r = new RingReader(sab);
  const big = bytes(3000, 5);
  const got: Uint8Array[] = [];
  for (let off = 0; off < big.length; ) {
    const end = Math.min(big.length, off + w.maxChunk);
    while (!w.tryWrite(big.subarray(off, end), end < big.length)) {
      w.publish();
      r.read((b) => got.push(b.slice()));
    }
    off = end;
  }
  w.publish();
  r.read((b) => got.push(b.slice()));
  assert.is(got.length, 1);
  assert.equal(got[0], big);
});

test('RESET drops a half-received message from a dead producer', () => {
  const sab = createRingBuffer(4096);
  const w1 = new RingWriter(sab);
  const r = new RingReader(sab);
  w1.tryWrite(bytes(100, 1), true); // first fragment; the producer "dies" here
  w1.publish();
  assert.is(readAll(r).length, 0);
  const w2 = new RingWriter(sab); // the restarted producer resumes at the published index
  assert.ok(w2.writeReset());
  assert.ok(w2.tryWrite(bytes(10, 2), false));
  w2.publish();
  const got = readAll(r);
  assert.is(got.length, 1);
  assert.equal(got[0], bytes(10, 2));
});

test('a reader that starts on a ring mid-message (its consumer restarted) skips the rest and counts the messages it carried lost, then reads on', () => {
  const sab = createRingBuffer(4096);
  const w = new RingWriter(sab);
  const first = new RingReader(sab);
  const big = bytes(3000, 7);
  const chunk = w.maxChunk;
  // The first chunk (a batch of 5 sends, says its count) is published and read (its bytes freed), then that reader is gone.
  assert.ok(w.tryWrite(big.subarray(0, chunk), true, 0, 5));
  w.publish();
  assert.is(readAll(first).length, 0);
  let dropped = 0;
  const next = new RingReader(sab, (n) => (dropped += n));
  for (let off = chunk; off < big.length; off += chunk) {
    const end = Math.min(big.length, off + chunk);
    assert.ok(w.tryWrite(big.subarray(off, end), end < big.length));
    w.publish();
  }
  assert.ok(w.tryWrite(bytes(10, 8), false));
  w.publish();
  // Not the rest of the big message read as a message of its own: only the whole one after it.
  assert.equal(readAll(next), [bytes(10, 8)]);
  assert.is(dropped, 5, 'the 5 sends of the skipped batch, not 1');
  // A reader made after that (the next restart) starts clean.
  assert.ok(w.tryWrite(bytes(20, 9), false));
  w.publish();
  assert.equal(readAll(new RingReader(sab)), [bytes(20, 9)]);
});

test('a message in pieces carries its count (and its tag) on its first frame only, and arrives whole', () => {
  const sab = createRingBuffer(4096);
  const w = new RingWriter(sab);
  const r = new RingReader(sab);
  const chunk = w.maxChunk;
  const big = bytes(chunk * 2 + 10, 3);
  assert.ok(w.tryWrite(big.subarray(0, chunk), true, 77, 12));
  assert.ok(w.tryWrite(big.subarray(chunk, chunk * 2), true));
  assert.ok(w.tryWrite(big.subarray(chunk * 2), false));
  w.publish();
  const got: Array<[Uint8Array, number]> = [];
  r.read((b, tag) => got.push([b.slice(), tag]));
  assert.equal(got, [[big, 77]]);
  assert.is(ringFill(sab), 0, 'every byte freed, the count and tag words with their frames');
});

test('a restarted producer ends a skipped message without a count: its messages were still its own, unsent', () => {
  const sab = createRingBuffer(4096);
  const w1 = new RingWriter(sab);
  const first = new RingReader(sab);
  assert.ok(w1.tryWrite(bytes(w1.maxChunk, 1), true, 0, 4));
  w1.publish();
  assert.is(readAll(first).length, 0);
  let dropped = 0;
  const next = new RingReader(sab, (n) => (dropped += n));
  // The producer dies before the rest; its successor announces itself.
  const w2 = new RingWriter(sab);
  assert.ok(w2.writeReset());
  assert.ok(w2.tryWrite(bytes(10, 2), false));
  w2.publish();
  assert.equal(readAll(next), [bytes(10, 2)]);
  assert.is(dropped, 0);
});

test('fragmented messages one after another reuse the reader reassembly buffer: each arrives whole, none shows an earlier one', () => {
  const sab = createRingBuffer(1024);
  const w = new RingWriter(sab);
  const r = new RingReader(sab);
  const chunk = w.maxChunk;
  // Long, short, long again: a shorter message must not carry the tail of a longer one before it.
  const sizes = [chunk * 3 + 5, chunk + 1, chunk * 2, chunk * 3 + 7, chunk + 3];
  sizes.forEach((n, seq) => {
    const msg = bytes(n, seq);
    const got: Uint8Array[] = [];
    for (let off = 0; off < n; off += chunk) {
      const end = Math.min(n, off + chunk);
      assert.ok(w.tryWrite(msg.subarray(off, end), end < n), `chunk at ${off} of message ${seq}`);
      w.publish();
      r.read((b) => got.push(b.slice()));
    }
    assert.is(got.length, 1, `message ${seq} arrives once, whole`);
    assert.equal(got[0], msg);
  });
});

test.run();
