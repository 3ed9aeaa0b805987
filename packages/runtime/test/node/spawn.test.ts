// Spawning on another node: modules named under each node's own root (different folders), link and monitor at birth, supervision across nodes.
import { getEventListeners } from 'node:events';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { type ActorSystem, MemoryHub, Supervisor, type Pid, type MemoryTransport, UnknownNodeError, InvalidArgumentError } from '@joerl/runtime';
import { expect, expectReport } from '../helpers.ts';
import { connected, down, memoryNodeT } from './helpers.ts';
import { type Root, makeRoot } from './roots.ts';

const test = suite('nodes: spawn');
let hub: MemoryHub;
let rootA: Root;
let rootB: Root;
let a: ActorSystem;
let b: ActorSystem;
let tb: MemoryTransport;

test.before(async () => {
  hub = new MemoryHub();
  rootA = makeRoot('a');
  rootB = makeRoot('b');
  a = (await memoryNodeT(hub, 'a', { root: rootA.dir })).system;
  ({ system: b, t: tb } = await memoryNodeT(hub, 'b', { root: rootB.dir }));
  await connected(a, 'b');
});
test.after(async () => {
  await b.shutdown();
  await a.shutdown();
  rootA.remove();
  rootB.remove();
});

test('a module spawned on another node is loaded from that node\'s own project folder (same path under a different root)', async () => {
  const inbox = a.inbox();
  const pid = await a.spawn(rootA.url('actors/where.actor.mjs'), { report: inbox.pid, tag: 'w' }, { node: 'b' });
  assert.is(pid.node, b.node!.id);
  const started = await expectReport(inbox, 'started', 'w');
  assert.ok(String(started.url).startsWith(`file://${rootB.dir}/`), `loaded from ${started.url}`);
  assert.is(started.node, 'b');
  // A node name of 'local' (or our own) spawns here.
  const here = await a.spawn(rootA.url('actors/where.actor.mjs'), { report: inbox.pid, tag: 'h' }, { node: 'local' });
  assert.is(here.node, a.node!.id);
});

test('spawnLink and spawnMonitor on another node: the link and monitor are set at birth', async () => {
  const inbox = a.inbox();
  const parent = await a.spawn(new URL('../fixtures/probe.actor.ts', import.meta.url), { report: inbox.pid, tag: 'parent', trap: true }, { shard: 1 });
  await expectReport(inbox, 'started', 'parent');
  a.send(parent, { op: 'spawn', url: rootA.url('actors/where.actor.mjs').href, args: { report: inbox.pid, tag: 'kid' }, mode: 'link', opts: { node: 'b' } });
  const spawned = await expectReport(inbox, 'spawned', 'parent');
  const kid = spawned.child as Pid;
  assert.is(kid.node, b.node!.id);
  a.send(kid, { op: 'panic', message: 'kid crashed' } as never);
  const ex = await expect<any>(inbox, (m) => m?.event === 'got' && m.tag === 'parent' && m.msg?.type === 'EXIT', 'EXIT from the remote child');
  assert.is(ex.msg.reason.message, 'kid crashed');
  a.send(parent, { op: 'spawn', url: rootA.url('actors/where.actor.mjs').href, args: { report: inbox.pid, tag: 'kid2' }, mode: 'monitor', opts: { node: 'b' } });
  const sm = await expectReport(inbox, 'spawned', 'parent');
  a.send(sm.child as Pid, { op: 'panic', message: 'watched' } as never);
  const d = await expect<any>(inbox, (m) => m?.event === 'got' && m.tag === 'parent' && m.msg?.type === 'DOWN' && m.msg.ref === sm.ref, 'DOWN from the remote child');
  assert.is(d.msg.reason.message, 'watched');
});

