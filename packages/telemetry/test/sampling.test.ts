// Sampling by sequence: a bulk count keeps exactly what one decision per event would, and the writer thins what it records by it.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { resolveTelemetry } from '@joerl/telemetry';
import { Aggregator } from '@joerl/telemetry/aggregator';
import { Sequence, ShardMetrics, createRegion } from '@joerl/telemetry/internal';

test('take(n) keeps as many as n calls of next(), for every rate and any split of the events', () => {
  let seed = 7;
  const rand = (k: number) => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed % k;
  };
  for (const rate of [0, 1, 3, 10, 33, 50, 99, 100]) {
    const one = new Sequence(rate);
    const bulk = new Sequence(rate);
    let total = 0;
    let kept = 0;
    let keptBulk = 0;
    for (let b = 0; b < 2000; b++) {
      // Runs of 1 to 300 events: within a hundred, across one, across several.
      const n = 1 + rand(b % 3 === 0 ? 300 : 7);
      for (let i = 0; i < n; i++) if (one.next()) kept++;
      keptBulk += bulk.take(n);
      total += n;
      assert.is(keptBulk, kept, `rate ${rate}: after ${total} events`);
    }
    // Exactly `rate` in every hundred in a row.
    assert.is(new Sequence(rate).take(100 * 37), rate * 37, `rate ${rate}: 3,700 events`);
  }
});

test('below 100% the writer records the sampled share of each bulk count; at 100% every one', async () => {
  for (const rate of [10, 100]) {
    const agg = new Aggregator();
    const region = createRegion(4096);
    agg.attach(1, region);
    const w = new ShardMetrics(region, resolveTelemetry({ messageSamplingRate: rate, queueWaitSamplingRate: rate }), (slot, metric, labels) =>
      agg.announce(1, slot, metric, labels),
    );
    assert.ok(w.timesInBlocks, 'messages are timed in blocks at any rate above 0');
    // 1,000 sends in bulk runs of 7 and 1,000 single ones; 5,000 messages handled in blocks of 250 at 1 us each; waits in runs of 40.
    for (let i = 0; i < 1000; i += 10) w.sentMany(10);
    for (let i = 0; i < 1000; i++) w.sentMany(1);
    for (let i = 0; i < 20; i++) w.processedBlock(0.25, 250);
    for (let i = 0; i < 50; i++) w.queueWait(2, 40);
    const text = await agg.registry.metrics();
    const read = (name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1]);
    const share = rate / 100;
    assert.is(read('joerl_messages_sent_total'), 2000 * share);
    assert.is(read('joerl_messages_processed_total'), 5000 * share);
    assert.is(read('joerl_message_processing_duration_seconds_count'), 5000 * share);
    // Each recorded at its block's mean, 1 us.
    assert.ok(Math.abs(read('joerl_message_processing_duration_seconds_sum') - 5000 * share * 1e-6) < 1e-9);
    assert.is(read('joerl_message_queue_wait_seconds_count'), 2000 * share);
    assert.ok(Math.abs(read('joerl_message_queue_wait_seconds_sum') - 2000 * share * 0.002) < 1e-9);
  }
});

test('a rate of 0 records nothing and stamps no send; above 0 every send is stamped', () => {
  const none = new ShardMetrics(createRegion(4096), resolveTelemetry({ messageSamplingRate: 0, queueWaitSamplingRate: 0 }), () => {});
  assert.not.ok(none.timesInBlocks);
  assert.ok(Number.isNaN(none.sendStamp(5)));
  const some = new ShardMetrics(createRegion(4096), resolveTelemetry({ messageSamplingRate: 1, queueWaitSamplingRate: 1 }), () => {});
  for (let i = 0; i < 10; i++) assert.is(some.sendStamp(5), 5, 'the caller\'s clock, whichever sends the rate keeps');
});

test.run();
