// The scheduler's turns: an actor whose handlers are slow gets short turns even when it is alone on its shard.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { Pid } from '@joerl/runtime';
import { expect, withSystem } from '../helpers.ts';

const STEPPER = new URL('../fixtures/stepper.actor.ts', import.meta.url);
const test = suite('scheduler');

// Regression (issue 17, "Shard 2 lags"): the demo's shard 2 held only two
// hash workers, each hashing a job in steps (a message to itself per step).
// Its slices had one or two turns, fewer than the four after which the
// scheduler first looks at the clock, so it never noticed the slow handlers,
// and each turn ran a whole job (a 64-message budget): the shard's event
// loop stood still for tens of ms, hundreds on a loaded machine. And one
// fast message (a new job) handed a known-slow actor a whole budget again:
// the stepper pokes itself just before it pings.
test('a lone actor stepping through bursts of slow self-sent messages yields after each step', () =>
  withSystem({ threads: 1 }, async (system) => {
    const inbox = system.inbox();
    const stepper = (await system.spawn(STEPPER, undefined, { shard: 1 })) as Pid<any>;
    const echo = (await system.spawn(STEPPER, undefined, { shard: 1, export: 'echo' })) as Pid<any>;
    const behind: number[] = [];
    for (let burst = 0; burst < 6; burst++) {
      // Each burst starts from another thread, as a job reaches a worker from the dispatcher.
      system.send(stepper, { go: 20, stepMs: 1, pingAt: 10, echo, report: inbox.pid });
      const pong = await expect<{ behind: number }>(inbox, (m) => m?.event === 'pong', 'the echo of a mid-burst ping');
      behind.push(pong.behind);
      await expect(inbox, (m) => m?.event === 'burst-done', 'the end of the burst');
    }
    // The first two bursts teach the scheduler that the stepper is slow; a
    // whole-burst turn would leave the ping 10 steps behind.
    for (const [i, b] of behind.slice(2).entries()) assert.ok(b <= 1, `burst ${i + 2}: ${b} steps ran before the ping on the same shard was answered (all: ${behind.join(', ')})`);
  }));

test.run();