test('bad input: an unknown node (ERR_UNKNOWN_NODE), a module outside the root (ERR_INVALID_ARGUMENT)', async () => {
  const e1 = await a.spawn(rootA.url('actors/where.actor.mjs'), {}, { node: 'nope' }).catch((e: unknown) => e);
  assert.instance(e1, UnknownNodeError);
  const e2 = await a.spawn(new URL('../fixtures/probe.actor.ts', import.meta.url), {}, { node: 'b' }).catch((e: unknown) => e);
  assert.instance(e2, InvalidArgumentError);
  assert.match((e2 as Error).message, /not under this node's root/);
});

test('spawn on another node with a signal: aborted already, it rejects at once; aborted before the answer, it rejects with the reason and the process is killed once the answer names it', async () => {
  const inbox = a.inbox();
  const reason = new Error('changed my mind');
  const url = rootA.url('actors/where.actor.mjs');
  assert.is(await a.spawn(url, { report: inbox.pid, tag: 'never' }, { node: 'b', signal: AbortSignal.abort(reason) }).catch((e: unknown) => e), reason);
  const ac = new AbortController();
  const spawn = a.spawn(url, { report: inbox.pid, tag: 'aborted' }, { node: 'b', signal: ac.signal });
  ac.abort(reason);
  assert.is(await spawn.catch((e: unknown) => e), reason);
  assert.is(getEventListeners(ac.signal, 'abort').length, 0);
  const { pid } = await expectReport(inbox, 'started', 'aborted');
  // It did start (it reported so); it ends once the answer brings its pid here: killed, or already gone when the monitor arrives.
  const end = await a.join(pid as Pid);
  assert.ok(end === 'killed' || (typeof end === 'object' && end.kind === 'custom' && end.value === 'noproc'), `ended with ${JSON.stringify(end)}`);
  inbox.close();
});

test('a spawn on another node keeps its timeoutMs (checked at the call): the serving node gives up on the start then, not at its own spawnTimeoutMs', async () => {
  const url = rootA.url('actors/where.actor.mjs');
  // Regression: the option never left this node, and the serving node waited its own 30 s.
  const err = (await a.spawn(url, { hold: true }, { node: 'b', timeoutMs: 100 }).catch((e: unknown) => e)) as { code?: string };
  assert.is(err.code, 'ERR_SPAWN_TIMEOUT');
  const bad = (await a.spawn(url, {}, { node: 'b', timeoutMs: 'soon' as never }).catch((e: unknown) => e)) as { code?: string };
  assert.is(bad.code, 'ERR_INVALID_OPTION');
});

test("a spawn on another node keeps its terminateTimeoutMs (a supervisor's child spec shutdown travels so): its terminate is cut off there at that limit", async () => {
  const inbox = a.inbox();
  // A 50 ms terminate under a limit of 0: killed at once on b. (The option left behind, b's own 5 s would let it finish.)
  const pid = await a.spawn(rootA.url('actors/where.actor.mjs'), { report: inbox.pid, tag: 'slow-stop', slowStopMs: 50 }, { node: 'b', terminateTimeoutMs: 0 });
  await expectReport(inbox, 'started', 'slow-stop');
  const ref = inbox.monitor(pid);
  a.exit(pid, 'shutdown');
  const d = await expect<{ reason: unknown }>(inbox, (m) => m?.type === 'DOWN' && m.ref === ref, 'down');
  assert.is(d.reason, 'killed');
  const bad = (await a.spawn(rootA.url('actors/where.actor.mjs'), {}, { node: 'b', terminateTimeoutMs: -5 }).catch((e: unknown) => e)) as { code?: string };
  assert.is(bad.code, 'ERR_INVALID_OPTION', 'checked at the call');
  inbox.close();
});

test('a spawn on another node still unanswered when this node shuts down fails (ERR_SYSTEM_STOPPED): it never settled', async () => {
  const hub2 = new MemoryHub();
  const c = (await memoryNodeT(hub2, 'c', { root: rootA.dir })).system;
  const d = (await memoryNodeT(hub2, 'd', { root: rootB.dir })).system;
  try {
    await connected(c, 'd');
    const inbox = d.inbox();
    const pending = c.spawn(rootA.url('actors/where.actor.mjs'), { hold: true, report: inbox.pid }, { node: 'd' }).catch((e: unknown) => e);
    // The request has reached d once a process there exists that c asked for after it (one connection, in order).
    await c.spawn(rootA.url('actors/where.actor.mjs'), { report: inbox.pid, tag: 'after' }, { node: 'd' });
    await c.shutdown();
    assert.is(((await pending) as { code?: string }).code, 'ERR_SYSTEM_STOPPED');
  } finally {
    await c.shutdown();
    await d.shutdown();
  }
});

test('a supervisor restarts a child whose node went down where its spec says (here)', async () => {
  const inbox = a.inbox();
  const sup = await a.spawn(new URL('../fixtures/remote.sup.ts', import.meta.url), { report: inbox.pid, module: rootA.url('actors/where.actor.mjs').href }, { shard: 1 });
  const first = await expectReport(inbox, 'started', 'remote-child');
  assert.is(first.node, 'b');
  const gone = down(a, 'b');
  hub.kill(tb);
  await gone;
  const again = await expectReport(inbox, 'started', 'remote-child');
  assert.is(again.node, 'a', 'restarted on the next candidate: local');
  const kids = await Supervisor.whichChildren(a, sup);
  assert.is(kids[0]!.pid!.node, a.node!.id);
});

test.run();
