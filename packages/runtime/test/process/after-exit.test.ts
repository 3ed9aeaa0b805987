// Code still running for a process that has exited (an async handler resuming after a kill) calls, spawns, links and monitors no more.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { ActorSystem, type Inbox } from '@joerl/runtime';
import { PROBE, expect, expectReport, probe } from '../helpers.ts';

const COUNTER = new URL('../fixtures/counter.server.ts', import.meta.url);

const test = suite('after exit');
let system: ActorSystem;
let inbox: Inbox;
test.before(async () => {
  system = await ActorSystem.start({ threads: 2 });
  inbox = system.inbox();
});
test.after(() => system.shutdown());

for (const shard of [1, 2]) {
  test(`a killed process's code gets ERR_NO_PROC for call, spawnLink, link and monitor (server on shard ${shard}), and nothing is done`, async () => {
    const counter = await system.spawn(COUNTER, { start: 0 }, { shard });
    const victim = await probe(system, inbox, 1, { tag: `dead${shard}` });
    const ref = inbox.monitor(victim);
    system.send(victim, { op: 'ops-after-exit', target: counter, url: PROBE.href });
    await expectReport(inbox, 'waiting', `dead${shard}`);
    system.exit(victim, 'kill');
    await expect(inbox, (m) => m?.type === 'DOWN' && m.ref === ref, 'DOWN of the victim');
    const r = await expect<{ codes: Record<string, string> }>(inbox, (m) => m?.event === 'after-exit' && m.tag === `dead${shard}`, 'the outcomes');
    assert.equal(r.codes, { call: 'ERR_NO_PROC', spawnLink: 'ERR_NO_PROC', link: 'ERR_NO_PROC', monitor: 'ERR_NO_PROC' });
    // The request never went out: the counter is still at 0, and no orphan child started.
    assert.is(await system.call(counter, { kind: 'get' }), 0);
    assert.is(await inbox.receive((m: any) => m?.event === 'started' && m.tag === 'orphan', { timeoutMs: 0 }), undefined);
    system.exit(counter, 'kill');
  });
}

test.run();
