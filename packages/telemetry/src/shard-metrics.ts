// One thread's metric shard: plain typed-array writes into its own SharedArrayBuffer region; a new label set is announced once.

import {
  ACTORS_ACTIVE,
  ACTORS_PANICKED,
  ACTORS_SPAWNED,
  ACTORS_STOPPED,
  ACTOR_LIFETIME,
  BOUNDED_CAPACITY,
  BOUNDED_DEPTH,
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
  MAILBOX_DEPTH,
  MAILBOX_FULL,
  MESSAGES_PROCESSED,
  MESSAGES_SENT,
  MESSAGES_SENT_FAILED,
  MESSAGE_PROCESSING,
  MESSAGE_QUEUE_WAIT,
  MONITORS_CREATED,
  SERIALIZATION_ERRORS,
  SHORT_LIVED_ACTORS,
  SIGNALS_IGNORED,
  SIGNALS_RECEIVED,
  SIGNALS_SENT,
  SUPERVISOR_INTENSITY_EXCEEDED,
  SUPERVISOR_RESTARTS,
  SUPERVISOR_RESTART_DURATION,
  metricId,
  slotsOf,
} from './catalogue.js';
import { OVERFLOW_SLOTS, regionSlots } from './region.js';
import type { TelemetryConfig } from './config.js';

/** Tells the main thread: region slot `slot` holds metric `metric` with these label values. */
export type Announce = (slot: number, metric: number, labels: string[]) => void;

/** Exit reason classes, in label order. */
export const REASONS = ['normal', 'shutdown', 'killed', 'panic', 'custom'] as const;
export type ReasonLabel = (typeof REASONS)[number];
/** Signal kinds, as the `type` label of the signal metrics. */
export type SignalKind = 'exit' | 'down' | 'stop' | 'kill';

const I_SPAWNED = metricId(ACTORS_SPAWNED);
const I_STOPPED = metricId(ACTORS_STOPPED);
const I_ACTIVE = metricId(ACTORS_ACTIVE);
const I_PANICKED = metricId(ACTORS_PANICKED);
const I_LIFETIME = metricId(ACTOR_LIFETIME);
const I_SHORT = metricId(SHORT_LIVED_ACTORS);
const I_SENT = metricId(MESSAGES_SENT);
const I_FAILED = metricId(MESSAGES_SENT_FAILED);
const I_PROCESSED = metricId(MESSAGES_PROCESSED);
const I_PROCESSING = metricId(MESSAGE_PROCESSING);
const I_WAIT = metricId(MESSAGE_QUEUE_WAIT);
const I_DEPTH = metricId(MAILBOX_DEPTH);
const I_FULL = metricId(MAILBOX_FULL);
const I_BDEPTH = metricId(BOUNDED_DEPTH);
const I_BCAP = metricId(BOUNDED_CAPACITY);
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

const ORIGIN = performance.timeOrigin;

/** Slots of one behaviour type on one thread, allocated when its first actor starts here. */
export class TypeMetrics {
  readonly name: string;
  readonly spawned: number;
  readonly active: number;
  readonly panicked: number;
  readonly lifetime: number;
  readonly shortLived: number;
  readonly depth: number;
  readonly full: number;
  readonly boundedDepth: number;
  readonly capacity: number;
  readonly stopped: number[];
  /** GenServer series, allocated on the first call or cast. */
  casts = -1;
  callDuration = -1;
  callTimeouts = -1;
  inFlight = -1;
  /** GenStatem series by state / state pair, allocated on first use. */
  readonly statem = new Map<string, number>();

  constructor(m: ShardMetrics, name: string) {
    this.name = name;
    const l = [name];
    this.spawned = m.series(I_SPAWNED, l);
    this.active = m.series(I_ACTIVE, l);
    this.panicked = m.series(I_PANICKED, l);
    this.lifetime = m.series(I_LIFETIME, l);
    this.shortLived = m.series(I_SHORT, l);
    this.depth = m.series(I_DEPTH, l);
    this.full = m.series(I_FULL, l);
    this.boundedDepth = m.series(I_BDEPTH, l);
    this.capacity = m.series(I_BCAP, l);
    this.stopped = REASONS.map((r) => m.series(I_STOPPED, [name, r]));
  }
}

/**
 * The writer a thread's runtime calls. Every method is a handful of
 * typed-array adds; nothing here allocates on the message path, hashes
 * labels, or calls prom-client. `enabled` is false only on {@link NoopMetrics}.
 */
export class ShardMetrics {
  readonly enabled: boolean = true;
  /** The region: this thread's slots; the main thread reads them at scrape time. */
  readonly r: Float64Array;
  private next = 0;
  private readonly limit: number;
  private readonly keys = new Map<string, number>();
  private readonly types = new Map<string, TypeMetrics>();
  private readonly announce: Announce;
  private readonly msgRate: number;
  private readonly waitRate: number;
  private readonly sigRate: number;
  private msgSeq = 0;
  private waitSeq = 0;
  private sigSeq = 0;
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

