// Health: every rule driven from Healthy to Degraded/Unhealthy and back, checked through the real HTTP endpoints.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { ActorSystem, type Pid } from '@joerl/runtime';
import { HealthConfigError, type HealthStatus, SystemHealth, answerProbe, serveHealth } from '@joerl/health';

const PROBE = new URL('../../runtime/test/fixtures/probe.actor.ts', import.meta.url);
const TREE = new URL('../../runtime/test/fixtures/tree.sup.ts', import.meta.url);
const WORKER = new URL('../../runtime/test/fixtures/worker.child.ts', import.meta.url).href;
const FLOOD = new URL('../../runtime/test/fixtures/flood.actor.ts', import.meta.url);
const test = suite('health');

/** Fast windows, so the system recovers within a test. */
const FAST = { windowMs: 800, sampleIntervalMs: 50 };

async function get(url: string): Promise<{ status: number; type: string; body: any }> {
  const res = await fetch(url);
  return { status: res.status, type: res.headers.get('content-type') ?? '', body: await res.json() };
}

/** Awaits a health status (the window has to fill or drain), and `also` if given: polls the model, with a deadline. */
async function until(health: SystemHealth, want: HealthStatus, what: string, also: () => boolean = () => true): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (health.getStatus() !== want || !also()) {
    if (Date.now() > deadline) assert.unreachable(`never became ${want}: ${what}\n${health.getReport()}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

async function withHealth(opts: ConstructorParameters<typeof SystemHealth>[1] & object, sys: Parameters<typeof ActorSystem.start>[0], body: (system: ActorSystem, health: SystemHealth, url: string) => Promise<void>): Promise<void> {
  const system = await ActorSystem.start(sys);
  const { health, server } = await serveHealth(system, { port: 0, health: opts });
  try {
    await body(system, health, server.url);
  } finally {
    health.stop();
    await system.shutdown();
  }
}

test('a fresh system is healthy, ready and live, in application/health+json', () =>
  withHealth(FAST, { threads: 2 }, async (_system, health, url) => {
    assert.is(health.getStatus(), 'Healthy');
    assert.ok(health.isHealthy() && health.isReady() && health.isLive());
    for (const path of ['/health', '/ready', '/live']) {
      const r = await get(`${url}${path}`);
      assert.is(r.status, 200, path);
      assert.is(r.type, 'application/health+json');
      assert.is(r.body.status, 'pass');
    }
    const r = await get(`${url}/health`);
    for (const check of ['actors:count', 'actors:panicRate', 'supervisors:restartRate', 'mailboxes:backpressureRate', 'shard:heartbeat', 'shard:eventLoopLag', 'ring:fill', 'shard:up']) {
      assert.ok(Array.isArray(r.body.checks[check]), `a check for ${check}`);
    }
    assert.equal(r.body.checks['shard:heartbeat'].map((c: any) => c.componentId), ['shard-1', 'shard-2']);
    assert.match(health.getReport(), /^Status: Healthy\nNo issues$/);
    assert.is((await fetch(`${url}/metrics`)).status, 200, 'one server for metrics and health');
  }));

test('serveHealth on a system already serving elsewhere refuses with ERR_SERVER_RUNNING; without a port it mounts on the running server', () =>
  withHealth(FAST, { threads: 1 }, async (system, _health, url) => {
    const port = Number(new URL(url).port);
    try {
      await serveHealth(system, { port: port === 65535 ? port - 1 : port + 1 });
      assert.unreachable('served a second port');
    } catch (err) {
      assert.is((err as { code?: string }).code, 'ERR_SERVER_RUNNING');
    }
    const again = await serveHealth(system, { health: FAST });
    assert.is(again.server.url, url);
    again.health.stop();
    assert.is((await get(`${url}/health`)).status, 200);
  }));

test('a burst of panics makes it Unhealthy (503) until the burst leaves the window', () =>
  withHealth({ ...FAST, maxPanicRate: 0.2 }, { threads: 2 }, async (system, health, url) => {
    const inbox = system.inbox();
    for (let i = 0; i < 6; i++) {
      const p = (await system.spawn(PROBE, { report: inbox.pid }, { shard: (i % 2) + 1 })) as Pid<any>;
      system.send(p, { op: 'panic', message: `burst ${i}` });
    }
    await until(health, 'Unhealthy', 'panic burst');
    assert.ok(health.getIssues().some((i) => i.severity === 'critical' && i.title === 'High panic rate'));
    const r = await get(`${url}/health`);
    assert.is(r.status, 503);
    assert.is(r.body.status, 'fail');
    assert.is(r.body.checks['actors:panicRate'][0].status, 'fail');
    assert.is((await get(`${url}/ready`)).status, 503);
    assert.is((await get(`${url}/live`)).status, 200, 'panics are no reason to restart the process');
    await until(health, 'Healthy', 'after the window');
    assert.is((await get(`${url}/health`)).status, 200);
  }));

// A longer window than FAST's: the flood is one burst, and on a loaded machine a test that
// polls every 25 ms could miss a Degraded that lasts one 800 ms window.
test('a flood into a small mailbox makes it Degraded (warn, still 200) and back', () =>
  withHealth({ ...FAST, windowMs: 3000, maxBackpressureRate: 0.1 }, { threads: 1 }, async (system, health, url) => {
    const inbox = system.inbox();
    const slow = (await system.spawn(PROBE, { report: inbox.pid }, { shard: 1, mailboxCapacity: 5 })) as Pid<any>;
    const sender = (await system.spawn(PROBE, { report: inbox.pid }, { shard: 1 })) as Pid<any>;
    system.send(slow, { op: 'select', want: 'never', timeoutMs: 200 });
    system.send(sender, { op: 'burst', to: slow, count: 50 });
    // (Waits for this issue, not for any Degraded: a loaded machine can make the shard lag too.)
    await until(health, 'Degraded', 'backpressure', () => health.getIssues().some((i) => i.title === 'High backpressure'));
    const r = await get(`${url}/health`);
    assert.equal([r.status, r.body.status, r.body.checks['mailboxes:backpressureRate'][0].status], [200, 'warn', 'warn']);
    await until(health, 'Healthy', 'after the window');
  }));

test('Degraded and ready: /ready answers 200 with the body status warn, as /health does', () =>
  withHealth({ ...FAST, maxActors: 1 }, { threads: 1 }, async (system, health, url) => {
    // Regression: /ready's body said pass while the system was Degraded (its status code and /health said warn).
    const inbox = system.inbox();
    for (let i = 0; i < 3; i++) await system.spawn(PROBE, { report: inbox.pid }, { shard: 1 });
    await until(health, 'Degraded', 'too many actors', () => health.getIssues().some((i) => i.title === 'High actor count'));
    const [h, r] = [await get(`${url}/health`), await get(`${url}/ready`)];
    assert.equal([h.status, h.body.status], [200, 'warn']);
    assert.equal([r.status, r.body.status], [200, 'warn']);
  }));

test('a stalled shard (a handler stuck in a loop) makes it Unhealthy and not ready, and it recovers', () =>
  withHealth({ ...FAST, maxStallMs: 200 }, { threads: 2, handlerTimeoutMs: 60_000 }, async (system, health, url) => {
    const inbox = system.inbox();
    const p = (await system.spawn(PROBE, { report: inbox.pid }, { shard: 2 })) as Pid<any>;
    system.send(p, { op: 'hog', ms: 1500 });
    await until(health, 'Unhealthy', 'stall');
    assert.ok(health.getIssues().some((i) => i.title === 'Shard 2 is stalled'));
    const r = await get(`${url}/ready`);
    assert.is(r.status, 503);
    const hb = r.body.checks['shard:heartbeat'].find((c: any) => c.componentId === 'shard-2');
    assert.is(hb.status, 'fail');
    assert.ok(hb.observedValue > 200);
    await inbox.receive((m: any) => m?.event === 'hogged', { timeoutMs: 20_000 });
    // Once the loop turns again the stall is gone; the lag it left shows as a warning for a second.
    await until(health, 'Healthy', 'after the stall');
    assert.is((await get(`${url}/ready`)).status, 200);
  }));

test('event-loop lag past the threshold is a warning', () =>
  withHealth({ ...FAST, maxStallMs: 60_000, maxEventLoopLagMs: 100 }, { threads: 1, handlerTimeoutMs: 60_000 }, async (system, health) => {
    const inbox = system.inbox();
    const p = (await system.spawn(PROBE, { report: inbox.pid }, { shard: 1 })) as Pid<any>;
    system.send(p, { op: 'hog', ms: 400 });
    await until(health, 'Degraded', 'lag');
    assert.ok(health.getIssues().some((i) => i.title === 'Shard 1 lags'));
    await until(health, 'Healthy', 'lag forgotten');
  }));

test('a ring that fills up (a shard that cannot keep up) is a warning', () =>
  withHealth({ ...FAST, maxStallMs: 60_000, maxEventLoopLagMs: 60_000, maxRingFill: 0.5 }, { threads: 2, handlerTimeoutMs: 60_000, ringBytes: 64 * 1024 }, async (system, health) => {
    const inbox = system.inbox();
    const slowShard = (await system.spawn(PROBE, { report: inbox.pid }, { shard: 2 })) as Pid<any>;
    const sink = (await system.spawn(FLOOD, undefined, { shard: 2, export: 'sink' })) as Pid<any>;
    const source = (await system.spawn(FLOOD, undefined, { shard: 1, export: 'source' })) as Pid<any>;
    system.send(slowShard, { op: 'hog', ms: 1500 });
    // The report leaves the shard as the hog starts, so the flood cannot be consumed before it.
    await inbox.receive((m: any) => m?.event === 'hogging', { timeoutMs: 20_000 });
    system.send(sink, { expect: 20_000, report: inbox.pid });
    system.send(source, { to: sink, count: 20_000, chunk: 20_000 });
    await until(health, 'Degraded', 'ring fill');
    assert.ok(health.getIssues().some((i) => i.title === 'Shard 2 cannot keep up'), health.getReport());
    await inbox.receive((m: any) => m?.kind === 'flood-done', { timeoutMs: 20_000 });
    await until(health, 'Healthy', 'drained');
  }));

test('supervisor restarts above the rate make it Degraded, and back', () =>
  withHealth({ ...FAST, maxRestartRate: 0.05 }, { threads: 2 }, async (system, health) => {
    const inbox = system.inbox();
    await system.spawn(TREE, { intensity: { maxRestarts: 100, withinMs: 60_000 }, children: [{ id: 'w', module: WORKER, args: { id: 'w', report: inbox.pid } }] });
    for (let i = 0; i < 3; i++) {
      const w = (await inbox.receive((m: any) => m?.event === 'child-started', { timeoutMs: 20_000 })) as any;
      system.send(w.pid, { op: 'crash' });
    }
    await until(health, 'Unhealthy', 'the crashes are panics too');
    assert.ok(health.getIssues().some((i) => i.title === 'High restart rate'));
    await until(health, 'Healthy', 'after the window');
  }));

test('actor count bounds: too many is a warning, too few is critical', () =>
  withHealth({ ...FAST, maxActors: 2 }, { threads: 1 }, async (system, health) => {
    const inbox = system.inbox();
    for (let i = 0; i < 3; i++) await system.spawn(PROBE, { report: inbox.pid }, { shard: 1 });
    await until(health, 'Degraded', 'too many');
    assert.ok(health.getIssues().some((i) => i.title === 'High actor count'));
  }).then(() =>
    withHealth({ ...FAST, minActors: 5 }, { threads: 1 }, async (_system, health) => {
      assert.is(health.getStatus(), 'Unhealthy');
      assert.ok(health.getIssues().some((i) => i.title === 'Low actor count' && i.severity === 'critical'));
    }),
  ));

test('a shard that is down makes it not ready; one given up on makes /live fail', () =>
  withHealth(FAST, { threads: 2, restartShards: false }, async (system, health, url) => {
    const down = new Promise((r) => system.once('shardDown', r));
    system.killShard(2);
    await down;
    assert.not.ok(health.isReady());
    assert.is((await get(`${url}/ready`)).status, 503);
    assert.not.ok(health.isLive());
    const live = await get(`${url}/live`);
    assert.equal([live.status, live.body.status], [503, 'fail']);
    assert.is(health.getStatus(), 'Unhealthy');
  }));

test('readiness is false while shutting down', () =>
  withHealth(FAST, { threads: 1 }, async (_system, health, url) => {
    assert.is((await get(`${url}/ready`)).status, 200);
    health.beginShutdown();
    assert.not.ok(health.isReady());
    assert.is((await get(`${url}/ready`)).status, 503);
  }));

test('bad config gets a typed error', async () => {
  const system = await ActorSystem.start({ threads: 1 });
  try {
    for (const [cfg, re] of [
      [{ maxPanicRate: -1 }, /maxPanicRate must be a number >= 0/],
      [{ minActors: 10, maxActors: 5 }, /minActors \(10\) must not exceed health\.maxActors \(5\)/],
      [{ maxBackpressureRate: 2 }, /a fraction from 0 to 1/],
      [{ windowMs: 0 }, /must be > 0/],
      [{ nonsense: 1 }, /unknown health option "nonsense"/],
      [{ sampleIntervalMs: Infinity, windowMs: Infinity }, /must be a finite number of ms up to 2147483647/],
      [{ sampleIntervalMs: 2 ** 31, windowMs: 2 ** 32 }, /must be a finite number of ms up to 2147483647/],
    ] as const) {
      assert.throws(() => new SystemHealth(system, cfg as never), (e: Error) => e instanceof HealthConfigError && (e as HealthConfigError).code === 'ERR_INVALID_OPTION' && re.test(e.message));
    }
  } finally {
    await system.shutdown();
  }
});

test("answerProbe of an unknown probe ('readiness') throws ERR_INVALID_ARGUMENT, not a plain TypeError", async () => {
  const system = await ActorSystem.start({ threads: 1 });
  const health = new SystemHealth(system, FAST);
  try {
    assert.throws(() => answerProbe(health, 'readiness' as never), (e: Error & { code?: string }) => e.code === 'ERR_INVALID_ARGUMENT' && /unknown probe "readiness": expected 'health', 'ready' or 'live'/.test(e.message));
    assert.is(answerProbe(health, 'ready').statusCode, 200);
  } finally {
    health.stop();
    await system.shutdown();
  }
});

test('with telemetry off, the actor count is the shards\' own and the rate rules are not judged (no false Unhealthy)', () =>
  withHealth({ ...FAST, minActors: 1 }, { threads: 1, telemetry: { enabled: false } }, async (system, health) => {
    assert.is(health.getStatus(), 'Unhealthy', 'no actor yet: below minActors');
    const inbox = system.inbox();
    await system.spawn(PROBE, { report: inbox.pid }, { shard: 1 });
    await until(health, 'Healthy', 'one live actor counted without telemetry');
    const checks = health.evaluate().measurements.map((m) => m.check);
    for (const rule of ['actors:panicRate', 'supervisors:restartRate', 'mailboxes:backpressureRate']) assert.not.ok(checks.includes(rule), `${rule} is not judged`);
  }));

test('a stopped system is Unhealthy on /health', async () => {
  const system = await ActorSystem.start({ threads: 1 });
  const { health, server } = await serveHealth(system, { port: 0, health: FAST });
  const url = server.url;
  try {
    assert.is(health.getStatus(), 'Healthy');
    await system.shutdown();
    assert.is(health.getStatus(), 'Unhealthy');
    assert.ok(health.getIssues().some((i) => i.title === 'System stopped' && i.severity === 'critical'));
    assert.not.ok(health.isLive());
  } finally {
    health.stop();
  }
  assert.ok(url.startsWith('http://127.0.0.1:'));
});

/** Runs `body` with the intervals set and not yet cleared recorded in `live` (health samples on one). */
async function trackingIntervals(body: (live: Set<unknown>) => Promise<void>): Promise<void> {
  const live = new Set<unknown>();
  const [set, clear] = [globalThis.setInterval, globalThis.clearInterval];
  globalThis.setInterval = ((...a: Parameters<typeof setInterval>) => {
    const t = set(...a);
    live.add(t);
    return t;
  }) as typeof setInterval;
  globalThis.clearInterval = ((t: Parameters<typeof clearInterval>[0]) => {
    live.delete(t);
    clear(t);
  }) as typeof clearInterval;
  try {
    await body(live);
  } finally {
    globalThis.setInterval = set;
    globalThis.clearInterval = clear;
  }
}

test('serveHealth that cannot serve leaves no sampling behind', async () => {
  const system = await ActorSystem.start({ threads: 1 });
  try {
    await trackingIntervals(async (live) => {
      const taken = await system.serveMetrics({ port: 0 });
      const port = Number(new URL(taken.url).port);
      live.clear();
      await serveHealth(system, { port: port === 65535 ? port - 1 : port + 1, health: FAST }).then(
        () => assert.unreachable('served a second port'),
        (err: { code?: string }) => assert.is(err.code, 'ERR_SERVER_RUNNING'),
      );
      assert.is(live.size, 0, 'the refused serveHealth left no interval running');
    });
  } finally {
    await system.shutdown();
  }
});

test('serveHealth(system, 9091) or (system, null) is refused (ERR_INVALID_OPTION), not served on the running endpoint or 9090, nor a TypeError', async () => {
  const system = await ActorSystem.start({ threads: 1 });
  try {
    // Read as no options, a bare port mounted the probes on the running endpoint (or listened on 9090).
    await system.serveMetrics({ port: 0 });
    for (const bad of [9091, null]) {
      await serveHealth(system, bad as never).then(
        () => assert.unreachable(`served ${String(bad)}`),
        (e: Error) => assert.ok(e instanceof HealthConfigError && e.code === 'ERR_INVALID_OPTION' && /serveHealth takes options like \{ port: 9091/.test(e.message), e.message),
      );
    }
  } finally {
    await system.shutdown();
  }
});

test('sampling stops once the system is shut down, without health.stop() (the README\'s example)', async () => {
  const system = await ActorSystem.start({ threads: 1 });
  await trackingIntervals(async (live) => {
    const { health } = await serveHealth(system, { port: 0, health: FAST });
    assert.is(live.size, 1, 'health samples on an interval');
    await system.shutdown();
    // The sample its next tick takes (called here rather than waited for).
    (health as unknown as { sample(): void }).sample();
    assert.is(live.size, 0, 'the interval (and its hold on the stopped system) is gone');
    assert.is(health.getStatus(), 'Unhealthy', 'it still answers');
  });
});

test('a health model made for a stopped system never starts sampling', async () => {
  const system = await ActorSystem.start({ threads: 1 });
  await system.shutdown();
  await trackingIntervals(async (live) => {
    new SystemHealth(system, FAST);
    assert.is(live.size, 0);
  });
});

test.run();
