// A soak across three nodes with one killed: every message sent is handled or reported as failed, exactly.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { MemoryHub, type Pid } from '@joerl/runtime';
import { EVENT_TIMEOUT_MS, PROBE, expect, expectReport } from '../helpers.ts';
import { connected, down, memoryNodeT } from './helpers.ts';

const test = suite('nodes: soak');
const TALLY = new URL('../fixtures/tally.actor.ts', import.meta.url);

/** Sum of a metric's series whose labels include `match` (Prometheus text). */
function total(text: string, metric: string, match: string): number {
  return text
    .split('\n')
    .filter((l) => l.startsWith(`${metric}{`) && l.includes(match))
    .reduce((s, l) => s + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
}

test('a, b and c; a floods b and c from two shards; c is killed midway: handled + reported = sent, for each target', async () => {
  const hub = new MemoryHub();
  const { system: a } = await memoryNodeT(hub, 'a', {}, { threads: 2 });
  const { system: b } = await memoryNodeT(hub, 'b');
  const { system: c, t: tc } = await memoryNodeT(hub, 'c');
  try {
    await connected(a, 'b');
    await connected(a, 'c');
    const tallyB = (await b.spawn(TALLY, undefined, { shard: 1 })) as Pid<any>;
    const tallyC = (await c.spawn(TALLY, undefined, { shard: 1 })) as Pid<any>;
    const inA = a.inbox();
    const senders = [
      await a.spawn(PROBE, { report: inA.pid, tag: 's1' }, { shard: 1 }),
      await a.spawn(PROBE, { report: inA.pid, tag: 's2' }, { shard: 2 }),
    ];
    await expectReport(inA, 'started', 's1');
    await expectReport(inA, 'started', 's2');
    const ROUNDS = 20;
    const BURST = 250;
    const sent = { b: 0, c: 0 };
    const cDown = down(a, 'c');
    for (let round = 0; round < ROUNDS; round++) {
      for (const [i, s] of senders.entries()) {
        const target = (round + i) % 2 === 0 ? tallyB : tallyC;
        a.send(s, { op: 'burst', to: target, count: BURST });
        const r = await expect<any>(inA, (m) => m?.event === 'burst' && m.pid?.equals(s), `burst ${round}`);
        assert.ok(r.results.every((x: string) => x === 'ok'), 'remote sends are accepted (a failure is reported later)');
        sent[target === tallyB ? 'b' : 'c'] += BURST;
      }
      // Midway, c's process "dies": the servers tell the others; in-flight frames to it are gone.
      if (round === ROUNDS / 2) hub.kill(tc);
    }
    await cDown;
    // b handled everything (awaited: it catches up), nothing to b was reported.
    const deadline = Date.now() + EVENT_TIMEOUT_MS;
    let handledB = 0;
    while ((handledB = (await a.call(tallyB, { op: 'count' })) as number) < sent.b && Date.now() < deadline) await new Promise((r) => setImmediate(r));
    const textA = await a.metrics.metrics();
    assert.is(handledB, sent.b);
    assert.is(total(textA, 'joerl_remote_messages_failed_total', 'target_node="b"'), 0);
    // c (its process still here, its connection gone) handled what reached it; a reported the rest.
    let handledC = 0;
    let reportedC = 0;
    for (;;) {
      handledC = (await c.call(tallyC, { op: 'count' })) as number;
      reportedC = total(await a.metrics.metrics(), 'joerl_remote_messages_failed_total', 'target_node="c"');
      if (handledC + reportedC >= sent.c || Date.now() > deadline) break;
      await new Promise((r) => setImmediate(r));
    }
    console.log(`  sent to c ${sent.c}: handled ${handledC}, reported ${reportedC}; sent to b ${sent.b}: handled ${handledB}`);
    assert.ok(handledC > 0 && reportedC > 0, 'c handled some before it died, and some were reported after');
    assert.is(handledC + reportedC, sent.c, 'every message to c is handled or reported, once');
  } finally {
    await c.shutdown();
    await b.shutdown();
    await a.shutdown();
  }
});

test.run();
