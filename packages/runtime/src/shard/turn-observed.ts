// The observed turn: the same turn as turn.ts, plus counters, depth gauges, queue waits, call accounting, hooks and spans.

import type { SpanContext } from '@opentelemetry/api';
import { BEHAVIOUR } from '../actor/brand.js';
import { type Proc, S_RUNNING } from '../actor/proc.js';
import { msOf } from '../actor/ticks.js';
import { isThenable } from '../validate.js';
import type { ShardState } from './shard-state.js';
import type { TelemetryObserver } from './telemetry-observer.js';
import { loneTurn } from './turn-lone.js';
import { accountant, serverTurn } from './turn-server.js';
import type { ObservedTurn, Turns } from './turn.js';

/** Builds the observed turn runner for one thread (timing: see turn-timing.ts). */
export function observedTurn(s: ShardState, turns: Turns, obs: TelemetryObserver): ObservedTurn {
  const m = obs.metrics;
  const timing = obs.timing;
  const tracing = obs.tracing;

  /** Call and cast accounting of OTP behaviours (turn-server.ts). */
  const account = accountant(obs);

  /**
   * The turn took `n` messages out of the mailbox and sent `s.turnSends`
   * (both written at the next flush, like queue waits). From here on the
   * turn is over: what a process that now exits sends from its terminate is
   * counted send by send.
   */
  function endTurn(p: Proc, n: number): void {
    obs.turnEnded(p, n, s.turnSends);
    timing.inTurn = false;
  }

  /**
   * The queue-wait stamp of the traced message about to be handled, read
   * right after it was taken: a provider hook that runs before its handler
   * may send to the same mailbox, and a push into an empty mailbox writes
   * its stamp to `lastStamp` (see Mailbox). In a typed array: a double in a
   * closure variable or passed to a call that is not inlined is boxed.
   */
  const taken = new Float64Array(1);

  /** Turns run so far, and the turn and message number of the traced message whose handle span ended last (see handleTraced). */
  let turnSeq = 0;
  let chainTurn = -1;
  let chainN = -1;

  /**
   * Handles a message that carried a trace context: `message.receive` and
   * `actor.handle_message` spans, the handler run in the latter's context.
   * A throw ends the span with the error and goes on to the turn; a pending
   * handler keeps its span open until it settles.
   */
  function handleTraced(p: Proc, b: NonNullable<Proc['behaviour']>, msg: unknown, n: number): unknown {
    // The message right before this one in this turn was traced and handled synchronously: its
    // handle span's end serves as this one's start (one clock read a message, not two).
    const chained = turnSeq === chainTurn && n === chainN + 1;
    const h = tracing!.beginHandle(p.mailbox.lastTrace as SpanContext, taken[0]!, p.typeName, p.pid, chained);
    // The span must be recoverable by the main thread if the handler never returns.
    obs.guardHandler(h);
    let next: unknown;
    try {
      next = tracing!.runHandler(h, b as never, msg, p.state, p.ctx);
    } catch (err) {
      obs.handlerReturned();
      tracing!.failHandle(h, err);
      throw err;
    }
    obs.handlerReturned();
    if (isThenable(next)) {
      const span = tracing!.pendingHandle(h);
      p.traceSpan = span;
      obs.handlerPending(span);
    } else {
      tracing!.endHandleChained(h);
      chainTurn = turnSeq;
      chainN = n;
    }
    return next;
  }

  /** Any other turn: block timing, call and cast accounting, the provider's hook. */
  function general(p: Proc, budget: number): number {
    const b = p.behaviour!;
    const ctl = s.ctl.i32;
    const queued = s.queuedIndex;
    const tm = p.tm;
    const plain = (b as unknown as Record<symbol, unknown>)[BEHAVIOUR] === 'actor';
    const prov = obs.provider;
    const onReceived = prov !== null && prov.onMessageReceived !== undefined;
    p.status = S_RUNNING;
    const ctx = p.ctx;
    const mb = p.mailbox;
    // Only OTP behaviours take calls and casts: a plain actor's messages are never looked into
    // (a property read on every shape of message that flows through here is a megamorphic load).
    const accounts = tm !== null && !plain;
    const pidText = onReceived ? p.pid.toString() : '';
    // Without blocks (a message rate of 0, or metrics off with a provider or tracing on) nothing
    // is timed: the turn's one clock read serves its queue waits and its sends' stamps.
    const blocks = m.timesInBlocks;
    let n = 0;
    turnSeq++;
    if (blocks) timing.openBlock();
    const start = blocks ? 0 : m.now();
    timing.inTurn = true;
    try {
      s.turnSends = 0;
      while (n + s.turnSends < budget && mb.length > 0) {
        const msg = mb.shift();
        // (lastStamp and lastTrace are set by every shift once the mailbox holds any: nothing to reset.)
        const sys = mb.sysCount !== 0 && mb.tookSystem(msg);
        n++;
        timing.setClock(blocks ? timing.blockStart : start);
        if (tm !== null) timing.waited(mb);
        const traced = tracing !== null && mb.lastTrace !== undefined;
        if (traced) taken[0] = msOf(mb.lastStamp);
        if (accounts) account(p, msg);
        if (onReceived) prov!.onMessageReceived!(pidText);
        let next: unknown;
        // Handled from here on: out of the thread's QUEUED count right before the handler is entered.
        if (!sys) ctl[queued]!--;
        try {
          next = traced ? handleTraced(p, b, msg, n) : b.handle(msg, p.state, ctx as never);
        } catch (err) {
          endTurn(p, n);
          turns.crashed(p, err, msg);
          return n;
        }
        const pending = isThenable(next);
        if (blocks) timing.countInBlock();
        if (pending) {
          endTurn(p, n);
          turns.awaitHandler(p, next as PromiseLike<unknown>, msg);
          return n;
        }
        p.state = next;
        if (p.pendingExit !== null || p.stopReason !== null) {
          endTurn(p, n);
          turns.stopping(p);
          return n;
        }
      }
      endTurn(p, n);
    } finally {
      timing.inTurn = false;
    }
    turns.afterTurn(p);
    return n;
  }

  /**
   * The observed turn. The common case, a plain actor with messages sampled (any rate above 0) and
   * no provider hook per message, runs here: beside turn.ts's loop it takes
   * messages in runs that share a queue wait (one sender's stamp, one
   * timing block's clock, see StampedRing.stampAt) and notes the wait and the
   * block's count once per run (TurnTiming.runStarts/ranInBlock), not per message;
   * a mailbox's last message is taken on its own (a run of one costs more).
   * A message that carries a trace context (Mailbox.headTraced) is taken
   * where it stands, with `shift` (which keeps its context; `shiftInRun`
   * would drop it), and handed to handleTraced: in its run, whose stamp and
   * block it shares, so a traced message does not cut its run in two (at
   * 1% that was a run end, a lone take and a run start per traced message).
   * Sends and the mailbox's depth are counted once, when the turn ends.
   * Anything else goes to `general`.
   */
  function lean(p: Proc, budget: number): number {
    const b = p.behaviour!;
    if (!obs.leanTurns || p.tm === null || (b as unknown as Record<symbol, unknown>)[BEHAVIOUR] !== 'actor') return general(p, budget);
    p.status = S_RUNNING;
    const ctx = p.ctx;
    const mb = p.mailbox;
    const ctl = s.ctl.i32;
    const queued = s.queuedIndex;
    let n = 0;
    turnSeq++;
    timing.openBlock();
    timing.setClock(timing.blockStart);
    timing.inTurn = true;
    try {
      s.turnSends = 0;
      while (n + s.turnSends < budget && mb.length > 0) {
        if (mb.length === 1) {
          // The last message (most turns of a ping-pong or a ring): noted as it is taken, which costs less than a run of one.
          // A traced one: its spans (lastTrace is set by this shift, traces being kept).
          const msg = mb.shift();
          n++;
          timing.waited(mb);
          if (mb.sysCount === 0 || !mb.tookSystem(msg)) ctl[queued]!--;
          let next: unknown;
          try {
            if (tracing !== null && mb.lastTrace !== undefined) {
              taken[0] = msOf(mb.lastStamp);
              next = handleTraced(p, b, msg, n);
            } else next = b.handle(msg, p.state, ctx as never);
          } catch (err) {
            endTurn(p, n);
            turns.crashed(p, err, msg);
            return n;
          }
          timing.countInBlock();
          if (isThenable(next)) {
            endTurn(p, n);
            turns.awaitHandler(p, next, msg);
            return n;
          }
          p.state = next;
          if (p.pendingExit !== null || p.stopReason !== null) {
            endTurn(p, n);
            turns.stopping(p);
            return n;
          }
          continue;
        }
        // A run: messages of one stamp, within the open block (whose clock is theirs), and within the
        // turn's budget. Each message's stamp is compared as it is taken (Mailbox.stampAt), in the
        // cache line the take reads anyway: a count of the run read ahead was a pass over the ring of
        // its own (Fork-join throughput, 10,000 queued a worker: ARCHITECTURE.md, the ring of pairs).
        const from = n;
        const room = timing.room();
        const left = budget - n - s.turnSends;
        const end = n + (room < left ? room : left);
        const stamp = mb.stampAt(0);
        mb.lastStamp = stamp as number;
        timing.runStarts(mb);
        while (n < end && n + s.turnSends < budget && mb.length > 0 && mb.stampAt(0) === stamp) {
          // A traced message is taken with its context and its stamp (the run's: see the comment above).
          const traced = mb.headTraced();
          const msg = traced ? mb.shift() : mb.shiftInRun();
          n++;
          // Handled from here on: out of the thread's QUEUED count right before the handler is entered.
          if (mb.sysCount === 0 || !mb.tookSystem(msg)) ctl[queued]!--;
          let next: unknown;
          try {
            if (traced && tracing !== null) {
              taken[0] = msOf(mb.lastStamp);
              next = handleTraced(p, b, msg, n);
            } else next = b.handle(msg, p.state, ctx as never);
          } catch (err) {
            timing.ranInBlock(n - from, n - 1 - from);
            endTurn(p, n);
            turns.crashed(p, err, msg);
            return n;
          }
          if (isThenable(next)) {
            timing.ranInBlock(n - from, n - from);
            endTurn(p, n);
            turns.awaitHandler(p, next, msg);
            return n;
          }
          p.state = next;
          if (p.pendingExit !== null || p.stopReason !== null) {
            timing.ranInBlock(n - from, n - from);
            endTurn(p, n);
            turns.stopping(p);
            return n;
          }
        }
        // The block goes on, or it is full and a new one starts (and the clock with it).
        timing.ranInBlock(n - from, n - from);
      }
      endTurn(p, n);
    } finally {
      timing.inTurn = false;
    }
    turns.afterTurn(p);
    return n;
  }

  // Without tracing, a turn of up to LONE_MAX messages takes the short way (turn-lone.ts), an OTP behaviour's turn
  // turn-server.ts's; lean takes the rest.
  return tracing === null ? loneTurn(s, turns, obs, serverTurn(s, turns, obs, lean)) : lean;
}
