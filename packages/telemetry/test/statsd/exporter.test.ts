// The StatsD exporter against a real UDP listener: counters as deltas, gauges as values, histograms as weighted distribution points, tags, sampling, the timer, close.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Counter, Histogram, Registry, Summary } from 'prom-client';
import { StatsdExporter, type StatsdOptions, resolveTelemetry } from '@joerl/telemetry';
import { Aggregator } from '@joerl/telemetry/aggregator';
import { ShardMetrics, createRegion } from '@joerl/telemetry/internal';
import { type StatsdLine, type UdpListener, udpListener, weightOf } from './udp-listener.ts';

function shard(): { agg: Aggregator; w: ShardMetrics } {
  const agg = new Aggregator();
  const region = createRegion(4096);
  agg.attach(1, region);
  return { agg, w: new ShardMetrics(region, resolveTelemetry({}), (slot, metric, labels) => agg.announce(1, slot, metric, labels)) };
}

/** Runs `body` with a listener and an exporter (no timer unless asked) that sends to it; closes both. */
async function withExporter(registry: Registry, options: StatsdOptions, body: (push: () => Promise<StatsdLine[]>, exp: StatsdExporter, udp: UdpListener) => Promise<void>): Promise<void> {
  const udp = await udpListener();
  const exp = StatsdExporter.start(registry, { intervalMs: 0, ...options, port: udp.port });
  try {
    await body(async () => udp.take((await exp.push()).datagrams), exp, udp);
  } finally {
    await exp.close();
    await udp.close();
  }
}

const named = (lines: StatsdLine[], name: string) => lines.filter((l) => l.name === name);

test('counters go as their growth since the last push, gauges as their value, labels and global tags as tags, names behind the prefix', async () => {
  const { agg, w } = shard();
  const worker = w.type('Worker');
  for (let i = 0; i < 3; i++) w.spawned(worker, Infinity, 1);
  await withExporter(agg.registry, { prefix: 'app.', globalTags: { env: 'test', team: 'core' } }, async (push) => {
    let lines = await push();
    assert.equal(named(lines, 'app.joerl_actors_spawned_total').map((l) => l.raw), ['app.joerl_actors_spawned_total:3|c|#type:Worker,env:test,team:core']);
    assert.equal(named(lines, 'app.joerl_actors_active').map((l) => l.raw), ['app.joerl_actors_active:3|g|#type:Worker,env:test,team:core']);
    assert.ok(lines.every((l) => l.name.startsWith('app.joerl_') && l.tags.env === 'test'), 'every line prefixed and tagged');
    for (let i = 0; i < 2; i++) w.spawned(worker, Infinity, 1);
    w.stopped(worker, 'normal', Infinity, Float64Array.of(5), 0, 1);
    lines = await push();
    assert.equal(named(lines, 'app.joerl_actors_spawned_total').map((l) => l.value), [2], 'the growth, not the total');
    assert.equal(named(lines, 'app.joerl_actors_active').map((l) => l.value), [4]);
    assert.equal(named(lines, 'app.joerl_actors_stopped_total').map((l) => [l.value, l.type, l.tags.reason]), [[1, 'c', 'normal']]);
    lines = await push();
    assert.equal(named(lines, 'app.joerl_actors_spawned_total'), [], 'nothing new: no counter line');
    assert.equal(named(lines, 'app.joerl_actors_active').map((l) => l.value), [4], 'gauges every push');
    assert.ok(named(lines, 'app.joerl_system_memory_bytes')[0]!.value > 0);
  });
});

