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
  for (const r of fromShard1) refs.inbound(b, r);
  const kept = refs.inbound(b, fromShard2);
  const otherNode = refs.inbound(8, 4096 * 13 + 1);
  assert.is(refs.size, 4);
  refs.dropThread(b, 1);
  assert.is(refs.size, 2);
  assert.is(refs.outbound(kept), fromShard2);
  assert.is(refs.outbound(otherNode), 4096 * 13 + 1);
  assert.is(refs.take(b, fromShard1[0]!), undefined);
});

test.run();
