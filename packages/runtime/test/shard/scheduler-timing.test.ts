// The scheduler times turns, not the flushes between them: a fast actor whose every turn is followed by a slow flush stops being timed.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { performance } from 'node:perf_hooks';
import type { Proc } from '../../src/actor/proc.ts';
import { S_QUEUED } from '../../src/actor/proc.ts';
import { controlBytes } from '../../src/ring/control-block.ts';
import { Scheduler } from '../../src/shard/scheduler.ts';
import type { Transport } from '../../src/shard/transport.ts';

// Regression: the flush for a waiting peer ran between a turn and the clock read that timed it.
// In a cross-shard ping-pong each ~0.3 us turn was charged with its ~1 us flush, over TURN_MS /
// actorBudget (1.6 us) on a slow box: once something had started timing turns (a big frame),
// every turn was timed for good, with a clock read and a budget each.
test('turns of a microsecond, each followed by a flush of 50 us for a waiting peer: timing stops after 256 of them', () => {
  let clock = 0;
  const now = performance.now;
  performance.now = () => clock;
  try {
    let unflushed = false;
    const transport = {
      onDirty: () => {},
      input: { poll: () => 0 },
      backlogged: () => false,
      hasUnflushed: () => unflushed,
      idlePeerWaiting: () => true,
      // Half of TURN_MS (a slice of one such turn is not slow), fifty times the turn: timed with
      // the turn, every turn would look slow (over TURN_MS / actorBudget a message).
      flush: () => {
        if (unflushed) clock += 0.05;
        unflushed = false;
      },
    } as unknown as Transport;
    const p = { status: S_QUEUED, turnBudget: 0, handled: 0, mailbox: { length: 1 } } as unknown as Proc;
    const runTurn = (q: Proc): number => {
      clock += 0.001;
      unflushed = true;
      q.status = S_QUEUED;
      return 1;
    };
    const ctl = new Int32Array(new SharedArrayBuffer(controlBytes(2)));
    const scheduler = new Scheduler(1, ctl, transport, runTurn, 64, 1024, 0);
    const internals = scheduler as unknown as { timing: boolean };
    internals.timing = true;
    for (let i = 0; i < 300; i++) {
      scheduler.enqueue(p);
      scheduler.slice();
    }
    assert.is(internals.timing, false, 'the turns were fast: no longer timed');
    assert.is(p.turnBudget, -1, 'and the actor keeps its whole budget (found fast: catch-up turns allowed)');
  } finally {
    performance.now = now;
  }
});

test.run();
