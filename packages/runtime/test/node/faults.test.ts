// Lost nodes (in-memory transport): noconnection for links and monitors, exactly once; calls fail fast; gaps; rejoining.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { type ActorSystem, MemoryHub, NodeDownError, type Pid, isNodeDownMessage } from '@joerl/runtime';
import { PROBE, assertNoneQueued, expect, expectReport } from '../helpers.ts';
import { connected, down, memoryNodeT, nextEvent, withTwoNodes } from './helpers.ts';

const COUNTER = new URL('../fixtures/counter.server.ts', import.meta.url);
const test = suite('nodes: faults');
const isNoConn = (r: any): boolean => r?.kind === 'custom' && r.value === 'noconnection';

/** A probe trapping exits on each node ('here' on a, 'there' on b), each reporting to an inbox of its node, both started. */
async function trappingPair(a: ActorSystem, b: ActorSystem) {
  const inA = a.inbox();
  const inB = b.inbox();
  const there = await b.spawn(PROBE, { report: inB.pid, tag: 'there', trap: true }, { shard: 1 });
  await expectReport(inB, 'started', 'there');
  const here = await a.spawn(PROBE, { report: inA.pid, tag: 'here', trap: true }, { shard: 1 });
  await expectReport(inA, 'started', 'here');
  return { inA, inB, here, there };
}

test('a partition: links exit and monitors fire with noconnection exactly once on both sides, calls in flight fail fast, nodedown arrives', async () => {
  const hub = new MemoryHub();
  const { system: a, t: ta } = await memoryNodeT(hub, 'a');
  const { system: b, t: tb } = await memoryNodeT(hub, 'b');
  try {
    await connected(a, 'b');
    const { inA, inB, here, there } = await trappingPair(a, b);
    a.send(here, { op: 'link', pid: there });
    await expectReport(inA, 'linked', 'here');
    const ref = inA.monitor(there);
    inA.monitorNode('b');
    const server = await b.spawn(COUNTER, {}, { shard: 1 });
    // A call the server holds (it answers only when released): in flight when the partition comes.
    const inFlight = a.call(server as Pid<any>, { kind: 'defer', key: 'k' }, { timeoutMs: 3_600_000 }).catch((e: unknown) => e);
    a.send(there, { op: 'ping' });
    await expectReport(inB, 'pong', 'there');
    const downAtA = down(a, 'b');
    const downAtB = down(b, 'a');
    hub.cut(ta, tb);
    const [da, db] = await Promise.all([downAtA, downAtB]);
    // Each times the other out, unless it first learns that the other declared it down (then: self).
    assert.ok(['timeout', 'self'].includes(da.reason), da.reason);
    assert.ok(['timeout', 'self'].includes(db.reason), db.reason);
    const ex = await expect<any>(inA, (m) => m?.event === 'got' && m.tag === 'here' && m.msg?.type === 'EXIT', 'EXIT at a');
    assert.ok(isNoConn(ex.msg.reason));
    const exB = await expect<any>(inB, (m) => m?.event === 'got' && m.tag === 'there' && m.msg?.type === 'EXIT', 'EXIT at b');
    assert.ok(isNoConn(exB.msg.reason));
    const d = await expect<any>(inA, (m) => m?.type === 'DOWN' && m.ref === ref, 'DOWN noconnection');
    assert.ok(isNoConn(d.reason));
    const err = await inFlight;
    assert.instance(err, NodeDownError);
    const nd = await expect<any>(inA, isNodeDownMessage, 'nodedown');
    assert.is(nd.node, 'b');
    // Exactly once: nothing more about the partition is queued after a local round trip.
    a.send(here, { op: 'ping' });
    await expectReport(inA, 'pong', 'here');
    await assertNoneQueued(inA, (m) => m?.msg?.type === 'EXIT' || m?.type === 'DOWN' || isNodeDownMessage(m), 'a second EXIT, DOWN or nodedown');

    // Healed: the nodes rejoin as a new connection; the old link is not resurrected.
    const upAgain = nextEvent(a, 'nodeUp', (n: any) => n.name === 'b');
    hub.heal(ta, tb);
    await upAgain;
    b.send(there, { op: 'panic', message: 'after the heal' });
    a.send(here, { op: 'ping' });
    await expectReport(inA, 'pong', 'here');
    // The panic's exit would have arrived before a fresh round trip through b; prove ordering with one.
    b.send(there, { op: 'ping' });
    const theirs = await b.spawn(PROBE, { report: inA.pid, tag: 'probe2' }, { shard: 1 });
    await expectReport(inA, 'started', 'probe2');
    a.send(theirs, { op: 'send', to: here, msg: { hi: true } });
    await expect<any>(inA, (m) => m?.event === 'got' && m.tag === 'here' && m.msg?.hi === true, 'a message through the new connection');
    await assertNoneQueued(inA, (m) => m?.event === 'got' && m.tag === 'here' && m.msg?.type === 'EXIT', 'an EXIT over the old, dead link');
  } finally {
    await b.shutdown();
    await a.shutdown();
  }
});

