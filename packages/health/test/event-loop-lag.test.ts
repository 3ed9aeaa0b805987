// The lag rule on its own, against a scripted system view: one spike is not a lagging shard; sustained lag and a stuck loop are.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { ActorSystem, ShardView, SystemView } from '@joerl/runtime';
import { SystemHealth } from '@joerl/health';

const test = suite('event-loop lag');

/**
 * Stands in for an ActorSystem with one shard whose readings the test sets.
 * Health samples on its own timer; `samples(n)` resolves once it has read
 * the view n more times (the test itself evaluates only after waiting).
 */
class ScriptedSystem {
  readonly running = true;
  readonly options = { telemetry: { messageSamplingRate: 100 } };
  shard: ShardView = { shard: 1, up: true, gaveUp: false, incarnation: 0, loopTick: 0, stalledMs: 0, lagMs: 0, actors: 1, ringFill: 0 };
  private reads = 0;
  private waiters: { at: number; resolve: () => void }[] = [];

  inspect(): SystemView {
    this.reads++;
    for (const w of this.waiters.filter((x) => x.at <= this.reads)) w.resolve();
    this.waiters = this.waiters.filter((x) => x.at > this.reads);
    return { state: 'running', shards: [{ ...this.shard }] };
  }

  metricTotal(): number {
    return 0;
  }

  /** Health's sampling timer is unref'd: the deadline also keeps the process alive meanwhile. */
  samples(n: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const deadline = setTimeout(() => reject(new Error(`health never sampled ${n} more times`)), 20_000);
      this.waiters.push({ at: this.reads + n, resolve: () => (clearTimeout(deadline), resolve()) });
    });
  }
}

async function withScripted(body: (sys: ScriptedSystem, health: SystemHealth) => Promise<void>): Promise<void> {
  const sys = new ScriptedSystem();
  const health = new SystemHealth(sys as unknown as ActorSystem, { sampleIntervalMs: 10, maxEventLoopLagMs: 200, maxStallMs: 2000, eventLoopLagSamples: 6 });
  try {
    await body(sys, health);
  } finally {
    health.stop();
  }
}

const lagIssue = (health: SystemHealth) => health.getIssues().find((i) => i.title === 'Shard 1 lags');

test('one sample above the threshold is not a lagging shard; three of the last six are', () =>
  withScripted(async (sys, health) => {
    sys.shard.lagMs = 450;
    await sys.samples(1);
    sys.shard.lagMs = 3;
    await sys.samples(6);
    assert.is(health.getStatus(), 'Healthy', health.getReport());

    // A spike now and then, never half of the last six: still Healthy.
    for (let i = 0; i < 4; i++) {
      sys.shard.lagMs = 450;
      await sys.samples(1);
      sys.shard.lagMs = 3;
      await sys.samples(2);
      assert.is(health.getStatus(), 'Healthy', `spike ${i}: ${health.getReport()}`);
    }

    // Sustained: three readings in a row. The reported value is the lag shown by half the samples.
    sys.shard.lagMs = 450;
    await sys.samples(3);
    assert.is(health.getStatus(), 'Degraded');
    assert.match(lagIssue(health)?.message ?? '', /event-loop lag of 450\.0 ms or more in 3 of the last 6 samples \(threshold 200 ms\)/);
    const m = health.evaluate().measurements.find((x) => x.check === 'shard:eventLoopLag')!;
    assert.equal([m.observedValue, m.status], [450, 'warn']);

    // A restarted shard starts afresh: its predecessor's lag is not its own.
    sys.shard = { ...sys.shard, incarnation: 1, lagMs: 3 };
    await sys.samples(1);
    assert.is(health.getStatus(), 'Healthy', health.getReport());
  }));

test('a loop that has not turned for longer than a sample interval lags at once, then is stalled', () =>
  withScripted(async (sys, health) => {
    await sys.samples(2);
    sys.shard.stalledMs = 300;
    assert.is(health.getStatus(), 'Degraded');
    assert.match(lagIssue(health)?.message ?? '', /its event loop has not turned for 300 ms \(threshold 200 ms\)/);
    sys.shard.stalledMs = 2500;
    assert.is(health.getStatus(), 'Unhealthy');
    assert.ok(health.getIssues().some((i) => i.title === 'Shard 1 is stalled' && i.severity === 'critical'));
    sys.shard.stalledMs = 0;
    assert.is(health.getStatus(), 'Healthy', health.getReport());
  }));

test('eventLoopLagSamples is a positive integer; 1 judges each sample alone', async () => {
  const sys = new ScriptedSystem();
  for (const bad of [0, 2.5]) {
    assert.throws(() => new SystemHealth(sys as unknown as ActorSystem, { eventLoopLagSamples: bad }), /health\.eventLoopLagSamples must be a positive integer/);
  }
  const health = new SystemHealth(sys as unknown as ActorSystem, { sampleIntervalMs: 10, eventLoopLagSamples: 1 });
  try {
    sys.shard.lagMs = 450;
    await sys.samples(1);
    assert.match(lagIssue(health)?.message ?? '', /^event-loop lag 450\.0 ms \(threshold 200 ms\)$/);
  } finally {
    health.stop();
  }
});

test.run();
