// The mailbox's queue-wait stamps: each message keeps its own through runs, removals, growth and wrap, and a single run's stamp.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Mailbox } from '../../src/actor/mailbox.ts';
import { NO_STAMP } from '../../src/actor/stamped-ring.ts';
import { pushAt, startRun, takeAll, takeByRuns } from './stamp-helpers.ts';

test('every message comes out with its own stamp, through runs, unstamped ones, growth and wrap', () => {
  const m = new Mailbox(Infinity);
  m.push('u0'); // before any stamp
  pushAt(m, 'a', 10);
  pushAt(m, 'b', 10);
  m.push('u1');
  m.pushAlways({ kind: 'sys' }); // an EXIT or DOWN: always an object
  pushAt(m, 'c', 20);
  pushAt(m, 'd', 20);
  pushAt(m, 'e', 10);
  assert.equal(takeAll(m), [['u0', null], ['a', 10], ['b', 10], ['u1', null], [{ kind: 'sys' }, null], ['c', 20], ['d', 20], ['e', 10]]);
  // Empty, then the same stamp as the last run, then interleaved with shifts (and past the first size).
  const want: Array<[unknown, number | null]> = [];
  const got: Array<[unknown, number | null]> = [];
  for (let i = 0; i < 300; i++) {
    const stamp = i % 7 === 0 ? NaN : 10 + Math.floor(i / 5);
    if (Number.isNaN(stamp)) m.push(i);
    else pushAt(m, i, stamp);
    want.push([i, Number.isNaN(stamp) ? null : stamp]);
    if (i % 3 === 0) {
      const msg = m.shift();
      got.push([msg, m.lastStamp === NO_STAMP ? null : m.lastStamp]);
    }
  }
  got.push(...takeAll(m));
  assert.equal(got, want);
});

test('removeAt keeps every other message with its stamp', () => {
  for (let remove = 0; remove < 6; remove++) {
    const m = new Mailbox(Infinity);
    const all: Array<[string, number | null]> = [['a', 1], ['b', 1], ['c', 2], ['d', null], ['e', 3], ['f', 3]];
    for (const [msg, stamp] of all) {
      if (stamp === null) m.push(msg);
      else pushAt(m, msg, stamp);
    }
    m.removeAt(remove);
    // A push after the removal joins (or starts) the right run.
    pushAt(m, 'g', 3);
    assert.equal(takeAll(m), [...all.filter((_, i) => i !== remove), ['g', 3]], `removeAt(${remove})`);
  }
});


test('stampAt gives runs of the head stamp, and shiftInRun takes them, through growth, wrap and interleaved pushes', () => {
  const m = new Mailbox(Infinity);
  m.push('u0');
  pushAt(m, 'a', 10);
  pushAt(m, 'b', 10);
  m.push('u1');
  m.pushAlways({ kind: 'sys' });
  pushAt(m, 'c', 20);
  pushAt(m, 'd', 20);
  pushAt(m, 'e', 10);
  assert.is(startRun(m), 1); // u0 alone: the unstamped run ends where 10 starts
  assert.equal(takeByRuns(m), [['u0', null], ['a', 10], ['b', 10], ['u1', null], [{ kind: 'sys' }, null], ['c', 20], ['d', 20], ['e', 10]]);
  // Runs cut short (as a full timing block cuts them), pushes while a run is being taken, growth past the first size.
  const want: Array<[unknown, number | null]> = [];
  const got: Array<[unknown, number | null]> = [];
  for (let i = 0; i < 400; i++) {
    const stamp = i % 11 === 0 ? NaN : 10 + Math.floor(i / 6);
    if (Number.isNaN(stamp)) m.push(i);
    else pushAt(m, i, stamp);
    want.push([i, Number.isNaN(stamp) ? null : stamp]);
    if (i % 4 === 0) {
      const k = Math.min(startRun(m), 3);
      const s = m.lastStamp === NO_STAMP ? null : m.lastStamp;
      for (let j = 0; j < k; j++) got.push([m.shiftInRun(), s]);
    }
  }
  got.push(...takeByRuns(m, 5));
  assert.equal(got, want);
  // A mailbox that was never stamped is one run.
  const plain = new Mailbox(Infinity);
  for (let i = 0; i < 9; i++) plain.push(i);
  assert.is(startRun(plain), 9);
  assert.equal(takeByRuns(plain), Array.from({ length: 9 }, (_, i) => [i, null]));
});

