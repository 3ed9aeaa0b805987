// GenStatem's invalid-transition metric: callers cannot grow its series without bound with events the table never names.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Pid } from '@joerl/runtime';
import { withSystem } from '../helpers.ts';
import { parse } from '../telemetry/exposition.ts';

const MACHINES = new URL('../fixtures/machines.statem.ts', import.meta.url);

test("invalid events the table never names get their own label up to 64 names a machine, then 'other'; every one is counted", () =>
  withSystem({ threads: 1 }, async (system) => {
    const t = (await system.spawn(MACHINES, undefined, { shard: 1, export: 'TableOnly' })) as Pid<any>;
    for (let i = 0; i < 200; i++) system.cast(t, `event-${i}`);
    // The call comes after the casts on the same path: they have all been handled.
    await system.call(t, 'coin');
    const series = parse(await system.metrics.metrics()).samples.filter((s) => s.name === 'joerl_gen_statem_invalid_transitions_total' && s.labels.type === 'TableOnly');
    const other = series.find((s) => s.labels.event === 'other');
    assert.is(series.length, 65, `${series.length} series`);
    assert.is(other?.value, 200 - 64);
    assert.is(series.reduce((n, s) => n + s.value, 0), 200, 'every invalid event counted');
    assert.ok(series.some((s) => s.labels.event === 'event-0' && s.value === 1));
  }));

test.run();
