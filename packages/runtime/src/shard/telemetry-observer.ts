// The real observer: metrics into this thread's region, provider hooks and built-in spans, each only where it is on.

import { performance } from 'node:perf_hooks';
import type { LazyHandleSpan, WordSpanContext } from '@joerl/telemetry/internal';
import type { Span } from '@opentelemetry/api';
import {
  type MetricsWriter,
  NOOP_METRICS,
  type ReasonLabel,
  ShardMetrics,
  type SignalKind,
  type TelemetryProvider,
  formatTraceparent,
  parseTraceparent,
} from '@joerl/telemetry/internal';
import { type ExitReason, formatReason, reasonKind } from '../actor/exit-reason.js';
import { STAMP_IN } from '../actor/mailbox.js';
import { msOf, tickOf } from '../actor/ticks.js';
import type { From } from '../actor/messages.js';
import type { Pid } from '../actor/pid.js';
import type { BehaviourProbe } from '../actor/probe.js';
import { type Proc, S_INBOX } from '../actor/proc.js';
import type { CallEnvelope, ShardObserver, SpawnTrace } from './observer.js';
import { OP_SERIES, type ShardInit } from './protocol.js';
import type { LocalSinks, ShardState } from './shard-state.js';
import { ProcProbe } from './proc-probe.js';
import { ProcessAccounting } from './process-accounting.js';
import { SpanShipping } from './span-shipping.js';
import { TelemetryLedger } from './telemetry-ledger.js';
import { ThreadTracing } from './tracing.js';
import { TurnTiming } from './turn-timing.js';

/** The epoch of performance.now(): the metrics clock is ORIGIN + performance.now() (abs ms). */
const ORIGIN = performance.timeOrigin;

/** True when a thread started with `init` needs the real observer (metrics, a provider or tracing). */
export function observes(init: ShardInit): boolean {
  return (init.metrics !== null && init.telemetry.enabled) || init.provider !== null || init.tracing !== null;
}

export class TelemetryObserver implements ShardObserver {
  readonly observesTurns = true;
  readonly beforeFlush: (final: boolean) => void;
  readonly afterFlush: (() => void) | null;
  /** This thread's metric writer (the no-op writer when only a provider or tracing is on). */
  readonly metrics: MetricsWriter;
  readonly metricsOn: boolean;
  /** Provider hooks, installed once its module has loaded. */
  get provider(): TelemetryProvider | null {
    return this.#provider;
  }

  set provider(p: TelemetryProvider | null) {
    this.#provider = p;
    this.lean = this.countsAll && (p === null || p.onMessageSent === undefined);
    this.leanTurns = this.metrics.timesInBlocks && (p === null || p.onMessageReceived === undefined);
    this.loneTurns = this.leanTurns && this.countsAll;
  }

  #provider: TelemetryProvider | null = null;
  /** Sends take the short path: counted in bulk and stamped with the turn's clock, and no provider hook per send. */
  private lean = false;
  /** Turns of plain actors take the short path (turn-observed.ts): messages timed in blocks, no provider hook per message. */
  leanTurns = false;
  /** And every send counted at the turn's end (turnEnded's short form): one-message turns of plain actors take turn-lone.ts's way. */
  loneTurns = false;
  /** Built-in spans (null: tracing off, and envelopes carry nothing). */
  readonly tracing: ThreadTracing | null;
  readonly timing: TurnTiming;
  /** The stamp `sent` just wrote (see ShardObserver.sent): a traced send's time (ThreadTracing.sendTime). */
  get stamp(): number {
    return msOf(STAMP_IN.at);
  }

  /** A send's stamp below 100% (the writer's sampling decides: NO_STAMP for one not sampled). */
  private sampledStamp(): number {
    const t = this.timing;
    const ms = this.metrics.sendStamp(t.inTurn ? t.clock : NaN);
    return t.inTurn && ms === t.clock ? t.tick : tickOf(ms);
  }

