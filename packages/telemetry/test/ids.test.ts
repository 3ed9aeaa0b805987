// Trace and span ids as words: valid W3C ids when read as hex, and the same ids back from hex.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { isSpanContextValid } from '@opentelemetry/api';
import { asWords, carriedRoot, childSpanHi, childSpanLo, formatTraceparent, newRootContext, newWordContext, parseTraceparent, rootKey, rootSpanHi, rootSpanLo, spanHex, spanWords, traceHex, traceWords } from '@joerl/telemetry/internal';

test('a new context made of words reads as a valid, sampled W3C context, and its children keep its trace', () => {
  const seen = new Set<string>();
  for (let k = 0; k < 2000; k++) {
    const root = newWordContext(null);
    assert.match(root.traceId, /^[0-9a-f]{32}$/);
    assert.match(root.spanId, /^[0-9a-f]{16}$/);
    assert.ok(isSpanContextValid(root), 'non-zero ids');
    assert.is(root.traceFlags, 1);
    const child = newWordContext(root);
    assert.is(child.traceId, root.traceId);
    assert.is.not(child.spanId, root.spanId);
    seen.add(root.spanId);
  }
  assert.is(seen.size, 2000, 'span ids do not repeat');
});

test("new contexts over many refills of the word pool (taken a span's or a trace's words at a time) never repeat an id", () => {
  // 6 words a root and 2 a child: 48,000 roots and children draw 192,000 words, the pool (16,384) refilled
  // about a dozen times, at every offset a take of 2 or 4 can meet at its end.
  const spans = new Set<string>();
  const traces = new Set<string>();
  for (let k = 0; k < 24_000; k++) {
    const root = newWordContext(null);
    const child = newWordContext(root);
    assert.ok(isSpanContextValid(root) && isSpanContextValid(child));
    spans.add(root.spanId).add(child.spanId);
    traces.add(root.traceId);
  }
  assert.is(spans.size, 48_000);
  assert.is(traces.size, 24_000);
});

test('words and hex convert both ways, high bits included (words are int32)', () => {
  const trace = 'ffffffff80000000000000017fffffff';
  const tw = traceWords(trace);
  assert.equal([tw.t0, tw.t1, tw.t2, tw.t3], [-1, -2147483648, 1, 2147483647]);
  assert.is(traceHex(tw), trace);
  const [hi, lo] = spanWords('a3ce929d0e0e4736');
  assert.is(spanHex(hi, lo), 'a3ce929d0e0e4736');
  const sc = parseTraceparent('00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01')!;
  const w = asWords(sc);
  assert.is(formatTraceparent(w), '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01');
  assert.is(w.isRemote, true);
  assert.is(asWords(w), w, 'already words: the same object');
});

test("a new trace's ids are derived from its number under the thread's root key: the receiver's copy matches, never zero, distinct and balanced over many traces", () => {
  const ids = new Set<string>();
  const ones = new Array<number>(64).fill(0);
  const tones = new Array<number>(32).fill(0);
  const traces = new Set<string>();
  const n = 20_000;
  for (let k = 0; k < n; k++) {
    const sc = newRootContext();
    assert.ok(sc.root > 0);
    assert.equal([sc.s0, sc.s1], [rootSpanHi(sc), rootSpanLo(sc)]);
    assert.ok(sc.s1 !== 0, 'the low word is never 0');
    const k = rootKey();
    const carried = carriedRoot(k[0]!, k[1]!, k[2]!, k[3]!, sc.root);
    assert.equal([carried.traceId, carried.spanId, carried.isRemote], [sc.traceId, sc.spanId, true]);
    ids.add(sc.spanId);
    traces.add(sc.traceId);
    for (let b = 0; b < 32; b++) tones[b]! += (sc.t3 >>> b) & 1;
    for (let b = 0; b < 32; b++) {
      ones[b]! += (sc.s0 >>> b) & 1;
      ones[32 + b]! += (sc.s1 >>> b) & 1;
    }
  }
  assert.is(ids.size, n, 'no two alike');
  assert.is(traces.size, n, 'no two traces alike');
  // Each bit set in about half of them (a binomial's 6 sigma at 20k is 2.1%).
  for (const c of ones) assert.ok(Math.abs(c / n - 0.5) < 0.03, `bit balance ${c / n}`);
  for (const c of tones) assert.ok(Math.abs(c / n - 0.5) < 0.03, `trace id bit balance ${c / n}`);
});

test("a receive span's id is mixed from its send span's, a handle span's from its receive's: distinct for distinct parents, never zero, balanced", () => {
  const seen = new Set<string>();
  const ones = new Array<number>(64).fill(0);
  const n = 20_000;
  for (let k = 0; k < n; k++) {
    // Parents that differ in one low bit (the worst case for a weak mix), and in their high word.
    const p0 = k >> 3;
    const p1 = k & 7;
    const lo = childSpanLo(p1);
    const hi = childSpanHi(p0, lo);
    assert.ok(lo !== 0, 'the low word is never 0');
    seen.add(spanHex(hi, lo));
    for (let b = 0; b < 32; b++) {
      ones[b]! += (hi >>> b) & 1;
      ones[32 + b]! += (lo >>> b) & 1;
    }
  }
  assert.is(seen.size, n, 'no two children alike');
  for (const c of ones.slice(0, 32)) assert.ok(Math.abs(c / n - 0.5) < 0.03, `hi bit balance ${c / n}`);
});

test.run();
