// The real observer: metrics into this thread's region, provider hooks and built-in spans, each only where it is on.

import type { Span, SpanContext } from '@opentelemetry/api';
import {
  type MetricsWriter,
  NOOP_METRICS,
  type ReasonLabel,
  ShardMetrics,
  type SignalKind,
  type SpanStartRecord,
  type TelemetryProvider,
  formatTraceparent,
  parseTraceparent,
  spanEndToWire,
  spanStartToWire,
} from '@joerl/telemetry/internal';
import { type ExitReason, formatReason, reasonKind } from '../actor/exit-reason.js';
import type { From } from '../actor/messages.js';
import type { Pid } from '../actor/pid.js';
import type { BehaviourProbe } from '../actor/probe.js';
import { type Proc, S_INBOX } from '../actor/proc.js';
import type { ShardObserver, SpawnTrace } from './observer.js';
import { OP_SERIES, OP_SPAN_END, OP_SPAN_START, type ShardInit } from './protocol.js';
import type { LocalSinks, ShardState } from './shard-state.js';
import { ThreadTracing } from './tracing.js';
import { TurnTiming } from './turn-timing.js';

/** True when a thread started with `init` needs the real observer (metrics, a provider or tracing). */
export function observes(init: ShardInit): boolean {
  return (init.metrics !== null && init.telemetry.enabled) || init.provider !== null || init.tracing !== null;
}

export class TelemetryObserver implements ShardObserver {
  readonly observesTurns = true;
  readonly beforeFlush: () => void;
  /** This thread's metric writer (the no-op writer when only a provider or tracing is on). */
  readonly metrics: MetricsWriter;
  readonly metricsOn: boolean;
  /** Provider hooks, installed once its module has loaded. */
  provider: TelemetryProvider | null = null;
  /** Built-in spans (null: tracing off, and envelopes carry nothing). */
  readonly tracing: ThreadTracing | null;
  readonly timing: TurnTiming;
  /** Tracing: start records of spans opened since the last publish (see the span sink). */
  private readonly unshippedStarts = new Map<string, SpanStartRecord>();

  constructor(s: ShardState, init: ShardInit, local: LocalSinks) {
    this.metricsOn = init.metrics !== null && init.telemetry.enabled;
    this.metrics = this.metricsOn
      ? new ShardMetrics(init.metrics!, init.telemetry, local.announce ?? ((slot, metric, labels) => s.transport.emit3(0, OP_SERIES, slot, metric, labels)))
      : NOOP_METRICS;
    this.timing = new TurnTiming(this.metrics);
    this.tracing =
      init.tracing === null
        ? null
        : new ThreadTracing(
            init.tracing,
            local.spans ?? {
              // Start records are only needed for spans still open when we publish (so the main
              // thread can end them if this shard dies): held back, and dropped if the span ends first.
              started: (rec) => void this.unshippedStarts.set(rec.spanId, rec),
              ended: (rec) => {
                this.unshippedStarts.delete(rec.spanId);
                s.transport.emitQuiet(0, OP_SPAN_END, spanEndToWire(rec));
              },
            },
            init.thread !== 0,
          );
    // Before anything this thread sent becomes visible elsewhere, the telemetry it
    // implies is recorded: a peer that got our reply and then reads the metrics
    // sees the messages handled so far (the open timing block ends here).
    const shipStarts = this.tracing !== null && init.thread !== 0;
    this.beforeFlush = () => {
      if (this.timing.blockLive) this.timing.closeBlock();
      if (!shipStarts || this.unshippedStarts.size === 0) return;
      for (const rec of this.unshippedStarts.values()) s.transport.emitQuiet(0, OP_SPAN_START, spanStartToWire(rec));
      this.unshippedStarts.clear();
    };
  }

  sent(from: Pid | undefined, to: Pid): number {
    const t = this.timing;
    const stamp = this.metrics.onSend(t.inTurn ? t.clock : NaN);
    const prov = this.provider;
    if (prov !== null && prov.onMessageSent) prov.onMessageSent(from?.toString(), to.toString());
    return stamp;
  }

  traceSend(from: Pid | undefined, to: Pid): SpanContext | undefined {
    return this.tracing === null ? undefined : this.tracing.onSend(from, to);
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
    if (p.tm !== null) this.metrics.mailboxIn(p.tm, p.mailbox.capacity !== Infinity);
  }

