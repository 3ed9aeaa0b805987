// Stamp arrays in the thread's slot tables: mailboxes of one ring size share a table, and every slot is freed when its mailbox grows, shrinks or is released.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Mailbox, STAMP_IN } from '../../src/actor/mailbox.ts';
import { SHRINK_ABOVE, settleIdleRings } from '../../src/actor/stamped-ring.ts';
import { LEAD, SHARED_UP_TO, liveStampSlots } from '../../src/actor/stamp-tables.ts';
import { livePairs } from '../../src/actor/stamp-pairs.ts';

type Inner = { stampTable: { at: Float64Array } | null; mode: number; buf: unknown[] };
const inner = (m: Mailbox): Inner => m as unknown as Inner;

/** A stamped push as the send path makes it: the stamp in STAMP_IN, then the push. */
function pushAt(m: Mailbox, msg: unknown, stamp: number): void {
  STAMP_IN.at = stamp;
  m.pushStamped(msg);
}

/** Three runs queued (Savina's Big: messages from many senders): the mailbox's stamp array is made. */
function threeRuns(m: Mailbox, from: number): void {
  pushAt(m, 'a', from);
  pushAt(m, 'b', from + 1);
  pushAt(m, 'c', from + 2);
}

test("mailboxes of one ring size keep their stamps in one table, each in a slot of its own (NaN where nothing is stamped), below every other mode", () => {
  const slots = liveStampSlots();
  const boxes = Array.from({ length: 120 }, () => new Mailbox(Infinity));
  boxes.forEach((m, i) => threeRuns(m, 10 * i));
  assert.is(liveStampSlots(), slots + 120);
  const table = inner(boxes[0]!).stampTable;
  assert.ok(table !== null);
  const bases = new Set<number>();
  for (const [i, m] of boxes.entries()) {
    const { stampTable, mode } = inner(m);
    assert.is(stampTable, table, 'one table for the size');
    assert.ok(-mode >= LEAD, `mode ${mode} is a negated base`);
    bases.add(-mode);
    const at = stampTable!.at;
    assert.equal([...at.subarray(-mode, -mode + 4)].map((x) => (Number.isNaN(x) ? null : x)), [10 * i, 10 * i + 1, 10 * i + 2, null]);
  }
  assert.is(bases.size, 120, 'no two mailboxes share a slot');
  // Taken with their stamps, in order, whichever table slot they are in.
  for (const [i, m] of boxes.entries()) {
    for (const [k, msg] of ['a', 'b', 'c'].entries()) {
      assert.is(k === 0 ? m.shiftLone() : m.shift(), msg);
      assert.is(m.lastStamp, 10 * i + k);
    }
  }
  // Emptied, a mailbox keeps its slot until released; a released slot is NaN-filled for its next mailbox.
  assert.is(liveStampSlots(), slots + 120);
  for (const m of boxes) m.release();
  assert.is(liveStampSlots(), slots);
  const again = new Mailbox(Infinity);
  pushAt(again, 'x', 1);
  again.push('u');
  assert.is(liveStampSlots(), slots + 1, 'an unstamped message behind a stamped one makes the array');
  const { stampTable, mode } = inner(again);
  assert.equal([...stampTable!.at.subarray(-mode, -mode + 4)].map((x) => (Number.isNaN(x) ? null : x)), [1, null, null, null]);
  assert.equal([again.shift(), again.lastStamp], ['x', 1]);
  assert.equal([again.shift(), Number.isNaN(again.lastStamp)], ['u', true]);
  again.release();
  assert.is(liveStampSlots(), slots);
});

test('growth moves the stamps to the next size\'s table and frees the old slot; past SHARED_UP_TO a ring has a table of its own; shrinking frees it', () => {
  const slots = liveStampSlots();
  const m = new Mailbox(Infinity, 2);
  threeRuns(m, 1);
  const small = inner(m).stampTable;
  const want: number[] = [1, 2, 3];
  for (let i = 0; i < SHRINK_ABOVE * 2; i++) {
    pushAt(m, i, 100 + (i % 5));
    want.push(100 + (i % 5));
    if (inner(m).buf.length <= SHARED_UP_TO) assert.is(liveStampSlots(), slots + 1, `at ${i}: one slot, the current size's`);
    else assert.is(liveStampSlots(), slots, `at ${i}: a table of its own, outside the shared ones`);
  }
  assert.ok(inner(m).stampTable !== small);
  const got: number[] = [];
  while (m.length > 0) {
    m.shift();
    got.push(m.lastStamp);
  }
  assert.equal(got, want);
  // Idle and empty at two looks: the ring shrinks and gives its table back (a third run makes a new slot).
  settleIdleRings();
  settleIdleRings();
  assert.is(inner(m).stampTable, null);
  threeRuns(m, 7);
  assert.is(liveStampSlots(), slots + 1);
  assert.equal([m.shift(), m.lastStamp, m.shift(), m.lastStamp, m.shift(), m.lastStamp], ['a', 7, 'b', 8, 'c', 9]);
  m.release();
  assert.is(liveStampSlots(), slots);
});

test('a released mailbox holds no pair or slot, and takes stamps again as a new one would', () => {
  const pairs = livePairs();
  const m = new Mailbox(Infinity);
  pushAt(m, 'a', 1);
  pushAt(m, 'b', 2);
  assert.is(livePairs(), pairs + 1);
  m.shift();
  m.shift();
  m.release();
  assert.is(livePairs(), pairs);
  pushAt(m, 'c', 3);
  assert.equal([m.shiftLone(), m.lastStamp], ['c', 3]);
});

test.run();
