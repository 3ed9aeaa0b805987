// Introspection at its edges: states that cannot be rendered or are huge, and bad deadlines.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { ChildSpec, Pid } from '@joerl/runtime';
import type { ShapeArgs } from '../fixtures/shapes.server.ts';
import type { TreeArgs } from '../fixtures/tree.sup.ts';
import { withSystem } from '../helpers.ts';

const SHAPES = new URL('../fixtures/shapes.server.ts', import.meta.url);
const TREE = new URL('../fixtures/tree.sup.ts', import.meta.url);
const PLAIN = new URL('../fixtures/plain.actor.js', import.meta.url);
const BLOCKER = new URL('../fixtures/name-race.actor.ts', import.meta.url);

test('a state its inspect cannot render is shown as what was thrown; processInfo without state renders nothing', () =>
  withSystem({ threads: 1 }, async (system) => {
    const own = (await system.spawn(SHAPES, { broken: 'inspect' } satisfies ShapeArgs)) as Pid;
    const custom = (await system.spawn(SHAPES, { broken: 'custom' } satisfies ShapeArgs)) as Pid;
    assert.is(await system.getState(own), '<inspect threw: TypeError: inspect broke>');
    assert.is(await system.getState(custom), '<inspect threw: RangeError: custom inspect broke>');
    const info = await system.processInfo(own);
    assert.is(info.state, '<inspect threw: TypeError: inspect broke>');
    assert.is(info.type, 'Shapes');
    const bare = await system.processInfo(own, { messages: 0, state: false });
    assert.is(bare.state, undefined);
    assert.ok(bare.pid.equals(own));
  }));

test('a state of 200,000 keys comes back as its first keys and how many were left out', () =>
  withSystem({ threads: 1 }, async (system) => {
    const pid = (await system.spawn(SHAPES, { keys: 200_000 } satisfies ShapeArgs)) as Pid;
    const state = await system.getState(pid, { timeoutMs: 10_000 });
    assert.ok(state.length <= 500);
    assert.ok(state.startsWith('{ k0: 0, k1: 1,'), state);
    assert.ok(state.endsWith('... 199980 more keys }'), state);
  }));

test('a supervisor of 5,000 children reports its first 200 (in the tree and in its detail) and counts the rest; a supervisor among the rest is no root', () =>
  withSystem({ threads: 2 }, async (system) => {
    const children: ChildSpec[] = Array.from({ length: 5000 }, (_, i) => ({ id: `w${i}`, module: PLAIN.href, args: {}, shard: 1 + (i % 2) }));
    children.push({ id: 'sub', module: TREE.href, args: { children: [{ id: 'leaf', module: PLAIN.href, args: {} }] } satisfies TreeArgs, type: 'supervisor', shard: 2 });
    const root = await system.spawn(TREE, { children } satisfies TreeArgs, { shard: 1 });
    const tree = await system.supervisionTree();
    assert.is(tree.length, 1, 'one root: the left-out sub supervisor is not shown as another');
    const top = tree[0]!;
    assert.ok(top.pid.equals(root));
    assert.is(top.children.length, 200);
    assert.equal(top.children.slice(0, 2).map((c) => c.id), ['w0', 'w1']);
    assert.is(top.moreChildren, 4801);
    assert.is(top.parent?.node, 0);
    // Its detail lists its first 200 links too, and counts the rest.
    const info = await system.processInfo(root, { state: false });
    assert.is(info.linkedTo.length, 200);
    assert.is(info.linkedTo.length + info.more.linkedTo, 5001);
    assert.is(info.links, 5001);
    assert.equal(info.more.timers, 0);
  }));

