// The mailbox ring: FIFO through growth, capacity, removal from the middle keeps order.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Mailbox, STAMP_IN } from '../../src/actor/mailbox.ts';
import { SHRINK_ABOVE, SHRUNK_SIZE, settleIdleRings } from '../../src/actor/stamped-ring.ts';
import { livePairs } from '../../src/actor/stamp-pairs.ts';
import { liveStampSlots } from '../../src/actor/stamp-tables.ts';

test('FIFO through growth and wrap', () => {
  const m = new Mailbox(Infinity);
  let next = 0;
  for (let round = 0; round < 50; round++) {
    for (let i = 0; i < round; i++) m.push(round * 1000 + i);
    for (let i = 0; i < round; i++) assert.is(m.shift(), round * 1000 + i);
    next++;
  }
  assert.is(m.length, 0);
  assert.is(m.shift(), undefined);
});

test('capacity refuses, pushAlways does not', () => {
  const m = new Mailbox(2);
  assert.ok(m.push('a'));
  assert.ok(m.push('b'));
  assert.not.ok(m.push('c'));
  const sys = { type: 'DOWN' };
  m.pushAlways(sys);
  assert.is(m.length, 3);
  assert.equal(m.drain(), ['a', 'b', sys]);
  assert.ok(m.push('d'));
});

test('tookSystem tells what pushAlways queued (EXIT, DOWN) from sent messages, once each', () => {
  const m = new Mailbox(Infinity);
  const sent = { type: 'DOWN', looks: 'alike' };
  const sys = { type: 'DOWN' };
  m.push(sent);
  m.pushAlways(sys);
  m.push('x');
  assert.is(m.sysCount, 1);
  assert.not.ok(m.tookSystem(m.shift()), 'a sent message, whatever its shape');
  assert.ok(m.tookSystem(m.shift()));
  assert.is(m.sysCount, 0);
  assert.not.ok(m.tookSystem(m.shift()));
  m.pushAlways(sys);
  m.push('y');
  assert.ok(m.tookSystem(m.removeAt(0)), 'taken out of order too');
  assert.not.ok(m.tookSystem(sys), 'only once');
});

test('removeAt takes a middle message and keeps the rest in order', () => {
  const m = new Mailbox(Infinity);
  for (const x of ['a', 'b', 'c', 'd', 'e']) m.push(x);
  m.shift();
  m.push('f'); // wraps
  assert.is(m.removeAt(2), 'd');
  assert.equal(m.drain(), ['b', 'c', 'e', 'f']);
});

/** Shifts everything, returning [message, stamp] pairs (NaN stamps as null, to compare). */
function takeAll(m: Mailbox): Array<[unknown, number | null]> {
  const out: Array<[unknown, number | null]> = [];
  while (m.length > 0) {
    const msg = m.shift();
    out.push([msg, Number.isNaN(m.lastStamp) ? null : m.lastStamp]);
  }
  return out;
}

/** A stamped push as the send path makes it: the stamp in STAMP_IN, then the push. */
function pushAt(m: Mailbox, msg: unknown, stamp: number): void {
  STAMP_IN.at = stamp;
  m.pushStamped(msg);
}

test('headTraced tells a traced head through shift, shiftInRun, removeAt, growth, wrap and drain, and no slot keeps a stale trace', () => {
  const m = new Mailbox(Infinity);
  const ctx = (i: number) => ({ trace: i });
  const isTraced = (i: number) => i % 3 === 0;
  STAMP_IN.at = 5;
  // Through growth: every third message traced.
  for (let i = 0; i < 40; i++) m.pushStamped(i, isTraced(i) ? ctx(i) : undefined);
  for (let i = 0; i < 10; i++) {
    assert.is(m.headTraced(), isTraced(i));
    assert.is(m.shift(), i);
    assert.equal(m.lastTrace, isTraced(i) ? ctx(i) : undefined);
  }
  // Untraced messages taken in a run; the traced one behind them shows at the head.
  assert.not.ok(m.headTraced());
  assert.is(m.shiftInRun(), 10);
  assert.is(m.shiftInRun(), 11);
  assert.ok(m.headTraced());
  // Removal from the middle moves the traces with their messages.
  assert.is(m.removeAt(3), 15);
  assert.is(m.removeAt(0), 12);
  for (const want of [13, 14, 16, 17, 18]) {
    assert.is(m.headTraced(), isTraced(want));
    assert.is(m.shift(), want);
  }
  // Wrap: pushes after shifts reuse the slots.
  for (let i = 40; i < 50; i++) m.pushStamped(i, ctx(i));
  const rest = m.drain();
  assert.is(rest.length, 31);
  // Every slot the drain emptied holds no trace: untraced pushes never show one.
  for (let i = 0; i < 64; i++) {
    m.push(i);
    assert.not.ok(m.headTraced());
    m.shift();
  }
  // A mailbox that never held a traced message.
  const plain = new Mailbox(Infinity);
  plain.push('a');
  plain.pushStamped('b');
  assert.not.ok(plain.headTraced());
  STAMP_IN.at = NaN;
});

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
      got.push([msg, Number.isNaN(m.lastStamp) ? null : m.lastStamp]);
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

/** Empties `m` a run at a time, as the observed turn does: [message, its run's stamp (null: none)]. */
function takeByRuns(m: Mailbox, most = Infinity): Array<[unknown, number | null]> {
  const out: Array<[unknown, number | null]> = [];
  while (m.length > 0) {
    const k = Math.min(m.headRun(), most);
    assert.ok(k >= 1 && k <= m.length, `a run of ${k} in ${m.length}`);
    const stamp = Number.isNaN(m.lastStamp) ? null : m.lastStamp;
    for (let i = 0; i < k; i++) out.push([m.shiftInRun(), stamp]);
  }
  return out;
}