test('histograms go as distributions: a point per bucket at its midpoint, weighted by its count, the overflow at the mean its sum implies', async () => {
  const { agg, w } = shard();
  const name = 'joerl_supervisor_restart_duration_seconds';
  for (let i = 0; i < 3; i++) w.supervisorRestart('one_for_one', 0.003); // 3 us: bucket (0, 5 us]
  // 93 in one bucket: 1 / (1 / 93) is just under 93 in floating point, which an agent would truncate to 92.
  for (let i = 0; i < 93; i++) w.supervisorRestart('one_for_one', 2); // 2 ms: bucket (1 ms, 2.5 ms]
  w.supervisorRestart('one_for_one', 30_000); // 30 s and 60 s: past the last bucket (10 s)
  w.supervisorRestart('one_for_one', 60_000);
  await withExporter(agg.registry, {}, async (push) => {
    const points = named(await push(), name);
    assert.ok(points.every((p) => p.type === 'd' && Object.keys(p.tags).length === 0));
    assert.equal(points.map((p) => [p.value, weightOf(p)]), [[0.0000025, 3], [0.00175, 93], [points[2]!.value, 2]]);
    const finite = 3 * 0.0000025 + 93 * 0.00175;
    assert.ok(Math.abs(points[2]!.value - (3 * 0.000003 + 93 * 0.002 + 90 - finite) / 2) < 1e-9, `overflow point ${points[2]!.value}`);
    assert.is(points.reduce((n, p) => n + weightOf(p), 0), agg.total(name), 'the agent counts exactly the observations');
    assert.equal(named(await push(), name), [], 'no new observations, no points');
    w.supervisorRestart('one_for_one', 0.2); // 200 us: bucket (100 us, 250 us]
    assert.equal(named(await push(), name).map((p) => p.raw), [`${name}:0.000175|d`]);
  });
});

test('label values that would break a line are made safe; empty ones are dropped', async () => {
  const { agg, w } = shard();
  w.statemInvalid(w.type('Door'), 'half|open', 'push, hard');
  await withExporter(agg.registry, {}, async (push) => {
    const [line] = named(await push(), 'joerl_gen_statem_invalid_transitions_total');
    assert.equal(line!.tags, { type: 'Door', state: 'half_open', event: 'push__hard' });
  });
});

test('any prom-client registry works: a counter with labels, a histogram, a summary', async () => {
  const registry = new Registry();
  const jobs = new Counter({ name: 'app_jobs_total', help: 'jobs', labelNames: ['queue', 'empty'], registers: [registry] });
  const size = new Histogram({ name: 'app_size_bytes', help: 'sizes', buckets: [10, 100], registers: [registry] });
  const lag = new Summary({ name: 'app_lag_seconds', help: 'lag', percentiles: [0.5], registers: [registry] });
  jobs.inc({ queue: 'fast', empty: '' }, 4);
  size.observe(50);
  size.observe(70);
  lag.observe(2);
  await withExporter(registry, {}, async (push) => {
    const lines = await push();
    assert.equal(named(lines, 'app_jobs_total').map((l) => l.raw), ['app_jobs_total:4|c|#queue:fast']);
    assert.equal(named(lines, 'app_size_bytes').map((l) => [l.value, weightOf(l)]), [[55, 2]]);
    assert.equal(named(lines, 'app_lag_seconds').map((l) => [l.value, l.type, l.tags.quantile]), [[2, 'g', '0.5']]);
    assert.equal(named(lines, 'app_lag_seconds_count').map((l) => [l.value, l.type]), [[1, 'c']]);
  });
});

test("a ':' in a metric name (Prometheus allows it) becomes '_', which keeps the line whole", async () => {
  const registry = new Registry();
  new Counter({ name: 'app:jobs_total', help: 'jobs', registers: [registry] }).inc(2);
  await withExporter(registry, {}, async (push) => {
    assert.equal(named(await push(), 'app_jobs_total').map((l) => l.raw), ['app_jobs_total:2|c']);
  });
});

test('sampleRate keeps about that share of counter and distribution lines, marked for the agent to scale back up; gauges always go', async () => {
  const { agg, w } = shard();
  const t = w.type('Worker');
  await withExporter(agg.registry, { sampleRate: 0.5 }, async (push) => {
    let counters = 0;
    let points = 0;
    const pushes = 300;
    for (let i = 0; i < pushes; i++) {
      w.spawned(t, Infinity, 1);
      for (let j = 0; j < 4; j++) w.supervisorRestart('one_for_one', 2);
      const lines = await push();
      assert.is(named(lines, 'joerl_actors_active')[0]?.value, i + 1, 'the gauge in every push');
      for (const l of named(lines, 'joerl_actors_spawned_total')) {
        assert.equal([l.value, l.rate], [1, 0.5]);
        counters++;
      }
      for (const l of named(lines, 'joerl_supervisor_restart_duration_seconds')) {
        assert.is(weightOf(l), 8, '4 observations kept at 1/2 stand for 8');
        points++;
      }
    }
    // Binomial(300, 0.5): mean 150, standard deviation ~8.7; these bounds are 7 deviations out.
    assert.ok(counters > 90 && counters < 210, `counter lines kept: ${counters}`);
    assert.ok(points > 90 && points < 210, `distribution lines kept: ${points}`);
  });
});

