// The observed turn of an OTP behaviour (GenServer, supervisor, GenStatem) without tracing or a provider hook: the lone turn's straight code plus call and cast accounting.

import { BEHAVIOUR } from '../actor/brand.js';
import { isFrom } from '../actor/messages.js';
import type { Proc } from '../actor/proc.js';
import { isThenable } from '../validate.js';
import type { CallEnvelope } from './observer.js';
import type { ShardState } from './shard-state.js';
import type { TelemetryObserver } from './telemetry-observer.js';
import type { ObservedTurn, Turns } from './turn.js';

/**
 * Counts a call or cast envelope that `p` takes: the server side of the
 * GenServer metrics (GenServers and supervisors only: a state machine's
 * events are not GenServer calls). Outside the handler's try: a forged
 * envelope (`from: null`) or a throwing getter must not escape the turn (and
 * the shard's loop with it). Such a message is not counted; its handler
 * judges it.
 */
export function accountant(obs: TelemetryObserver): (p: Proc, msg: unknown) => void {
  const m = obs.metrics;
  return (p, msg) => {
    if (typeof msg !== 'object' || msg === null) return;
    try {
      const env = msg as { $joerl?: unknown; from?: unknown; t?: unknown; d?: unknown };
      if (env.$joerl === undefined) return;
      const kind = p.behaviour![BEHAVIOUR];
      if (kind !== 'gen_server' && kind !== 'supervisor') return;
      if (env.$joerl === 'call' && isFrom(env.from)) {
        m.callTaken(p.tm!);
        obs.serve(p, env as CallEnvelope);
      } else if (env.$joerl === 'cast') {
        m.cast(p.tm!);
      }
    } catch {
      // (A getter that throws: the handler meets it too, and its process panics.)
    }
  };
}

/**
 * Wraps `lean` (turn-observed.ts) as the lone turn's way out (turn-lone.ts):
 * a typed OTP behaviour's turn, on a thread whose turns the lone turn may
 * take (no tracing, no provider hook per message, both sampling rates above
 * 0), goes to `server`; anything else to `lean`, as before. `lean` sends an
 * OTP behaviour's turns to its `general` turn, which serves every case
 * (tracing, provider hooks, untimed turns) and costs for it: in-shard
 * GenServer calls (a call's server takes one message a turn, see
 * Scheduler.runNow) ran ~60 ns a round trip faster here, a tenth of one.
 *
 * `server` is the lone turn for any number of messages: per message its queue
 * wait (TurnTiming.took), the envelope's accounting, the handler and one count
 * in the open timing block; per turn its sends and the mailbox's depth.
 */
export function serverTurn(s: ShardState, turns: Turns, obs: TelemetryObserver, lean: ObservedTurn): ObservedTurn {
  const timing = obs.timing;
  const account = accountant(obs);
  const ctl = s.ctl.i32;
  const queued = s.queuedIndex;

  function server(p: Proc, budget: number): number {
    const mb = p.mailbox;
    const b = p.behaviour!;
    const t = timing;
    let n = 0;
    p.status = 3; // S_RUNNING
    t.openBlock();
    t.inTurn = true;
    s.turnSends = 0;
    while (n + s.turnSends < budget && mb.length > 0) {
      const msg = mb.shiftLone();
      n++;
      t.took(mb);
      if (mb.sysCount === 0 || !mb.tookSystem(msg)) ctl[queued]!--;
      account(p, msg);
      let next: unknown;
      try {
        next = b.handle(msg, p.state, p.ctx as never);
      } catch (err) {
        ended(p, n);
        turns.crashed(p, err, msg);
        return n;
      }
      t.countInBlock();
      if (isThenable(next)) {
        ended(p, n);
        turns.awaitHandler(p, next, msg);
        return n;
      }
      p.state = next;
      if (p.pendingExit !== null || p.stopReason !== null) {
        ended(p, n);
        turns.stopping(p);
        return n;
      }
    }
    ended(p, n);
    turns.afterTurn(p);
    return n;
  }

  /** The turn's `n` messages were handled: out of their type's depth, the turn's sends counted. */
  function ended(p: Proc, n: number): void {
    obs.turnEnded(p, n, s.turnSends);
    timing.inTurn = false;
  }

  return (p, budget) => {
    const c = p.depthCell;
    return c !== null && !c.plain && obs.loneTurns ? server(p, budget) : lean(p, budget);
  };
}
