// The observer's HTTP API: the page and its files, snapshots and their queries, the live feed, a process's detail, bad input.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { ActorSystem, type Inbox, type Pid } from '@joerl/runtime';
import { TelemetryServer } from '@joerl/telemetry';
import { type Observer, mountObserver, serveObserver } from '@joerl/observer';
import type { ProbeCmd } from '../../runtime/test/fixtures/probe.actor.ts';
import type { TreeArgs } from '../../runtime/test/fixtures/tree.sup.ts';
import { PROBE, TREE, readEvents, request } from './helpers.ts';

interface Ctx {
  system: ActorSystem;
  observer: Observer;
  inbox: Inbox;
  base: string;
  root: Pid;
  busy: Pid<ProbeCmd>;
  watcher: Pid<ProbeCmd>;
}
const test = suite<Ctx>('observer');

async function report(inbox: Inbox, event: string, tag: string): Promise<any> {
  const m = await inbox.receive((x: any) => x?.event === event && x.tag === tag, { timeoutMs: 20_000 });
  assert.ok(m !== undefined, `never received ${event} from ${tag}`);
  return m;
}

test.before(async (ctx) => {
  ctx.system = await ActorSystem.start({ threads: 2 });
  ctx.inbox = ctx.system.inbox();
  const child = (id: string, shard: number) => ({ id, module: PROBE.href, args: { report: ctx.inbox.pid, tag: id }, shard });
  ctx.root = await ctx.system.spawn(TREE, { strategy: 'one_for_one', children: [child('a', 1), child('b', 2)] } satisfies TreeArgs, { shard: 1, name: 'root-sup' });
  await report(ctx.inbox, 'started', 'a');
  await report(ctx.inbox, 'started', 'b');
  // `busy` waits in a selective receive with three messages it does not want; `watcher` monitors it and traps exits.
  ctx.busy = (await ctx.system.spawn(PROBE, { report: ctx.inbox.pid, tag: 'busy', name: 'busy-one' }, { shard: 2 })) as Pid<ProbeCmd>;
  await report(ctx.inbox, 'started', 'busy');
  ctx.watcher = (await ctx.system.spawn(PROBE, { report: ctx.inbox.pid, tag: 'watcher', trap: true }, { shard: 1 })) as Pid<ProbeCmd>;
  await report(ctx.inbox, 'started', 'watcher');
  ctx.system.send(ctx.watcher, { op: 'monitor', pid: ctx.busy });
  await report(ctx.inbox, 'monitoring', 'watcher');
  ctx.system.send(ctx.watcher, { op: 'link', pid: ctx.busy });
  await report(ctx.inbox, 'linked', 'watcher');
  ctx.system.send(ctx.busy, { op: 'select', want: 'never' });
  await report(ctx.inbox, 'selecting', 'busy');
  for (let i = 0; i < 3; i++) ctx.system.send(ctx.busy, { op: 'ping' });
  // The admin channel is not ordered with the rings: a round trip through shard 2 first.
  await ctx.system.spawn(PROBE, { report: ctx.inbox.pid, tag: 'barrier' }, { shard: 2 });
  await report(ctx.inbox, 'started', 'barrier');
  ctx.observer = await serveObserver(ctx.system, { port: 0, intervalMs: 150 });
  ctx.base = ctx.observer.url;
});

test.after(async (ctx) => {
  ctx.inbox.close();
  await ctx.system.shutdown();
});

test('serves on 127.0.0.1 by default, on the same server as /metrics', async ({ system, observer }) => {
  assert.match(observer.url, /^http:\/\/127\.0\.0\.1:\d+\/observer$/);
  assert.is(observer.url, `${system.server!.url}/observer`);
  assert.is((await request(`${system.server!.url}/metrics`)).status, 200);
  assert.is(await serveObserver(system), observer, 'a second call returns the mounted observer');
});

test('a second mount that asks for other options is refused (ERR_OBSERVER_RUNNING), not handed the first', async ({ system, observer, base }) => {
  const e = await serveObserver(system, { actions: false }).then(() => null, (x: Error & { code?: string }) => x);
  assert.is(e?.code, 'ERR_OBSERVER_RUNNING');
  assert.is(e?.name, 'ObserverRunningError');
  assert.match(e!.message, /actions: true \(asked false\).*close it \(observer\.close\(\)\) first/);
  assert.throws(() => mountObserver(system.server!, system, { intervalMs: 150, limit: 5 }), (x: any) => x.code === 'ERR_OBSERVER_RUNNING' && /limit: 100 \(asked 5\)/.test(x.message) && !/intervalMs/.test(x.message));
  assert.is(await serveObserver(system, { intervalMs: 150, actions: true }), observer, 'the same options: the running one');
  assert.is((await request(`${base}/api/snapshot`)).json.actions, true, 'still what it was');
});

