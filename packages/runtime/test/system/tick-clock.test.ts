// The tick clock's registry of what moves its stamps back: a stopped system's runtime leaves it (or it would keep the system alive).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ActorSystem } from '@joerl/runtime';

test("a system's main-thread runtime registers with the thread's tick clock while it runs, and leaves at its shutdown", async () => {
  // The same module instance the system runs on (dist), not src.
  const ticks = (await import(new URL('../../dist/actor/ticks.js', import.meta.url).href)) as { rebasersLive(): number };
  const before = ticks.rebasersLive();
  for (let i = 0; i < 3; i++) {
    const system = await ActorSystem.start({ threads: 1 });
    assert.is(ticks.rebasersLive(), before + 1, 'registered while it runs');
    await system.shutdown();
    assert.is(ticks.rebasersLive(), before, 'gone after its shutdown');
  }
});

test.run();
