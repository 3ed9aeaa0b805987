// One thread's metric shard: plain typed-array writes into its own SharedArrayBuffer region; a new label set is announced once.

import { performance } from 'node:perf_hooks';
import {
  ACTOR_LIFETIME,
  CATALOGUE,
  EXIT_SIGNALS_BY_REASON,
  GEN_SERVER_CALLS_IN_FLIGHT,
  GEN_SERVER_CALL_DURATION,
  GEN_SERVER_CALL_TIMEOUTS,
  GEN_SERVER_CASTS,
  GEN_STATEM_CURRENT_STATE,
  GEN_STATEM_INVALID_TRANSITIONS,
  GEN_STATEM_STATE_DURATION,
  GEN_STATEM_TRANSITIONS,
  LINKS_CREATED,
  MESSAGES_PROCESSED,
  MESSAGES_SENT,
  MESSAGES_SENT_FAILED,
  MESSAGE_PROCESSING,
  MESSAGE_QUEUE_WAIT,
  MONITORS_CREATED,
  SERIALIZATION_ERRORS,
  SIGNALS_IGNORED,
  SIGNALS_RECEIVED,
  SIGNALS_SENT,
  SUPERVISOR_INTENSITY_EXCEEDED,
  SUPERVISOR_RESTARTS,
  SUPERVISOR_RESTART_DURATION,
  metricId,
  slotsOf,
} from './catalogue.js';
import { type NodeMetricsWriter, RegionNodeMetrics } from './node-metrics.js';
import { OVERFLOW_SLOTS, heldWord, regionSlots } from './region.js';
import type { TelemetryConfig } from './config.js';
import type { SignalKind } from './metrics-writer.js';
import type { MetricsWriter } from './metrics-writer.js';
import { Sequence } from './sampling.js';
import { REASONS, type ReasonLabel, TypeMetrics } from './type-metrics.js';

export { REASONS, TypeMetrics };
export type { ReasonLabel };

/** Tells the main thread: region slot `slot` holds metric `metric` with these label values. */
export type Announce = (slot: number, metric: number, labels: string[]) => void;


const I_LIFETIME = metricId(ACTOR_LIFETIME);
const I_SENT = metricId(MESSAGES_SENT);
const I_FAILED = metricId(MESSAGES_SENT_FAILED);
const I_PROCESSED = metricId(MESSAGES_PROCESSED);
const I_PROCESSING = metricId(MESSAGE_PROCESSING);
const I_WAIT = metricId(MESSAGE_QUEUE_WAIT);
const I_LINKS = metricId(LINKS_CREATED);
const I_MONITORS = metricId(MONITORS_CREATED);
const I_RESTARTS = metricId(SUPERVISOR_RESTARTS);
const I_EXCEEDED = metricId(SUPERVISOR_INTENSITY_EXCEEDED);
const I_RESTART_DURATION = metricId(SUPERVISOR_RESTART_DURATION);
const I_CALL_DURATION = metricId(GEN_SERVER_CALL_DURATION);
const I_CASTS = metricId(GEN_SERVER_CASTS);
const I_TIMEOUTS = metricId(GEN_SERVER_CALL_TIMEOUTS);
const I_IN_FLIGHT = metricId(GEN_SERVER_CALLS_IN_FLIGHT);
const I_TRANSITIONS = metricId(GEN_STATEM_TRANSITIONS);
const I_INVALID = metricId(GEN_STATEM_INVALID_TRANSITIONS);
const I_STATE_DURATION = metricId(GEN_STATEM_STATE_DURATION);
const I_CURRENT_STATE = metricId(GEN_STATEM_CURRENT_STATE);
const I_SIG_SENT = metricId(SIGNALS_SENT);
const I_SIG_RECEIVED = metricId(SIGNALS_RECEIVED);
const I_SIG_IGNORED = metricId(SIGNALS_IGNORED);
const I_EXIT_REASON = metricId(EXIT_SIGNALS_BY_REASON);
const I_SERIALIZATION = metricId(SERIALIZATION_ERRORS);

/** Whether `hold` may be a plain store (see there): x64 only. */
const PLAIN_HOLD = process.arch === 'x64';
const ORIGIN = performance.timeOrigin;

/** A signal kind's index in the signal series' caches. */
function kindIndex(k: SignalKind): number {
  return k === 'exit' ? 0 : k === 'down' ? 1 : k === 'stop' ? 2 : 3;
}

/** A reason's index in REASONS (anything else counts as 'custom'). */
function reasonIndex(r: ReasonLabel): number {
  return r === 'normal' ? 0 : r === 'shutdown' ? 1 : r === 'killed' ? 2 : r === 'panic' ? 3 : 4;
}

