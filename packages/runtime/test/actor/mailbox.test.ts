// The mailbox ring: FIFO through growth, capacity, removal from the middle keeps order.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Mailbox } from '../../src/actor/mailbox.ts';

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

test.run();
