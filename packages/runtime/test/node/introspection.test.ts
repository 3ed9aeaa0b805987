// Introspection on a node: its own pids (which carry its node id) are looked up by shard; another node's are not here.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { MemoryHub } from '@joerl/runtime';
import { PROBE, expectReport } from '../helpers.ts';
import { connected, memoryNodeT } from './helpers.ts';

const test = suite('nodes: introspection');

test("processInfo, getState and processes({ node }) answer for a node's own pids; another node's pid is ERR_NO_PROC", async () => {
  const hub = new MemoryHub();
  const { system: a } = await memoryNodeT(hub, 'a');
  const { system: b } = await memoryNodeT(hub, 'b');
  try {
    await connected(a, 'b');
    const inbox = a.inbox();
    const pid = await a.spawn(PROBE, { report: inbox.pid, tag: 'seen' }, { shard: 1 });
    await expectReport(inbox, 'started', 'seen');
    assert.ok(pid.node !== 0, `a node's pid carries its id (${pid})`);
    const info = await a.processInfo(pid);
    assert.ok(info.pid.equals(pid), `processInfo of ${pid} gave ${info.pid}`);
    assert.type(await a.getState(pid), 'string');
    const rows = await a.processes({ node: a.node!.id });
    assert.ok(rows.some((r) => r.pid.equals(pid)), 'processes({ node: own id }) lists it');
    const inB = b.inbox();
    const there = await b.spawn(PROBE, { report: inB.pid, tag: 'there' }, { shard: 1 });
    await expectReport(inB, 'started', 'there');
    await a.processInfo(there).then(
      () => assert.unreachable('another node\'s pid is not looked up here'),
      (err: { code?: string }) => assert.is(err.code, 'ERR_NO_PROC'),
    );
    assert.equal(await a.processes({ node: b.node!.id }), []);
  } finally {
    await b.shutdown();
    await a.shutdown();
  }
});

test.run();