/** Math.random replaced by a seeded generator (mulberry32) while `body` runs: sampled outcomes are the same every run. */
async function seededRandom(body: () => Promise<void>): Promise<void> {
  const random = Math.random;
  let seed = 0x5eed;
  Math.random = () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  try {
    await body();
  } finally {
    Math.random = random;
  }
}

test('sampled distribution points add up to the true count on average when count / sampleRate is not whole', () =>
  seededRandom(async () => {
    // 1000 series observed once each: 1000 points of count 1, each standing for 1 / rate observations on average.
    for (const rate of [0.8, 0.6]) {
      const registry = new Registry();
      const size = new Histogram({ name: 'app_size_bytes', help: 'sizes', labelNames: ['k'], buckets: [10], registers: [registry] });
      for (let k = 0; k < 1000; k++) size.observe({ k }, 5);
      await withExporter(registry, { sampleRate: rate }, async (push) => {
        const counted = named(await push(), 'app_size_bytes').reduce((n, l) => n + weightOf(l), 0);
        // Rounded to nearest, the agent counted 800 (each point weight 1) at 0.8 and 1200 (weight 2) at 0.6.
        // Unbiased, the standard deviation is about 20; the bound is 5 of them.
        assert.ok(Math.abs(counted - 1000) < 100, `at sampleRate ${rate} the agent counts ${counted} of 1000 observations`);
      });
    }
  }));

test('the timer pushes on its own; close makes a last push, then push refuses', async () => {
  const { agg, w } = shard();
  const t = w.type('Worker');
  const udp = await udpListener();
  const exp = StatsdExporter.start(agg.registry, { port: udp.port, intervalMs: 10 });
  try {
    const first = await udp.take(1);
    assert.ok(named(first, 'joerl_system_memory_bytes').length === 1, 'a timed push arrived');
    w.spawned(t, Infinity, 1);
    await exp.close();
    // Exactly one push after the spawn carries it: a timed one, or the last one close makes.
    let seen: StatsdLine[] = [];
    while (!seen.some((l) => l.name === 'joerl_actors_spawned_total')) seen = await udp.take(1);
    await exp.push().then(
      () => assert.unreachable('push after close'),
      (err: Error & { code?: string }) => {
        assert.match(err.message, /closed/);
        assert.is(err.code, 'ERR_EXPORTER_CLOSED');
      },
    );
  } finally {
    await exp.close();
    await udp.close();
  }
});

test('a failing timed push goes to onError; a manual one rejects', async () => {
  const source = { getMetricsAsJSON: () => Promise.reject(new Error('registry unavailable')) };
  // The exporter's timer never holds a process open (unref'd); hold this one open while waiting for it.
  const hold = setInterval(() => {}, 60_000);
  const failed = new Promise<Error>((resolve) => {
    const exp = StatsdExporter.start(source, { intervalMs: 5, onError: (err) => (void exp.close(), resolve(err)) });
  });
  assert.match((await failed).message, 'registry unavailable');
  clearInterval(hold);
  const exp = StatsdExporter.start(source, { intervalMs: 0, onError: () => {} });
  await exp.push().then(
    () => assert.unreachable(),
    (err: Error) => assert.match(err.message, 'registry unavailable'),
  );
  await exp.close();
});

test('an onError that throws is reported as a warning: no unhandled rejection, and close still closes the socket', async () => {
  const source = { getMetricsAsJSON: () => Promise.reject(new Error('registry unavailable')) };
  const unhandled: unknown[] = [];
  const onUnhandled = (r: unknown) => void unhandled.push(r);
  process.on('unhandledRejection', onUnhandled);
  const warned = new Promise<Error>((resolve) => process.once('warning', resolve));
  try {
    const exp = StatsdExporter.start(source, { intervalMs: 0, onError: () => { throw new Error('handler broke'); } });
    await exp.close(); // its last push fails, and onError throws
    const w = await warned;
    assert.match(w.message, /registry unavailable \(and onError threw: handler broke\)/);
    await new Promise((r) => setImmediate(r));
    assert.equal(unhandled, []);
  } finally {
    process.off('unhandledRejection', onUnhandled);
  }
});

test.run();
