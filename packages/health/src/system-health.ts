// The health model: Healthy / Degraded / Unhealthy from windowed rates of the merged telemetry and the shards' own state.

import { performance } from 'node:perf_hooks';
import type { ActorSystem, ShardView, SystemView } from '@joerl/runtime';
import { type HealthConfig, resolveHealthConfig } from './config.js';

/** Healthy: no issue; Degraded: warnings only (probes still pass, as `warn`); Unhealthy: something critical (probes fail). */
export type HealthStatus = 'Healthy' | 'Degraded' | 'Unhealthy';
/** A warning degrades the system; a critical issue makes it Unhealthy. */
export type Severity = 'warning' | 'critical';

/** One finding. */
export interface HealthIssue {
  severity: Severity;
  title: string;
  message: string;
}

/** One measurement, as the HTTP endpoint reports it (`checks` of application/health+json). */
export interface Measurement {
  /** "component:measurement", e.g. "actors:panicRate", "shard:heartbeat". */
  check: string;
  componentId?: string;
  observedValue: number;
  observedUnit: string;
  status: 'pass' | 'warn' | 'fail';
}

/** What health reads each sample: counters summed over every thread. */
interface Totals {
  at: number;
  spawned: number;
  panicked: number;
  stopped: number;
  restarts: number;
  mailboxFull: number;
  sent: number;
  active: number;
}

/** Records one measurement, and an issue when `bad`. */
type Judge = (check: string, value: number, unit: string, bad: boolean, severity: Severity, title: string, message: string, componentId?: string) => void;

/** One shard's lag readings, one per sample, newest last; started afresh when the shard restarts. */
interface LagHistory {
  incarnation: number;
  ms: number[];
}

/** Everything one evaluation found. */
export interface HealthSnapshot {
  status: HealthStatus;
  issues: HealthIssue[];
  measurements: Measurement[];
  view: SystemView;
}

/**
 * Evaluates an {@link ActorSystem}'s health. Every threshold of
 * {@link HealthConfig} is checked; rates are deltas over the last
 * `windowMs` (sampled every `sampleIntervalMs`), so after a burst of panics
 * the system reads healthy again once the burst leaves the window. A shard's
 * event-loop lag warns only when sustained (`eventLoopLagSamples`).
 *
 * ```ts
 * const health = new SystemHealth(system, { maxPanicRate: 0.05 });
 * health.getStatus(); // 'Healthy' | 'Degraded' | 'Unhealthy'
 * ```
 */
export class SystemHealth {
  readonly config: Readonly<HealthConfig>;
  private readonly samples: Totals[] = [];
  private readonly lags = new Map<number, LagHistory>();
  private timer: NodeJS.Timeout | null = null;
  private shuttingDown = false;
  /** The system counts (telemetry on): the rate rules have their inputs. */
  private readonly metrics: boolean;

  constructor(
    private readonly system: ActorSystem,
    config?: Partial<HealthConfig>,
  ) {
    this.config = Object.freeze(resolveHealthConfig(config));
    this.metrics = system.options.telemetry.enabled !== false;
    this.sample();
    if (!system.running) return;
    this.timer = setInterval(() => this.sample(), this.config.sampleIntervalMs);
    this.timer.unref();
  }

  /** True when nothing is wrong (no warning, no critical issue). */
  isHealthy(): boolean {
    return this.getStatus() === 'Healthy';
  }

  /**
   * True when the system should receive traffic: it is running (not starting,
   * not shutting down), every shard is up, and nothing critical is wrong.
   */
  isReady(): boolean {
    const s = this.evaluate();
    return !this.shuttingDown && s.view.state === 'running' && s.view.shards.every((x) => x.up) && s.status !== 'Unhealthy';
  }

  /** False only when the process should be restarted: a shard the system gave up restarting. */
  isLive(): boolean {
    const view = this.system.inspect();
    return view.state !== 'stopped' && !view.shards.some((s) => s.gaveUp);
  }

  getStatus(): HealthStatus {
    return this.evaluate().status;
  }

  getIssues(): HealthIssue[] {
    return this.evaluate().issues;
  }

  /** A readable report: the status, then one line per issue. */
  getReport(): string {
    const s = this.evaluate();
    const lines = [`Status: ${s.status}`];
    if (s.issues.length === 0) lines.push('No issues');
    else {
      lines.push('Issues:');
      for (const i of s.issues) lines.push(`  [${i.severity === 'critical' ? 'Critical' : 'Warning'}] ${i.title}: ${i.message}`);
    }
    return lines.join('\n');
  }

