// A shard's death cancels its actors' cancellable offload jobs, as their own exits would: none holds a pool thread for good.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Pid } from '@joerl/runtime';
import { EVENT_TIMEOUT_MS, expect, withSystem } from '../helpers.ts';

const JOBS = new URL('../fixtures/jobs.offload.js', import.meta.url);
const ABORTER = new URL('../fixtures/aborter.actor.ts', import.meta.url);

test("a shard that dies cancels its actors' jobs that take a signal: the pool's one thread is free for the next job", () =>
  withSystem({ threads: 1, offload: { threads: 1 } }, async (system) => {
    // Regression: they ran on; a job that never ends (this gate is never opened) held the thread for good.
    const inbox = system.inbox();
    const a = (await system.spawn(ABORTER, { report: inbox.pid }, { shard: 1 })) as Pid<any>;
    const flag = new Int32Array(new SharedArrayBuffer(4));
    system.send(a, { op: 'offload', url: JOBS.href, export: 'gate', input: { flag }, when: 'during' });
    // Reported after the job's request went to the main thread (one ring, in order): it is at the pool.
    await expect(inbox, (m) => m?.event === 'offload-pending', 'the job to start');
    const down = new Promise((resolve) => system.once('shardDown', resolve));
    system.killShard(1);
    await down;
    let timer: NodeJS.Timeout | undefined;
    const bound = new Promise((resolve) => (timer = setTimeout(() => resolve('never ran'), EVENT_TIMEOUT_MS)));
    const next = await Promise.race([system.offload(JOBS, { n: 10 }), bound]).finally(() => clearTimeout(timer));
    assert.equal(next, { n: 10, fib: 55 });
  }));

test.run();
