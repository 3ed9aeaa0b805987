// The tick clock's stamps: small integers from a moving origin, and a queued message's stamp kept exact when the origin moves past it.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { MetricsWriter } from '@joerl/telemetry/internal';
import { Mailbox, STAMP_IN } from '../../src/actor/mailbox.ts';
import { NO_STAMP, type OldStamp } from '../../src/actor/stamped-ring.ts';
import { REBASE_AT, REBASE_BY, TICKS, msOf, onRebase, rebase, tickOf } from '../../src/actor/ticks.ts';
import { SliceClock } from '../../src/shard/slice-clock.ts';
import { TurnTiming } from '../../src/shard/turn-timing.ts';

test('a tick is the clock in microseconds from the origin, a small integer; no clock is NO_STAMP', () => {
  const origin = TICKS.originMs;
  assert.is(tickOf(origin + 1.5), 1500);
  assert.ok(Number.isInteger(tickOf(origin + 0.0004)));
  assert.is(tickOf(NaN), NO_STAMP);
  assert.is(msOf(1500), origin + 1.5);
  assert.ok(Number.isNaN(msOf(NO_STAMP)));
});

test('when the origin moves on, queued stamps move back with it: each message keeps its clock, one older than the range keeps it exactly', () => {
  const m = new Mailbox(Infinity);
  onRebase((by, originMs) => m.rebase(by, originMs));
  const origin = TICKS.originMs;
  const recent = REBASE_AT - 10;
  const old = NO_STAMP + 5;
  const clocks = [msOf(recent), msOf(old)];
  for (const [msg, at] of [['recent', recent], ['old', old], ['none', NO_STAMP]] as const) {
    STAMP_IN.at = at;
    m.pushStamped(msg);
  }
  STAMP_IN.at = NO_STAMP;
  assert.is(rebase(REBASE_AT), REBASE_AT - REBASE_BY);
  assert.is(TICKS.originMs, origin + REBASE_BY / 1000);
  assert.is(m.shift(), 'recent');
  assert.is(m.lastStamp, recent - REBASE_BY);
  assert.is(msOf(m.lastStamp), clocks[0]);
  assert.is(m.shift(), 'old');
  assert.is(typeof m.lastStamp, 'object', 'past the range: its clock, not a tick');
  assert.is(msOf(m.lastStamp), clocks[1]);
  assert.is(m.shift(), 'none');
  assert.is(m.lastStamp, NO_STAMP);
});

test('a clock read past REBASE_AT moves the origin on first, whoever reads it: the tick comes back in range', () => {
  const origin = TICKS.originMs;
  const t = tickOf(origin + REBASE_AT / 1000 + 0.001);
  assert.is(TICKS.originMs, origin + REBASE_BY / 1000);
  // (1 us past it, give or take a unit of the abs clock's last place: ~0.24 us at today's epoch.)
  assert.ok(t >= REBASE_AT - REBASE_BY && t <= REBASE_AT - REBASE_BY + 2, `tick ${t}`);
});

test("a message older than the ticks' range is counted with its exact wait", () => {
  const waits: [number, number][] = [];
  const w = { samplesAll: true, now: () => 0, queueWait: (ms: number, n: number) => waits.push([ms, n]), processedBlock() {} };
  const t = new TurnTiming(w as unknown as MetricsWriter, new SliceClock());
  const now = TICKS.originMs + 2;
  t.setClock(now);
  const mb: { lastStamp: number | OldStamp } = { lastStamp: { ms: now - 1_200_000 } };
  t.waited(mb);
  t.flushWaits();
  assert.equal(waits, [[1_200_000, 1]]);
});

test.run();