/**
 * The writer a thread's runtime calls. Every method is a handful of
 * typed-array adds; nothing here allocates on the message path, hashes
 * labels, or calls prom-client. With telemetry off, threads use NOOP_METRICS.
 */
export class ShardMetrics implements MetricsWriter {
  /** The region: this thread's slots; the main thread reads them at scrape time. */
  private readonly slots: Float64Array;
  /** The region's HELD word (see region.ts). */
  private readonly held: Int32Array;
  private next = 0;
  private readonly limit: number;
  private readonly keys = new Map<string, number>();
  private readonly types = new Map<string, TypeMetrics>();
  private readonly announce: Announce;
  /**
   * Which sends, handled messages, queue waits and signals the rates keep
   * (see sampling.ts). Sends and handled messages follow one rate, each in
   * a sequence of its own: counted in bulk, a series that shared one would
   * take a share that depends on how its counts interleave with the other's.
   */
  private readonly msgs: Sequence;
  private readonly handled: Sequence;
  private readonly waits: Sequence;
  private readonly sigs: Sequence;
  // Unlabeled series, allocated up front.
  private readonly sSent: number;
  private readonly sProcessed: number;
  private readonly sProcessing: number;
  private readonly sWait: number;
  private readonly sLinks: number;
  private readonly sMonitors: number;
  private readonly sExceeded: number;
  private readonly sRestartDuration: number;
  private readonly sSerialization: number;
  private readonly processingBuckets: readonly number[];
  /** One-label series by label index (kindIndex, reasonIndex), allocated on first use (-1: not yet; see labelled). */
  private readonly sigSent = [-1, -1, -1, -1];
  private readonly sigReceived = [-1, -1, -1, -1];
  private readonly sigIgnored = [-1, -1, -1, -1];
  private readonly exitReasons = [-1, -1, -1, -1, -1];

  constructor(region: SharedArrayBuffer, config: TelemetryConfig, announce: Announce) {
    this.slots = new Float64Array(region, 0, regionSlots(region));
    this.held = heldWord(region);
    this.limit = regionSlots(region) - OVERFLOW_SLOTS;
    this.announce = announce;
    this.msgs = new Sequence(config.messageSamplingRate);
    this.handled = new Sequence(config.messageSamplingRate);
    this.waits = new Sequence(config.queueWaitSamplingRate);
    this.sigs = new Sequence(config.signalSamplingRate);
    this.sSent = this.series(I_SENT, []);
    this.sProcessed = this.series(I_PROCESSED, []);
    this.sProcessing = this.series(I_PROCESSING, []);
    this.sWait = this.series(I_WAIT, []);
    this.sLinks = this.series(I_LINKS, []);
    this.sMonitors = this.series(I_MONITORS, []);
    this.sExceeded = this.series(I_EXCEEDED, []);
    this.sRestartDuration = this.series(I_RESTART_DURATION, []);
    this.sSerialization = this.series(I_SERIALIZATION, []);
    this.processingBuckets = CATALOGUE[I_PROCESSING]!.buckets!;
  }

  /** The slot of a series, allocating and announcing it the first time. Not for the message path. */
  series(metric: number, labels: string[]): number {
    const key = labels.length === 0 ? String(metric) : `${metric}\u0001${labels.join('\u0001')}`;
    const hit = this.keys.get(key);
    if (hit !== undefined) return hit;
    const size = slotsOf(CATALOGUE[metric]!);
    let slot: number;
    if (this.next + size > this.limit) {
      slot = this.limit; // the overflow scratch area: written, never announced, never exposed
    } else {
      slot = this.next;
      this.next += size;
      this.announce(slot, metric, labels);
    }
    this.keys.set(key, slot);
    return slot;
  }

  /** The per-behaviour slots for `name` (cached: one Map lookup per spawn). */
  type(name: string): TypeMetrics {
    let t = this.types.get(name);
    if (t === undefined) {
      t = new TypeMetrics((metric, labels) => this.series(metric, labels), name);
      this.types.set(name, t);
    }
    return t;
  }

  /** Absolute time in ms (comparable across threads of this process). */
  now(): number {
    return ORIGIN + performance.now();
  }

  /**
   * Readers wait (HELD) until {@link release}: what this thread publishes next is ahead of the telemetry it implies.
   * On x64 a plain store: it comes right before a flush's frames and the store that publishes them (RingWriter.publish,
   * a plain store and a fence there too), and x64 makes stores visible in the order they were made, so a reader that
   * sees a frame sees the hold. An atomic store here was a locked exchange and a call into a builtin on every hop of
   * a cross-shard round trip, before its publish. Other machines keep the atomic store.
   */
  hold(): void {
    if (PLAIN_HOLD) this.held[0] = 1;
    else Atomics.store(this.held, 0, 1);
  }