  /** Counts and depth changes waiting for the next flush (see telemetry-ledger.ts). */
  readonly ledger: TelemetryLedger;
  /** Spawn, lifetime, served calls and exit of each typed process (process-accounting.ts). */
  readonly procs: ProcessAccounting;
  /**
   * Every message counted and stamped as at 100% (both sampling rates above
   * 0; the writer keeps the sampled share of each bulk count, see
   * sampling.ts): sends inside a turn are counted in the ledger.
   */
  private readonly countsAll: boolean;
  /** Wakes this thread's loop (see countLater). */
  private readonly kick: () => void;
  /** Tracing on a shard: how its spans reach the main thread (null on the main thread, which hands them over directly). */
  private readonly shipping: SpanShipping | null;

  constructor(s: ShardState, init: ShardInit, local: LocalSinks) {
    this.shipping = init.tracing !== null && init.thread !== 0 ? new SpanShipping(s, init.traceSlot) : null;
    this.metricsOn = init.metrics !== null && init.telemetry.enabled;
    this.metrics = this.metricsOn
      ? new ShardMetrics(init.metrics!, init.telemetry, local.announce ?? ((slot, metric, labels) => s.transport.emit3(0, OP_SERIES, slot, metric, labels)))
      : NOOP_METRICS;
    this.timing = new TurnTiming(this.metrics, s.sliceClock);
    this.ledger = new TelemetryLedger(this.metrics);
    this.procs = new ProcessAccounting(this.metrics, this.timing, this.ledger);
    this.countsAll = this.metricsOn && init.telemetry.messageSamplingRate > 0 && init.telemetry.queueWaitSamplingRate > 0;
    this.kick = () => s.scheduler.kick();
    this.lean = this.countsAll;
    this.tracing =
      init.tracing === null
        ? null
        : new ThreadTracing(
            init.tracing,
            local.spans ?? this.shipping!,
            init.thread !== 0,
            this.timing,
            this,
          );
    this.leanTurns = this.metrics.timesInBlocks;
    this.loneTurns = this.leanTurns && this.countsAll;
    // A peer that got our reply and then reads the metrics sees the messages
    // handled so far (the open timing block ends with them). At the end of every
    // slice the telemetry is written, so an idle thread has written everything.
    // A flush in the middle of a slice that publishes nothing changes nothing.
    // One that publishes (a peer waits: a round trip's every
    // hop; a cross-shard call's, from the flush after its caller's continuation)
    // publishes first and writes after, while the peer works: the region is
    // held meanwhile, and readers wait for it (see region.ts). Writing first cost
    // a clock read, the histogram writes and the ledger's on every hop: 4% of a
    // cross-shard ping-pong's round trip. Not on the main thread (a hold there
    // would be on the thread that reads), nor with tracing (span starts go ahead
    // of the frames of their spans).
    const defers = init.thread !== 0 && this.metricsOn && this.shipping === null;
    this.beforeFlush = (final) => {
      this.timing.resetOutside();
      const publishing = s.transport.hasUnflushed();
      if (!final && !publishing) return;
      if (defers && publishing) {
        this.metrics.hold();
        this.holding = true;
        return;
      }
      this.record();
    };
    this.afterFlush = defers
      ? () => {
          if (!this.holding) return;
          this.holding = false;
          this.record();
          this.metrics.release();
        }
      : null;
  }

  /** True between a flush's hold and its release (see the constructor). */
  private holding = false;

  /** Writes what the thread counted and timed since the last flush (the open timing block ends here). */
  private record(): void {
    if (this.timing.blockLive) this.timing.closeBlock();
    this.timing.flushWaits();
    this.ledger.flush();
    this.procs.flush();
    this.shipping?.beforeFlush();
  }

  sent(from: Pid | undefined, to: Pid): void {
    const t = this.timing;
    // Counted in bulk (countsAll), in a turn, with no provider hook: counted when the turn ends (see turnEnded), stamped with the turn's clock.
    // (`=== true`: one compare each; a plain truth test of a field compiles to a generic ToBoolean.)
    if (this.lean === true && t.inTurn === true) STAMP_IN.at = t.tick;
    else this.sentOtherwise(from, to);
  }

