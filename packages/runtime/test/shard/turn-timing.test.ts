// Queue waits noted by TurnTiming (waited and the lone turn's took per message, runStarts/ranInBlock per run) add up to the exact figures, whichever of its two kept values a wait matches.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { MetricsWriter } from '@joerl/telemetry/internal';
import { SliceClock } from '../../src/shard/slice-clock.ts';
import { TurnTiming } from '../../src/shard/turn-timing.ts';
import { NO_STAMP } from '../../src/actor/stamped-ring.ts';
import { TICKS } from '../../src/actor/ticks.ts';

/** A writer that keeps each recorded wait's count by value; the clock is a field the test moves. */
function writer() {
  const waits = new Map<number, number>();
  const w = {
    samplesAll: true,
    clockNow: 0,
    now: () => w.clockNow,
    queueWait(ms: number, count: number) {
      waits.set(ms, (waits.get(ms) ?? 0) + count);
    },
    processedBlock() {},
  };
  return { w, waits };
}

/** A seeded generator (xorshift32): the same sequence every run. */
function rng(seed: number): () => number {
  let x = seed;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}

test('waits recorded equal the model: either kept value, new ones, unstamped messages, stamps after the clock, runs, lone takes', () => {
  // Ticks from 0 ms: a stamp is its clock in us.
  const origin = TICKS.originMs;
  TICKS.originMs = 0;
  for (let seed = 1; seed <= 20; seed++) {
    const r = rng(seed);
    const { w, waits } = writer();
    const t = new TurnTiming(w as unknown as MetricsWriter, new SliceClock());
    const model = new Map<number, number>();
    const note = (ms: number, k: number) => model.set(ms, (model.get(ms) ?? 0) + k);
    const mb = { lastStamp: NO_STAMP };
    let clock = 100;
    for (let i = 0; i < 2000; i++) {
      // A few clocks and a few stamps, so waits repeat, alternate and change (as timing blocks roll over).
      if (r() < 0.05) clock += 1 + Math.floor(r() * 3);
      t.setClock(clock);
      const x = r();
      // NO_STAMP: not stamped; a stamp after the clock (another thread's): a wait of 0.
      mb.lastStamp = x < 0.1 ? NO_STAMP : (x < 0.15 ? clock + 0.5 : clock - Math.floor(r() * 3) * 0.25) * 1000;
      const wait = Math.max(0, clock * 1000 - mb.lastStamp) / 1000;
      const path = r();
      if (path < 0.3) {
        // A run of k messages with this stamp (the lean turn's path).
        const k = 1 + Math.floor(r() * 4);
        t.runStarts(mb);
        t.ranInBlock(k, k);
        if (mb.lastStamp !== NO_STAMP) note(wait, k);
      } else {
        // The lone turn's take (a stamp equal to the clock counted as a zero wait), or the long way.
        if (path < 0.65) t.took(mb);
        else t.waited(mb);
        if (mb.lastStamp !== NO_STAMP) note(wait, 1);
      }
      if (r() < 0.01) t.flushWaits();
    }
    t.flushWaits();
    assert.equal([...waits].sort((a, b) => a[0] - b[0]), [...model].sort((a, b) => a[0] - b[0]), `seed ${seed}`);
  }
  TICKS.originMs = origin;
});

test('a timing block of fast handlers lasts 0.1 to 0.2 ms whatever their speed; over 10 us a message, each is timed alone; sum and count stay exact', () => {
  const blocks: [number, number][] = [];
  const w = { samplesAll: true, clockNow: 0, now: () => w.clockNow, queueWait() {}, processedBlock: (ms: number, n: number) => blocks.push([ms, n]) };
  const t = new TurnTiming(w as unknown as MetricsWriter, new SliceClock());
  let handled = 0;
  let spent = 0;
  /** `n` handlers of `ms` each, back to back in one open block. */
  const run = (n: number, ms: number) => {
    t.openBlock();
    for (let i = 0; i < n; i++) {
      w.clockNow += ms;
      spent += ms;
      handled++;
      t.countInBlock();
    }
  };
  const lastFull = () => blocks[blocks.length - 1]!;
  // 200 ns handlers: the block grows to 512 (0.1024 ms) and stays there.
  run(20_000, 0.0002);
  assert.is(t.size, 512);
  assert.ok(lastFull()[0] >= 0.1 && lastFull()[0] <= 0.2, `a block lasted ${lastFull()[0]} ms`);
  // 5 us handlers (fast, under 10 us): it halves to 32 (0.16 ms); with at most 256 a block it stayed at 2.56 ms.
  run(3_000, 0.005);
  assert.is(t.size, 32);
  assert.ok(lastFull()[0] >= 0.1 && lastFull()[0] <= 0.2, `a block lasted ${lastFull()[0]} ms`);
  // 20 us handlers: one at a time, each timed exactly.
  run(60, 0.02);
  assert.is(t.size, 1);
  assert.is(lastFull()[1], 1);
  assert.ok(Math.abs(lastFull()[0] - 0.02) < 1e-9, `the last message took ${lastFull()[0]} ms`);
  t.endBlock();
  assert.is(blocks.reduce((k, b) => k + b[1], 0), handled);
  assert.ok(Math.abs(blocks.reduce((x, b) => x + b[0], 0) - spent) < 1e-9, 'the blocks add up to the time spent');
});

test('the first block a slice opens starts at the slice\'s own clock read, once; a later block, and one opened between slices, read the clock', () => {
  const { w } = writer();
  const slice = new SliceClock();
  const t = new TurnTiming(w as unknown as MetricsWriter, slice);
  const origin = performance.timeOrigin;
  w.clockNow = origin + 500;
  slice.lend(100);
  t.openBlock();
  assert.is(t.blockStart, origin + 100, "the slice's read");
  assert.is(t.clock, origin + 100);
  t.closeBlock();
  t.openBlock();
  assert.is(t.blockStart, origin + 500, 'taken once: the next block reads the clock');
  t.closeBlock();
  slice.lend(200);
  slice.expire();
  w.clockNow = origin + 700;
  t.openBlock();
  assert.is(t.blockStart, origin + 700, 'after the slice: its read is stale');
});

test.run();