  /** The telemetry held back is written: readers may go on. */
  release(): void {
    Atomics.store(this.held, 0, 0);
  }

  // ------------------------------------------------------------ sampling

  /*
   * The runtime counts and times messages as at 100% whatever the rates, in
   * bulk (a turn's sends, a timing block, a run of equal waits), and the
   * rates thin what is written here: the sampled share of each bulk count,
   * by sequence. Deciding per message instead cost more than 100% did (each
   * sampled message timed on its own, unsampled sends unstamped: cross-shard
   * 0.83-0.91x of telemetry off at 10%, 0.91-0.99x at 100%).
   */

  /** Is this send counted (one decision at a time, for a send outside the bulk counts)? */
  sampleMessage(): boolean {
    return this.msgs.next();
  }

  private sampleSignal(): boolean {
    return this.sigs.next();
  }

  // ------------------------------------------------------------ messages

  /** A message was accepted for delivery (call only when sampled). */
  sent(): void {
    this.slots[this.sSent]!++;
  }

  /** `n` messages were accepted for delivery (counted by the runtime since its last write): the sampled ones are counted. */
  sentMany(n: number): void {
    this.slots[this.sSent]! += this.msgs.take(n);
  }

  /**
   * A send's stamp for queue-wait timing (`clock` if the caller has a fresh
   * one, else a clock read), or NaN when no wait is recorded (a rate of 0).
   * Every send is stamped otherwise: queueWait thins the waits. Counts
   * nothing: the runtime counts its sends and writes them with sentMany, so
   * that a send that fails on the spot is taken back before anything is
   * written.
   */
  sendStamp(clock: number): number {
    if (this.waits.rate > 0) return clock === clock ? clock : this.now();
    return NaN;
  }

  /** A message could not be delivered. Never sampled. */
  sendFailed(reason: string, t: TypeMetrics | null, n = 1): void {
    this.slots[this.series(I_FAILED, [reason])]! += n;
    if (reason === 'mailbox_full' && t !== null) this.slots[t.full]!++;
    if (reason === 'unencodable') this.slots[this.sSerialization]!++;
  }

  /** `n` messages handled back to back in `ms` ms in all: the sampled ones are recorded at the mean (at 100% sum and count are exact). */
  processedBlock(ms: number, n: number): void {
    const k = this.handled.take(n);
    if (k === 0) return;
    this.slots[this.sProcessed]! += k;
    this.observe(this.sProcessing, ms / 1000 / n, this.processingBuckets, k);
  }

  /** True when messages are sampled at all: the runtime times them in blocks (processedBlock thins them). */
  get timesInBlocks(): boolean {
    return this.msgs.rate > 0;
  }

  /** `n` stamped messages each waited `ms` milliseconds between send and handling: the sampled ones are recorded. */
  queueWait(ms: number, n = 1): void {
    const k = this.waits.take(n);
    if (k !== 0) this.observe(this.sWait, ms > 0 ? ms / 1000 : 0, this.processingBuckets, k);
  }

  /** The mailboxes of type `t` on this thread hold `delta` more messages (fewer when negative). */
  mailboxDelta(t: TypeMetrics, bounded: boolean, delta: number): void {
    this.slots[t.depth]! += delta;
    if (bounded) this.slots[t.boundedDepth]! += delta;
  }

  // ------------------------------------------------------------ lifecycle

  spawned(t: TypeMetrics, capacity: number, n: number): void {
    this.slots[t.spawned]! += n;
    this.slots[t.active]! += n;
    if (capacity > 0) this.slots[t.capacity]! += capacity * n;
  }

  stopped(t: TypeMetrics, reason: ReasonLabel, capacity: number, lifetimes: Float64Array, i: number, n: number): void {
    this.slots[t.stopped[reasonIndex(reason)]!]! += n;
    this.slots[t.active]! -= n;
    if (reason === 'panic') this.slots[t.panicked]! += n;
    if (capacity > 0) this.slots[t.capacity]! -= capacity * n;
    const s = lifetimes[i]! / 1000;
    this.observe(t.lifetime, s, CATALOGUE[I_LIFETIME]!.buckets!, n);
    if (s < 1) this.slots[t.shortLived]! += n;
  }

  linkCreated(): void {
    this.slots[this.sLinks]!++;
  }

  monitorCreated(): void {
    this.slots[this.sMonitors]!++;
  }

  // ------------------------------------------------------------ signals

  signalSent(kind: SignalKind, reason: ReasonLabel | null): void {
    if (!this.sampleSignal()) return;
    this.slots[this.labelled(this.sigSent, kindIndex(kind), I_SIG_SENT, kind)]!++;
    if (reason !== null) this.slots[this.labelled(this.exitReasons, reasonIndex(reason), I_EXIT_REASON, REASONS[reasonIndex(reason)]!)]!++;
  }