  mailboxOut(p: Proc, n: number): void {
    if (p.tm !== null) this.metrics.mailboxOut(p.tm, p.mailbox.capacity !== Infinity, n);
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

  spawning(typeHint: string, pid: Pid): SpawnTrace | undefined {
    if (this.tracing === null) return undefined;
    const span = this.tracing.onSpawn(typeHint, pid);
    return span === undefined ? undefined : { span, tp: formatTraceparent(span.spanContext()) };
  }

  spawnEnded(t: SpawnTrace, type: string | null, err: unknown): void {
    this.tracing?.endSpawn(t.span, type, err);
  }

  created(p: Proc, tp: string | undefined): void {
    if (tp !== undefined && this.tracing !== null) p.traceParent = parseTraceparent(tp) ?? null;
  }

  typed(p: Proc): void {
    if (!this.metricsOn) return;
    const tm = (p.tm = this.metrics.type(p.typeName));
    this.metrics.spawned(tm, p.mailbox.capacity);
    // Messages that arrived while the module loaded were not counted yet.
    if (p.mailbox.length > 0) this.metrics.mailboxOut(tm, p.mailbox.capacity !== Infinity, -p.mailbox.length);
  }

  starting(p: Proc): Span | undefined {
    return p.traceParent !== null && this.tracing !== null ? this.tracing.lifecycle('started', p.traceParent, p.typeName, p.pid) : undefined;
  }

  started(p: Proc): void {
    this.provider?.onActorSpawned?.(p.typeName, p.pid.toString());
  }

  exited(p: Proc, reason: ExitReason): void {
    const kind = reasonKind(reason);
    if (p.tm !== null) this.recordExit(p, kind);
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

  callEnvelope(from: From, req: unknown, timeoutMs: number): object {
    if (!this.metricsOn) return { $joerl: 'call', from, req };
    // Sent time and the caller's deadline: the server measures call duration and late answers.
    const t = this.metrics.now();
    return { $joerl: 'call', from, req, t, d: t + timeoutMs };
  }

  callEnded(span: Span, serverTp: string | undefined, err?: unknown): void {
    this.tracing?.endCall(span, serverTp, err);
  }

  replied(by: Proc | null, ref: number): void {
    const served = by?.serving?.get(ref);
    if (served === undefined) return;
    by!.serving!.delete(ref);
    const now = this.metrics.now();
    this.metrics.callDone(by!.tm!, now - served[0], now > served[1]);
  }

  replyContext(): string | null {
    return this.tracing === null ? null : (this.tracing.replyContext() ?? null);
  }

  probe(p: Proc): BehaviourProbe {
    return new ProcProbe(this, p);
  }

  /** Telemetry for an exit: lifecycle counters, the mailbox it leaves, calls it never answered, its machine state. */
  private recordExit(p: Proc, kind: ReasonLabel): void {
    const tm = p.tm!;
    const m = this.metrics;
    m.stopped(tm, kind, performance.now() - p.startedAt, p.mailbox.capacity);
    if (p.mailbox.length > 0) m.mailboxOut(tm, p.mailbox.capacity !== Infinity, p.mailbox.length);
    if (p.serving !== null) {
      for (let i = 0; i < p.serving.size; i++) m.callDone(tm, NaN, false);
      p.serving = null;
    }
    if (p.statemState !== null) {
      m.statemEnter(tm, p.statemState, -1);
      p.statemState = null;
    }
  }
}

/** One process's probe: what its behaviour records, into its type's series and the provider. */
class ProcProbe implements BehaviourProbe {
  readonly #o: TelemetryObserver;
  readonly #p: Proc;

  constructor(o: TelemetryObserver, p: Proc) {
    this.#o = o;
    this.#p = p;
  }

  statemEntered(state: string): void {
    const p = this.#p;
    if (p.tm === null) return;
    this.#o.metrics.statemEnter(p.tm, state, 1);
    p.statemState = state;
  }

  statemTransition(from: string, to: string, msInFrom: number): void {
    const p = this.#p;
    if (p.tm !== null) {
      this.#o.metrics.statemTransition(p.tm, from, to, msInFrom);
      p.statemState = to;
    }
    this.#o.provider?.onStateTransition?.(p.typeName, p.pid.toString(), from, to);
  }

  statemInvalid(state: string, event: string): void {
    if (this.#p.tm !== null) this.#o.metrics.statemInvalid(this.#p.tm, state, event);
  }

  supervisorRestart(childId: string, strategy: string, ms: number): void {
    this.#o.metrics.supervisorRestart(strategy, ms);
    this.#o.provider?.onSupervisorRestart?.(childId, strategy);
  }

  childStartFailed(): void {}

  intensityExceeded(): void {
    this.#o.metrics.intensityExceeded();
  }
}
