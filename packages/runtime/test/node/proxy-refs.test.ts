// Refs of other nodes' monitors: minted here on first sight, translated back once, forgotten with their thread or node.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ProxyRefs } from '../../src/node/proxy-refs.ts';

test("a dead thread of another node takes its monitors' refs with it, and only them", () => {
  // Regression: after W_SHARD_DOWN, the entries of the dead shard's monitors stayed until the whole node went.
  let next = 100;
  const refs = new ProxyRefs(() => next++);
  const b = 7;
  const fromShard1 = [4096 * 10 + 1, 4096 * 11 + 1];
  const fromShard2 = 4096 * 12 + 2;
  for (const r of fromShard1) refs.inbound(b, r, 1);
  const kept = refs.inbound(b, fromShard2, 1);
  const otherNode = refs.inbound(8, 4096 * 13 + 1, 1);
  assert.is(refs.size, 4);
  refs.dropThread(b, 1);
  assert.is(refs.size, 2);
  assert.is(refs.outbound(kept), fromShard2);
  assert.is(refs.outbound(otherNode), 4096 * 13 + 1);
  assert.is(refs.take(b, fromShard1[0]!), undefined);
});

test('a dead thread of ours takes the refs of the monitors on its processes with it, from every node, and only them', () => {
  // Regression: the watchers fire their DOWN on W_SHARD_DOWN and send no demonitor; the entries stayed until their node went.
  let next = 100;
  const refs = new ProxyRefs(() => next++);
  const onOurs1 = [refs.inbound(7, 4096 * 10 + 1, 1), refs.inbound(8, 4096 * 10 + 1, 1)];
  const onOurs2 = refs.inbound(7, 4096 * 11 + 1, 2);
  // A spawn's monitor: minted before its process had a thread, placed once it did.
  const spawned = refs.inbound(7, 4096 * 12 + 1, -1);
  refs.placed(spawned, 1);
  const unplaced = refs.inbound(7, 4096 * 13 + 1, -1);
  assert.is(refs.size, 5);
  refs.dropTarget(1);
  assert.is(refs.size, 2);
  for (const r of [...onOurs1, spawned]) assert.is(refs.outbound(r), undefined);
  assert.is(refs.take(7, 4096 * 10 + 1), undefined, 'gone from the remote side too');
  assert.is(refs.outbound(onOurs2), 4096 * 11 + 1);
  assert.is(refs.outbound(unplaced), 4096 * 13 + 1);
});

test.run();