  signalReceived(kind: SignalKind, ignored: boolean): void {
    if (!this.sampleSignal()) return;
    this.slots[this.labelled(this.sigReceived, kindIndex(kind), I_SIG_RECEIVED, kind)]!++;
    if (ignored) this.slots[this.labelled(this.sigIgnored, kindIndex(kind), I_SIG_IGNORED, kind)]!++;
  }

  /**
   * The slot of `metric` with its one label `value` (label index `i`), kept
   * by index: no key string, label array or Map lookup per call (a stop
   * counts two signals, an exit with links one per link).
   */
  private labelled(cache: number[], i: number, metric: number, value: string): number {
    const slot = cache[i]!;
    return slot >= 0 ? slot : (cache[i] = this.series(metric, [value]));
  }

  // ------------------------------------------------------------ supervisors

  supervisorRestart(strategy: string, ms: number): void {
    this.slots[this.series(I_RESTARTS, [strategy])]!++;
    this.observe(this.sRestartDuration, ms / 1000, this.processingBuckets);
  }

  intensityExceeded(): void {
    this.slots[this.sExceeded]!++;
  }

  // ------------------------------------------------------------ gen_server

  cast(t: TypeMetrics): void {
    if (t.casts < 0) t.casts = this.series(I_CASTS, [t.name]);
    this.slots[t.casts]!++;
  }

  callTaken(t: TypeMetrics): void {
    if (t.inFlight < 0) t.inFlight = this.series(I_IN_FLIGHT, [t.name]);
    this.slots[t.inFlight]!++;
  }

  /** A call this server took was answered (`ms` after the caller sent it), or dropped because the server exited (`ms` NaN). */
  callDone(t: TypeMetrics, ms: number, late: boolean): void {
    if (t.inFlight < 0) t.inFlight = this.series(I_IN_FLIGHT, [t.name]);
    this.slots[t.inFlight]!--;
    if (late) {
      if (t.callTimeouts < 0) t.callTimeouts = this.series(I_TIMEOUTS, [t.name]);
      this.slots[t.callTimeouts]!++;
    }
    if (Number.isNaN(ms)) return;
    if (t.callDuration < 0) t.callDuration = this.series(I_CALL_DURATION, [t.name]);
    this.observe(t.callDuration, ms / 1000, this.processingBuckets);
  }

  callTimedOut(t: TypeMetrics): void {
    if (t.callTimeouts < 0) t.callTimeouts = this.series(I_TIMEOUTS, [t.name]);
    this.slots[t.callTimeouts]!++;
  }

  // ------------------------------------------------------------ gen_statem

  statemEnter(t: TypeMetrics, state: string, delta: 1 | -1): void {
    this.slots[this.statemSlot(t, I_CURRENT_STATE, state)]! += delta;
  }

  statemTransition(t: TypeMetrics, from: string, to: string, msInFrom: number): void {
    this.slots[this.statemSlot(t, I_TRANSITIONS, from, to)]!++;
    this.observe(this.statemSlot(t, I_STATE_DURATION, from), msInFrom / 1000, CATALOGUE[I_STATE_DURATION]!.buckets!);
    this.slots[this.statemSlot(t, I_CURRENT_STATE, from)]!--;
    this.slots[this.statemSlot(t, I_CURRENT_STATE, to)]!++;
  }

  statemInvalid(t: TypeMetrics, state: string, event: string): void {
    this.slots[this.statemSlot(t, I_INVALID, state, event)]!++;
  }

  private statemSlot(t: TypeMetrics, metric: number, a: string, b?: string): number {
    const key = b === undefined ? `${metric}\u0001${a}` : `${metric}\u0001${a}\u0001${b}`;
    let slot = t.statem.get(key);
    if (slot === undefined) {
      slot = this.series(metric, b === undefined ? [t.name, a] : [t.name, a, b]);
      t.statem.set(key, slot);
    }
    return slot;
  }

  /** The distribution metrics, in this region. */
  nodeMetrics(): NodeMetricsWriter {
    return new RegionNodeMetrics(this.slots, (metric, labels) => this.series(metric, labels));
  }

  // ------------------------------------------------------------ histograms

  /** Region layout of a histogram: one slot per bucket (not cumulative), +Inf, sum, count. */
  private observe(base: number, v: number, buckets: readonly number[], times = 1): void {
    const r = this.slots;
    const n = buckets.length;
    // Binary search for the first bucket >= v (n means +Inf).
    let lo = 0;
    let hi = n;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (v > buckets[mid]!) lo = mid + 1;
      else hi = mid;
    }
    const i = lo;
    r[base + i]! += times;
    r[base + n + 1]! += v * times;
    r[base + n + 2]! += times;
  }
}
