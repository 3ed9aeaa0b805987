// StartClocks: actors that start at the same clock share a slot; each reads back its own start, whatever the order of exits, against a model.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { StartClocks } from '../../src/shard/start-clocks.ts';

const src = { inTurn: false, clock: 0, outClock: 0 };

test('spawns at one clock share a slot, freed when the last holder releases it', () => {
  const sc = new StartClocks(4);
  src.inTurn = false;
  src.outClock = 10.5;
  const a = sc.hold(src);
  const b = sc.hold(src);
  assert.is(a, b);
  assert.is(sc.live, 1);
  src.inTurn = true;
  src.clock = 11.25;
  const c = sc.hold(src);
  assert.is.not(c, a);
  assert.is(sc.at[c], 11.25);
  sc.release(a);
  assert.is(sc.live, 2, 'one holder of the first clock is left');
  assert.is(sc.at[b], 10.5);
  sc.release(b);
  sc.release(c);
  assert.is(sc.live, 0);
});

test('a freed slot is never shared again by value: a later spawn at the same clock opens its own', () => {
  const sc = new StartClocks(4);
  src.inTurn = false;
  src.outClock = 7;
  const a = sc.hold(src);
  sc.release(a); // a is free (and was the last opened)
  const b = sc.hold(src); // may reuse a's slot, as a fresh one
  const other = { inTurn: false, clock: 0, outClock: 8 };
  const c = sc.hold(other); // must not get b's slot while b holds it
  assert.is.not(c, b);
  assert.is(sc.at[b], 7);
  assert.is(sc.at[c], 8);
  assert.is(sc.live, 2);
});

test('starts read back exactly against a model, seeded (holds, releases, growth)', () => {
  let seed = 12345;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
  const sc = new StartClocks(2);
  const live: { slot: number; start: number }[] = [];
  let now = 1000.125;
  for (let step = 0; step < 20_000; step++) {
    const r = rnd();
    if (r < 0.2) now += rnd() < 0.5 ? 0.001 : 3.5; // the clock moves (often by a little)
    if (r < 0.55 || live.length === 0) {
      const inTurn = rnd() < 0.5;
      const s = { inTurn, clock: inTurn ? now : -1, outClock: inTurn ? -1 : now };
      live.push({ slot: sc.hold(s), start: now });
    } else {
      const k = Math.floor(rnd() * live.length);
      const [gone] = live.splice(k, 1);
      assert.is(sc.at[gone!.slot], gone!.start, `step ${step}: a start read back`);
      sc.release(gone!.slot);
    }
    if (step % 997 === 0) for (const l of live) assert.is(sc.at[l.slot], l.start, `step ${step}: every live start intact`);
  }
  const distinct = new Set(live.map((l) => l.slot)).size;
  assert.ok(sc.live >= distinct, 'no live start lost its slot');
  for (const l of live.splice(0)) sc.release(l.slot);
  assert.is(sc.live, 0, 'every slot freed');
});

test.run();
