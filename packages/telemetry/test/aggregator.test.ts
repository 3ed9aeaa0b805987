// The shard writer and the aggregator together: slots announced once, histograms cumulative, retire keeps counters only.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { CATALOGUE, metricId, resolveTelemetry } from '@joerl/telemetry';
import { Aggregator } from '@joerl/telemetry/aggregator';
import { ShardMetrics, createRegion } from '@joerl/telemetry/internal';

const metricDef = (name: string) => CATALOGUE.find((m) => m.name === name)!;

function setup(threads: number[]) {
  const agg = new Aggregator();
  const writers = new Map<number, ShardMetrics>();
  for (const t of threads) {
    const region = createRegion(4096);
    agg.attach(t, region);
    writers.set(t, new ShardMetrics(region, resolveTelemetry({}), (slot, metric, labels) => agg.announce(t, slot, metric, labels)));
  }
  return { agg, writers };
}

const line = async (agg: Aggregator, prefix: string) =>
  (await agg.registry.metrics()).split('\n').filter((l) => l.startsWith(prefix));

test('counters and gauges sum over threads; a label set gets one slot', async () => {
  const { agg, writers } = setup([1, 2]);
  const a = writers.get(1)!.type('Worker');
  assert.is(writers.get(1)!.type('Worker'), a, 'cached');
  writers.get(1)!.spawned(a, Infinity, 1);
  writers.get(1)!.spawned(a, Infinity, 1);
  writers.get(2)!.spawned(writers.get(2)!.type('Worker'), Infinity, 1);
  assert.equal(await line(agg, 'joerl_actors_spawned_total'), ['joerl_actors_spawned_total{type="Worker"} 3']);
  assert.equal(await line(agg, 'joerl_actors_active'), ['joerl_actors_active{type="Worker"} 3']);
});

test('histograms come out cumulative, with +Inf equal to the count', async () => {
  const { agg, writers } = setup([1]);
  const w = writers.get(1)!;
  w.supervisorRestart('one_for_one', 0.003); // 3 us
  w.supervisorRestart('one_for_one', 2); // 2 ms
  w.supervisorRestart('one_for_one', 60_000); // 60 s: past the last bucket
  const lines = await line(agg, 'joerl_supervisor_restart_duration_seconds');
  assert.ok(lines.includes('joerl_supervisor_restart_duration_seconds_bucket{le="0.000005"} 1'));
  assert.ok(lines.includes('joerl_supervisor_restart_duration_seconds_bucket{le="0.0025"} 2'));
  assert.ok(lines.includes('joerl_supervisor_restart_duration_seconds_bucket{le="10"} 2'));
  assert.ok(lines.includes('joerl_supervisor_restart_duration_seconds_bucket{le="+Inf"} 3'));
  assert.ok(lines.includes('joerl_supervisor_restart_duration_seconds_count 3'));
  assert.ok(lines.some((l) => /_sum 60\.00200/.test(l)));
});

test("a histogram's +Inf bucket and count agree when a scrape reads an observation half written", async () => {
  const agg = new Aggregator();
  const region = createRegion(4096);
  agg.attach(1, region);
  const buckets = metricDef('joerl_supervisor_restart_duration_seconds').buckets!.length;
  agg.announce(1, 0, metricId('joerl_supervisor_restart_duration_seconds'), ['one_for_one']);
  // The shard's count slot is written, its bucket slot not yet (slots: one per bucket, +Inf, sum, count).
  new Float64Array(region)[buckets + 2] = 1;
  const lines = await line(agg, 'joerl_supervisor_restart_duration_seconds');
  const inf = lines.find((l) => l.includes('le="+Inf"'))!.split(' ')[1];
  const count = lines.find((l) => l.includes('_count'))!.split(' ')[1];
  assert.is(count, inf);
});

test('retire keeps a dead thread\'s counters, drops its gauges, and counts its live actors as killed', async () => {
  const { agg, writers } = setup([1, 2]);
  const w2 = writers.get(2)!;
  const t = w2.type('Job');
  for (let i = 0; i < 4; i++) w2.spawned(t, Infinity, 1);
  w2.stopped(t, 'normal', Infinity, Float64Array.of(5), 0, 1);
  agg.retire(2);
  // The new incarnation starts from zero in a fresh region.
  const region = createRegion(4096);
  agg.attach(2, region);
  const fresh = new ShardMetrics(region, resolveTelemetry({}), (slot, metric, labels) => agg.announce(2, slot, metric, labels));
  fresh.spawned(fresh.type('Job'), Infinity, 1);
  assert.equal(await line(agg, 'joerl_actors_spawned_total'), ['joerl_actors_spawned_total{type="Job"} 5']);
  assert.equal(await line(agg, 'joerl_actors_active'), ['joerl_actors_active{type="Job"} 1']);
  const stopped = await line(agg, 'joerl_actors_stopped_total');
  assert.ok(stopped.includes('joerl_actors_stopped_total{type="Job",reason="normal"} 1'));
  assert.ok(stopped.includes('joerl_actors_stopped_total{type="Job",reason="killed"} 3'));
});

