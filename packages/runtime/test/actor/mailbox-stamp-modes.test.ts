// The mailbox's stamp modes: two runs in a pair slot, a stamp array, the lone turn's take, and all of them against a model.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Mailbox, STAMP_IN } from '../../src/actor/mailbox.ts';
import { livePairs } from '../../src/actor/stamp-pairs.ts';
import { liveStampSlots } from '../../src/actor/stamp-tables.ts';
import { pushAt, takeAll, takeByRuns } from './stamp-helpers.ts';

test('two runs keep their stamps in a pair slot, not a stamp array: shift, runs, a third run, an unstamped message, removeAt; every pair freed', () => {
  const base = livePairs();
  const arrayOf = (mb: Mailbox): unknown => (mb as unknown as { stamps: unknown }).stamps;
  // A parent with both children's answers queued, sent at two clocks (Savina's Fibonacci).
  const m = new Mailbox(Infinity, 2);
  pushAt(m, 'a', 1);
  pushAt(m, 'b', 2);
  assert.is(livePairs(), base + 1, 'the second run takes a pair');
  assert.is(arrayOf(m), null, 'no stamp array');
  pushAt(m, 'c', 2); // joins the second run
  assert.is(livePairs(), base + 1);
  assert.equal(takeAll(m), [['a', 1], ['b', 2], ['c', 2]]);
  assert.is(livePairs(), base);
  // The head run's last message taken: lastStamp stays its stamp (read after the shift, a handler may push
  // meanwhile) until the next shift or headRun moves the second run's stamp there.
  pushAt(m, 'a', 1);
  pushAt(m, 'b', 2);
  assert.is(m.shift(), 'a');
  assert.is(m.lastStamp, 1);
  pushAt(m, 'c', 2); // the handler of 'a' sends more of the second run
  assert.is(m.lastStamp, 1, 'still the taken message\'s stamp');
  assert.is(livePairs(), base + 1, 'the pair is kept until the next take');
  assert.is(m.headRun(), 2);
  assert.is(m.lastStamp, 2);
  assert.is(livePairs(), base, 'a single run now, its stamp in lastStamp');
  pushAt(m, 'd', 2); // joins the single run
  pushAt(m, 'e', 3); // a second pair
  assert.is(m.shiftInRun(), 'b');
  assert.is(m.shiftInRun(), 'c');
  assert.equal(takeAll(m), [['d', 2], ['e', 3]]);
  assert.is(livePairs(), base);
  assert.is(arrayOf(m), null, 'still no stamp array');
  // Taken by runs, more of the second run pushed while the first is taken, growth on the way.
  pushAt(m, 'a', 3);
  pushAt(m, 'b', 3);
  pushAt(m, 'c', 4);
  assert.is(m.headRun(), 2);
  assert.is(m.lastStamp, 3);
  assert.is(m.shiftInRun(), 'a');
  pushAt(m, 'd', 4);
  assert.is(m.shiftInRun(), 'b');
  assert.is(m.lastStamp, 3, 'the head run taken: lastStamp is still its stamp');
  pushAt(m, 'e', 5); // a third stamp behind a used-up head run: a pair of the two runs queued
  assert.is(arrayOf(m), null, 'no stamp array');
  assert.is(m.lastStamp, 3);
  assert.equal(takeByRuns(m), [['c', 4], ['d', 4], ['e', 5]]);
  assert.is(livePairs(), base);
  // After a used-up head run, shift takes the second run's messages with their stamp, then one unstamped.
  pushAt(m, 'a', 6);
  pushAt(m, 'b', 7);
  assert.is(m.shift(), 'a');
  m.push('u'); // run state with the second run at its head
  assert.is(m.lastStamp, 6);
  assert.equal(takeAll(m), [['b', 7], ['u', null]]);
  assert.is(livePairs(), base);
  // A third run, an unstamped message, a system message: run state with the same stamps.
  for (const tail of ['third', 'unstamped', 'system'] as const) {
    const n = new Mailbox(Infinity, 2);
    pushAt(n, 'a', 1);
    pushAt(n, 'b', 1);
    pushAt(n, 'c', 2);
    if (tail === 'third') pushAt(n, 'd', 3);
    else if (tail === 'unstamped') n.push('d');
    else n.pushAlways({ d: 1 });
    pushAt(n, 'e', 3);
    const d: [unknown, number | null] = tail === 'third' ? ['d', 3] : [tail === 'unstamped' ? 'd' : { d: 1 }, null];
    assert.equal(takeAll(n), [['a', 1], ['b', 1], ['c', 2], d, ['e', 3]], tail);
    assert.is(livePairs(), base, tail);
  }
  // removeAt anywhere in a pair (also one whose head run was taken) keeps every other message's stamp.
  for (let i = 0; i < 4; i++) {
    for (const used of [false, true]) {
      const all: Array<[string, number]> = [['a', 1], ['b', 1], ['c', 2], ['d', 2], ['f', 2]];
      const rest = used ? all.slice(2) : all;
      if (i >= rest.length) continue;
      const n = new Mailbox(Infinity, 2);
      for (const [msg, stamp] of all) pushAt(n, msg, stamp);
      if (used) {
        n.shift();
        n.shift();
        assert.is(n.lastStamp, 1);
      }
      n.removeAt(i);
      if (used) assert.is(n.lastStamp, 1, 'removeAt leaves the taken message\'s stamp');
      pushAt(n, 'e', 2);
      assert.equal(takeAll(n), [...rest.filter((_, k) => k !== i), ['e', 2]], `removeAt(${i}) ${used}`);
      assert.is(livePairs(), base);
    }
  }
  // Many pairs at once (the table grows), taken by shift and by runs.
  const many = Array.from({ length: 300 }, () => new Mailbox(Infinity, 2));
  many.forEach((mb, i) => { pushAt(mb, 'x', i); pushAt(mb, 'y', i + 0.5); });
  assert.is(livePairs(), base + 300);
  many.forEach((mb, i) => assert.equal(i % 2 === 0 ? takeAll(mb) : takeByRuns(mb), [['x', i], ['y', i + 0.5]]));
  assert.is(livePairs(), base);
});

