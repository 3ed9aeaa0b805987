// Values across nodes follow the same table as across threads; a move becomes a copy on the wire, shared memory is refused at the send.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { type ActorSystem, type Inbox, MemoryHub, type Pid, UnencodableError } from '@joerl/runtime';
import { expect } from '../helpers.ts';
import { ACCEPTED, REFUSED } from '../fixtures/values.ts';
import { connected, memoryNode } from './helpers.ts';

const PAYLOAD = new URL('../fixtures/payload.actor.ts', import.meta.url);
const SIGNALS = new URL('../fixtures/signals.actor.ts', import.meta.url);
const test = suite('nodes: values');
let hub: MemoryHub;
let a: ActorSystem;
let b: ActorSystem;
let inbox: Inbox;
let sender: Pid<any>;
let local: Pid<any>;
let remote: Pid<any>;

test.before(async () => {
  hub = new MemoryHub();
  a = await memoryNode(hub, 'a', {}, { threads: 2, checkLocalSends: true });
  b = await memoryNode(hub, 'b', {}, { threads: 1, checkLocalSends: true });
  await connected(a, 'b');
  await connected(b, 'a');
  inbox = a.inbox();
  sender = (await a.spawn(PAYLOAD, { report: inbox.pid }, { shard: 1 })) as Pid<any>;
  local = (await a.spawn(PAYLOAD, { report: inbox.pid, where: 'local' }, { shard: 2 })) as Pid<any>;
  remote = (await b.spawn(PAYLOAD, { report: inbox.pid, where: 'remote' }, { shard: 1 })) as Pid<any>;
});
test.after(async () => {
  await b.shutdown();
  await a.shutdown();
});

test('every value kind of the table arrives on another node as on another thread (-0 too)', async () => {
  const names = Object.keys(ACCEPTED);
  a.send(sender, { op: 'values', local, remote, names });
  for (const name of names) {
    const want = await expect<{ fp: string }>(inbox, (m) => m?.event === 'expected' && m.tag === name, `the expected form of ${name}`);
    const there = await expect<{ fp: string }>(inbox, (m) => m?.event === 'got' && m.tag === name && m.where === 'remote', `${name} on node b`);
    const here = await expect<{ fp: string }>(inbox, (m) => m?.event === 'got' && m.tag === name && m.where === 'local', `${name} on shard 2`);
    assert.is(there.fp, want.fp, `${name} across nodes`);
    assert.is(here.fp, want.fp, `${name} across threads`);
  }
});

test('what a thread refuses, a send to another node refuses, with the same error and path', async () => {
  a.send(sender, { op: 'refusals', local, remote });
  for (const name of Object.keys(REFUSED)) {
    const r = await expect<{ local: string; remote: string }>(inbox, (m) => m?.event === 'refusal' && m.name === name, name);
    assert.match(r.remote, /^ERR_UNENCODABLE: /, name);
    assert.is(r.remote, r.local, name);
  }
});

test('spawn arguments and exit reasons cross to another node as to another thread: every kind of the table, -0 too', async () => {
  const names = Object.keys(ACCEPTED).filter((n) => !n.startsWith('a Buffer'));
  const sig = (await a.spawn(SIGNALS, { report: inbox.pid, tag: 'sig' }, { shard: 1 })) as Pid<any>;
  await expect(inbox, (m) => m?.event === 'started' && m.tag === 'sig', 'the sender');
  a.send(sig, { op: 'spawn-values', names, local: 2, remote: 1, node: 'b' });
  for (const name of names) {
    const want = await expect<{ fp: string }>(inbox, (m) => m?.event === 'expected' && m.name === name, `the expected form of ${name}`);
    const there = await expect<{ fp: string }>(inbox, (m) => m?.event === 'init-got' && m.tag === name && m.node === 'b', `${name} spawned on node b`);
    assert.is(there.fp, want.fp, `${name}: spawn arguments across nodes`);
  }
  const watcher = (await b.spawn(SIGNALS, { report: inbox.pid, tag: 'b-watcher' }, { shard: 1 })) as Pid<any>;
  const near = (await a.spawn(SIGNALS, { report: inbox.pid, tag: 'a-watcher' }, { shard: 2 })) as Pid<any>;
  for (const tag of ['b-watcher', 'a-watcher']) await expect(inbox, (m) => m?.event === 'started' && m.tag === tag, tag);
  a.send(sig, { op: 'exit-values', names, local: near, remote: watcher });
  for (const name of names) {
    const want = await expect<{ fp: string }>(inbox, (m) => m?.event === 'expected' && m.name === name, `the expected reason for ${name}`);
    const there = await expect<{ fp: string }>(inbox, (m) => m?.event === 'EXIT' && m.tag === 'b-watcher', `${name}: the EXIT on node b`);
    assert.is(there.fp, want.fp, `${name}: exit reason across nodes`);
  }
});

test('shared memory is refused at the send to another node, by path; a moved buffer is detached here and arrives there as a copy', async () => {
  const sab = new SharedArrayBuffer(16);
  try {
    a.send(remote, { op: 'check', seq: 1, data: new Int32Array(sab) });
    assert.unreachable('sent shared memory to another node');
  } catch (err) {
    assert.instance(err, UnencodableError);
    assert.match((err as Error).message, /cannot send a Int32Array over a SharedArrayBuffer at message\.data: shared memory cannot cross to another node/);
  }
  // In-node, the same value crosses as the same memory.
  a.send(local, { op: 'check', seq: 2, data: new Int32Array(sab) });
  await expect(inbox, (m) => m?.event === 'checked' && m.seq === 2, 'the shared array on shard 2');
  // 256 KiB: a side item on its way to the main thread, under the transport's 1 MiB payload limit.
  a.send(sender, { op: 'send', to: remote, kind: 'Float64Array', bytes: 256 * 1024, seed: 5, seq: 3, move: true });
  const sent = await expect<{ summary: string; detached: boolean }>(inbox, (m) => m?.event === 'sent' && m.seq === 3, 'the move');
  assert.ok(sent.detached, 'detached at the sender, as for a move within the node');
  const got = await expect<{ summary: string }>(inbox, (m) => m?.event === 'checked' && m.seq === 3, 'the moved array on node b');
  assert.is(got.summary, sent.summary);
});

test.run();
