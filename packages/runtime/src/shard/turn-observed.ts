// The observed turn: the same turn as turn.ts, plus counters, depth gauges, queue waits, call accounting, hooks and spans.

import type { Context, Span, SpanContext } from '@opentelemetry/api';
import { context } from '@opentelemetry/api';
import { BEHAVIOUR } from '../actor/brand.js';
import { type Proc, S_RUNNING } from '../actor/proc.js';
import { isThenable } from '../validate.js';
import type { ShardState } from './shard-state.js';
import type { TelemetryObserver } from './telemetry-observer.js';
import type { ObservedTurn, Turns } from './turn.js';

/** Builds the observed turn runner for one thread (timing: see turn-timing.ts). */
export function observedTurn(s: ShardState, turns: Turns, obs: TelemetryObserver): ObservedTurn {
  const m = obs.metrics;
  const timing = obs.timing;
  const tracing = obs.tracing;
  const shipSpanStarts = s.thread !== 0;

  /** A call or cast envelope: the server side of the GenServer metrics (GenServers and supervisors only: a state machine's events are not GenServer calls). */
  function account(p: Proc, msg: unknown): void {
    if (typeof msg !== 'object' || msg === null) return;
    const env = msg as { $joerl?: unknown; from?: { ref: number }; t?: number; d?: number };
    if (env.$joerl === undefined) return;
    const kind = p.behaviour![BEHAVIOUR];
    if (kind !== 'gen_server' && kind !== 'supervisor') return;
    if (env.$joerl === 'call' && env.from !== undefined) {
      m.callTaken(p.tm!);
      (p.serving ??= new Map()).set(env.from.ref, [env.t ?? NaN, env.d ?? Infinity]);
    } else if (env.$joerl === 'cast') {
      m.cast(p.tm!);
    }
  }

  function endTurn(p: Proc, n: number): void {
    timing.flushWaits();
    obs.mailboxOut(p, n);
  }

  return (p: Proc, budget: number): number => {
    p.status = S_RUNNING;
    const b = p.behaviour!;
    const ctx = p.ctx;
    const mb = p.mailbox;
    const ctl = s.ctl.i32;
    const queued = s.queuedIndex;
    const tm = p.tm;
    const prov = obs.provider;
    const blocks = m.samplesAll;
    let n = 0;
    let now = blocks ? timing.openBlock() : m.now();
    let fresh = true;
    timing.inTurn = true;
    try {
      s.turnSends = 0;
      while (n + s.turnSends < budget && mb.length > 0) {
        const msg = mb.shift();
        const sys = mb.sysCount !== 0 && mb.tookSystem(msg);
        const stamp = mb.lastStamp;
        mb.lastStamp = NaN;
        const carried = mb.lastTrace as SpanContext | undefined;
        mb.lastTrace = undefined;
        n++;
        const sampled = blocks || m.sampleMessage();
        // A fresh clock for a timed message; a queue wait uses the latest one (as in a
        // timing block, it reads low by at most the unsampled handlers since).
        if (blocks) now = timing.blockStart;
        else if (!fresh && sampled) {
          now = m.now();
          fresh = true;
        }
        timing.clock = now;
        if (tm !== null) {
          if (!Number.isNaN(stamp)) timing.wait(now, stamp);
          account(p, msg);
        }
        if (prov !== null && prov.onMessageReceived) prov.onMessageReceived(p.pid.toString());
        let traced: { ctx: Context; span: Span } | undefined;
        if (carried !== undefined && tracing !== null) {
          traced = tracing.beginHandle(carried, stamp, p.typeName, p.pid);
          // The span start must be visible to the main thread before a handler that might never return.
          if (traced !== undefined && shipSpanStarts) s.transport.flushTo(0);
        }
        let next: unknown;
        // Handled from here on: out of the thread's QUEUED count right before the handler is entered.
        if (!sys) ctl[queued]!--;
        try {
          next = traced === undefined ? b.handle(msg, p.state, ctx as never) : context.with(traced.ctx, b.handle, b, msg, p.state, ctx as never);
        } catch (err) {
          if (traced !== undefined) tracing!.endHandle(traced.span, err);
          endTurn(p, n);
          turns.crashed(p, err, msg);
          return n;
        }
        const pending = isThenable(next);
        if (traced !== undefined) {
          if (pending) p.traceSpan = traced.span;
          else tracing!.endHandle(traced.span);
        }
        if (blocks) timing.countInBlock();
        else if (sampled) {
          const end = m.now();
          m.processed(end - now);
          now = end;
        } else {
          fresh = false;
        }
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
  };
}