test('a stamp array keeps each message its stamp: headRun counts at most max, unstamped ones make runs too, through growth and wrap', () => {
  const arrayOf = (mb: Mailbox): unknown => (mb as unknown as { stamps: unknown }).stamps;
  const m = new Mailbox(Infinity, 2);
  // Messages from many senders (Savina's Big): a new stamp every other message makes the array.
  const want: Array<[unknown, number | null]> = [];
  for (let round = 0; round < 6; round++) {
    for (let i = 0; i < 10; i++) {
      const msg = round * 100 + i;
      if (i === 6 || i === 7) {
        m.push(msg);
        want.push([msg, null]);
      } else {
        pushAt(m, msg, 10 * round + (i >> 1));
        want.push([msg, 10 * round + (i >> 1)]);
      }
    }
    assert.ok(arrayOf(m) !== null, 'a third run makes the stamp array');
    // Runs of two, cut at max 1 for the first; the unstamped pair (6, 7) is one run.
    assert.is(m.headRun(1), 1);
    assert.is(m.headRun(), 2);
    const got = takeByRuns(m);
    assert.equal(got, want.splice(0, 10), `round ${round}`);
    assert.is(m.length, 0);
    // Emptied, it keeps the array: a lone stamped message, then a shift, reads its own stamp.
    pushAt(m, 'x', 0.5);
    assert.is(m.shift(), 'x');
    assert.is(m.lastStamp, 0.5);
  }
});

test('stamps against a model, seeded: pushes of a few stamps (some unstamped or system) between shifts, runs and removals; a push into a non-empty mailbox never moves lastStamp', () => {
  const base = livePairs();
  const slots = liveStampSlots();
  let seed = 12345;
  const rand = (n: number): number => {
    seed = (Math.imul(seed, 1103515245) + 12345) & 0x7fffffff;
    return (seed >>> 16) % n;
  };
  for (let round = 0; round < 200; round++) {
    const m = new Mailbox(Infinity, 2);
    const model: Array<[unknown, number | null]> = [];
    let next = 0;
    // The sends of a handler (or of others) between takes: a push into a non-empty mailbox leaves lastStamp.
    const pushSomeModel = (): void => {
      for (let k = rand(4); k > 0; k--) {
        const before = m.lastStamp;
        const wasEmpty = m.length === 0;
        const kind = rand(round % 2 === 0 ? 12 : 80); // odd rounds: mostly stamped (pairs last longer)
        const msg = kind === 0 ? { sys: next++ } : next++;
        if (kind === 0) m.pushAlways(msg as object);
        else if (kind === 1) m.push(msg);
        else {
          const stamp = 1 + rand(3);
          pushAt(m, msg, stamp);
          model.push([msg, stamp]);
        }
        if (kind < 2) model.push([msg, null]);
        if (!wasEmpty) assert.ok(Object.is(m.lastStamp, before), 'a push into a non-empty mailbox leaves lastStamp');
      }
    };
    for (let step = 0; step < 60; step++) {
      pushSomeModel();
      if (m.length === 0) continue;
      const op = rand(5);
      if (op <= 1) {
        // The lone turn's shiftLone (a mailbox of up to 4) as often as shift.
        const only = m.length <= 4 && rand(2) === 0;
        const msg = only ? m.shiftLone() : m.shift();
        const want = model.shift()!;
        const got = Number.isNaN(m.lastStamp) ? null : m.lastStamp;
        assert.equal([msg, got], want, `round ${round} step ${step}: ${only ? 'shiftLone' : 'shift'}`);
        pushSomeModel(); // the handler sends
      } else if (op <= 3) {
        const k = Math.min(m.headRun(), 1 + rand(3));
        assert.ok(k >= 1 && k <= m.length);
        const got = Number.isNaN(m.lastStamp) ? null : m.lastStamp;
        for (let j = 0; j < k; j++) {
          assert.equal([m.shiftInRun(), got], model.shift()!, `round ${round} step ${step}: run`);
          if (rand(2) === 0) pushSomeModel(); // the handler sends
        }
      } else {
        const i = rand(m.length);
        assert.equal(m.removeAt(i), model.splice(i, 1)[0]![0]);
      }
    }
    assert.equal(takeAll(m), model, `round ${round}: the rest`);
    assert.is(livePairs(), base, `round ${round}: every pair freed`);
    m.release(); // as its process's exit does
    assert.is(liveStampSlots(), slots, `round ${round}: its stamp slot freed, and none left behind by growth`);
  }
});

