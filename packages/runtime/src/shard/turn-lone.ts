// The observed turn of one message (a ping-pong, a ring): turn.ts's turn plus its telemetry, small enough to inline.

import { type Proc, S_RUNNING } from '../actor/proc.js';
import { isThenable } from '../validate.js';
import type { ShardState } from './shard-state.js';
import type { TelemetryObserver } from './telemetry-observer.js';
import type { ObservedTurn, Turns } from './turn.js';

/**
 * Wraps `lean` (turn-observed.ts) for threads without tracing: a plain
 * actor at 100% sampling whose mailbox holds one message (every turn of a
 * ping-pong or a ring) gets a turn that does what `lean`'s lone-message
 * branch does, in straight code the size of turn.ts's: the scheduler's
 * slice inlines it as it inlines `Turns.run` (`lean`, with its runs, its
 * tracing and its loops, is too big to inline). TurboFan inlines nothing
 * over 460 bytes of bytecode: `lone` is 408 (at 463 it was not inlined, and
 * a PingPong message cost ~2 ns more), so its rare paths are functions of
 * their own. Anything else, and whatever is queued once the message is
 * handled (a send to itself), goes to `lean`.
 *
 * Per message: the block's clock is the message's start (the block opens
 * with it, see TurnTiming.openBlock; nothing on this thread moves `clock`
 * off `blockStart` while tracing is off), one queue wait and one count in
 * the block; per turn: its sends and the mailbox's depth, as `lean` counts them.
 */
export function loneTurn(s: ShardState, turns: Turns, obs: TelemetryObserver, lean: ObservedTurn): ObservedTurn {
  const timing = obs.timing;
  const ledger = obs.ledger;
  return lone;

  function lone(p: Proc, budget: number): number {
    const mb = p.mailbox;
    // (A typed process has a depth cell, which says whether it is a plain actor: see TelemetryObserver.typed.)
    const c = p.depthCell;
    if (mb.length !== 1 || c === null || !c.plain || !obs.loneTurns) return lean(p, budget);
    const b = p.behaviour!;
    p.status = S_RUNNING;
    timing.openBlock();
    timing.inTurn = true;
    s.turnSends = 0;
    const msg = mb.shift();
    // Sent in this timing block (a ping-pong, a ring): waited 0 ms, counted as such; any other stamp goes the long way.
    if (mb.lastStamp === timing.clock) timing.zeroWaits++;
    else timing.waited(mb);
    // Handled from here on: out of the thread's QUEUED count right before the handler is entered.
    if (mb.sysCount === 0 || !mb.tookSystem(msg)) s.ctl.i32[s.queuedIndex]!--;
    let next: unknown;
    try {
      next = b.handle(msg, p.state, p.ctx as never);
    } catch (err) {
      threw(p, c, err, msg);
      return 1;
    }
    timing.countInBlock();
    ended(c);
    if (isThenable(next)) {
      turns.awaitHandler(p, next, msg);
      return 1;
    }
    p.state = next;
    if (p.pendingExit !== null || p.stopReason !== null) {
      turns.stopping(p);
      return 1;
    }
    // It sent itself a message: the rest of the turn is lean's.
    if (mb.length > 0) return goOn(p, budget);
    turns.afterTurn(p);
    return 1;
  }

  /** The rest of a turn whose first message queued more for its process: lean's, with the budget this one left. */
  function goOn(p: Proc, budget: number): number {
    if (1 + s.turnSends >= budget) {
      turns.afterTurn(p);
      return 1;
    }
    return 1 + lean(p, budget - 1 - s.turnSends);
  }

  /** The handler of the lone message threw: the message was taken (not handled), and the process exits. */
  function threw(p: Proc, c: { n: number }, err: unknown, msg: unknown): void {
    ended(c);
    turns.crashed(p, err, msg);
  }

  /**
   * The message was handled (or threw): out of its type's depth, and the
   * turn's sends counted (as TelemetryObserver.turnEnded, at 100%); sends
   * from here on are counted one by one.
   */
  function ended(c: { n: number }): void {
    c.n--;
    ledger.sent += s.turnSends;
    timing.inTurn = false;
  }
}
