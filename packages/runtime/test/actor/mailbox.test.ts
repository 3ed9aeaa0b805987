// The mailbox ring: FIFO through growth, capacity, removal from the middle keeps order.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Mailbox, STAMP_IN } from '../../src/actor/mailbox.ts';
import { NO_STAMP, SHRINK_ABOVE, SHRUNK_SIZE, settleIdleRings } from '../../src/actor/stamped-ring.ts';

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
  STAMP_IN.at = NO_STAMP;
});

test('a ring that grew past SHRINK_ABOVE gives its arrays back once two looks find it empty and untouched (not while in use), and order, stamps and traces hold after', () => {
  const m = new Mailbox(Infinity);
  // (Its array holds a stamp beside each message: twice its size in slots.)
  const inner = m as unknown as { buf: unknown[]; traces: unknown[] | null };
  const n = SHRINK_ABOVE * 4;
  // Three stamps in turn and a traced message now and then: the trace array is made.
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
  assert.ok(inner.buf.length > 2 * SHRINK_ABOVE);
  assert.ok(inner.traces !== null);
  drain(0);
  // The first look finds it empty; traffic before the next one keeps it (a ring in use keeps its size).
  settleIdleRings();
  m.push(-1);
  assert.is(m.shift(), -1);
  settleIdleRings();
  assert.ok(inner.buf.length > 2 * SHRINK_ABOVE);
  // Two looks in a row find it empty and untouched: it gives its arrays back.
  settleIdleRings();
  assert.is(inner.buf.length, 2 * SHRUNK_SIZE);
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

test("a dead process's grown ring gives its arrays back at its release, without waiting for an idle thread", () => {
  const m = new Mailbox(Infinity);
  const inner = m as unknown as { buf: unknown[] };
  for (let i = 0; i < SHRINK_ABOVE * 3; i++) {
    STAMP_IN.at = 100 + (i % 3);
    m.pushStamped(i);
  }
  STAMP_IN.at = NO_STAMP;
  for (let i = 0; i < SHRINK_ABOVE * 3; i++) m.shift();
  assert.ok(inner.buf.length > 2 * SHRINK_ABOVE);
  m.release();
  assert.is(inner.buf.length, 2 * SHRUNK_SIZE, 'shrunk at its release');
  // Not listed any more: the idle looks find nothing of it to do (and a new burst grows it and lists it again).
  settleIdleRings();
  settleIdleRings();
  assert.is(inner.buf.length, 2 * SHRUNK_SIZE);
});

test.run();