test("a histogram's sum never reads lower after a shard is retired (float sums re-added in another order)", async () => {
  const { agg, writers } = setup([1, 2]);
  const sumOf = async () => Number((await line(agg, 'joerl_supervisor_restart_duration_seconds_sum'))[0]!.split(' ')[1]);
  writers.get(1)!.supervisorRestart('one_for_one', 200); // 0.2 s
  agg.retire(1);
  const region = createRegion(4096);
  agg.attach(1, region);
  const again = new ShardMetrics(region, resolveTelemetry({}), (slot, metric, labels) => agg.announce(1, slot, metric, labels));
  writers.get(2)!.supervisorRestart('one_for_one', 100); // 0.1 s
  again.supervisorRestart('one_for_one', 300); // 0.3 s
  const before = await sumOf(); // (0.2 + 0.1) + 0.3
  agg.retire(1); // retired: 0.2 + 0.3
  const after = await sumOf(); // 0.5 + 0.1
  assert.ok(after >= before, `the sum went from ${before} to ${after}`);
});

test('a full region degrades to a scratch area instead of corrupting', async () => {
  const agg = new Aggregator();
  const region = createRegion(64);
  agg.attach(1, region);
  const w = new ShardMetrics(region, resolveTelemetry({}), (slot, metric, labels) => agg.announce(1, slot, metric, labels));
  for (let i = 0; i < 50; i++) w.statemInvalid(w.type('M'), `s${i}`, 'e'); // far more series than fit
  const text = await agg.registry.metrics();
  assert.ok(text.includes('joerl_gen_statem_invalid_transitions_total'));
  assert.ok(metricId('joerl_actors_active') >= 0);
});

test("total: derived and main-thread metrics as a scrape computes them; an unknown name and the utilization percentage are refused (they read 0 for ever)", async () => {
  const { agg, writers } = setup([1, 2]);
  const w1 = writers.get(1)!;
  const w2 = writers.get(2)!;
  w1.mailboxDelta(w1.type('A'), false, 3);
  w2.mailboxDelta(w2.type('B'), true, 2);
  assert.is(agg.total('joerl_mailbox_depth'), 5);
  assert.is(agg.total('joerl_mailbox_memory_total_bytes'), 5 * 96);
  assert.is(agg.total('joerl_mailbox_memory_bytes'), 5 * 96);
  assert.ok(agg.total('joerl_system_memory_bytes') > 0, 'the process RSS, as /metrics shows it');
  const scraped = await line(agg, 'joerl_mailbox_memory_total_bytes');
  assert.equal(scraped, [`joerl_mailbox_memory_total_bytes ${5 * 96}`]);
  assert.throws(() => agg.total('joerl_actors_spawnd_total'), (e: Error) => e instanceof RangeError && /no metric named "joerl_actors_spawnd_total" in joerl's catalogue/.test(e.message));
  assert.throws(() => agg.total('joerl_mailbox_utilization_percent'), (e: Error) => e instanceof RangeError && /a percentage per behaviour/.test(e.message));
});

test('sampling config is validated', () => {
  assert.throws(() => resolveTelemetry({ messageSamplingRate: 101 }), /options\.telemetry\.messageSamplingRate must be a whole number from 0 to 100/);
  // Kept by sequence, k of every 100: a fraction would keep ceil(k) per 100 one by one and k per 100 in bulk.
  assert.throws(() => resolveTelemetry({ signalSamplingRate: 0.5 }), /signalSamplingRate must be a whole number/);
  assert.throws(() => resolveTelemetry({ messageSamplingRate: 12.5 }), /messageSamplingRate must be a whole number/);
  assert.equal(resolveTelemetry(undefined), { enabled: true, messageSamplingRate: 100, queueWaitSamplingRate: 100, signalSamplingRate: 100 });
});

test.run();