  /** Marks the system as going down: readiness turns false at once (call before `system.shutdown()`). */
  beginShutdown(): void {
    this.shuttingDown = true;
  }

  /** Stops sampling (it stops by itself once the system is shut down). */
  stop(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }

  /** One full evaluation (status, issues, every measurement). */
  evaluate(): HealthSnapshot {
    const c = this.config;
    const now = this.read();
    const then = this.oldest(now.at);
    const issues: HealthIssue[] = [];
    const measurements: Measurement[] = [];
    const judge: Judge = (check, value, unit, bad, severity, title, message, componentId) => {
      const m: Measurement = { check, observedValue: value, observedUnit: unit, status: bad ? (severity === 'critical' ? 'fail' : 'warn') : 'pass' };
      if (componentId !== undefined) m.componentId = componentId;
      measurements.push(m);
      if (bad) issues.push({ severity, title, message });
    };

    const view = this.system.inspect();
    // A system that stopped serves nothing; one stopping is on its way there (its probes still answer meanwhile).
    if (view.state === 'stopped' || view.state === 'stopping') {
      const stopped = view.state === 'stopped';
      judge('system:running', 0, 'boolean', true, stopped ? 'critical' : 'warning', stopped ? 'System stopped' : 'System stopping', stopped ? 'the actor system has shut down' : 'the actor system is shutting down', 'system');
    }
    judge('actors:count', now.active, 'actors', now.active > c.maxActors, 'warning', 'High actor count', `${now.active} active actors (threshold: ${c.maxActors})`);
    if (now.active < c.minActors) {
      judge('actors:minimum', now.active, 'actors', true, 'critical', 'Low actor count', `${now.active} active actors (minimum: ${c.minActors})`);
    }
    // Rates need the runtime's counters: with telemetry off there are none, and the rules are not judged (no measurement).
    if (this.metrics) this.rates(now, then, judge);

    for (const s of view.shards) {
      const id = `shard-${s.shard}`;
      if (s.gaveUp) {
        judge('shard:up', 0, 'boolean', true, 'critical', `Shard ${s.shard} is down for good`, `it died and is no longer restarted (it kept dying at start-up, or restartShards is off)`, id);
        continue;
      }
      judge('shard:up', s.up ? 1 : 0, 'boolean', !s.up && view.state === 'running', 'warning', `Shard ${s.shard} is restarting`, `its actors were killed; a new incarnation is starting`, id);
      if (!s.up) continue;
      judge('shard:heartbeat', s.stalledMs, 'ms', s.stalledMs > c.maxStallMs, 'critical', `Shard ${s.shard} is stalled`, `its event loop has not turned for ${Math.round(s.stalledMs)} ms (a handler stuck in a loop?)`, id);
      const lag = this.lagOf(s);
      judge('shard:eventLoopLag', lag.ms, 'ms', lag.ms > c.maxEventLoopLagMs, 'warning', `Shard ${s.shard} lags`, `${lag.why} (threshold ${c.maxEventLoopLagMs} ms)`, id);
      judge('ring:fill', s.ringFill, 'ratio', s.ringFill > c.maxRingFill, 'warning', `Shard ${s.shard} cannot keep up`, `a ring into it is ${pct(s.ringFill)} full (threshold ${pct(c.maxRingFill)})`, id);
    }
    const status: HealthStatus = issues.some((i) => i.severity === 'critical') ? 'Unhealthy' : issues.length > 0 ? 'Degraded' : 'Healthy';
    return { status, issues, measurements, view };
  }