test('the page embeds this run token, forbids framing and foreign scripts, and loads only its own files', async ({ base, observer }) => {
  const page = await request(base);
  assert.is(page.status, 200);
  assert.match(String(page.headers['content-type']), /^text\/html/);
  assert.ok(page.text.includes(`<meta name="joerl-observer-token" content="${observer.token}">`));
  assert.match(observer.token, /^[A-Za-z0-9_-]{32}$/);
  assert.match(String(page.headers['content-security-policy']), /script-src 'self'.*frame-ancestors 'none'/);
  assert.is(page.headers['x-frame-options'], 'DENY');
  assert.is(page.headers['cache-control'], 'no-store');
  const files = [...page.text.matchAll(/\/observer\/assets\/([\w.-]+)/g)].map((m) => m[1]!);
  assert.equal(files.sort(), ['app.js', 'observer.css']);
  const js = await request(`${base}/assets/app.js`);
  assert.is(js.status, 200);
  assert.match(String(js.headers['content-type']), /^text\/javascript/);
  // Every module app.js imports is served too.
  for (const m of js.text.matchAll(/from '\.\/([\w-]+\.js)'/g)) assert.is((await request(`${base}/assets/${m[1]}`)).status, 200, m[1]);
  assert.is((await request(`${base}/assets/../package.json`)).status, 404);
  assert.is((await request(`${base}/assets/secret.js`)).status, 404);
});

test('a snapshot: shards, the top processes sorted and filtered, the supervision tree', async ({ base, busy, root }) => {
  const s = (await request(`${base}/api/snapshot?sortBy=mailbox&limit=3`)).json;
  assert.is(s.state, 'running');
  assert.equal(s.shards.map((x: any) => [x.shard, x.up, x.answered]), [[1, true, true], [2, true, true]]);
  assert.is(s.processes.length, 3);
  assert.is(s.processes[0].pid, String(busy));
  assert.is(s.processes[0].mailbox, 3);
  assert.is(s.processes[0].name, 'busy-one');
  assert.equal(s.silent, []);
  assert.is(s.actions, true);
  assert.is(s.tree.length, 1);
  assert.is(s.tree[0].pid, String(root));
  assert.is(s.tree[0].name, 'root-sup');
  assert.equal(s.tree[0].children.map((c: any) => [c.id, c.restarts]), [['a', 0], ['b', 0]]);
  assert.ok(s.totals.actors >= 6);
  const named = (await request(`${base}/api/snapshot?q=BUSY-one`)).json;
  assert.equal(named.processes.map((r: any) => r.pid), [String(busy)]);
  const onOne = (await request(`${base}/api/snapshot?shard=1`)).json;
  assert.ok(onOne.processes.length > 0 && onOne.processes.every((r: any) => r.shard === 1));
});

test('malformed queries get 400 with a message that says what to fix; the server stays up', async ({ base }) => {
  const cases: Array<[string, RegExp]> = [
    ['sortBy=size', /sortBy must be one of reductions, mailbox, memory, links, monitors/],
    ['limit=0', /limit must be an integer from 1 to 1000/],
    ['limit=abc', /limit must be an integer/],
    ['limit=1001', /limit must be an integer/],
    ['shard=9', /shard must be a shard number from 1 to 2/],
    ['shard=-1', /shard must be a shard number/],
    ['bogus=1', /unknown query parameter "bogus"/],
    [`q=${'x'.repeat(201)}`, /q must be at most 200 characters/],
  ];
  for (const [qs, message] of cases) {
    for (const path of ['/api/snapshot', '/events']) {
      const r = await request(`${base}${path}?${qs}`);
      assert.is(r.status, 400, `${path}?${qs}`);
      assert.is(r.json.error.code, 'ERR_INVALID_ARGUMENT');
      assert.match(r.json.error.message, message);
    }
  }
  assert.is((await request(`${base}/api/snapshot`)).status, 200);
});

test('a process in detail: links, monitors both ways, trapExit, the mailbox head, its state', async ({ base, busy, watcher }) => {
  const d = (await request(`${base}/api/process?pid=${encodeURIComponent(String(busy))}`)).json;
  assert.is(d.pid, String(busy));
  assert.equal(d.linkedTo, [String(watcher)]);
  assert.equal(d.monitoredBy.map((m: any) => m.pid), [String(watcher)]);
  assert.is(d.mailbox, 3);
  assert.equal(d.queue, ["{ op: 'ping' }", "{ op: 'ping' }", "{ op: 'ping' }"]);
  assert.is(d.state, undefined, 'busy in a selective receive: no state in time');
  const w = (await request(`${base}/api/process?pid=${String(watcher).slice(1, -1)}`)).json;
  assert.is(w.trapExit, true, 'brackets are optional');
  assert.equal(w.monitorsHeld.map((m: any) => m.pid), [String(busy)]);
  assert.match(w.state, /tag: 'watcher'/);
});

