// Joining a cluster: node ids and creations, nodes(), nodeUp/nodeDown, names taken, restarts that never alias old pids.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { type DeadLetter, MemoryHub, NodeNameTakenError, Pid, isDownMessage, isNodeDownMessage } from '@joerl/runtime';
import { PROBE, assertNoneQueued, expect, expectReport } from '../helpers.ts';
import { assertNames, connected, down, memoryNode, withTwoNodes } from './helpers.ts';

const test = suite('nodes: joining');

test('two nodes see each other: ids, creations, nodes(), nodeUp; their pids carry their node and print Erlang-style', async () => {
  const hub = new MemoryHub();
  const a = await memoryNode(hub, 'a');
  const upAtA = connected(a, 'b');
  const b = await memoryNode(hub, 'b');
  try {
    const seen = await upAtA;
    await connected(b, 'a');
    assert.is(seen.name, 'b');
    assert.ok(a.node !== null && b.node !== null);
    assert.is.not(a.node!.id, b.node!.id, 'every node gets its own id');
    assert.is(a.node!.creation, 1);
    assertNames(a.nodes(), ['b']);
    assertNames(b.nodes(), ['a']);
    const inbox = b.inbox();
    const pid = await b.spawn(PROBE, { report: inbox.pid }, { shard: 1 });
    assert.is(pid.node, b.node!.id);
    assert.is(pid.toString(), `<${b.node!.id}.1.${pid.serial}>`);
    assert.ok(Pid.parse(pid.toString()).equals(pid));
    inbox.close();
  } finally {
    await b.shutdown();
    await a.shutdown();
  }
});

test('a node that leaves is down for the others (reason left); a system without node has none', async () => {
  const hub = new MemoryHub();
  const a = await memoryNode(hub, 'a');
  const b = await memoryNode(hub, 'b');
  await connected(a, 'b');
  const gone = down(a, 'b');
  await b.shutdown();
  const d = await gone;
  assert.is(d.reason, 'left');
  assert.equal(a.nodes(), []);
  await a.shutdown();
});

test('a second live node with the same name is refused with ERR_NODE_NAME_TAKEN', async () => {
  const hub = new MemoryHub();
  const a = await memoryNode(hub, 'a');
  try {
    await memoryNode(hub, 'a').then(
      (s) => s.shutdown().then(() => assert.unreachable('started twice')),
      (err: unknown) => {
        assert.instance(err, NodeNameTakenError);
        assert.is((err as NodeNameTakenError).code, 'ERR_NODE_NAME_TAKEN');
      },
    );
  } finally {
    await a.shutdown();
  }
});

test('a restarted node has a new id and the next creation: pids of the old one never alias the new ones', async () => {
  const hub = new MemoryHub();
  const a = await memoryNode(hub, 'a');
  const b1 = await memoryNode(hub, 'b');
  const inboxB1 = b1.inbox();
  const old = await b1.spawn(PROBE, { report: inboxB1.pid, tag: 'old' }, { shard: 1 });
  await expectReport(inboxB1, 'started', 'old');
  await connected(a, 'b');
  const watcher = a.inbox();
  const ref = watcher.monitor(old);
  await b1.shutdown();
  const b2 = await memoryNode(hub, 'b');
  try {
    const info = await connected(a, 'b');
    assert.is.not(info.id, b1.node?.id ?? old.node);
    assert.is(info.creation, 2);
    const inboxB2 = b2.inbox();
    const fresh = await b2.spawn(PROBE, { report: inboxB2.pid, tag: 'new' }, { shard: 1 });
    assert.not.ok(fresh.equals(old), 'same shard and perhaps serial, never the same pid');
    assert.is.not(fresh.node, old.node);
    // The monitor on the old incarnation's process fired (the old node left).
    const d = await expect<any>(watcher, (m) => isDownMessage(m) && m.ref === ref, 'DOWN of the old process');
    assert.ok(d.reason === 'shutdown' || d.reason?.value === 'noconnection', `got ${JSON.stringify(d.reason)}`);
  } finally {
    await b2.shutdown();
    await a.shutdown();
  }
});

test('monitorNode: watchers that exit before the node goes are forgotten (no dead letters then); a node never reports itself down', async () => {
  const hub = new MemoryHub();
  const a = await memoryNode(hub, 'a');
  const b = await memoryNode(hub, 'b');
  try {
    await connected(a, 'b');
    const letters: DeadLetter[] = [];
    a.on('deadLetter', (dl: DeadLetter) => {
      if (isNodeDownMessage(dl.message)) letters.push(dl);
    });
    for (let i = 0; i < 100; i++) {
      const shortLived = a.inbox();
      shortLived.monitorNode('b');
      shortLived.close();
    }
    const live = a.inbox();
    live.monitorNode('a');
    live.monitorNode('b');
    const gone = down(a, 'b');
    await b.shutdown();
    await gone;
    await expect(live, (m) => isNodeDownMessage(m) && m.node === 'b', 'nodedown of b');
    await assertNoneQueued(live, (m) => isNodeDownMessage(m) && m.node === 'a', 'a nodedown of our own node');
    assert.is(letters.length, 0, 'a nodedown went to a watcher that had exited');
  } finally {
    await b.shutdown();
    await a.shutdown();
  }
});

test('monitorNode stacks, as OTP\'s monitor_node: one nodedown per call; demonitorNode takes one back', () =>
  withTwoNodes({}, async ({ a, b }) => {
    const twice = a.inbox();
    twice.monitorNode('b');
    twice.monitorNode('b');
    const oneBack = a.inbox();
    oneBack.monitorNode('b');
    oneBack.monitorNode('b');
    oneBack.demonitorNode('b');
    const allBack = a.inbox();
    allBack.monitorNode('b');
    allBack.demonitorNode('b');
    allBack.demonitorNode('b'); // (one more than it holds: nothing)
    const gone = down(a, 'b');
    await b.shutdown();
    await gone;
    const isB = (m: unknown) => isNodeDownMessage(m) && m.node === 'b';
    await expect(twice, isB, 'the first nodedown');
    // Every watcher's nodedowns are queued together, when the node goes: what is not here now never comes.
    await expect(twice, isB, 'the second nodedown');
    await assertNoneQueued(twice, isB, 'a third nodedown');
    await expect(oneBack, isB, 'the nodedown of the watch it kept');
    await assertNoneQueued(oneBack, isB, 'a nodedown of the watch it took back');
    await assertNoneQueued(allBack, isB, 'a nodedown after both watches were taken back');
  }));

test.run();
