// The observed turn of a few messages (a ping-pong, a ring, Savina's Big): turn.ts's turn plus its telemetry, small enough to inline.

import { type Proc, S_IDLE, S_RUNNING } from '../actor/proc.js';
import { isThenable } from '../validate.js';
import type { ShardState } from './shard-state.js';
import type { TelemetryObserver } from './telemetry-observer.js';
import type { ObservedTurn, Turns } from './turn.js';

/**
 * Most messages a turn takes this way: a mailbox holding more goes to
 * `lean` (whose runs note a queue wait per run of one stamp, not per
 * message: cheaper for a long mailbox), and so do the messages left after
 * this many. (Written as 4 in `lone`: a module constant is read with a check
 * for its temporal dead zone, bytes `lone` cannot spare.)
 */
export const LONE_MAX = 4;

/**
 * Wraps `lean` (turn-observed.ts) for threads without tracing: a plain
 * actor at 100% sampling whose mailbox holds 1 to LONE_MAX messages (every
 * turn of a ping-pong or a ring; most turns of Savina's Big, where 120
 * actors ping each other) gets a turn that does what `lean`'s lone-message
 * branch does, message by message, in straight code the size of turn.ts's:
 * the scheduler's slice inlines it as it inlines `Turns.run`, and the
 * handler with it (`lean`, with its runs, its tracing and its loops, is too
 * big to inline: a handler called from it is compiled on its own, with
 * other inlining, and in Big telemetry cost ~20 ns a message, ~13 of them
 * there). TurboFan inlines nothing over 460 bytes of bytecode: `lone` is 459
 * (at 463 it was not inlined, and a PingPong message cost ~2 ns more), so
 * its rare paths are functions of their own. Anything else, and whatever is
 * still queued after LONE_MAX messages (sends to itself), goes to `lean`.
 *
 * Per message: its queue wait (a stamp equal to the clock, sent in the open
 * timing block, is a wait of 0 counted with one compare) and one count in
 * the block, as `lean`'s lone-message branch does; the block's clock is the
 * message's start (the block opens with the turn, see TurnTiming.openBlock,
 * and a block that fills moves `clock` with `blockStart`; nothing else on
 * this thread moves `clock` while tracing is off). Per turn: its sends and
 * the mailbox's depth, as `lean` counts them.
 */
export function loneTurn(s: ShardState, turns: Turns, obs: TelemetryObserver, lean: ObservedTurn): ObservedTurn {
  const timing = obs.timing;
  const ledger = obs.ledger;
  // The thread's QUEUED count, as Turns.run reads it (both fixed for the thread's life): fewer bytes in `lone`.
  const ctl = s.ctl.i32;
  const queued = s.queuedIndex;
  return lone;

  /**
   * The first message, and the whole turn when it is the only one (a
   * ping-pong's, a ring's): straight code, no loop, with the timing block's
   * count, `ended` and afterTurn's idle written out. It must stay small for
   * the slice to inline it: TurboFan counts what `lone`'s own optimized code
   * inlined (the handler, its sends, shiftLone) with `lone`, 1.2 times over,
   * against the slice's 920 bytes, and `lone` is optimized on its own before
   * the slice (it is hotter). At 459 bytes with a loop and those helpers
   * inlined it came to ~925 in a ring: never inlined; now ~430 + ~286.
   */
  function lone(p: Proc, budget: number): number {
    const mb = p.mailbox;
    // (A typed process has a depth cell, which says whether it is a plain actor: see TelemetryObserver.typed.)
    const c = p.depthCell;
    if (mb.length === 0 || mb.length > 4 || c === null || !c.plain || !obs.loneTurns) return lean(p, budget);
    const b = p.behaviour!;
    // (A local: a closure's constant is read with a check for its temporal dead zone, bytes lone cannot spare.)
    const t = timing;
    p.status = S_RUNNING;
    if (!t.blockLive) t.openBlock();
    t.inTurn = true;
    s.turnSends = 0;
    const msg = mb.shiftLone();
    // Sent in this timing block (a ping-pong, a ring): waited 0 ms, counted as such; any other stamp goes the long way.
    if (mb.lastStamp === t.clock) t.zeroWaits++;
    else t.waited(mb);
    // Handled from here on: out of the thread's QUEUED count right before the handler is entered.
    if (mb.sysCount === 0 || !mb.tookSystem(msg)) ctl[queued]!--;
    let next: unknown;
    try {
      next = b.handle(msg, p.state, p.ctx as never);
    } catch (err) {
      threw(p, 1, err, msg);
      return 1;
    }
    if (++t.blockCount >= t.size) t.endBlock();
    if (isThenable(next)) return waits(p, 1, next, msg);
    p.state = next;
    if (p.pendingExit !== null || p.stopReason !== null) return stops(p, 1);
    // More queued (it came with up to LONE_MAX, or it sent itself some): the rest of the turn is `more`'s.
    if (mb.length > 0) return more(p, budget);
    c.n--;
    ledger.sent += s.turnSends;
    t.inTurn = false;
    p.status = S_IDLE;
    return 1;
  }

  /** The turn `lone` began with one message goes on: messages 2 to LONE_MAX, then the rest is lean's. */
  function more(p: Proc, budget: number): number {
    const mb = p.mailbox;
    const b = p.behaviour!;
    const t = timing;
    let n = 1;
    while (n < LONE_MAX && n + s.turnSends < budget) {
      const msg = mb.shiftLone();
      n++;
      if (mb.lastStamp === t.clock) t.zeroWaits++;
      else t.waited(mb);
      if (mb.sysCount === 0 || !mb.tookSystem(msg)) ctl[queued]!--;
      let next: unknown;
      try {
        next = b.handle(msg, p.state, p.ctx as never);
      } catch (err) {
        threw(p, n, err, msg);
        return n;
      }
      t.countInBlock();
      if (isThenable(next)) return waits(p, n, next, msg);
      p.state = next;
      if (p.pendingExit !== null || p.stopReason !== null) return stops(p, n);
      if (mb.length === 0) break;
    }
    ended(p, n);
    // Still messages (it sent itself some): the rest of the turn is lean's.
    if (mb.length > 0) return goOn(p, budget, n);
    turns.afterTurn(p);
    return n;
  }

  /** The rest of a turn whose first `n` messages left more for its process: lean's, with the budget they left. */
  function goOn(p: Proc, budget: number, n: number): number {
    if (n + s.turnSends >= budget) {
      turns.afterTurn(p);
      return n;
    }
    return n + lean(p, budget - n - s.turnSends);
  }

  /** The handler of the n-th message returned a promise: the turn ends, the process waits for it. */
  function waits(p: Proc, n: number, next: PromiseLike<unknown>, msg: unknown): number {
    ended(p, n);
    turns.awaitHandler(p, next, msg);
    return n;
  }

  /** The process asked to stop, or an exit signal came, while its n-th message was handled: the turn ends, it exits. */
  function stops(p: Proc, n: number): number {
    ended(p, n);
    turns.stopping(p);
    return n;
  }

  /** The handler of the n-th message threw: that message was taken (not handled), and the process exits. */
  function threw(p: Proc, n: number, err: unknown, msg: unknown): void {
    ended(p, n);
    turns.crashed(p, err, msg);
  }

  /**
   * The turn's `n` messages were handled (the last may have thrown): out of their type's depth, and the
   * turn's sends counted (as TelemetryObserver.turnEnded, at 100%); sends
   * from here on are counted one by one.
   */
  function ended(p: Proc, n: number): void {
    p.depthCell!.n -= n;
    ledger.sent += s.turnSends;
    timing.inTurn = false;
  }
}