test('unknown and malformed pids: 404 and 400, as JSON', async ({ base }) => {
  const cases: Array<[string, number, string]> = [
    ['pid=%3C0.2.99999%3E', 404, 'ERR_NO_PROC'],
    ['pid=%3C0.7.1%3E', 404, 'ERR_NO_PROC'],
    ['pid=%3C0.0.1%3E', 404, 'ERR_NO_PROC'],
    ['pid=%3C3.1.1%3E', 404, 'ERR_NO_PROC'],
    ['pid=nope', 400, 'ERR_INVALID_ARGUMENT'],
    ['pid=%3C0.1%3E', 400, 'ERR_INVALID_ARGUMENT'],
    ['', 400, 'ERR_INVALID_ARGUMENT'],
  ];
  for (const [qs, status, code] of cases) {
    const r = await request(`${base}/api/process?${qs}`);
    assert.is(r.status, status, qs);
    assert.match(String(r.headers['content-type']), /^application\/json/);
    assert.is(r.json.error.code, code, qs);
  }
});

test('the live feed sends a snapshot at once and then about every intervalMs', async ({ base, busy }) => {
  const r = await readEvents(`${base}/events?sortBy=mailbox&limit=1`, 3);
  assert.is(r.status, 200);
  assert.match(r.type, /^text\/event-stream/);
  assert.is(r.events.length, 3);
  assert.ok(r.events.every((e) => e.event === 'snapshot'));
  assert.ok(r.events[0]!.data.at <= r.events[1]!.data.at && r.events[1]!.data.at <= r.events[2]!.data.at);
  assert.equal(r.events[2]!.data.processes.map((p: any) => p.pid), [String(busy)]);
});

test('closing the observer ends its feeds and unmounts it; the server keeps serving /metrics', async () => {
  const system = await ActorSystem.start({ threads: 1 });
  try {
    const observer = await serveObserver(system, { port: 0 });
    // Closed once the page has its first event: a page counts from the moment it asks, while its first
    // snapshot is still being taken, and one closed then gets a 503 (ERR_OBSERVER_CLOSED), not a feed.
    let first!: () => void;
    const gotFirst = new Promise<void>((resolve) => (first = resolve));
    const feed = readEvents(`${observer.url}/events`, 100, {}, () => first());
    await gotFirst;
    assert.is(observer.pages, 1);
    observer.close();
    const r = await feed;
    assert.is(r.ended, true);
    assert.ok(r.events.length >= 1);
    assert.is((await request(observer.url)).status, 404);
    assert.is((await request(`${system.server!.url}/metrics`)).status, 200);
    const again = await serveObserver(system);
    assert.is.not(again, observer, 'mountable again after close');
    assert.is.not(again.token, observer.token, 'a new token per mount');
  } finally {
    await system.shutdown();
  }
});

test('a supervisor of 250 children: a snapshot carries its first 200 and the count of the rest', async () => {
  const system = await ActorSystem.start({ threads: 1 });
  try {
    const plain = new URL('../../runtime/test/fixtures/plain.actor.js', import.meta.url);
    const children = Array.from({ length: 250 }, (_, i) => ({ id: `w${i}`, module: plain.href, args: {} }));
    await system.spawn(TREE, { children } satisfies TreeArgs);
    const observer = await serveObserver(system, { port: 0 });
    const s = (await request(`${observer.url}/api/snapshot`)).json;
    assert.is(s.tree.length, 1);
    assert.is(s.tree[0].children.length, 200);
    assert.is(s.tree[0].moreChildren, 50);
  } finally {
    await system.shutdown();
  }
});

test('one page more than maxClients gets 503 ERR_TOO_MANY_PAGES; a page that leaves frees its place', async () => {
  const system = await ActorSystem.start({ threads: 1 });
  try {
    const observer = await serveObserver(system, { port: 0, maxClients: 1 });
    const first = readEvents(`${observer.url}/events`, 2);
    while (observer.pages === 0) await new Promise((r) => setTimeout(r, 10));
    const second = await request(`${observer.url}/events`);
    assert.is(second.status, 503);
    assert.is(second.json.error.code, 'ERR_TOO_MANY_PAGES');
    assert.is((await first).events.length, 2);
    // The first page hung up after two events: its place is free once the server has seen it go.
    while (observer.pages > 0) await new Promise((r) => setTimeout(r, 10));
    assert.is((await readEvents(`${observer.url}/events`, 1)).events[0]?.event, 'snapshot');
  } finally {
    await system.shutdown();
  }
});