test('shift and shiftInRun mix: after runs taken whole or in part, shift still gives each message its own stamp', () => {
  const m = new Mailbox(Infinity);
  for (let i = 0; i < 40; i++) pushAt(m, i, 100 + (i >> 3));
  const got: Array<[unknown, number | null]> = [];
  while (m.length > 0) {
    const k = Math.min(startRun(m), 2);
    for (let j = 0; j < k; j++) got.push([m.shiftInRun(), m.lastStamp]);
    if (m.length > 0) got.push([m.shift(), m.lastStamp]);
  }
  assert.equal(got, Array.from({ length: 40 }, (_, i) => [i, 100 + (i >> 3)]));
});

test('a single run keeps its stamp in lastStamp: each message keeps its stamp, no stale stamp after, and runs that follow keep theirs', () => {
  // One run through growth, then emptied: an unstamped message after it reads NO_STAMP, not the old stamp.
  const m = new Mailbox(Infinity, 2);
  for (let i = 0; i < 9; i++) pushAt(m, i, 5);
  assert.equal(takeAll(m), Array.from({ length: 9 }, (_, i) => [i, 5]));
  m.push('u');
  assert.equal(takeAll(m), [['u', null]]);
  // A push into the mailbox just emptied starts a run of its own (the shift before it read its own stamp).
  pushAt(m, 'p', 7);
  assert.is(m.shift(), 'p');
  assert.is(m.lastStamp, 7);
  pushAt(m, 'q', 8);
  assert.equal(takeAll(m), [['q', 8]]);
  // Pushes while the run is being taken join it, or start a second run behind it; then an unstamped one.
  pushAt(m, 'a', 1);
  pushAt(m, 'b', 1);
  assert.is(m.shift(), 'a');
  assert.is(m.lastStamp, 1);
  pushAt(m, 'c', 1);
  pushAt(m, 'd', 2);
  m.push('e');
  assert.equal(takeAll(m), [['b', 1], ['c', 1], ['d', 2], ['e', null]]);
  const n = new Mailbox(Infinity, 2);
  pushAt(n, 'a', 3);
  n.push('u');
  pushAt(n, 'b', 3);
  assert.equal(takeAll(n), [['a', 3], ['u', null], ['b', 3]]);
  // An EXIT or DOWN behind a single run is unstamped.
  pushAt(n, 'x', 4);
  n.pushAlways({ sys: 1 });
  assert.equal(takeAll(n), [['x', 4], [{ sys: 1 }, null]]);
  // stampAt/shiftInRun and removeAt over a single run, many mailboxes at once.
  const many = Array.from({ length: 600 }, () => new Mailbox(Infinity, 2));
  many.forEach((mb, i) => { pushAt(mb, 'x', i); pushAt(mb, 'y', i); });
  many.forEach((mb, i) => {
    if (i % 2 === 0) {
      assert.is(startRun(mb), 2);
      assert.is(mb.lastStamp, i);
      assert.is(mb.shiftInRun(), 'x');
      assert.is(mb.removeAt(0), 'y');
      mb.push('u');
      assert.is(startRun(mb), 1);
      assert.is(mb.lastStamp, NO_STAMP, 'no stale stamp after removeAt emptied the run');
    } else assert.equal(takeAll(mb), [['x', i], ['y', i]]);
  });
});

test.run();
