// What a thread tells telemetry (metrics, provider hooks, spans), as one interface with a no-op implementation.

import type { WordSpanContext } from '@joerl/telemetry/internal';
import type { Span } from '@opentelemetry/api';
import type { ReasonLabel, SignalKind } from '@joerl/telemetry/internal';
import type { ExitReason } from '../actor/exit-reason.js';
import type { From } from '../actor/messages.js';
import { STAMP_IN } from '../actor/mailbox.js';
import { NO_STAMP } from '../actor/stamped-ring.js';
import type { Pid } from '../actor/pid.js';
import { NOOP_PROBE, type BehaviourProbe } from '../actor/probe.js';
import type { Proc } from '../actor/proc.js';

/** A call envelope as the runtime builds it: with metrics on, its sent time `t` and the caller's deadline `d` (abs ms). */
export interface CallEnvelope {
  $joerl: 'call';
  from: From;
  req: unknown;
  t?: number;
  d?: number;
}

/** A traced spawn in flight: its `actor.spawn` span, and the traceparent its request carries. */
export interface SpawnTrace {
  span: Span;
  tp: string;
}

/**
 * Every event a thread's layers report. The composition picks one object at
 * start: the telemetry observer, or {@link NOOP_OBSERVER} when metrics,
 * provider and tracing are all off. Hot paths call it unconditionally; the
 * one fork left is per turn (`observesTurns`), where the observed turn
 * runner does its timing.
 */
export interface ShardObserver {
  /** True: turns run the observed runner (timing, queue waits, call accounting, spans). */
  readonly observesTurns: boolean;
  /** Called before every flush of the transport (null: nothing to do); `final` at the end of a slice (see Transport.flush). */
  readonly beforeFlush: ((final: boolean) => void) | null;
  /** Called after every flush has published (null: nothing to do): what `beforeFlush` held back is recorded here. */
  readonly afterFlush: (() => void) | null;
  /**
   * A send was accepted: counts it (sampled), tells the provider, and writes
   * its queue-wait stamp (a tick, actor/ticks.ts; NO_STAMP: not stamped) to `STAMP_IN.at`, where
   * the send path reads it (the mailbox's push, or the OP_CLOCK ahead of a
   * frame). Written there directly, not kept in a field of the observer for
   * the send to copy: a double field is a box, and each of its stores and
   * loads is a memory access per message. Not a return value either: a
   * double that merges with the result of a call is boxed, a heap allocation
   * per message. Once per message: it must stay cheap.
   */
  sent(from: Pid | undefined, to: Pid): void;
  /**
   * The trace context a send carries (undefined: none): the thread's one send
   * context, valid until the next send (copy its words, or keep `kept()`).
   * None for a message to oneself: it is the actor's own control flow (a
   * loop, a timer), not a hop, or one sampled trace would swallow everything
   * the loop ever does.
   */
  traceSend(from: Pid | undefined, to: Pid): WordSpanContext | undefined;
  /** A runtime-internal send (a timer firing, an offload result). */
  sentQuiet(): void;
  /** Its queue-wait stamp, in `STAMP_IN.at` as `sent` leaves one (NO_STAMP: none), so its wait is measured as any message's. */
  quietStamp(): void;
  /** A message was not delivered (never sampled). */
  sendFailed(reason: string, p: Proc | null, to: Pid<unknown> | string): void;
  /** The send `sent` just counted failed on the spot: take it back (see Delivery.refused). */
  unsent(): void;
  /** `n` messages were lost in bulk (a thread ended with them): counted, no provider hook. */
  sendsLost(reason: string, n: number): void;
  /** One message went into `p`'s mailbox (counted in a plain field; the depth gauge is written at the next flush). */
  mailboxIn(p: Proc): void;
  /** `n` messages left `p`'s mailbox. */
  mailboxOut(p: Proc, n: number): void;
  signalSent(kind: SignalKind, reason: ReasonLabel | null): void;
  signalReceived(kind: SignalKind, ignored: boolean): void;
  linkCreated(): void;
  monitorCreated(): void;
  /** A spawn is requested: its open `actor.spawn` span and the traceparent the child's lifecycle spans go under (undefined: untraced). */
  spawning(url: string, exportName: string, pid: Pid): SpawnTrace | undefined;
  /** A traced spawn was answered: its span ends, named after the behaviour (`type`, when the reply knew it). */
  spawnEnded(t: SpawnTrace, type: string | null, err: unknown): void;
  /** A process cell was created for a spawn request that carried `tp`. */
  created(p: Proc, tp: string | undefined): void;
  /** Its behaviour (so its `type` label) is known. */
  typed(p: Proc): void;
  /** Init is about to run: returns the span init runs under (undefined: none). */
  starting(p: Proc): Span | undefined;
  /** Runs `b.init(args, ctx)` under `span` (from `starting`), and returns what it returned. */
  initUnder(span: Span, b: { init(args: unknown, ctx: unknown): unknown }, args: unknown, ctx: unknown): unknown;
  /** init finished. */
  started(p: Proc): void;
  /** The process is gone. */
  exited(p: Proc, reason: ExitReason): void;
  /** A handle (or init) span ends, with the error that ended it. */
  spanEnded(span: Span, err?: unknown): void;
  /** A call is about to be sent: its CLIENT span (undefined: untraced). */
  callStarted(to: Pid): Span | undefined;
  /**
   * The envelope a call travels in (with telemetry: its sent time and the
   * caller's deadline). `now` is the clock the call read (performance.now()
   * ms; it also serves the stamp of the send that carries the envelope).
   */
  callEnvelope(from: From, req: unknown, timeoutMs: number, now: number): CallEnvelope;
  callEnded(span: Span, serverTp: string | undefined, err?: unknown): void;
  /** `by` answered the call `ref` (server-side call duration). */
  replied(by: Proc | null, ref: number): void;
  /** The caller of call `ref` to `p` gave up on it (its demonitor came; a call answered is no longer held): a timeout, if `p` holds it past its deadline (`gaveUp`: a caller on another node, whose clock is its own: at once). */
  abandoned(p: Proc, ref: number, gaveUp?: boolean): void;
  /** The traceparent a reply carries (null: none). */
  replyContext(): string | null;
  /** What behaviours record through `ctx.probe`. */
  probe(p: Proc): BehaviourProbe;
}

