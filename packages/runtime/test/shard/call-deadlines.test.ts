// CallDeadlines: one queue per timeout value, which keeps nothing it no longer needs.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { PendingCall, Proc } from '../../src/actor/proc.ts';
import { CallDeadlines } from '../../src/shard/call-deadlines.ts';
import type { ShardState } from '../../src/shard/shard-state.ts';

/** A thread's state as CallDeadlines uses it: refs, and a timer heap whose timers the test fires. */
function stubState(): { state: ShardState; due: Map<number, () => void>; delays: Map<number, number> } {
  let ref = 0;
  const due = new Map<number, () => void>();
  const delays = new Map<number, number>();
  const state = {
    newRef: () => ++ref,
    timers: {
      add: (id: number, ms: number, fn: () => void) => {
        due.set(id, fn);
        delays.set(id, ms);
      },
      cancel: (id: number) => due.delete(id),
    },
  };
  return { state: state as unknown as ShardState, due, delays };
}

const call = (timeoutMs: number, deadline: number): PendingCall => ({ timeoutMs, deadline, ended: false }) as unknown as PendingCall;

test('timeouts that differ call by call (a deadline passed down) do not leave a queue per call', () => {
  const { state, due } = stubState();
  const cd = new CallDeadlines(state, () => {});
  const proc = {} as Proc;
  for (let i = 0; i < 10_000; i++) {
    const pc = call(1000 + i / 7, performance.now() + 1000);
    cd.add(proc, i, pc);
    cd.ended(pc);
    // Time passes: the timers of the calls that ended fire (and find nothing to expire).
    if (i % 10 === 9) {
      for (const fire of due.values()) fire();
      due.clear();
    }
  }
  const queues = (cd as unknown as { queues: Map<number, unknown> }).queues;
  assert.ok(queues.size <= 128, `${queues.size} queues kept for 10,000 distinct timeouts`);
});

test('expired calls are not kept by their queue (nor their processes)', () => {
  const { state, due } = stubState();
  const expired: number[] = [];
  const cd = new CallDeadlines(state, (_p, ref) => void expired.push(ref));
  const past = performance.now() - 1;
  for (let i = 0; i < 1000; i++) cd.add({ i } as unknown as Proc, i, call(50, past));
  for (const fire of due.values()) fire();
  assert.is(expired.length, 1000);
  const queues = (cd as unknown as { queues: Map<number, { items: unknown[] }> }).queues;
  const held = [...queues.values()].flatMap((q) => q.items).filter((x) => typeof x === 'object' && x !== null);
  assert.is(held.length, 0, `${held.length} processes or calls still held`);
});

test('a call that joins its queue late (its server did not answer at once) expires by its own deadline, ahead of later ones', () => {
  // Calls.call queues an in-shard call's deadline after its server's turn: a call that turn made with
  // the same timeout is queued first, with a later deadline. The late one must not wait behind it.
  const { state, due } = stubState();
  const expired: number[] = [];
  const cd = new CallDeadlines(state, (_p, ref) => void expired.push(ref));
  const now = performance.now();
  cd.add({} as Proc, 1, call(100, now + 60_000)); // made during the turn: due in a minute
  cd.add({} as Proc, 2, call(100, now - 1)); // the caller's, made before it: due already
  assert.is(due.size, 1, 'one timer for the queue');
  for (const fire of [...due.values()]) fire();
  assert.equal(expired, [2], 'the late-queued call expired, the later one waits');
});

test('a late-joining call whose queue emptied with its timer still set for a later deadline sets the timer again, for its own', () => {
  const { state, delays } = stubState();
  const cd = new CallDeadlines(state, () => {});
  const now = performance.now();
  const other = call(100, now + 60_000);
  cd.add({} as Proc, 1, other);
  cd.ended(other); // the queue is empty, its timer still set for a minute from now
  cd.add({} as Proc, 2, call(100, now - 1));
  assert.equal([...delays.values()], [0], `timer delays: ${[...delays.values()]}`);
});

test.run();
