// Remote send, call and cast between two nodes (in-memory transport): order per pair, replies, typed errors for lost nodes.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { type ActorSystem, MemoryHub, NodeDownError, Pid, type Inbox } from '@joerl/runtime';
import { EVENT_TIMEOUT_MS, PROBE, expect, expectReport } from '../helpers.ts';
import { connected, memoryNode } from './helpers.ts';

const COUNTER = new URL('../fixtures/counter.server.ts', import.meta.url);
const test = suite('nodes: messages');
let hub: MemoryHub;
let a: ActorSystem;
let b: ActorSystem;
let inboxA: Inbox;
let inboxB: Inbox;

test.before(async () => {
  hub = new MemoryHub();
  a = await memoryNode(hub, 'a');
  b = await memoryNode(hub, 'b');
  await connected(a, 'b');
  await connected(b, 'a');
  inboxA = a.inbox();
  inboxB = b.inbox();
});
test.after(async () => {
  await b.shutdown();
  await a.shutdown();
});

test('messages from one process to a process on another node arrive in the order they were sent', async () => {
  // A probe on b forwards what it gets back to an inbox on a: every message crosses twice.
  const echo = await b.spawn(PROBE, { report: inboxA.pid, tag: 'echo' }, { shard: 1 });
  await expectReport(inboxA, 'started', 'echo');
  const N = 2000;
  for (let i = 0; i < N; i++) a.send(echo, { n: i } as never);
  for (let i = 0; i < N; i++) {
    const got = await expect<any>(inboxA, (m) => m?.event === 'got' && m.tag === 'echo', `message ${i}`);
    assert.is(got.msg.n, i);
  }
});

test('an actor sends to an actor on another node, and the reply comes back to the sender', async () => {
  const here = await a.spawn(PROBE, { report: inboxA.pid, tag: 'here' }, { shard: 1 });
  const there = await b.spawn(PROBE, { report: inboxB.pid, tag: 'there' }, { shard: 1 });
  await expectReport(inboxA, 'started', 'here');
  await expectReport(inboxB, 'started', 'there');
  a.send(here, { op: 'send', to: there, msg: { from: 'a', reply: here } });
  const got = await expect<any>(inboxB, (m) => m?.event === 'got' && m.tag === 'there', 'the message on b');
  assert.equal(got.msg.from, 'a');
  assert.ok(got.msg.reply instanceof Pid && got.msg.reply.equals(here), 'a pid inside a message crosses nodes as itself');
  b.send(there, { op: 'send', to: got.msg.reply, msg: { back: true } });
  const back = await expect<any>(inboxA, (m) => m?.event === 'got' && m.tag === 'here', 'the answer on a');
  assert.equal(back.msg, { back: true });
});

test('call and cast to a GenServer on another node', async () => {
  const server = await b.spawn(COUNTER, { start: 10, report: inboxB.pid }, { shard: 1 });
  assert.is(await a.call(server as Pid<any>, { kind: 'add', n: 5 }), 15);
  a.cast(server as Pid<any>, { kind: 'bump' });
  const bumped = await expect<any>(inboxB, (m) => m?.event === 'bumped', 'the cast on b');
  assert.is(bumped.count, 16);
  assert.is(await a.call(server as Pid<any>, { kind: 'get' }), 16);
  // From an actor on a, through a server on a, to the server on b.
  const local = await a.spawn(COUNTER, {}, { shard: 1 });
  assert.is(await a.call(local as Pid<any>, { kind: 'forward', to: server, req: { kind: 'get' } }), 16);
  // A call that crashes the remote server fails fast with its reason.
  const err = await a.call(server as Pid<any>, { kind: 'crash', message: 'remote boom' }).catch((e: unknown) => e);
  assert.is((err as { code?: string }).code, 'ERR_CALL_FAILED');
  assert.match(String((err as Error).message), /remote boom/);
});

test('a call to a process of a node that does not exist rejects with ERR_NODE_DOWN at once, even with a timeout of an hour', async () => {
  const ghost = new Pid(987654, 1, 1);
  const started = performance.now();
  const err = await a.call(ghost as Pid<any>, { kind: 'get' }, { timeoutMs: 3_600_000 }).catch((e: unknown) => e);
  assert.instance(err, NodeDownError);
  assert.ok(performance.now() - started < EVENT_TIMEOUT_MS);
  // A send to it is reported as a dead letter with reason noconnection.
  const dl = new Promise<any>((resolve) => a.once('deadLetter', resolve));
  a.send(ghost, 'hello?');
  const d = await dl;
  assert.is(d.reason, 'noconnection');
  assert.is(d.message, 'hello?');
});

test('a monitor on a process of another node delivers its exit reason; a link carries exits both ways', async () => {
  const there = await b.spawn(PROBE, { report: inboxB.pid, tag: 'm1' }, { shard: 1 });
  await expectReport(inboxB, 'started', 'm1');
  const ref = inboxA.monitor(there);
  const linker = await a.spawn(PROBE, { report: inboxA.pid, tag: 'l1', trap: true }, { shard: 1 });
  await expectReport(inboxA, 'started', 'l1');
  a.send(linker, { op: 'link', pid: there });
  await expectReport(inboxA, 'linked', 'l1');
  // The link and monitor are in place at b before the panic: a ping answered after them proves it.
  a.send(there, { op: 'ping' });
  await expectReport(inboxB, 'pong', 'm1');
  b.send(there, { op: 'panic', message: 'far away' });
  const d = await expect<any>(inboxA, (m) => m?.type === 'DOWN' && m.ref === ref, 'DOWN from b');
  assert.is(d.reason.kind, 'panic');
  assert.is(d.reason.message, 'far away');
  const ex = await expect<any>(inboxA, (m) => m?.event === 'got' && m.tag === 'l1' && m.msg?.type === 'EXIT', 'EXIT at the linker');
  assert.ok(ex.msg.from.equals(there));
  // exit/kill across nodes.
  const victim = await b.spawn(PROBE, { report: inboxB.pid, tag: 'v', trap: true }, { shard: 1 });
  await expectReport(inboxB, 'started', 'v');
  const vref = inboxA.monitor(victim);
  a.exit(victim, 'kill');
  const vd = await expect<any>(inboxA, (m) => m?.type === 'DOWN' && m.ref === vref, 'DOWN of the killed process');
  assert.is(vd.reason, 'killed');
});

test('a monitor on a process that is gone (on another node) fires at once with noproc', async () => {
  const there = await b.spawn(PROBE, { report: inboxB.pid, tag: 'gone' }, { shard: 1 });
  await expectReport(inboxB, 'started', 'gone');
  const first = inboxA.monitor(there);
  b.send(there, { op: 'stop', reason: 'normal' });
  await expect<any>(inboxA, (m) => m?.type === 'DOWN' && m.ref === first, 'first DOWN');
  const ref = inboxA.monitor(there);
  const d = await expect<any>(inboxA, (m) => m?.type === 'DOWN' && m.ref === ref, 'DOWN noproc');
  assert.equal(d.reason, { kind: 'custom', value: 'noproc' });
});

test.run();