  /** `sent` outside a turn, with a provider hook, or with a sampling rate of 0. */
  private sentOtherwise(from: Pid | undefined, to: Pid): void {
    const prov = this.provider;
    if (prov !== null && prov.onMessageSent) prov.onMessageSent(from?.toString(), to.toString());
    const t = this.timing;
    if (!this.countsAll) {
      this.countLater();
      STAMP_IN.at = this.sampledStamp();
    } else if (t.inTurn) STAMP_IN.at = t.tick;
    else {
      this.countLater();
      t.tickOutside();
      STAMP_IN.at = t.outTick;
    }
  }

  /**
   * One send in the ledger, written at the next flush (the writer keeps the
   * sampled share), so that a send that fails on the spot is taken back
   * first (unsent): a counter written at once and taken back later could be
   * scraped going down. The first since a flush wakes a parked loop, whose
   * slice ends with a flush: a send that publishes nothing (to an inbox of
   * this thread) would otherwise wait for unrelated work to be written.
   */
  private countLater(): void {
    if (this.ledger.sent++ === 0) this.kick();
  }

  /**
   * The send `sent` just counted failed on the spot (Delivery.refused, which
   * takes a turn's back from its turnSends when both sampling rates are above
   * 0): it was counted in the ledger otherwise, not written yet.
   */
  unsent(): void {
    if (!this.countsAll || !this.timing.inTurn) this.ledger.sent--;
  }

  traceSend(from: Pid | undefined, to: Pid): WordSpanContext | undefined {
    const tracing = this.tracing;
    if (tracing === null || (from !== undefined && to.key === from.key && to.node === from.node)) return undefined;
    // A send span that ends here goes to the span processors at once on the main thread (user code, which may
    // send): STAMP_IN.at holds this send's stamp until its push.
    const at = STAMP_IN.at;
    const tc = tracing.onSend(from, to);
    // Stamped: no earlier than the send span (one under a user's span starts now, after the turn's clock).
    STAMP_IN.at = tc !== undefined && tracing.sentAt > msOf(at) ? tickOf(tracing.sentAt) : at;
    return tc;
  }

  quietStamp(): void {
    const t = this.timing;
    if (!this.countsAll) STAMP_IN.at = this.sampledStamp();
    else if (t.inTurn) STAMP_IN.at = t.tick;
    else {
      t.tickOutside();
      STAMP_IN.at = t.outTick;
    }
  }

  sentQuiet(): void {
    if (this.metrics.sampleMessage()) this.metrics.sent();
  }

  sendFailed(reason: string, p: Proc | null, to: Pid<unknown> | string): void {
    this.metrics.sendFailed(reason, p?.tm ?? null);
    this.provider?.onDeadLetter?.(String(to), reason);
  }

  sendsLost(reason: string, n: number): void {
    this.metrics.sendFailed(reason, null, n);
  }

  mailboxIn(p: Proc): void {
    const c = p.depthCell;
    if (c !== null) c.n++;
  }

  mailboxOut(p: Proc, n: number): void {
    const c = p.depthCell;
    if (c !== null) c.n -= n;
  }

  /** An observed turn of `p` handled `n` messages; the thread's `turnSends` are the sends it made. */
  turnEnded(p: Proc, n: number, sends: number): void {
    const c = p.depthCell;
    if (c !== null) c.n -= n;
    // Counted in bulk: here, once per turn, instead of in `sent` (the writer keeps the sampled share).
    if (this.countsAll) this.ledger.sent += sends;
  }

  signalSent(kind: SignalKind, reason: ReasonLabel | null): void {
    this.metrics.signalSent(kind, reason);
  }

  signalReceived(kind: SignalKind, ignored: boolean): void {
    this.metrics.signalReceived(kind, ignored);
  }

  linkCreated(): void {
    this.metrics.linkCreated();
  }

  monitorCreated(): void {
    this.metrics.monitorCreated();
  }

  spawning(url: string, exportName: string, pid: Pid): SpawnTrace | undefined {
    if (this.tracing === null) return undefined;
    const span = this.tracing.onSpawn(typeHint(url, exportName), pid);
    return span === undefined ? undefined : { span, tp: formatTraceparent(span.spanContext()) };
  }

  spawnEnded(t: SpawnTrace, type: string | null, err: unknown): void {
    this.tracing?.endSpawn(t.span, type, err);
  }

