// define* helpers check what they are given, as spawn checks its options.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { defineActor, defineGenServer, defineGenStatem } from '@joerl/runtime';

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

test.run();
