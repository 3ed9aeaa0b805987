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
      if (env.$joerl === undefined || !servesCalls(p)) return;
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

/** True when `p` is a GenServer or a supervisor: the behaviours whose calls and casts the GenServer metrics count. */
function servesCalls(p: Proc): boolean {
  const kind = p.behaviour![BEHAVIOUR];
  return kind === 'gen_server' || kind === 'supervisor';
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
  const m = obs.metrics;
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
    const serves = servesCalls(p);
    while (n + s.turnSends < budget && mb.length > 0) {
      const msg = mb.shiftLone();
      n++;
      t.took(mb);
      if (mb.sysCount === 0 || !mb.tookSystem(msg)) ctl[queued]!--;
      if (serves && !serveOne(p, msg)) account(p, msg);
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

  /**
   * The usual call, counted in place: a well-formed call envelope with its
   * times, taken while the server serves no other call (and has served one
   * before: its Serving exists). False: anything else, for `account`, which
   * counts it as before. Through `account` and ProcessAccounting.serve, two
   * calls that were not inlined, and with the behaviour's kind looked up per
   * message, an in-shard call round trip took 0.447 us with telemetry on, and
   * 0.413 us this way (medians of six processes a side, 2026-12-04).
   */
  function serveOne(p: Proc, msg: unknown): boolean {
    const sv = p.serving;
    if (typeof msg !== 'object' || msg === null || sv === null || sv.one) return false;
    let at: unknown;
    let deadline: unknown;
    let ref: unknown;
    try {
      const env = msg as { $joerl?: unknown; from?: unknown; t?: unknown; d?: unknown };
      if (env.$joerl !== 'call') return false;
      const from = env.from as { ref?: unknown; pid?: unknown } | null;
      if (typeof from !== 'object' || from === null || typeof from.pid !== 'object') return false;
      ref = from.ref;
      at = env.t;
      deadline = env.d;
    } catch {
      return false; // (a throwing getter: `account` meets it too, and leaves the message to its handler)
    }
    if (typeof ref !== 'number' || typeof at !== 'number' || typeof deadline !== 'number') return false;
    m.callTaken(p.tm!);
    sv.one = true;
    sv.ref = ref;
    sv.at = at;
    sv.deadline = deadline;
    return true;
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
