// The AsyncLocalStorage context manager: with (carried into continuations) and runSync (the synchronous part only).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ROOT_CONTEXT, createContextKey, trace } from '@opentelemetry/api';
import { AsyncLocalContextManager, spanOnRoot } from '@joerl/telemetry/internal';

const KEY = createContextKey('test');

test('runSync makes a context active for the synchronous part only; a with inside it wins and is carried past an await', async () => {
  const cm = new AsyncLocalContextManager();
  const outer = ROOT_CONTEXT.setValue(KEY, 'outer');
  const inner = ROOT_CONTEXT.setValue(KEY, 'inner');
  let later: Promise<unknown> = Promise.resolve();
  const seen: unknown[] = [];
  const r = cm.runSync(
    outer,
    function (this: { tag: string }, a, b, c) {
      seen.push(this.tag, a, b, c, cm.active().getValue(KEY), cm.depth);
      later = cm.with(inner, async () => {
        await null;
        return cm.active().getValue(KEY);
      });
      seen.push(cm.active().getValue(KEY));
      return 'done';
    },
    { tag: 'this' },
    1,
    2,
    3,
  );
  assert.is(r, 'done');
  assert.equal(seen, ['this', 1, 2, 3, 'outer', 1, 'outer']);
  assert.is(cm.active(), ROOT_CONTEXT, 'nothing active after it');
  assert.is(cm.depth, 0);
  assert.is(await later, 'inner', 'a with entered inside keeps its context past an await');
});

test('runSync restores the outer context when its function throws', () => {
  const cm = new AsyncLocalContextManager();
  const ctx = ROOT_CONTEXT.setValue(KEY, 'x');
  assert.throws(() => cm.runSync(ctx, () => { throw new Error('boom'); }, undefined, 0, 0, 0), /boom/);
  assert.is(cm.active(), ROOT_CONTEXT);
  assert.is(cm.depth, 0);
});

test("spanOnRoot reads as trace.setSpan(ROOT_CONTEXT, span) does, and writes give the API's own context", () => {
  const span = trace.wrapSpanContext({ traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7', traceFlags: 1 });
  const ctx = spanOnRoot(span);
  assert.is(trace.getSpan(ctx), span);
  assert.is(ctx.getValue(KEY), undefined);
  const more = ctx.setValue(KEY, 'v');
  assert.is(trace.getSpan(more), span);
  assert.is(more.getValue(KEY), 'v');
  assert.is(trace.getSpan(trace.deleteSpan(ctx)), undefined);
  assert.is(trace.getSpan(ctx.deleteValue(KEY)), span);
});

test.run();
