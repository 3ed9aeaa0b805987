// Introspection at its edges: states that cannot be rendered or are huge, and bad deadlines.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Pid } from '@joerl/runtime';
import type { ShapeArgs } from '../fixtures/shapes.server.ts';
import { withSystem } from '../helpers.ts';

const SHAPES = new URL('../fixtures/shapes.server.ts', import.meta.url);

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

test.run();
