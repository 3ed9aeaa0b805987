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

test('a supervisor of 5,000 children reports its first 200 and counts the rest; a supervisor among the rest is no root', () =>
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

test.run();
