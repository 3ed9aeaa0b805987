// Ops over the servers' max payload that someone waits for (a spawn, its answer, an exit signal, a DOWN) are never lost in silence.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { type ActorSystem, type Inbox, MemoryHub, type Pid } from '@joerl/runtime';
import { EVENT_TIMEOUT_MS, PROBE, expect, expectReport } from '../helpers.ts';
import { connected, memoryNode } from './helpers.ts';

const OVERSIZE = new URL('../fixtures/oversize.actor.ts', import.meta.url);
const test = suite('nodes: ops too large for the servers');
let hub: MemoryHub;
let a: ActorSystem;
let b: ActorSystem;
let inbox: Inbox;

/** How `p` failed: its error, or 'resolved', or 'never settled' (the old behaviour: a bound, not a threshold). */
function failure(p: Promise<unknown>): Promise<Error & { code?: string }> {
  let timer: NodeJS.Timeout | undefined;
  const bound = new Promise<Error>((resolve) => (timer = setTimeout(() => resolve(new Error('never settled')), EVENT_TIMEOUT_MS)));
  return Promise.race([p.then(() => new Error('resolved'), (e: Error) => e), bound]).finally(() => clearTimeout(timer));
}

test.before(async () => {
  hub = new MemoryHub({ maxPayload: 64 * 1024 });
  a = await memoryNode(hub, 'a');
  b = await memoryNode(hub, 'b');
  await connected(a, 'b');
  inbox = a.inbox();
});
test.after(async () => {
  await b.shutdown();
  await a.shutdown();
});

test("a spawn on another node whose args are over the servers' max payload fails at once with ERR_INVALID_ARGUMENT", async () => {
  const err = await failure(a.spawn(PROBE, { report: inbox.pid, blob: 'x'.repeat(100_000) } as never, { node: 'b' }));
  assert.is(err.code, 'ERR_INVALID_ARGUMENT');
  assert.match(err.message, /max payload of 65536 bytes/);
  // The connection lives on: a spawn that fits goes through.
  const pid = await a.spawn(PROBE, { report: inbox.pid, tag: 'fits' }, { node: 'b' });
  assert.is(pid.node, b.node!.id);
});

test("a spawn on another node whose init fails with an error over the max payload fails with ERR_INIT_FAILED, its message cut short", async () => {
  const err = await failure(a.spawn(OVERSIZE, { failInit: 100_000 }, { node: 'b' }));
  assert.is(err.code, 'ERR_INIT_FAILED');
  assert.match(err.message, /cut short: whole, it was over the servers' max payload of 65536 bytes/);
  assert.ok(err.message.length < 5000, `${err.message.length} characters`);
});

test('a process of another node that dies with a reason over the max payload: its link and monitor fire, the reason cut short', async () => {
  const parent = await a.spawn(PROBE, { report: inbox.pid, tag: 'parent', trap: true }, { shard: 1 });
  await expectReport(inbox, 'started', 'parent');
  // Linked and monitored at birth: nothing races the death below.
  const spawn = (mode: string): void => a.send(parent, { op: 'spawn', url: OVERSIZE.href, args: {}, mode, opts: { node: 'b' } } as never);
  spawn('link');
  const linked = (await expectReport(inbox, 'spawned', 'parent')).child as Pid;
  spawn('monitor');
  const watched = await expectReport(inbox, 'spawned', 'parent');
  // Small messages from here; only the reasons they die with are large.
  a.send(linked, { panic: 100_000 } as never);
  a.send(watched.child as Pid, { stop: 100_000 } as never);
  const ex = await expect<any>(inbox, (m) => m?.event === 'got' && m.tag === 'parent' && m.msg?.type === 'EXIT', 'EXIT from the linked child');
  assert.ok(ex.msg.from.equals(linked));
  assert.is(ex.msg.reason.kind, 'panic');
  assert.match(ex.msg.reason.message, /^x+… \(cut short: whole, it was over the servers' max payload of 65536 bytes\)$/);
  const d = await expect<any>(inbox, (m) => m?.event === 'got' && m.tag === 'parent' && m.msg?.type === 'DOWN' && m.msg.ref === watched.ref, 'DOWN from the monitored child');
  assert.is(d.msg.reason.kind, 'custom');
  assert.match(d.msg.reason.value, /^<reason cut short \(whole, it was over the servers' max payload of 65536 bytes\): custom: \{"blob":"x+…>$/);
});

test('a publish the connection fails (not a payload the servers refused) is reported as such: a dead letter noconnection, a spawn ERR_NODE_DOWN', async () => {
  // Regression: every publish failure was taken for an oversized payload (payload_too_large, and advice to raise max_payload).
  const hub2 = new MemoryHub();
  const tc = hub2.connect('joerl:test:c');
  let broken = false;
  const publish = tc.publish.bind(tc);
  tc.publish = ((...args: Parameters<typeof publish>) => {
    if (broken) throw new Error('connection closed');
    return publish(...args);
  }) as typeof tc.publish;
  const c = await memoryNode(hub2, 'c', { transport: tc });
  const d = await memoryNode(hub2, 'd');
  try {
    await connected(c, 'd');
    const inD = d.inbox();
    const dead: any[] = [];
    c.on('deadLetter', (dl) => dead.push(dl));
    broken = true;
    const spawn = failure(c.spawn(PROBE, { report: inD.pid }, { node: 'd' }));
    c.send(inD.pid as Pid<any>, 'hello');
    const err = await spawn;
    assert.is(err.code, 'ERR_NODE_DOWN', err.message);
    assert.not.match(err.message, /max_payload/);
    assert.equal(dead.map((dl) => dl.reason), ['noconnection']);
  } finally {
    broken = false;
    await d.shutdown();
    await c.shutdown();
  }
});

test.run();