test('a lost message (a gap in the numbering) is a lost connection, never a silent hole; the nodes reconnect', async () => {
  const hub = new MemoryHub();
  const { system: a, t: ta } = await memoryNodeT(hub, 'a');
  const { system: b, t: tb } = await memoryNodeT(hub, 'b');
  try {
    await connected(a, 'b');
    const inA = a.inbox();
    const inB = b.inbox();
    const there = await b.spawn(PROBE, { report: inB.pid, tag: 'g' }, { shard: 1 });
    await expectReport(inB, 'started', 'g');
    const ref = inA.monitor(there);
    a.send(there, { op: 'ping' });
    await expectReport(inB, 'pong', 'g');
    const gap = down(b, 'a');
    const lost = down(a, 'b');
    hub.dropNext(ta, tb, 1);
    a.send(there, { lost: true } as never);
    a.send(there, { after: true } as never);
    const g = await gap;
    assert.is(g.reason, 'gap');
    const l = await lost;
    assert.is(l.reason, 'reconnected', 'b opened a new connection: a learns the old one is over');
    const d = await expect<any>(inA, (m) => m?.type === 'DOWN' && m.ref === ref, 'DOWN noconnection after the gap');
    assert.ok(isNoConn(d.reason));
    await connected(a, 'b');
    await connected(b, 'a');
    a.send(there, { op: 'ping' });
    await expectReport(inB, 'pong', 'g');
    assert.is(a.metricTotal('joerl_remote_messages_failed_total') >= 1, true, 'the unconfirmed messages were reported');
  } finally {
    await b.shutdown();
    await a.shutdown();
  }
});

test('a link a shard made before it learnt of a lost connection is not set up on the new one: it exits with noconnection on this side only, as links over the old one do', () =>
  withTwoNodes({}, async ({ hub, a, ta, b, tb }) => {
    const { inA, inB, here, there } = await trappingPair(a, b);
    // Its shard is held: the node-down its main thread is about to send it waits in its ring.
    const flag = new Int32Array(new SharedArrayBuffer(4));
    a.send(here, { op: 'link-when', pid: there, flag });
    await expectReport(inA, 'waiting', 'here');
    const lost = down(a, 'b');
    hub.dropNext(ta, tb, 1);
    a.send(there, { lost: true } as never);
    a.send(there, { after: true } as never);
    await lost;
    await connected(a, 'b');
    await connected(b, 'a');
    // Linked now, on the new connection as far as a's main thread can tell; then the shard reads the node-down.
    Atomics.store(flag, 0, 1);
    await expectReport(inA, 'linked', 'here');
    const ex = await expect<any>(inA, (m) => m?.event === 'got' && m.tag === 'here' && m.msg?.type === 'EXIT', 'EXIT noconnection at a');
    assert.ok(isNoConn(ex.msg.reason));
    // A message after it, on the same path: b has seen whatever a sent before it.
    a.send(here, { op: 'send', to: there, msg: { after: 'link' } });
    await expect<any>(inB, (m) => m?.event === 'got' && m.tag === 'there' && m.msg?.after === 'link', 'the message after the link at b');
    const info = await b.processInfo(there);
    assert.equal(info.linkedTo.map(String), [], 'b holds no link that a has already ended');
  }));

test('a message queued for a node whose connection is lost before it goes out is a dead letter (noconnection)', () =>
  withTwoNodes({}, async ({ a, ta, b }) => {
    const inB = b.inbox();
    const there = await b.spawn(PROBE, { report: inB.pid, tag: 'there' }, { shard: 1 });
    const letters: any[] = [];
    a.on('deadLetter', (d) => letters.push(d));
    const gone = down(a, 'b');
    // Queued for b in this turn, and the connection is lost before the turn ends: it never goes out.
    a.send(there, { op: 'never-sent' });
    ta.emit({ type: 'disconnect' });
    await gone;
    const mine = letters.filter((d) => d.message?.op === 'never-sent');
    assert.is(mine.length, 1, 'one dead letter for the message that never went out');
    assert.is(mine[0].reason, 'noconnection');
    assert.ok(mine[0].to.equals(there));
  }));

