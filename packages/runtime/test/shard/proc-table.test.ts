// A thread's process table: lookups by serial through growth, deletion, reuse of freed slots and shrinking, as a Map would answer them.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Pid } from '../../src/actor/pid.ts';
import type { Proc } from '../../src/actor/proc.ts';
import { ProcTable } from '../../src/shard/proc-table.ts';

/** A stand-in process: the table reads only `pid.serial` (for `ordered`). */
const proc = (serial: number): Proc => ({ pid: new Pid(0, 1, serial) }) as unknown as Proc;

/** Checks `t` against `m` for every serial in [0, upTo). */
function same(t: ProcTable, m: Map<number, Proc>, upTo: number): void {
  assert.is(t.size, m.size, 'size');
  for (let s = 0; s < upTo; s++) assert.is(t.get(s), m.get(s), `serial ${s}`);
}

test('answers as a Map through a spawn-and-exit churn that grows, refills freed slots and shrinks', () => {
  const t = new ProcTable();
  const m = new Map<number, Proc>();
  let next = 1;
  // Runs of spawns, then most of them exit, oldest first, as Fork-join's children do; the table grows to 4,096 live.
  for (const [spawn, exit] of [[100, 90], [4_000, 100], [10, 3_900], [5_000, 5_000], [3, 0]] as const) {
    for (let i = 0; i < spawn; i++, next++) {
      const p = proc(next);
      t.set(next, p);
      m.set(next, p);
    }
    for (const s of [...m.keys()].slice(0, exit)) {
      assert.ok(t.delete(s));
      m.delete(s);
    }
    same(t, m, next + 10);
  }
  assert.not.ok(t.delete(next + 1), 'an unknown serial');
  assert.not.ok(t.delete(1), 'a serial already gone');
});

test('serials that collide modulo the size, and serials past 2^31, are told apart', () => {
  const t = new ProcTable();
  const m = new Map<number, Proc>();
  for (const s of [5, 5 + 64, 5 + 128, 6, 2 ** 31 + 5, 2 ** 40 + 5, 2 ** 52 + 1]) {
    const p = proc(s);
    t.set(s, p);
    m.set(s, p);
  }
  same(t, m, 200);
  for (const s of [2 ** 31 + 5, 2 ** 40 + 5, 2 ** 52 + 1]) assert.is(t.get(s), m.get(s));
  // The first of a chain leaves: the ones probed past it are still found, and its slot is reused.
  t.delete(5);
  m.delete(5);
  same(t, m, 200);
  const again = proc(5 + 192);
  t.set(5 + 192, again);
  assert.is(t.get(5 + 192), again);
  assert.is(t.get(5 + 128), m.get(5 + 128));
  assert.is(t.get(2 ** 40 + 5), m.get(2 ** 40 + 5));
});

test('set on a serial already there replaces its process without counting it twice', () => {
  const t = new ProcTable();
  const a = proc(7);
  const b = proc(7);
  t.set(7, a);
  t.set(7, b);
  assert.is(t.size, 1);
  assert.is(t.get(7), b);
});

test('values holds every live process; ordered gives them oldest serial first', () => {
  const t = new ProcTable();
  for (const s of [300, 3, 70, 1, 66, 2 ** 33]) t.set(s, proc(s));
  t.delete(70);
  assert.equal(t.values().map((p) => p.pid.serial).sort((x, y) => x - y), [1, 3, 66, 300, 2 ** 33]);
  assert.equal(t.ordered().map((p) => p.pid.serial), [1, 3, 66, 300, 2 ** 33]);
});

test.run();