  created(p: Proc, tp: string | undefined): void {
    if (tp !== undefined && this.tracing !== null) p.traceParent = parseTraceparent(tp) ?? null;
  }

  typed(p: Proc): void {
    if (this.metricsOn) this.procs.typed(p);
  }

  starting(p: Proc): Span | undefined {
    return p.traceParent !== null && this.tracing !== null ? this.tracing.lifecycle('started', p.traceParent, p.typeName, p.pid) : undefined;
  }

  initUnder(span: Span, b: { init(args: unknown, ctx: unknown): unknown }, args: unknown, ctx: unknown): unknown {
    return this.tracing!.runInit(span, b, args, ctx);
  }

  started(p: Proc): void {
    this.provider?.onActorSpawned?.(p.typeName, p.pid.toString());
  }

  exited(p: Proc, reason: ExitReason): void {
    const kind = reasonKind(reason);
    if (p.tm !== null) this.procs.exited(p, kind);
    const tracing = this.tracing;
    if (tracing !== null) {
      if (p.traceParent !== null) {
        const span = tracing.lifecycle('stopped', p.traceParent, p.typeName, p.pid, formatReason(reason));
        if (kind === 'panic') tracing.endHandle(span, new Error((reason as { message: string }).message));
        else span.end();
      }
      if (p.traceSpan !== null) {
        tracing.endHandle(p.traceSpan, new Error(`the actor exited (${formatReason(reason)}) while handling this message`));
        p.traceSpan = null;
      }
    }
    const prov = this.provider;
    if (prov === null || p.status === S_INBOX || p.behaviour === null) return;
    const pid = p.pid.toString();
    prov.onActorStopped?.(p.typeName, pid, kind);
    if (kind === 'panic') prov.onActorPanicked?.(p.typeName, pid, (reason as { message: string }).message);
  }

  spanEnded(span: Span, err?: unknown): void {
    this.tracing?.endHandle(span, err);
  }

  callStarted(to: Pid): Span | undefined {
    return this.tracing?.onCall(to);
  }

  callEnvelope(from: From, req: unknown, timeoutMs: number, now: number): CallEnvelope {
    if (!this.metricsOn) return { $joerl: 'call', from, req };
    // Sent time and the caller's deadline: the server measures call duration and late answers.
    const t = ORIGIN + now;
    // A call outside a turn (the usual: an async handler's continuation) sends right after: its stamp is this clock.
    if (!this.timing.inTurn) this.timing.seedOutside(t);
    return { $joerl: 'call', from, req, t, d: t + timeoutMs };
  }

  callEnded(span: Span, serverTp: string | undefined, err?: unknown): void {
    this.tracing?.endCall(span, serverTp, err);
  }

  serve(p: Proc, env: CallEnvelope): void {
    this.procs.serve(p, env);
  }

  replied(by: Proc | null, ref: number): void {
    this.procs.replied(by, ref);
  }

  abandoned(p: Proc, ref: number, gaveUp = false): void {
    this.procs.abandoned(p, ref, gaveUp);
  }

  replyContext(): string | null {
    return this.tracing === null ? null : (this.tracing.replyContext() ?? null);
  }

  /** A traced handler is about to run under `span` (see SpanShipping.guardHandler). */
  guardHandler(h: LazyHandleSpan): void {
    this.shipping?.guardHandler(h);
  }

  /** The traced handler returned or threw. */
  handlerReturned(): void {
    this.shipping?.handlerReturned();
  }

  /** The traced handler returned a promise: its span stays open. */
  handlerPending(span: Span): void {
    this.shipping?.handlerPending(span);
  }

  probe(p: Proc): BehaviourProbe {
    return new ProcProbe(this.metrics, this, p);
  }
}

/** A type label for the `actor.spawn` span, before the module is loaded: the export name, else the file name. */
function typeHint(url: string, exportName: string): string {
  if (exportName !== 'default') return exportName;
  const file = url.slice(url.lastIndexOf('/') + 1);
  return file.replace(/(\.actor)?\.(c|m)?(j|t)sx?$/, '');
}
