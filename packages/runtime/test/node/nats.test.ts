// Nodes over a real nats-server: joining, ordered remote sends, call and cast, the servers' limits, bad input.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { ActorSystem, NodeConnectError, NodeNameTakenError, type Pid } from '@joerl/runtime';
import { PROBE, expect, expectReport } from '../helpers.ts';
import { FAST, connected, down } from './helpers.ts';
import { type NatsServer, freePort, startNats } from './nats-server.ts';

const COUNTER = new URL('../fixtures/counter.server.ts', import.meta.url);
const test = suite('nodes over NATS');
let nats: NatsServer;

const node = (name: string, extra: Record<string, unknown> = {}): Promise<ActorSystem> =>
  ActorSystem.start({ threads: 1, node: { name, cluster: 'nt', servers: nats.url, ...nats.auth, ...FAST, ...extra } });

test.before(async () => {
  nats = await startNats();
});
test.after(() => nats.stop());

test('two nodes join through NATS; sends keep their order; call and cast; a node that leaves is down', async () => {
  const a = await node('a');
  const b = await node('b');
  try {
    await connected(a, 'b');
    await connected(b, 'a');
    const inA = a.inbox();
    const echo = await b.spawn(PROBE, { report: inA.pid, tag: 'echo' }, { shard: 1 });
    await expectReport(inA, 'started', 'echo');
    const N = 3000;
    for (let i = 0; i < N; i++) a.send(echo, { n: i } as never);
    for (let i = 0; i < N; i++) {
      const got = await expect<any>(inA, (m) => m?.event === 'got' && m.tag === 'echo', `message ${i}`);
      assert.is(got.msg.n, i);
    }
    const server = await b.spawn(COUNTER, { start: 1 }, { shard: 1 });
    assert.is(await a.call(server as Pid<any>, { kind: 'add', n: 41 }), 42);
    a.cast(server as Pid<any>, { kind: 'bump' });
    assert.is(await a.call(server as Pid<any>, { kind: 'get' }), 43);
    assert.ok(a.metricTotal('joerl_remote_messages_sent_total') >= N + 3);
    const gone = down(a, 'b');
    await b.shutdown();
    assert.is((await gone).reason, 'left');
  } finally {
    await b.shutdown();
    await a.shutdown();
  }
});

test('a message over the servers\' max payload is reported (a dead letter, write_failed), and the node lives on', async () => {
  const a = await node('a');
  const b = await node('b');
  try {
    await connected(a, 'b');
    const inB = b.inbox();
    const there = await b.spawn(PROBE, { report: inB.pid, tag: 't' }, { shard: 1 });
    await expectReport(inB, 'started', 't');
    const dl = new Promise<any>((resolve) => a.once('deadLetter', resolve));
    a.send(there, { big: new Uint8Array(2 * 1024 * 1024) } as never);
    a.send(there, { small: true } as never);
    const d = await dl;
    assert.is(d.reason, 'payload_too_large');
    const got = await expect<any>(inB, (m) => m?.event === 'got' && m.tag === 't', 'the small message after the big one');
    assert.equal(got.msg, { small: true });
    const text = await a.metrics.metrics();
    assert.match(text, /joerl_remote_messages_failed_total\{target_node="b",reason="write_failed"\} 1/);
  } finally {
    await b.shutdown();
    await a.shutdown();
  }
});

test('the servers restart: each node sees its own connection drop (nodeDown, reason self, links fire), reconnects and rejoins (nodeUp)', async () => {
  const a = await node('a');
  const b = await node('b');
  try {
    await connected(a, 'b');
    const inA = a.inbox();
    const inB = b.inbox();
    const there = await b.spawn(PROBE, { report: inB.pid, tag: 'r' }, { shard: 1 });
    await expectReport(inB, 'started', 'r');
    const ref = inA.monitor(there);
    a.send(there, { op: 'ping' });
    await expectReport(inB, 'pong', 'r');
    const downA = down(a, 'b');
    const upA = new Promise<void>((resolve) => a.on('nodeUp', (n) => n.name === 'b' && resolve()));
    await nats.restart();
    assert.is((await downA).reason, 'self');
    const d = await expect<any>(inA, (m) => m?.type === 'DOWN' && m.ref === ref, 'DOWN noconnection');
    assert.equal(d.reason, { kind: 'custom', value: 'noconnection' });
    await upA;
    await connected(b, 'a');
    // A new connection: messages flow again.
    a.send(there, { op: 'ping' });
    await expectReport(inB, 'pong', 'r');
  } finally {
    await b.shutdown();
    await a.shutdown();
  }
});

test('bad input: a taken name, unreachable servers (ERR_NODE_CONNECT within connectTimeoutMs), a bad node name, an unreadable credsFile', async () => {
  const a = await node('a');
  try {
    const err = await node('a').then((s) => s.shutdown(), (e: unknown) => e);
    assert.instance(err, NodeNameTakenError);
  } finally {
    await a.shutdown();
  }
  const port = await freePort();
  const started = performance.now();
  const e2 = await ActorSystem.start({ threads: 1, node: { name: 'x', servers: `nats://127.0.0.1:${port}`, connectTimeoutMs: 1000 } }).then((s) => s.shutdown(), (e: unknown) => e);
  assert.instance(e2, NodeConnectError);
  assert.match((e2 as Error).message, /no NATS server answered/);
  assert.ok(performance.now() - started < 20_000);
  const e3 = await ActorSystem.start({ node: { name: 'a.b' } }).then((s) => s.shutdown(), (e: unknown) => e);
  assert.is((e3 as { code?: string }).code, 'ERR_INVALID_OPTION');
  // A credentials file that cannot be read is the caller's to fix, and says which file.
  const e4 = await ActorSystem.start({ threads: 1, node: { name: 'c', servers: nats.url, credsFile: '/nonexistent/joerl.creds' } }).then((s) => s.shutdown(), (e: unknown) => e);
  assert.is((e4 as { code?: string }).code, 'ERR_INVALID_OPTION');
  assert.match((e4 as Error).message, /credsFile: cannot read \/nonexistent\/joerl\.creds/);
});

test.run();
