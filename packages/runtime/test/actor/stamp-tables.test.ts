// Stamp arrays in the thread's chunks of stamp slots: mailboxes of one ring size share chunks, and every slot is freed when its mailbox grows, shrinks or is released.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Mailbox, STAMP_IN } from '../../src/actor/mailbox.ts';
import { SHRINK_ABOVE, settleIdleRings } from '../../src/actor/stamped-ring.ts';
import { LEAD, SHARED_UP_TO, closeStamps, liveStampSlots, openStamps, stampChunk } from '../../src/actor/stamp-tables.ts';
import { livePairs } from '../../src/actor/stamp-pairs.ts';

type Inner = { stamps: Float64Array | null; mode: number; buf: unknown[] };
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

test("mailboxes of one ring size keep their stamps in shared chunks (256 four-slot mailboxes to one), each in a slot of its own (NaN where nothing is stamped), below every other mode", () => {
  const slots = liveStampSlots();
  const boxes = Array.from({ length: 600 }, () => new Mailbox(Infinity));
  boxes.forEach((m, i) => threeRuns(m, 10 * i));
  assert.is(liveStampSlots(), slots + 600);
  const arrays = new Set(boxes.map((m) => inner(m).stamps));
  assert.ok(arrays.size >= 3 && arrays.size <= 4 && !arrays.has(null), `600 mailboxes in 3 chunks, or 4 with the slots used before (${arrays.size})`);
  const bases = new Set<string>();
  for (const [i, m] of boxes.entries()) {
    // Read after every mailbox opened its slot: a chunk's array is never replaced by a later one.
    const { stamps, mode } = inner(m);
    assert.ok(-mode >= LEAD, `mode ${mode} is a negated base`);
    bases.add(`${[...arrays].indexOf(stamps)} ${-mode}`);
    const at = stamps!;
    assert.equal([...at.subarray(-mode, -mode + 4)].map((x) => (Number.isNaN(x) ? null : x)), [10 * i, 10 * i + 1, 10 * i + 2, null]);
  }
  assert.is(bases.size, 600, 'no two mailboxes share a slot');
  // Taken with their stamps, in order, whichever slot they are in.
  for (const [i, m] of boxes.entries()) {
    for (const [k, msg] of ['a', 'b', 'c'].entries()) {
      assert.is(k === 0 ? m.shiftLone() : m.shift(), msg);
      assert.is(m.lastStamp, 10 * i + k);
    }
  }
  // Emptied, a mailbox keeps its slot until released; a released slot is NaN-filled for its next mailbox.
  assert.is(liveStampSlots(), slots + 600);
  for (const m of boxes) m.release();
  assert.is(liveStampSlots(), slots);
  const again = new Mailbox(Infinity);
  pushAt(again, 'x', 1);
  again.push('u');
  assert.is(liveStampSlots(), slots + 1, 'an unstamped message behind a stamped one makes the array');
  const { stamps, mode } = inner(again);
  assert.equal([...stamps!.subarray(-mode, -mode + 4)].map((x) => (Number.isNaN(x) ? null : x)), [1, null, null, null]);
  assert.equal([again.shift(), again.lastStamp], ['x', 1]);
  assert.equal([again.shift(), Number.isNaN(again.lastStamp)], ['u', true]);
  again.release();
  assert.is(liveStampSlots(), slots);
});

test('growth moves the stamps to the next size\'s chunks and frees the old slot; past SHARED_UP_TO a ring has an array of its own; shrinking frees it', () => {
  const slots = liveStampSlots();
  const m = new Mailbox(Infinity, 2);
  threeRuns(m, 1);
  const small = inner(m).stamps;
  const want: number[] = [1, 2, 3];
  for (let i = 0; i < SHRINK_ABOVE * 2; i++) {
    pushAt(m, i, 100 + (i % 5));
    want.push(100 + (i % 5));
    if (inner(m).buf.length <= SHARED_UP_TO) assert.is(liveStampSlots(), slots + 1, `at ${i}: one slot, the current size's`);
    else assert.is(liveStampSlots(), slots, `at ${i}: an array of its own, outside the shared chunks`);
  }
  assert.ok(inner(m).stamps !== small);
  const got: number[] = [];
  while (m.length > 0) {
    m.shift();
    got.push(m.lastStamp);
  }
  assert.equal(got, want);
  // Idle and empty at two looks: the ring shrinks and gives its array back (a third run makes a new slot).
  settleIdleRings();
  settleIdleRings();
  assert.is(inner(m).stamps, null);
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

test('a slot freed in a full chunk is the next one handed out: no new chunk while an old one has room', () => {
  // A size of its own here (16 slots: 64 a chunk), so the other tests' slots do not matter.
  const slots = liveStampSlots();
  const taken: [Float64Array, number][] = [];
  const open = (): [Float64Array, number] => {
    const c = stampChunk(16);
    const slot: [Float64Array, number] = [c.at, openStamps(c)];
    taken.push(slot);
    return slot;
  };
  const [first] = open();
  while (taken.length < 64) open();
  // The chunk is full (or was partly used before: then the first array is the one that filled now).
  const [second] = open();
  assert.is.not(second, first, 'a full chunk gets a sibling');
  const freed = taken.find(([at]) => at === first)!;
  closeStamps(freed[0], freed[1]);
  taken.splice(taken.indexOf(freed), 1);
  const [again, base] = open();
  assert.is(again, first, 'the chunk with the freed slot is used again');
  assert.is(base, freed[1], 'its freed slot');
  const [next] = open();
  assert.is(next, second, 'and once it is full again, the sibling');
  for (const [at, b] of taken) closeStamps(at, b);
  assert.is(liveStampSlots(), slots, 'every slot freed again');
});

test.run();