test('a deadline past what a timer can wait (2^31-1 ms) is refused, not taken as 1 ms', () =>
  withSystem({ threads: 1 }, async (system) => {
    const pid = (await system.spawn(SHAPES, { keys: 1 } satisfies ShapeArgs)) as Pid;
    const refused = async (what: string, p: () => Promise<unknown>) => {
      const err = await p().then(() => undefined, (e: unknown) => e as { code?: string; message: string });
      assert.is(err?.code, 'ERR_INVALID_ARGUMENT', what);
      assert.match(err!.message, /from 0 to 2147482647/, what);
    };
    await refused('processes', () => system.processes({ timeoutMs: 2 ** 31 }));
    await refused('supervisionTree', () => system.supervisionTree({ timeoutMs: 2 ** 31 }));
    await refused('shardFigures', () => system.shardFigures({ timeoutMs: 2 ** 31 }));
    await refused('getState', () => system.getState(pid, { timeoutMs: 2 ** 31 - 1 }));
    await refused('processInfo', () => system.processInfo(pid, { stateTimeoutMs: 2 ** 31 - 1 }));
    // The longest deadline allowed works, and answers at once.
    assert.is((await system.processes({ timeoutMs: 2 ** 31 - 1001 })).length, 1);
    assert.is(await system.getState(pid, { timeoutMs: 2 ** 31 - 1001 }), '{ k0: 0 }');
  }));

test('a shard that has not answered a question given up on is not asked another with a deadline until it has; a caller who waits for every shard still asks', () =>
  withSystem({ threads: 2 }, async (system) => {
    const blocker = await system.spawn(BLOCKER, { report: system.inbox().pid }, { shard: 1 });
    await system.spawn(PLAIN, {}, { shard: 1 });
    const flag = new Int32Array(new SharedArrayBuffer(8));
    system.send(blocker, { op: 'block-then-stop', flag });
    while (Atomics.load(flag, 1) === 0) {
      const w = Atomics.waitAsync(flag, 1, 0, 1000);
      if (w.async) await w.value;
    }
    const silent = (kind: string) => {
      const seen: number[] = [];
      return { seen, onSilent: (shard: number) => void seen.push(shard), kind };
    };
    // Given up on: shard 1 is blocked in a handler.
    const first = silent('first');
    const rows = await system.processes({ timeoutMs: 50, onSilent: first.onSilent });
    assert.equal(first.seen, [1]);
    assert.not.ok(rows.some((r) => r.shard === 1));
    // Asked again with a deadline while that question is unanswered: left out at once, not queued behind it,
    // even though the shard is woken right after (asked, it would answer this one too).
    const second = silent('second');
    const asked = system.processes({ timeoutMs: 60_000, onSilent: second.onSilent });
    const figures = silent('figures');
    const shards = system.shardFigures({ timeoutMs: 50, onSilent: figures.onSilent });
    // An onSilent that throws rejects its question with what it threw (the documented contract).
    const thrown = new Error('a buggy onSilent');
    const rejected = system.processes({ timeoutMs: 60_000, onSilent: () => { throw thrown; } }).then(() => undefined, (e: unknown) => e);
    Atomics.store(flag, 0, 1);
    Atomics.notify(flag, 0);
    assert.not.ok((await asked).some((r) => r.shard === 1), 'the second question went to the stalled shard');
    assert.equal(second.seen, [1]);
    assert.is(await rejected, thrown);
    // (Figures are their own kind: asked, and answered or not by the wake-up, either way not held back.)
    await shards;
    // A caller without a deadline asks; behind its answer, the first one's has come: asked again from then on.
    assert.ok((await system.processes()).some((r) => r.shard === 1));
    const third = silent('third');
    assert.ok((await system.processes({ timeoutMs: 60_000, onSilent: third.onSilent })).some((r) => r.shard === 1));
    assert.equal(third.seen, []);
    // Bad input.
    const err = await system.supervisionTree({ onSilent: 3 as never }).then(() => undefined, (e: { code?: string; message: string }) => e);
    assert.is(err?.code, 'ERR_INVALID_ARGUMENT');
    assert.match(err!.message, /onSilent must be a function/);
  }));

test.run();
