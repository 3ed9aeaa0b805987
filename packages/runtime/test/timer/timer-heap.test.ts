// The timer heap: deadline order with ties in creation order, cancel semantics.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { MAX_DELAY, TimerHeap } from '../../src/timer/timer-heap.ts';

// The heap's Node timer is unref'd by design; keep this test process alive while it waits.
const keepAlive = setInterval(() => {}, 1000);
test.after(() => clearInterval(keepAlive));

test('fires in deadline order, ties in creation order; cancel is true only while pending', async () => {
  const fired: number[] = [];
  let resolveAll: () => void;
  const all = new Promise<void>((r) => (resolveAll = r));
  const heap = new TimerHeap(() => {
    if (fired.length === 5) resolveAll();
  });
  const delays = [30, 5, 5, 0, 20, 10];
  delays.forEach((d, i) => heap.add(i, d, () => fired.push(i)));
  assert.ok(heap.cancel(5));
  assert.not.ok(heap.cancel(5));
  assert.not.ok(heap.cancel(42));
  await all;
  assert.equal(fired, [3, 1, 2, 4, 0]);
  assert.not.ok(heap.cancel(0), 'already fired');
  assert.is(heap.size, 0);
});

test('a large random schedule comes out sorted', async () => {
  const fired: number[] = [];
  const n = 300;
  let done: () => void;
  const all = new Promise<void>((r) => (done = r));
  const heap = new TimerHeap(() => {
    if (fired.length === n) done();
  });
  const delays = Array.from({ length: n }, (_, i) => ((i * 7919) % 40));
  // A deadline is the time of `add` plus the delay, and adding 300 timers
  // takes a while on a loaded machine (the thread may lose its core midway),
  // so sorted means sorted by those, not by the delays alone. Each deadline
  // lies between the clock read just before its add and the one just after.
  const bounds = delays.map((d, i) => {
    const lo = performance.now() + d;
    heap.add(i, d, () => fired.push(i));
    return { lo, hi: performance.now() + d };
  });
  await all;
  assert.is(fired.length, n);
  for (let k = 1; k < n; k++) {
    const [a, b] = [bounds[fired[k - 1]!]!, bounds[fired[k]!]!];
    assert.ok(a.lo <= b.hi, `timer ${fired[k]} (deadline by ${b.hi}) fired after timer ${fired[k - 1]} (deadline from ${a.lo})`);
  }
});

test('a timer keeps its owner while pending, not after it fired or was cancelled', async () => {
  let fired: () => void;
  const done = new Promise<void>((r) => (fired = r));
  const heap = new TimerHeap(() => fired());
  const a = { name: 'a' };
  heap.add(1, 60_000, () => {}, a);
  heap.add(2, 0, () => {}, a);
  heap.add(3, 60_000, () => {});
  assert.is(heap.ownerOf(1), a);
  assert.is(heap.ownerOf(3), null, 'added with none');
  assert.ok(heap.cancel(1));
  assert.is(heap.ownerOf(1), null, 'cancelled');
  await done;
  assert.is(heap.ownerOf(2), null, 'fired');
  heap.clear();
});

test("a deadline past setTimeout's range arms it for the longest delay it takes (Node would take 1 ms, every time)", () => {
  const armed: number[] = [];
  const real = globalThis.setTimeout;
  globalThis.setTimeout = ((fn: () => void, ms: number) => {
    armed.push(ms);
    return real(fn, Math.min(ms, MAX_DELAY));
  }) as typeof setTimeout;
  try {
    const heap = new TimerHeap(() => {});
    heap.add(1, 30 * 86_400_000, () => {});
    heap.add(2, MAX_DELAY + 5, () => {});
    assert.equal(armed, [MAX_DELAY], 'armed once, for MAX_DELAY (the second deadline is later still)');
    heap.clear();
  } finally {
    globalThis.setTimeout = real;
  }
});

test.run();