test('headRun counts the messages that share the head stamp, and shiftInRun takes them, through growth, wrap and interleaved pushes', () => {
  const m = new Mailbox(Infinity);
  m.push('u0');
  pushAt(m, 'a', 10);
  pushAt(m, 'b', 10);
  m.push('u1');
  m.pushAlways({ kind: 'sys' });
  pushAt(m, 'c', 20);
  pushAt(m, 'd', 20);
  pushAt(m, 'e', 10);
  assert.is(m.headRun(), 1); // u0 alone: the NaN run ends where 10 starts
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
      const k = Math.min(m.headRun(), 3);
      const s = Number.isNaN(m.lastStamp) ? null : m.lastStamp;
      for (let j = 0; j < k; j++) got.push([m.shiftInRun(), s]);
    }
  }
  got.push(...takeByRuns(m, 5));
  assert.equal(got, want);
  // A mailbox that was never stamped is one run.
  const plain = new Mailbox(Infinity);
  for (let i = 0; i < 9; i++) plain.push(i);
  assert.is(plain.headRun(), 9);
  assert.equal(takeByRuns(plain), Array.from({ length: 9 }, (_, i) => [i, null]));
});

test('shift and shiftInRun mix: after runs taken whole or in part, shift still gives each message its own stamp', () => {
  const m = new Mailbox(Infinity);
  for (let i = 0; i < 40; i++) pushAt(m, i, 100 + (i >> 3));
  const got: Array<[unknown, number | null]> = [];
  while (m.length > 0) {
    const k = Math.min(m.headRun(), 2);
    for (let j = 0; j < k; j++) got.push([m.shiftInRun(), m.lastStamp]);
    if (m.length > 0) got.push([m.shift(), m.lastStamp]);
  }
  assert.equal(got, Array.from({ length: 40 }, (_, i) => [i, 100 + (i >> 3)]));
});

test('a single run keeps its stamp in lastStamp: each message keeps its stamp, no stale stamp after, and runs that follow keep theirs', () => {
  // One run through growth, then emptied: an unstamped message after it reads NaN, not the old stamp.
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
  // headRun/shiftInRun and removeAt over a single run, many mailboxes at once.
  const many = Array.from({ length: 600 }, () => new Mailbox(Infinity, 2));
  many.forEach((mb, i) => { pushAt(mb, 'x', i); pushAt(mb, 'y', i); });
  many.forEach((mb, i) => {
    if (i % 2 === 0) {
      assert.is(mb.headRun(), 2);
      assert.is(mb.lastStamp, i);
      assert.is(mb.shiftInRun(), 'x');
      assert.is(mb.removeAt(0), 'y');
      mb.push('u');
      assert.is(mb.headRun(), 1);
      assert.ok(Number.isNaN(mb.lastStamp), 'no stale stamp after removeAt emptied the run');
    } else assert.equal(takeAll(mb), [['x', i], ['y', i]]);
  });
});

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

test('a ring that grew past SHRINK_ABOVE gives its arrays (and stamp slot) back once two looks find it empty and untouched (not while in use), and order, stamps and traces hold after', () => {
  const m = new Mailbox(Infinity);
  const inner = m as unknown as { buf: unknown[]; stamps: Float64Array | null; traces: unknown[] | null };
  const n = SHRINK_ABOVE * 4;
  // Three stamps in turn and a traced message now and then: the stamp array and the trace array are made.
  const fill = (from: number) => {
    for (let i = 0; i < n; i++) {
      STAMP_IN.at = 100 + ((from + i) % 3);
      m.pushStamped(from + i, (from + i) % 7 === 0 ? { t: from + i } : undefined);
    }
  };
  const drain = (from: number) => {
    for (let i = 0; i < n; i++) {
      assert.is(m.shift(), from + i);
      assert.is(m.lastStamp, 100 + ((from + i) % 3));
      assert.equal(m.lastTrace, (from + i) % 7 === 0 ? { t: from + i } : undefined);
    }
  };
  fill(0);
  assert.ok(inner.buf.length > SHRINK_ABOVE);
  assert.ok(inner.stamps !== null && inner.traces !== null);
  drain(0);
  // The first look finds it empty; traffic before the next one keeps it (a ring in use keeps its size).
  settleIdleRings();
  m.push(-1);
  assert.is(m.shift(), -1);
  settleIdleRings();
  assert.ok(inner.buf.length > SHRINK_ABOVE);
  // Two looks in a row find it empty and untouched: it gives its arrays back.
  settleIdleRings();
  assert.is(inner.buf.length, SHRUNK_SIZE);
  assert.is(inner.stamps, null, 'its stamp slot freed (a third run makes a new one)');
  assert.is(inner.traces!.length, SHRUNK_SIZE);
  fill(n);
  drain(n);
  // A ring no bigger than SHRINK_ABOVE keeps its array.
  const small = new Mailbox(Infinity);
  for (let i = 0; i < SHRINK_ABOVE; i++) small.push(i);
  for (let i = 0; i < SHRINK_ABOVE; i++) small.shift();
  const kept = (small as unknown as { buf: unknown[] }).buf;
  settleIdleRings();
  settleIdleRings();
  assert.is((small as unknown as { buf: unknown[] }).buf, kept);
});

test.run();
