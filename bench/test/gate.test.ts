// The bench's CPU gate: a phase waits for equal CPUs, runs again when they were unequal at its end, and says so.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Gate } from '../src/gate.ts';

const EQUAL = [7.0, 7.2];
const SLOW = [10.4, 7.1];

/** A CPU check that reads `seq` one after another, then its last value for ever. */
function checks(...seq: number[][]): { speeds: () => number[]; count: () => number } {
  let i = 0;
  return { speeds: () => seq[Math.min(i++, seq.length - 1)]!, count: () => i };
}

test('equal CPUs throughout: each phase runs once', async () => {
  const c = checks(EQUAL);
  const gate = new Gate({ budgetMs: 1000, speeds: c.speeds, pollMs: 1 });
  let runs = 0;
  assert.is(await gate.run('one', async () => ++runs), 1);
  assert.is(runs, 1);
  assert.match(gate.notes('one'), /^one: CPUs 7\.0\/7\.2 ms before, 7\.0\/7\.2 ms after$/);
  assert.is(gate.summary(), 'CPU checks: 1 phase, 0 run again, 0 on unequal CPUs, 0 s of waiting for equal ones');
});

test('it waits for equal CPUs, and runs a phase again when they were unequal at its end', async () => {
  // Before: slow, slow, equal (it waits); after: slow (again); before: equal; after: equal.
  const c = checks(SLOW, SLOW, EQUAL, SLOW, EQUAL, EQUAL);
  const gate = new Gate({ budgetMs: 60_000, speeds: c.speeds, pollMs: 1 });
  let runs = 0;
  assert.is(await gate.run('two', async () => ++runs), 2);
  assert.is(c.count(), 6);
  assert.match(gate.notes('two'), /, attempt 2$/);
  assert.match(gate.summary(), /1 phase, 1 run again, 0 on unequal CPUs/);
});

test('with its waiting spent, a phase runs on unequal CPUs, once, and says so', async () => {
  const c = checks(SLOW);
  const gate = new Gate({ budgetMs: 0, speeds: c.speeds, pollMs: 1 });
  let runs = 0;
  await gate.run('three', async () => ++runs);
  assert.is(runs, 1);
  assert.match(gate.notes('three', 'never'), /^three: CPUs 10\.4\/7\.1 ms before, 10\.4\/7\.1 ms after \(unequal\); never: not run$/);
  assert.match(gate.summary(), /0 run again, 1 on unequal CPUs/);
});

test('without a CPU check (no taskset) nothing waits', async () => {
  const gate = new Gate({ budgetMs: 60_000, speeds: () => null, pollMs: 60_000 });
  assert.is(await gate.run('four', async () => 'done'), 'done');
  assert.match(gate.notes('four'), /^four: CPUs not measured \(no taskset\)/);
});

test.run();
