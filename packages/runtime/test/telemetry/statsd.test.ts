// A running system's merged metrics reach a StatsD agent (a real UDP socket on 127.0.0.1): counters as deltas, gauges, distributions, tags.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { type Pid } from '@joerl/runtime';
import { LATENCY_BUCKETS, StatsdExporter } from '@joerl/telemetry';
import { type StatsdLine, udpListener, weightOf } from '../../../telemetry/test/statsd/udp-listener.ts';
import { expect, withSystem } from '../helpers.ts';

const test = suite('statsd export');
const FLOOD = new URL('../fixtures/flood.actor.ts', import.meta.url);
const PREFIX = 'myapp.';
const TYPE: Record<string, string> = { counter: 'c', gauge: 'g', histogram: 'd' };

const named = (lines: StatsdLine[], name: string) => lines.filter((l) => l.name === PREFIX + name);
const sumOf = (lines: StatsdLine[], name: string) => named(lines, name).reduce((n, l) => n + l.value, 0);
const weightsOf = (lines: StatsdLine[], name: string) => named(lines, name).reduce((n, l) => n + weightOf(l), 0);
/** Bucket midpoints of the latency histograms: where their points must sit (or past the last bound). */
const MIDPOINTS = LATENCY_BUCKETS.map((b, i) => ((i === 0 ? 0 : LATENCY_BUCKETS[i - 1]!) + b) / 2);

test('a workload on two shards: message counters as deltas, actor gauges, processing-time distributions, labels and global tags', async () => {
  const udp = await udpListener();
  const pushes: StatsdLine[][] = [];
  let statsd: StatsdExporter | undefined;
  const push = async () => {
    const lines = await udp.take((await statsd!.push()).datagrams);
    pushes.push(lines);
    return lines;
  };
  const n = 500;
  try {
    let totals = (_name: string) => 0;
    await withSystem({ threads: 2 }, async (system) => {
      statsd = StatsdExporter.start(system.metrics, { port: udp.port, prefix: PREFIX, globalTags: { env: 'test' }, intervalMs: 0 });
      totals = (name) => system.metricTotal(name);
      const sinks = [
        (await system.spawn(FLOOD, undefined, { shard: 1, export: 'sink' })) as Pid<any>,
        (await system.spawn(FLOOD, undefined, { shard: 2, export: 'sink' })) as Pid<any>,
      ];
      const first = await push();
      assert.equal(named(first, 'joerl_actors_spawned_total').map((l) => [l.value, l.type, l.tags.type, l.tags.env]), [[2, 'c', 'FloodSink', 'test']]);

      // The scripted workload: n messages to each sink, on both shards; each reports when it has them all.
      const inbox = system.inbox();
      for (const sink of sinks) {
        system.send(sink, { expect: n, report: inbox.pid });
        for (let seq = 0; seq < n; seq++) system.send(sink, { seq });
      }
      for (let i = 0; i < sinks.length; i++) await expect(inbox, (m) => m?.kind === 'flood-done', 'both sinks to finish');
      const second = await push();
      // Sends are counted as they are made, so all of them are in: this push adds the flood (and the reports) to the first.
      assert.is(sumOf(first, 'joerl_messages_sent_total') + sumOf(second, 'joerl_messages_sent_total'), system.metricTotal('joerl_messages_sent_total'));
      assert.ok(sumOf(second, 'joerl_messages_sent_total') >= 2 * (n + 1), 'the flood and the expects, as growth since the first push');
      // A sink's last message is counted as handled once its handler returns, which may be just after its report reached us.
      assert.ok(sumOf(second, 'joerl_messages_processed_total') >= 2 * n, 'the flood handled');
      assert.equal(named(second, 'joerl_actors_spawned_total'), [], 'no spawn since the last push: no line');
      assert.equal(named(second, 'joerl_actors_active').map((l) => [l.value, l.type, l.tags.type]), [[2, 'g', 'FloodSink']]);
      assert.equal(named(second, 'joerl_mailbox_depth').find((l) => l.tags.type === 'FloodSink')?.value, 0);
      // Processing times as distribution points at bucket midpoints; their weights are the observations.
      for (const name of ['joerl_message_processing_duration_seconds', 'joerl_message_queue_wait_seconds']) {
        const points = named(second, name);
        assert.ok(points.length > 0 && points.every((p) => p.type === 'd'), `${name} points`);
        for (const p of points) assert.ok(MIDPOINTS.includes(p.value) || p.value >= 10, `${name} point ${p.value} at a bucket midpoint`);
        assert.ok(weightsOf(second, name) >= 2 * n, `${name}: the flood's observations`);
      }
    });
    // After shutdown nothing runs: a last push, and the deltas of every push add up to the final totals.
    const last = await push();
    for (const name of ['joerl_messages_sent_total', 'joerl_messages_processed_total', 'joerl_actors_spawned_total', 'joerl_actors_stopped_total']) {
      assert.is(pushes.reduce((t, p) => t + sumOf(p, name), 0), totals(name), `${name}: deltas add up to the total`);
    }
    for (const name of ['joerl_message_processing_duration_seconds', 'joerl_message_queue_wait_seconds', 'joerl_actor_lifetime_seconds']) {
      assert.is(pushes.reduce((t, p) => t + weightsOf(p, name), 0), totals(name), `${name}: the agent would count every observation`);
    }
    assert.equal(named(last, 'joerl_actors_stopped_total').filter((l) => l.tags.type === 'FloodSink').map((l) => [l.value, l.tags.reason]), [[2, 'shutdown']]);
    assert.equal(named(last, 'joerl_actors_active').find((l) => l.tags.type === 'FloodSink')?.value, 0);

    const all = pushes.flat();
    assert.ok(all.every((l) => l.name.startsWith(`${PREFIX}joerl_`) && l.tags.env === 'test'), 'prefix and global tags on every line');
  } finally {
    await statsd?.close();
    await udp.close();
  }
});

test('every metric the registry holds a non-zero series of reaches the agent, with its StatsD type', async () => {
  const udp = await udpListener();
  try {
    await withSystem({ threads: 2 }, async (system) => {
      const statsd = StatsdExporter.start(system.metrics, { port: udp.port, prefix: PREFIX, intervalMs: 0 });
      try {
        const inbox = system.inbox();
        const sink = (await system.spawn(FLOOD, undefined, { shard: 2, export: 'sink' })) as Pid<any>;
        system.send(sink, { expect: 10, report: inbox.pid });
        for (let seq = 0; seq < 10; seq++) system.send(sink, { seq });
        await expect(inbox, (m) => m?.kind === 'flood-done', 'the sink');
        system.exit(sink, 'shutdown');
        await system.join(sink);
        const metrics = await system.metrics.getMetricsAsJSON();
        const lines = await udp.take((await statsd.push()).datagrams);
        for (const m of metrics) {
          if (!m.values.some((v) => v.value !== 0)) continue;
          const seen = named(lines, m.name);
          assert.ok(seen.length > 0, `${m.name} was sent`);
          assert.ok(seen.every((l) => l.type === TYPE[String(m.type)]), `${m.name} as ${String(m.type)}`);
        }
      } finally {
        await statsd.close();
      }
    });
  } finally {
    await udp.close();
  }
});

test.run();