  /** The rate rules: panics, restarts and backpressure over the window (from the merged counters). */
  private rates(now: Totals, then: Totals, judge: Judge): void {
    const c = this.config;
    const dPanicked = now.panicked - then.panicked;
    const population = Math.max(1, then.active + (now.spawned - then.spawned));
    const panicRate = dPanicked / population;
    judge('actors:panicRate', panicRate, 'ratio', panicRate > c.maxPanicRate, 'critical', 'High panic rate', `${pct(panicRate)} of actors panicked in the last ${secs(c.windowMs)} (${dPanicked} panics; threshold ${pct(c.maxPanicRate)})`);
    const dStopped = now.stopped - then.stopped;
    const dRestarts = now.restarts - then.restarts;
    const restartRate = dRestarts === 0 ? 0 : dRestarts / Math.max(1, dStopped);
    judge('supervisors:restartRate', restartRate, 'ratio', restartRate > c.maxRestartRate, 'warning', 'High restart rate', `${dRestarts} supervisor restarts for ${dStopped} stopped actors in the last ${secs(c.windowMs)} (${pct(restartRate)}; threshold ${pct(c.maxRestartRate)})`);
    // Sends sampled at 0% are not counted: refusals could not be set against them.
    if (this.system.options.telemetry.messageSamplingRate === 0) return;
    const dFull = now.mailboxFull - then.mailboxFull;
    const backpressure = dFull === 0 ? 0 : dFull / Math.max(1, now.sent - then.sent + dFull);
    judge('mailboxes:backpressureRate', backpressure, 'ratio', backpressure > c.maxBackpressureRate, 'warning', 'High backpressure', `${pct(backpressure)} of messages met a full mailbox in the last ${secs(c.windowMs)} (threshold ${pct(c.maxBackpressureRate)})`);
  }

  private read(): Totals {
    const s = this.system;
    const rate = s.options.telemetry.messageSamplingRate;
    return {
      at: performance.now(),
      spawned: s.metricTotal('joerl_actors_spawned_total'),
      panicked: s.metricTotal('joerl_actors_panicked_total'),
      stopped: s.metricTotal('joerl_actors_stopped_total'),
      restarts: s.metricTotal('joerl_supervisor_restarts_total'),
      mailboxFull: s.metricTotal('joerl_mailbox_full_total'),
      // messages_sent_total is sampled: scale it back up.
      sent: rate > 0 ? (s.metricTotal('joerl_messages_sent_total') * 100) / rate : 0,
      // Without telemetry, the shards' own counts of live processes.
      active: this.metrics ? s.metricTotal('joerl_actors_active') : s.inspect().shards.reduce((n, x) => n + x.actors, 0),
    };
  }

  private sample(): void {
    // A system never runs again once it leaves 'running': the timer goes, and with it the hold on the stopped system
    // (nothing else stops it when the owner shuts the system down without calling stop()).
    if (!this.system.running) {
      this.stop();
      return;
    }
    const t = this.read();
    this.samples.push(t);
    while (this.samples.length > 1 && this.samples[1]!.at <= t.at - this.config.windowMs) this.samples.shift();
    for (const s of this.system.inspect().shards) {
      let h = this.lags.get(s.shard);
      // A restarted shard's evidence starts afresh: its predecessor's lag is not its own.
      if (h === undefined || h.incarnation !== s.incarnation) this.lags.set(s.shard, (h = { incarnation: s.incarnation, ms: [] }));
      if (!s.up) continue;
      h.ms.push(s.lagMs);
      if (h.ms.length > this.config.eventLoopLagSamples) h.ms.shift();
    }
  }

  /**
   * The lag the rule judges, and why. Each reading is the worst lag of the
   * shard's last second, so one spike (a busy machine delays any thread now
   * and then) is one high reading: the lag must show in at least half of the
   * last `eventLoopLagSamples` samples. A loop that has not turned for longer
   * than a sample interval is evidence enough now: no single spike can miss a
   * whole sample, and a stuck shard is Degraded before it is Unhealthy.
   */
  private lagOf(s: ShardView): { ms: number; why: string } {
    const n = this.config.eventLoopLagSamples;
    const need = Math.ceil(n / 2);
    const readings = [...(this.lags.get(s.shard)?.ms ?? [])].sort((a, b) => b - a);
    const sustained = readings.length >= need ? readings[need - 1]! : 0;
    if (s.stalledMs > this.config.sampleIntervalMs && s.stalledMs > sustained) {
      return { ms: s.stalledMs, why: `its event loop has not turned for ${Math.round(s.stalledMs)} ms` };
    }
    return { ms: sustained, why: n === 1 ? `event-loop lag ${sustained.toFixed(1)} ms` : `event-loop lag of ${sustained.toFixed(1)} ms or more in ${need} of the last ${n} samples` };
  }

  /** The sample at the start of the window (the oldest kept). */
  private oldest(now: number): Totals {
    while (this.samples.length > 1 && this.samples[1]!.at <= now - this.config.windowMs) this.samples.shift();
    return this.samples[0] ?? this.read();
  }
}

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
const secs = (ms: number) => (ms >= 1000 ? `${(ms / 1000).toFixed(ms % 1000 === 0 ? 0 : 1)} s` : `${ms} ms`);
