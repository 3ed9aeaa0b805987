// define* helpers check what they are given, as spawn checks its options.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { defineActor, defineGenServer, defineGenStatem, defineSupervisor } from '@joerl/runtime';

const isOption = (e: Error & { code?: string }) => e.code === 'ERR_INVALID_OPTION' && /mailboxCapacity must be a positive integer or Infinity/.test(e.message);

test("a behaviour's mailboxCapacity must be a positive integer or Infinity (0 or null would refuse every message)", () => {
  for (const bad of [0, -1, 1.5, null, NaN, '10']) {
    assert.throws(() => defineActor({ mailboxCapacity: bad as never, handle: (_m, s) => s }), isOption, `defineActor ${String(bad)}`);
    assert.throws(() => defineGenServer({ mailboxCapacity: bad as never, handleCall: () => undefined as never }), isOption, `defineGenServer ${String(bad)}`);
    assert.throws(() => defineGenStatem({ mailboxCapacity: bad as never, init: () => ({ state: 'a', data: null }), transitions: { a: {} } } as never), isOption, `defineGenStatem ${String(bad)}`);
  }
  assert.is(defineActor({ mailboxCapacity: 5, handle: (_m, s) => s }).mailboxCapacity, 5);
  assert.is(defineActor({ mailboxCapacity: Infinity, handle: (_m, s) => s }).mailboxCapacity, Infinity);
});

const invalidOption = (re: RegExp) => (e: Error & { code?: string }) => e.code === 'ERR_INVALID_OPTION' && re.test(e.message);

test("a behaviour's terminateTimeoutMs must be 0 to 2^31-1 ms or Infinity: setTimeout took NaN, -1 or '5s' as 1 ms and cut terminate off", () => {
  for (const bad of [NaN, -1, '5s', null, 2 ** 31, -Infinity]) {
    const re = /terminateTimeoutMs must be a number of ms from 0 to 2147483647, or Infinity/;
    assert.throws(() => defineActor({ terminateTimeoutMs: bad as never, handle: (_m, s) => s }), invalidOption(re), `defineActor ${String(bad)}`);
    assert.throws(() => defineGenServer({ terminateTimeoutMs: bad as never }), invalidOption(re), `defineGenServer ${String(bad)}`);
  }
  for (const ok of [0, 250, 2 ** 31 - 1, Infinity]) assert.is(defineActor({ terminateTimeoutMs: ok, handle: (_m, s) => s }).terminateTimeoutMs, ok);
});

test("a behaviour's trapExit must be a boolean: 'true' or 1 turned trapping off", () => {
  for (const bad of ['true', 1, null]) {
    assert.throws(() => defineActor({ trapExit: bad as never, handle: (_m, s) => s }), invalidOption(/trapExit must be true or false/), `defineActor ${String(bad)}`);
    assert.throws(() => defineGenServer({ trapExit: bad as never }), invalidOption(/trapExit must be true or false/), `defineGenServer ${String(bad)}`);
  }
  assert.is(defineGenServer({ trapExit: true }).trapExit, true);
  assert.is(defineActor({ trapExit: false, handle: (_m, s) => s }).trapExit, false);
});

test('define* given no spec, or a bad strategy or intensity, throws ERR_INVALID_OPTION (it was a plain TypeError)', () => {
  assert.throws(() => defineActor(undefined as never), invalidOption(/defineActor needs an object with a handle\(msg, state, ctx\) function, got undefined/));
  assert.throws(() => defineActor({} as never), invalidOption(/defineActor needs a handle\(msg, state, ctx\) function, got handle: undefined/));
  assert.throws(() => defineGenServer(null as never), invalidOption(/defineGenServer needs an object of callbacks/));
  assert.throws(() => defineSupervisor(undefined as never), invalidOption(/defineSupervisor needs an object like/));
  assert.throws(() => defineSupervisor({ strategy: 'one_for_many' as never }), invalidOption(/strategy must be 'one_for_one', 'one_for_all' or 'rest_for_one'/));
  assert.throws(() => defineSupervisor({ intensity: { maxRestarts: -1, withinMs: 1000 } }), invalidOption(/intensity must be/));
});

test.run();
