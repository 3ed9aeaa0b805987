// The cross-thread path end to end: order under backpressure through a tiny ring, messages far larger than the ring.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { Pid } from '@joerl/runtime';
import { expect, withSystem } from '../helpers.ts';

const FLOOD = new URL('../fixtures/flood.actor.ts', import.meta.url);
const SLOW = new URL('../fixtures/slow.actor.ts', import.meta.url);
const test = suite('transport');

interface Done {
  kind: 'flood-done';
  count: number;
  bytes: number;
  sum: number;
}

test('100k messages through a 64 KiB ring arrive complete and in order (the sender backs off, nothing drops)', () =>
  withSystem({ threads: 2, ringBytes: 64 * 1024 }, async (system) => {
    const inbox = system.inbox();
    const dead: unknown[] = [];
    system.on('deadLetter', (d) => dead.push(d));
    const sink = (await system.spawn(FLOOD, undefined, { shard: 2, export: 'sink' })) as Pid<any>;
    const source = (await system.spawn(FLOOD, undefined, { shard: 1, export: 'source' })) as Pid<any>;
    const n = 100_000;
    system.send(sink, { expect: n, report: inbox.pid });
    // One huge chunk: the whole burst is produced in a single handler call.
    system.send(source, { to: sink, count: n, chunk: n });
    const done = await expect<Done>(inbox, (m) => m?.kind === 'flood-done' || m?.kind === 'out-of-order', 'the sink to finish');
    assert.equal(done, { kind: 'flood-done', count: n, bytes: 0, sum: 0 });
    assert.equal(dead, []);
  }));

test('messages larger than the ring are fragmented and arrive intact, in order with small ones', () =>
  withSystem({ threads: 2, ringBytes: 64 * 1024 }, async (system) => {
    const inbox = system.inbox();
    const sink = (await system.spawn(FLOOD, undefined, { shard: 2, export: 'sink' })) as Pid<any>;
    const source = (await system.spawn(FLOOD, undefined, { shard: 1, export: 'source' })) as Pid<any>;
    const n = 12;
    const blobBytes = 1024 * 1024; // 16x the ring
    system.send(sink, { expect: n, report: inbox.pid });
    system.send(source, { to: sink, count: n, chunk: 3, blobBytes });
    const done = await expect<Done>(inbox, (m) => m?.kind === 'flood-done' || m?.kind === 'out-of-order', 'the sink to finish');
    let sum = 0;
    for (let seq = 0; seq < n; seq++) for (let i = 0; i < blobBytes; i += 4096) sum = (sum + (seq & 255)) | 0;
    assert.equal(done, { kind: 'flood-done', count: n, bytes: n * blobBytes, sum });
  }));

test('from the main thread: a big string and 20k small messages, in order', () =>
  withSystem({ threads: 1, ringBytes: 64 * 1024 }, async (system) => {
    const inbox = system.inbox();
    const sink = (await system.spawn(FLOOD, undefined, { shard: 1, export: 'sink' })) as Pid<any>;
    const n = 20_000;
    system.send(sink, { expect: n, report: inbox.pid });
    system.send(sink, { seq: 0, blob: 'x'.repeat(500_000) });
    for (let seq = 1; seq < n; seq++) system.send(sink, { seq });
    const done = await expect<Done>(inbox, (m) => m?.kind === 'flood-done' || m?.kind === 'out-of-order', 'the sink to finish');
    assert.equal(done, { kind: 'flood-done', count: n, bytes: 500_000, sum: 0 });
  }));

test('slow handlers get short turns: an actor queued behind six busy ones is served within about a round of them', () =>
  withSystem({ threads: 1 }, async (system) => {
    const inbox = system.inbox();
    const slow = await Promise.all(Array.from({ length: 6 }, () => system.spawn(SLOW, undefined, { shard: 1 }) as Promise<Pid<any>>));
    const fast = (await system.spawn(SLOW, undefined, { shard: 1, export: 'fast' })) as Pid<any>;
    // Two rounds of work, so the scheduler has timed every one of them.
    for (let round = 0; round < 2; round++) {
      for (const p of slow) for (let i = 0; i < 3; i++) system.send(p, { ms: 1, report: inbox.pid, tag: 'prime' });
      for (let i = 0; i < slow.length * 3; i++) await expect(inbox, (m) => m?.event === 'worked', 'a primed message');
    }
    // 20 messages of 1 ms each for every slow actor (120 in all, each within
    // one turn's budget of 64), then a ping for the fast one.
    for (const p of slow) for (let i = 0; i < 20; i++) system.send(p, { ms: 1, report: inbox.pid, tag: 'flood' });
    system.send(fast, { ping: inbox.pid });
    let before = 0;
    for (;;) {
      const m = await expect<any>(inbox, (x) => x?.event === 'worked' || x?.event === 'pong', 'work or the pong');
      if (m.event === 'pong') break;
      before++;
    }
    // A turn per actor of a whole mailbox would put all 120 first.
    assert.ok(before <= 36, `${before} slow messages ran before the ping was answered`);
    for (let i = before; i < 120; i++) await expect(inbox, (m) => m?.event === 'worked', 'the rest of the flood');
  }));

test('ctx.flush() publishes a message before a long handler finishes', () =>
  withSystem({ threads: 2, handlerTimeoutMs: 60_000 }, async (system) => {
    const inbox = system.inbox();
    const p = await system.spawn(new URL('../fixtures/probe.actor.ts', import.meta.url), { report: inbox.pid }, { shard: 2 });
    system.send(p as Pid<any>, { op: 'hog', ms: 3000 });
    // 'hogging' is flushed before the loop: it arrives while the handler still runs.
    await expect(inbox, (m) => m?.event === 'hogging', 'the report sent before the loop');
    assert.is(await inbox.receive((m: any) => m?.event === 'hogged', { timeoutMs: 0 }), undefined, 'the handler is still running');
    await expect(inbox, (m) => m?.event === 'hogged', 'the end of the loop');
  }));

test('a shard kept busy by a chain of in-shard calls still turns its event loop: timers fire, the watchdog sees ticks', () =>
  // A 1 s handler limit: a shard whose loop never turned would be killed as a runaway.
  withSystem({ threads: 1, handlerTimeoutMs: 1000 }, async (system) => {
    const inbox = system.inbox();
    let restarted = false;
    system.on('shardRestart', () => (restarted = true));
    const server = await system.spawn(new URL('../fixtures/counter.server.ts', import.meta.url), undefined, { shard: 1 });
    await system.spawn(new URL('../fixtures/chatter.actor.ts', import.meta.url), { server, report: inbox.pid, timerMs: 1500 }, { shard: 1 });
    const fired = await expect<{ calls: number }>(inbox, (m) => m?.event === 'timer-fired', 'the timer, while the call chain runs');
    assert.ok(fired.calls > 100, `the chain ran (${fired.calls} calls) before the timer`);
    assert.is(restarted, false, 'the watchdog never took the shard for a runaway');
  }));

test.run();
