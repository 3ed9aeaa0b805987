// A message to another node that no longer encodes when its batch is packed (changed after the send) is a dead letter, not lost.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { MemoryHub } from '@joerl/runtime';
import { EVENT_TIMEOUT_MS, PROBE, expectReport } from '../helpers.ts';
import { connected, memoryNode } from './helpers.ts';

test('a send to another node spoiled after it was sent is reported as an unencodable dead letter', async () => {
  const hub = new MemoryHub();
  // Unchecked sends, as in production: the message is packed as it is when its batch goes.
  const a = await memoryNode(hub, 'a', {}, { checkLocalSends: false });
  const b = await memoryNode(hub, 'b');
  try {
    await connected(a, 'b');
    const inboxA = a.inbox();
    const target = b.inbox();
    const sender = await a.spawn(PROBE, { report: inboxA.pid, tag: 'spoiler' }, { shard: 1 });
    await expectReport(inboxA, 'started', 'spoiler');
    // The sender's shard knows node b once a message of its reaches the target (main knowing it is not enough).
    a.send(sender, { op: 'send', to: target.pid, msg: 'hello' } as never);
    assert.is(await target.receive(undefined, { timeoutMs: EVENT_TIMEOUT_MS }), 'hello');
    let timer: NodeJS.Timeout | undefined;
    const dead = new Promise<any>((resolve, reject) => {
      a.on('deadLetter', resolve);
      timer = setTimeout(() => reject(new Error(`no dead letter within ${EVENT_TIMEOUT_MS} ms`)), EVENT_TIMEOUT_MS);
    }).finally(() => clearTimeout(timer));
    a.send(sender, { op: 'send-then-spoil', to: target.pid } as never);
    const dl = await dead;
    assert.is(dl.reason, 'unencodable');
    assert.is(String(dl.to), String(target.pid));
    assert.is(dl.message, '[unencodable message]');
  } finally {
    await b.shutdown();
    await a.shutdown();
  }
});

test('a call to another node whose request is spoiled after the call fails with ERR_UNENCODABLE', async () => {
  const hub = new MemoryHub();
  const a = await memoryNode(hub, 'a', {}, { checkLocalSends: false });
  const b = await memoryNode(hub, 'b');
  try {
    await connected(a, 'b');
    const inboxA = a.inbox();
    const inboxB = b.inbox();
    const server = await b.spawn(PROBE, { report: inboxB.pid, tag: 'far-server' }, { shard: 1 });
    await expectReport(inboxB, 'started', 'far-server');
    const caller = await a.spawn(PROBE, { report: inboxA.pid, tag: 'far-caller' }, { shard: 1 });
    await expectReport(inboxA, 'started', 'far-caller');
    a.send(caller, { op: 'call-then-spoil', to: server } as never);
    // Before the fix the call waited for a reply that could not come (forever, with timeoutMs Infinity).
    const failed = await expectReport(inboxA, 'call-failed', 'far-caller');
    assert.is(failed.code, 'ERR_UNENCODABLE');
  } finally {
    await b.shutdown();
    await a.shutdown();
  }
});

test.run();