test('shiftLone takes from a mailbox of a few messages with their stamps; a single run emptied starts over right with whatever is pushed next, with no stamp array or pair', () => {
  const base = livePairs();
  const m = new Mailbox(Infinity);
  const inner = m as unknown as { stamps: Float64Array | null };
  // Never stamped: no stamp.
  m.push('a');
  assert.is(m.shiftLone(), 'a');
  assert.ok(Number.isNaN(m.lastStamp));
  // A ping-pong: one stamped message at a time, a new stamp or the same.
  for (const [i, stamp] of [5, 5, 6, 7, 7].entries()) {
    pushAt(m, i, stamp);
    assert.is(m.shiftLone(), i);
    assert.is(m.lastStamp, stamp);
    assert.is(m.length, 0);
  }
  // A run of three (Savina's Big: turns of a few messages): each with the run's stamp, and empty after.
  for (const i of [20, 21, 22]) pushAt(m, i, 9);
  assert.equal([m.shiftLone(), m.lastStamp, m.shiftLone(), m.shiftLone(), m.lastStamp, m.length], [20, 9, 21, 22, 9, 0]);
  // After the emptying take: an unstamped message, a system one, a stamped one behind it.
  m.push('u');
  assert.is(m.shiftLone(), 'u');
  assert.ok(Number.isNaN(m.lastStamp), 'an unstamped message after a single run has no stamp');
  // The same stamp again, then a second run behind it: a pair, taken in order.
  pushAt(m, 'y', 8);
  assert.is(m.shiftLone(), 'y');
  pushAt(m, 'z', 8);
  pushAt(m, 'w', 9);
  assert.equal(takeAll(m), [['z', 8], ['w', 9]]);
  // A new stamp into the emptied run, then another behind it.
  pushAt(m, 'p', 10);
  assert.is(m.shiftLone(), 'p');
  pushAt(m, 'q', 11);
  pushAt(m, 'r', 12);
  assert.equal(takeAll(m), [['q', 11], ['r', 12]]);
  assert.is(inner.stamps, null, 'no stamp array for two runs at most');
  assert.is(livePairs(), base, 'every pair freed');
  // A system message behind a stamped one (a stamp array from here on), and shiftLone takes as shift does.
  pushAt(m, 'x', 8);
  m.pushAlways({ sys: 1 });
  assert.equal(takeAll(m), [['x', 8], [{ sys: 1 }, null]]);
  assert.ok(inner.stamps !== null);
  pushAt(m, 3, 5);
  assert.is(m.shiftLone(), 3);
  assert.is(m.lastStamp, 5);
  pushAt(m, 4, 6);
  assert.is(m.shiftLone(), 4);
  assert.is(m.lastStamp, 6);
  STAMP_IN.at = 7;
  m.pushStamped(5, { t: 5 });
  assert.is(m.shiftLone(), 5);
  assert.is(m.lastStamp, 7);
  assert.equal(m.lastTrace, { t: 5 });
});

test('shiftLone takes from a stamp array itself (Savina\'s Big: a new stamp every other message), each message with its stamp, a traced one by shift', () => {
  const m = new Mailbox(Infinity);
  const inner = m as unknown as { stamps: Float64Array | null };
  // Three runs queued: the stamp array, from here on.
  for (const [msg, stamp] of [['a', 1], ['b', 2], ['c', 3]] as const) pushAt(m, msg, stamp);
  assert.ok(inner.stamps !== null);
  // Taken by shiftLone alone (no call to shift, which the lone turn's code would not inline), wrapping the ring.
  const shift = m.shift;
  let shifts = 0;
  m.shift = function (this: Mailbox) {
    shifts++;
    return shift.call(this);
  };
  const got: Array<[unknown, number]> = [];
  for (let i = 0; i < 40; i++) {
    got.push([m.shiftLone(), m.lastStamp]);
    pushAt(m, i, 10 + (i % 3));
  }
  while (m.length > 0) got.push([m.shiftLone(), m.lastStamp]);
  const want: Array<[unknown, number]> = [['a', 1], ['b', 2], ['c', 3]];
  for (let i = 0; i < 40; i++) want.push([i, 10 + (i % 3)]);
  assert.equal(got, want);
  assert.is(shifts, 0, 'shiftLone took every message itself');
  // A traced message: shift's way, which keeps its context.
  STAMP_IN.at = 50;
  m.pushStamped('t', { t: 1 });
  assert.equal([m.shiftLone(), m.lastStamp, m.lastTrace, shifts], ['t', 50, { t: 1 }, 1]);
});

test.run();