test('a node is lost when its own connection closes: not when its :sys one does, nor when that of an earlier node of its name does', () =>
  withTwoNodes({}, async ({ hub, a, ta, b, tb }) => {
    let downs = 0;
    a.on('nodeDown', () => downs++);
    const inB = b.inbox();
    const there = await b.spawn(PROBE, { report: inB.pid, tag: 'there' }, { shard: 1 });
    const inA = a.inbox();
    // The servers' DISCONNECT events, as the system account hears them: b's system-account connection, then a
    // connection named as b's while b answers (an earlier b, whose dead socket the servers noticed late).
    ta.emit({ type: 'peer-disconnect', name: 'joerl:test:b:sys' });
    ta.emit({ type: 'peer-disconnect', name: 'joerl:test:b' });
    // A round trip through b's shard: by its end, a's ping to b (sent first) was answered.
    a.send(there, { op: 'send', to: inA.pid, msg: 'after' });
    assert.is(await inA.receive((m: any) => m === 'after', { timeoutMs: 20_000 }), 'after');
    assert.equal(a.nodes().map((n) => n.name), ['b'], 'b is still up');
    // b's own connection closes for real: down, once.
    const gone = down(a, 'b');
    hub.kill(tb);
    assert.is((await gone).reason, 'disconnected');
    assert.is(downs, 1, 'one nodeDown: the real one');
  }));

test('a killed node (the servers report its connection closed) is down at once, reason disconnected; its names are freed', () =>
  withTwoNodes({}, async ({ hub, a, b, tb }) => {
    const inB = b.inbox();
    const held = await b.spawn(PROBE, { report: inB.pid, tag: 'held' }, { shard: 1 });
    await b.registerGlobal('the-one', held);
    assert.ok((await a.whereisGlobal('the-one'))?.equals(held));
    const gone = down(a, 'b');
    hub.kill(tb);
    assert.is((await gone).reason, 'disconnected');
    // Freed by the survivor: it can take the name.
    const inA = a.inbox();
    const mine = await a.spawn(PROBE, { report: inA.pid, tag: 'mine' }, { shard: 1 });
    for (let i = 0; ; i++) {
      try {
        await a.registerGlobal('the-one', mine);
        break;
      } catch (err) {
        if ((err as { code?: string }).code !== 'ERR_NAME_TAKEN' || i > 200) throw err;
        await new Promise((r) => setTimeout(r, 10)); // the purge is on its way through the bucket
      }
    }
    assert.ok((await a.whereisGlobal('the-one'))?.equals(mine));
  }));

test('a shard of another node dies: links to its processes exit and monitors fire with killed, calls in flight to them fail, on every thread', () =>
  withTwoNodes({ threads: 2 }, async ({ a, b }) => {
    // Regression: only the linked or monitoring side holds a link or monitor, and b told only its own threads of the death.
    const inA = a.inbox();
    const inB = b.inbox();
    const there = await b.spawn(PROBE, { report: inB.pid, tag: 'on-dying-shard' }, { shard: 1 });
    await expectReport(inB, 'started', 'on-dying-shard');
    const spared = await b.spawn(PROBE, { report: inB.pid, tag: 'on-other-shard' }, { shard: 2 });
    await expectReport(inB, 'started', 'on-other-shard');
    const here = await a.spawn(PROBE, { report: inA.pid, tag: 'linked-here', trap: true }, { shard: 2 });
    await expectReport(inA, 'started', 'linked-here');
    a.send(here, { op: 'link', pid: there });
    await expectReport(inA, 'linked', 'linked-here');
    const ref = inA.monitor(there);
    const sparedRef = inA.monitor(spared);
    const server = await b.spawn(COUNTER, {}, { shard: 1 });
    const inFlight = a.call(server as Pid<any>, { kind: 'defer', key: 'k' }, { timeoutMs: 3_600_000 }).catch((e: unknown) => e);
    // The link, the monitors and the call reached b before the death (one connection, in order).
    a.send(there, { op: 'ping' });
    await expectReport(inB, 'pong', 'on-dying-shard');
    const restarted = new Promise<void>((resolve) => b.once('shardRestart', () => resolve()));
    b.killShard(1);
    const d = await expect<any>(inA, (m) => m?.type === 'DOWN' && m.ref === ref, 'DOWN killed');
    assert.is(d.reason, 'killed');
    const ex = await expect<any>(inA, (m) => m?.event === 'got' && m.tag === 'linked-here' && m.msg?.type === 'EXIT', 'EXIT at a');
    assert.is(ex.msg.reason, 'killed');
    const err = (await inFlight) as { code?: string };
    assert.is(err.code, 'ERR_CALL_FAILED');
    await restarted;
    // The other shard's process is untouched: its monitor fires only at its own exit.
    b.send(spared, { op: 'stop', reason: 'normal' });
    const sd = await expect<any>(inA, (m) => m?.type === 'DOWN' && m.ref === sparedRef, 'DOWN of the spared one');
    assert.is(sd.reason, 'normal');
  }));

test.run();