  constructor(region: SharedArrayBuffer, config: TelemetryConfig, announce: Announce) {
    this.r = new Float64Array(region);
    this.limit = regionSlots(region) - OVERFLOW_SLOTS;
    this.announce = announce;
    this.msgRate = config.messageSamplingRate;
    this.waitRate = config.queueWaitSamplingRate;
    this.sigRate = config.signalSamplingRate;
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
      t = new TypeMetrics(this, name);
      this.types.set(name, t);
    }
    return t;
  }

  /** Absolute time in ms (comparable across threads of this process). */
  now(): number {
    return ORIGIN + performance.now();
  }

  // ------------------------------------------------------------ sampling

  /** Is this message sampled (counters and processing time)? */
  sampleMessage(): boolean {
    return this.msgRate >= 100 || (this.msgRate > 0 && ++this.msgSeq % 100 < this.msgRate);
  }

  /** Should this send be stamped for queue-wait timing? */
  sampleQueueWait(): boolean {
    return this.waitRate >= 100 || (this.waitRate > 0 && ++this.waitSeq % 100 < this.waitRate);
  }

  private sampleSignal(): boolean {
    return this.sigRate >= 100 || (this.sigRate > 0 && ++this.sigSeq % 100 < this.sigRate);
  }

  // ------------------------------------------------------------ messages

  /** A message was accepted for delivery (call only when sampled). */
  sent(): void {
    this.r[this.sSent]!++;
  }

  /**
   * One call per send: counts it (when sampled) and returns its send stamp
   * for queue-wait timing (`clock` if the caller has a fresh one, else a clock
   * read), or NaN when this send is not stamped.
   */
  onSend(clock: number): number {
    if (this.msgRate >= 100 || (this.msgRate > 0 && ++this.msgSeq % 100 < this.msgRate)) this.r[this.sSent]!++;
    if (this.waitRate >= 100 || (this.waitRate > 0 && ++this.waitSeq % 100 < this.waitRate)) return clock === clock ? clock : this.now();
    return NaN;
  }

  /** A message could not be delivered. Never sampled. */
  sendFailed(reason: string, t: TypeMetrics | null): void {
    this.r[this.series(I_FAILED, [reason])]!++;
    if (reason === 'mailbox_full' && t !== null) this.r[t.full]!++;
    if (reason === 'unencodable') this.r[this.sSerialization]!++;
  }

  /** A sampled message was handled in `ms` milliseconds. */
  processed(ms: number): void {
    this.r[this.sProcessed]!++;
    this.observe(this.sProcessing, ms / 1000, this.processingBuckets);
  }

  /** `n` messages handled back to back in `ms` ms in all: each is recorded at the mean; sum and count stay exact. */
  processedBlock(ms: number, n: number): void {
    this.r[this.sProcessed]! += n;
    this.observe(this.sProcessing, ms / 1000 / n, this.processingBuckets, n);
  }

  /** True when every message is sampled (the runtime may then time them in blocks). */
  get samplesAll(): boolean {
    return this.msgRate >= 100;
  }

  /** `n` stamped messages each waited `ms` milliseconds between send and handling. */
  queueWait(ms: number, n = 1): void {
    this.observe(this.sWait, ms > 0 ? ms / 1000 : 0, this.processingBuckets, n);
  }

  mailboxIn(t: TypeMetrics, bounded: boolean): void {
    this.r[t.depth]!++;
    if (bounded) this.r[t.boundedDepth]!++;
  }

  mailboxOut(t: TypeMetrics, bounded: boolean, n = 1): void {
    this.r[t.depth]! -= n;
    if (bounded) this.r[t.boundedDepth]! -= n;
  }

  // ------------------------------------------------------------ lifecycle

  spawned(t: TypeMetrics, capacity: number): void {
    this.r[t.spawned]!++;
    this.r[t.active]!++;
    if (capacity !== Infinity) this.r[t.capacity]! += capacity;
  }

  stopped(t: TypeMetrics, reason: ReasonLabel, lifetimeMs: number, capacity: number): void {
    const ri = REASONS.indexOf(reason);
    this.r[t.stopped[ri < 0 ? 4 : ri]!]!++;
    this.r[t.active]!--;
    if (reason === 'panic') this.r[t.panicked]!++;
    if (capacity !== Infinity) this.r[t.capacity]! -= capacity;
    const s = lifetimeMs / 1000;
    this.observe(t.lifetime, s, CATALOGUE[I_LIFETIME]!.buckets!);
    if (s < 1) this.r[t.shortLived]!++;
  }

  linkCreated(): void {
    this.r[this.sLinks]!++;
  }

  monitorCreated(): void {
    this.r[this.sMonitors]!++;
  }

  // ------------------------------------------------------------ signals

  signalSent(kind: SignalKind, reason: ReasonLabel | null): void {
    if (!this.sampleSignal()) return;
    this.r[this.series(I_SIG_SENT, [kind])]!++;
    if (reason !== null) this.r[this.series(I_EXIT_REASON, [reason])]!++;
  }

  signalReceived(kind: SignalKind, ignored: boolean): void {
    if (!this.sampleSignal()) return;
    this.r[this.series(I_SIG_RECEIVED, [kind])]!++;
    if (ignored) this.r[this.series(I_SIG_IGNORED, [kind])]!++;
  }

  // ------------------------------------------------------------ supervisors

  supervisorRestart(strategy: string, ms: number): void {
    this.r[this.series(I_RESTARTS, [strategy])]!++;
    this.observe(this.sRestartDuration, ms / 1000, this.processingBuckets);
  }

  intensityExceeded(): void {
    this.r[this.sExceeded]!++;
  }

  // ------------------------------------------------------------ gen_server

  cast(t: TypeMetrics): void {
    if (t.casts < 0) t.casts = this.series(I_CASTS, [t.name]);
    this.r[t.casts]!++;
  }

  callTaken(t: TypeMetrics): void {
    if (t.inFlight < 0) t.inFlight = this.series(I_IN_FLIGHT, [t.name]);
    this.r[t.inFlight]!++;
  }

  /** A call this server took was answered (`ms` after the caller sent it), or dropped because the server exited (`ms` NaN). */
  callDone(t: TypeMetrics, ms: number, late: boolean): void {
    if (t.inFlight < 0) t.inFlight = this.series(I_IN_FLIGHT, [t.name]);
    this.r[t.inFlight]!--;
    if (Number.isNaN(ms)) return;
    if (t.callDuration < 0) t.callDuration = this.series(I_CALL_DURATION, [t.name]);
    this.observe(t.callDuration, ms / 1000, this.processingBuckets);
    if (late) {
      if (t.callTimeouts < 0) t.callTimeouts = this.series(I_TIMEOUTS, [t.name]);
      this.r[t.callTimeouts]!++;
    }
  }

  // ------------------------------------------------------------ gen_statem

  statemEnter(t: TypeMetrics, state: string, delta: 1 | -1): void {
    this.r[this.statemSlot(t, I_CURRENT_STATE, state)]! += delta;
  }

  statemTransition(t: TypeMetrics, from: string, to: string, msInFrom: number): void {
    this.r[this.statemSlot(t, I_TRANSITIONS, from, to)]!++;
    this.observe(this.statemSlot(t, I_STATE_DURATION, from), msInFrom / 1000, CATALOGUE[I_STATE_DURATION]!.buckets!);
    this.r[this.statemSlot(t, I_CURRENT_STATE, from)]!--;
    this.r[this.statemSlot(t, I_CURRENT_STATE, to)]!++;
  }

  statemInvalid(t: TypeMetrics, state: string, event: string): void {
    this.r[this.statemSlot(t, I_INVALID, state, event)]!++;
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

  // ------------------------------------------------------------ histograms

  /** Region layout of a histogram: one slot per bucket (not cumulative), +Inf, sum, count. */
  private observe(base: number, v: number, buckets: readonly number[], times = 1): void {
    const r = this.r;
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

/** Telemetry off: the same surface, doing nothing (the runtime never checks "is telemetry on" per call). */
export class NoopMetrics extends ShardMetrics {
  override readonly enabled = false;

  constructor() {
    super(new SharedArrayBuffer(8 * (OVERFLOW_SLOTS + 64)), { enabled: false, messageSamplingRate: 0, queueWaitSamplingRate: 0, signalSamplingRate: 0 }, () => {});
  }

  private readonly dummy = new TypeMetrics(this, '');

  override type(): TypeMetrics {
    return this.dummy;
  }
  override sampleMessage(): boolean {
    return false;
  }
  override sampleQueueWait(): boolean {
    return false;
  }
  override sent(): void {}
  override onSend(): number {
    return NaN;
  }
  override sendFailed(): void {}
  override processed(): void {}
  override processedBlock(): void {}
  override queueWait(): void {}
  override mailboxIn(): void {}
  override mailboxOut(): void {}
  override spawned(): void {}
  override stopped(): void {}
  override linkCreated(): void {}
  override monitorCreated(): void {}
  override signalSent(): void {}
  override signalReceived(): void {}
  override supervisorRestart(): void {}
  override intensityExceeded(): void {}
  override cast(): void {}
  override callTaken(): void {}
  override callDone(): void {}
  override statemEnter(): void {}
  override statemTransition(): void {}
  override statemInvalid(): void {}
}
