// Spawns and exits are written in runs (one write per run of one type, capacity, reason and lifetime), at the thread's record, with the exact totals.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { MetricsWriter, ReasonLabel, TypeMetrics } from '@joerl/telemetry/internal';
import { Pid } from '../../src/actor/pid.ts';
import { Proc } from '../../src/actor/proc.ts';
import { ProcessAccounting } from '../../src/shard/process-accounting.ts';
import { SliceClock } from '../../src/shard/slice-clock.ts';
import { TelemetryLedger } from '../../src/shard/telemetry-ledger.ts';
import { TurnTiming } from '../../src/shard/turn-timing.ts';

/** A writer that keeps each spawned and stopped write as it came. */
function writer() {
  const spawned: Array<{ type: string; capacity: number; n: number }> = [];
  const stopped: Array<{ type: string; reason: ReasonLabel; capacity: number; life: number; n: number }> = [];
  const w = {
    now: () => 0,
    type: (name: string) => ({ name }) as unknown as TypeMetrics,
    spawned: (t: TypeMetrics, capacity: number, n: number) => spawned.push({ type: t.name, capacity, n }),
    stopped: (t: TypeMetrics, reason: ReasonLabel, capacity: number, lifetimes: Float64Array, i: number, n: number) =>
      stopped.push({ type: t.name, reason, capacity, life: lifetimes[i]!, n }),
    processedBlock() {},
    queueWait() {},
  };
  return { w: w as unknown as MetricsWriter, spawned, stopped };
}

test('spawns and exits of one clock, type, capacity and reason are written as one, when the thread records; totals exact', () => {
  const { w, spawned, stopped } = writer();
  const timing = new TurnTiming(w, new SliceClock());
  const procs = new ProcessAccounting(w, timing, new TelemetryLedger(w));
  // Six actors spawned in one turn (one clock): three unbounded, three with a capacity of 8.
  timing.inTurn = true;
  timing.clock = 100;
  const ps = [0, 1, 2, 3, 4, 5].map((i) => {
    const p = new Proc(new Pid(0, 1, i + 1), i < 3 ? Infinity : 8);
    p.typeName = 'Worker';
    procs.typed(p);
    return p;
  });
  // The second run (bounded) is still pending: nothing of it is written before the record.
  assert.equal(spawned, [{ type: 'Worker', capacity: 0, n: 3 }]);
  // Exits: two normal and a panic at clock 150, the three bounded ones at 160.
  const exit = (i: number, reason: ReasonLabel, clock: number) => {
    timing.clock = clock;
    procs.exited(ps[i]!, reason);
  };
  exit(0, 'normal', 150);
  exit(1, 'normal', 150);
  exit(2, 'panic', 150);
  exit(3, 'normal', 160);
  exit(4, 'normal', 160);
  exit(5, 'normal', 160);
  procs.flush();
  assert.equal(spawned, [
    { type: 'Worker', capacity: 0, n: 3 },
    { type: 'Worker', capacity: 8, n: 3 },
  ]);
  assert.equal(stopped, [
    { type: 'Worker', reason: 'normal', capacity: 0, life: 50, n: 2 },
    { type: 'Worker', reason: 'panic', capacity: 0, life: 50, n: 1 },
    { type: 'Worker', reason: 'normal', capacity: 8, life: 60, n: 3 },
  ]);
  // A record with nothing pending writes nothing more.
  procs.flush();
  assert.is(spawned.length + stopped.length, 5);
});

test.run();