class NoopObserver implements ShardObserver {
  readonly observesTurns = false;
  readonly beforeFlush = null;
  readonly afterFlush = null;
  sent(): void {
    STAMP_IN.at = NO_STAMP;
  }
  traceSend(): undefined {
    return undefined;
  }
  sentQuiet(): void {}
  quietStamp(): void {
    STAMP_IN.at = NO_STAMP;
  }
  sendFailed(): void {}
  unsent(): void {}
  sendsLost(): void {}
  mailboxIn(): void {}
  mailboxOut(): void {}
  signalSent(): void {}
  signalReceived(): void {}
  linkCreated(): void {}
  monitorCreated(): void {}
  spawning(): undefined {
    return undefined;
  }
  spawnEnded(): void {}
  created(): void {}
  typed(): void {}
  starting(): undefined {
    return undefined;
  }
  initUnder(_span: Span, b: { init(args: unknown, ctx: unknown): unknown }, args: unknown, ctx: unknown): unknown {
    return b.init(args, ctx);
  }
  started(): void {}
  exited(): void {}
  spanEnded(): void {}
  callStarted(): undefined {
    return undefined;
  }
  callEnvelope(from: From, req: unknown): CallEnvelope {
    return { $joerl: 'call', from, req };
  }
  callEnded(): void {}
  replied(): void {}
  abandoned(): void {}
  replyContext(): null {
    return null;
  }
  probe(): BehaviourProbe {
    return NOOP_PROBE;
  }
}

/** Telemetry, provider and tracing all off. */
export const NOOP_OBSERVER: ShardObserver = new NoopObserver();
