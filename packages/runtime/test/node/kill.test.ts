// Real node processes killed (SIGKILL) and frozen (SIGSTOP): links and monitors fire once with noconnection, names are freed, pids never alias.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { ActorSystem, type Inbox, type Pid, isNodeDownMessage } from '@joerl/runtime';
import { PROBE, assertNoneQueued, expect, expectReport } from '../helpers.ts';
import { startChild } from './child.ts';
import { FAST, connected, down, nextEvent } from './helpers.ts';
import { type NatsServer, startNats } from './nats-server.ts';

const test = suite('nodes: killed and frozen processes');
const isNoConn = (r: any): boolean => r?.kind === 'custom' && r.value === 'noconnection';
let nats: NatsServer;
let a: ActorSystem;
let inA: Inbox;
const opts = (withSys: boolean): Record<string, unknown> => ({ ...FAST, user: 'app', pass: 'app', ...(withSys ? { systemAccount: { user: 'sys', pass: 'sys' } } : {}) });

test.before(async () => {
  nats = await startNats();
  a = await ActorSystem.start({ threads: 1, node: { name: 'a', cluster: 'k', servers: nats.url, ...opts(true) } });
  inA = a.inbox();
});
test.after(async () => {
  await a.shutdown();
  await nats.stop();
});

/** A trapping probe on a linked to `there`, and a monitor from the inbox; both in place (a round trip through b proves it). */
async function watch(there: Pid, tag: string): Promise<{ here: Pid; ref: number }> {
  const here = await a.spawn(PROBE, { report: inA.pid, tag, trap: true }, { shard: 1 });
  await expectReport(inA, 'started', tag);
  a.send(here, { op: 'link', pid: there });
  await expectReport(inA, 'linked', tag);
  const ref = inA.monitor(there);
  a.send(there, { op: 'ping' });
  await expect<any>(inA, (m) => m?.event === 'pong' && m.pid?.equals(there), 'a pong from b after the link and monitor');
  inA.monitorNode('b');
  return { here, ref };
}

async function firedOnce(here: Pid, ref: number, tag: string): Promise<void> {
  const ex = await expect<any>(inA, (m) => m?.event === 'got' && m.tag === tag && m.msg?.type === 'EXIT', 'EXIT noconnection');
  assert.ok(isNoConn(ex.msg.reason), JSON.stringify(ex.msg.reason));
  const d = await expect<any>(inA, (m) => m?.type === 'DOWN' && m.ref === ref, 'DOWN noconnection');
  assert.ok(isNoConn(d.reason));
  await expect<any>(inA, (m) => isNodeDownMessage(m) && m.node === 'b', 'nodedown');
  a.send(here, { op: 'ping' });
  await expectReport(inA, 'pong', tag);
  await assertNoneQueued(inA, (m) => (m?.tag === tag && m.msg?.type === 'EXIT') || (m?.type === 'DOWN' && m.ref === ref), 'a second EXIT or DOWN');
}

test('SIGKILL: the servers report the closed connection, links and monitors fire once, b\'s names are freed for the survivors; a restarted b has new pids', async () => {
  const b = await startChild('b', nats.url, 'k', inA.pid, opts(false));
  try {
    await connected(a, 'b');
    await expectReport(inA, 'started', 'b');
    const { here, ref } = await watch(b.pid, 'k1');
    assert.ok((await a.whereisGlobal('held-by-b'))?.equals(b.pid));
    const gone = down(a, 'b');
    const t0 = performance.now();
    b.proc.kill('SIGKILL');
    const d = await gone;
    console.log(`  SIGKILL detected in ${(performance.now() - t0).toFixed(0)} ms (${d.reason})`);
    await firedOnce(here, ref, 'k1');
    // The survivor frees the dead node's names (a purge through the bucket): then it can take one.
    const mine = await a.spawn(PROBE, { report: inA.pid, tag: 'taker' }, { shard: 1 });
    for (let i = 0; ; i++) {
      const holder = await a.whereisGlobal('held-by-b');
      if (holder === undefined) break;
      assert.ok(i < 500, 'the name was never freed');
      await new Promise((r) => setImmediate(r));
    }
    await a.registerGlobal('held-by-b', mine);
    assert.ok((await a.whereisGlobal('held-by-b'))?.equals(mine));
    await a.unregisterGlobal('held-by-b');
    // A restarted b: a new id and the next creation, so its pids never alias the dead one's.
    const b2 = await startChild('b', nats.url, 'k', inA.pid, opts(false));
    try {
      const info = await connected(a, 'b');
      assert.is(info.id, b2.nodeId);
      assert.is(info.creation, 2);
      assert.is.not(b2.pid.node, b.pid.node);
      assert.not.ok(b2.pid.equals(b.pid));
      const started = await expectReport(inA, 'started', 'b');
      assert.ok(started.pid.equals(b2.pid));
      // The old pid stays dead: a monitor on it fires at once with noconnection.
      const r = inA.monitor(b.pid);
      const d2 = await expect<any>(inA, (m) => m?.type === 'DOWN' && m.ref === r, 'DOWN for a pid of the dead node');
      assert.ok(isNoConn(d2.reason));
    } finally {
      await b2.kill();
    }
  } finally {
    await b.kill();
  }
});

test('SIGSTOP: a frozen node is declared down, links and monitors fire once; after SIGCONT it rejoins as a new connection, old links stay gone', async () => {
  const b = await startChild('b', nats.url, 'k', inA.pid, opts(false));
  try {
    await connected(a, 'b');
    await expectReport(inA, 'started', 'b');
    const { here, ref } = await watch(b.pid, 'k2');
    const gone = down(a, 'b');
    const t0 = performance.now();
    b.proc.kill('SIGSTOP');
    const d = await gone;
    console.log(`  SIGSTOP detected in ${(performance.now() - t0).toFixed(0)} ms (${d.reason})`);
    await firedOnce(here, ref, 'k2');
    const back = nextEvent(a, 'nodeUp', (n: any) => n.name === 'b');
    b.proc.kill('SIGCONT');
    await back;
    // b saw us go and come back too: it says so.
    await b.line((l) => l.up === 'a');
    // The old link is gone on both sides: b's probe exiting now does not reach ours.
    a.send(b.pid, { op: 'stop', reason: { kind: 'custom', value: 'late' } } as never);
    const ref2 = inA.monitor(b.pid);
    await expect<any>(inA, (m) => m?.type === 'DOWN' && m.ref === ref2, 'DOWN of b\'s probe');
    a.send(here, { op: 'ping' });
    await expectReport(inA, 'pong', 'k2');
    await assertNoneQueued(inA, (m) => m?.tag === 'k2' && m.msg?.type === 'EXIT', 'an EXIT over the old link');
  } finally {
    await b.kill();
  }
});

test.run();