test("on the system's own endpoint (serveObserver), a feed gets its stopped event before the endpoint closes with the system", async () => {
  // Regression: the shutdown closed the endpoint and its connections at once: the page never heard why, and said "reconnecting".
  const system = await ActorSystem.start({ threads: 1 });
  const observer = await serveObserver(system, { port: 0, intervalMs: 100 });
  // Stopped once the feed runs (its first snapshot came): a page still opening gets a 503 instead (stream.test.ts).
  let running!: () => void;
  const ran = new Promise<void>((r) => (running = r));
  const feed = readEvents(`${observer.url}/events`, 100, {}, () => running());
  await ran;
  await system.shutdown();
  const r = await feed;
  const last = r.events.at(-1)!;
  assert.is(last.event, 'stopped');
  assert.is(last.data.code, 'ERR_SYSTEM_STOPPED');
});

test('while the system stops: 503 ERR_SYSTEM_STOPPED, a feed gets a stopped event, and the server stays up', async () => {
  const system = await ActorSystem.start({ threads: 1 });
  // The observer on a server of our own, which outlives the system.
  const server = await TelemetryServer.listen(system.metrics, { port: 0 });
  try {
    const observer = mountObserver(server, system, { intervalMs: 100 });
    // Stopped once the feed runs: a feed whose first snapshot finds the system stopped gets a plain 503 instead.
    let running!: () => void;
    const ran = new Promise<void>((r) => (running = r));
    const feed = readEvents(`${observer.url}/events`, 100, {}, () => running());
    await ran;
    await system.shutdown();
    const r = await feed;
    assert.is(r.ended, true);
    const last = r.events.at(-1)!;
    assert.is(last.event, 'stopped');
    assert.is(last.data.code, 'ERR_SYSTEM_STOPPED');
    for (const path of ['/api/snapshot', '/events', '/api/process?pid=%3C0.1.1%3E']) {
      const a = await request(`${observer.url}${path}`);
      assert.is(a.status, 503, path);
      assert.is(a.json.error.code, 'ERR_SYSTEM_STOPPED', path);
    }
    assert.is((await request(observer.url)).status, 200, 'the page itself still loads');
    assert.is((await request(`${server.url}/metrics`)).status, 200);
  } finally {
    await server.close();
  }
});

test('a shard stalled in a handler: snapshots keep coming without it, it shows as stalled, then down and restarted', async () => {
  const system = await ActorSystem.start({ threads: 2 });
  try {
    const inbox = system.inbox();
    const stuck = (await system.spawn(PROBE, { report: inbox.pid, tag: 'stuck' }, { shard: 2 })) as Pid<ProbeCmd>;
    await report(inbox, 'started', 'stuck');
    await system.spawn(PROBE, { report: inbox.pid, tag: 'fine' }, { shard: 1 });
    await report(inbox, 'started', 'fine');
    const observer = await serveObserver(system, { port: 0, intervalMs: 200 });
    system.send(stuck, { op: 'hog', ms: 600_000 });
    await report(inbox, 'hogging', 'stuck');
    // Its event loop stands still from here on; snapshots answer without it, and once STALL_MS have passed they say so.
    let s: any;
    for (const deadline = Date.now() + 20_000; ; ) {
      s = (await request(`${observer.url}/api/snapshot`)).json;
      if (s.shards[1].stalled) break;
      assert.ok(Date.now() < deadline, 'never shown as stalled');
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.equal(s.silent, [2]);
    assert.equal(s.shards.map((x: any) => [x.shard, x.answered, x.stalled]), [[1, true, false], [2, false, true]]);
    assert.ok(s.processes.every((r: any) => r.shard === 1));
    assert.ok(s.events.some((e: any) => e.kind === 'shard-stalled' && e.shard === 2));
    // A process there in detail: its shard is silent (the runtime's own wait for it ends first: not a call's timeout).
    const detail = await request(`${observer.url}/api/process?pid=${encodeURIComponent(String(stuck))}`);
    assert.is(detail.status, 504);
    assert.is(detail.json?.error?.code, 'ERR_SHARD_SILENT');
    const restarted = new Promise((r) => system.once('shardRestart', r));
    system.killShard(2);
    await restarted;
    const after = (await request(`${observer.url}/api/snapshot`)).json;
    assert.equal(after.events.map((e: any) => [e.kind, e.shard]), [['shard-stalled', 2], ['shard-down', 2], ['shard-restart', 2]]);
    assert.is(after.shards[1].incarnation, 1);
    inbox.close();
  } finally {
    await system.shutdown();
  }
});

test('bad options are refused with ERR_INVALID_OPTION before a server starts', async ({ system }) => {
  for (const o of [{ intervalMs: 10 }, { limit: 0 }, { limit: 5000 }, { actions: 'yes' }, { allowedHosts: ['bad host'] }, { maxClients: 0 }]) {
    const e = await serveObserver(system, o as never).then(() => null, (x: Error & { code?: string }) => x);
    assert.is(e?.code, 'ERR_INVALID_OPTION', JSON.stringify(o));
  }
});

test.run();
