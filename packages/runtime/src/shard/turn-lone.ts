// The observed turn of a few messages (a ping-pong, a ring, Savina's Big): turn.ts's turn plus its telemetry, small enough to inline.

import type { Proc } from '../actor/proc.js';
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
 * actor with both sampling rates above 0 whose mailbox holds 1 to LONE_MAX messages (every
 * turn of a ping-pong or a ring; most turns of Savina's Big, where 120
 * actors ping each other) gets a turn that does what `lean`'s lone-message
 * branch does, message by message, in straight code the size of turn.ts's:
 * the scheduler's slice inlines it as it inlines `Turns.run`, and the
 * handler with it (`lean`, with its runs, its tracing and its loops, is too
 * big to inline: a handler called from it is compiled on its own, with
 * other inlining, and in Big telemetry cost ~20 ns a message, ~13 of them
 * there). Anything else, and whatever is still queued after LONE_MAX
 * messages (sends to itself), goes to `lean`.
 *
 * What TurboFan inlines into the slice is bounded twice: no function over
 * 460 bytes of bytecode, and 920 bytes in all, where a function that already
 * has optimized code of its own counts with what that code inlined, 1.2
 * times over. `lone` is hotter than the slice, so it is optimized first, on
 * its own, with the handler, its sends and shiftLone inlined (297 bytes in
 * a ring; at 301 the slice no longer inlined it): `lone` itself must stay at
 * 424 bytes (turn-lone-size.test.ts; `lone` was 459 with a
 * loop and its timing helpers inlined, ~925 in all: a ring's slice never
 * inlined it, and telemetry cost ~8 ns a message instead of ~3). So `lone`
 * takes the first message in straight code with the block count, the turn's
 * end and afterTurn's idle written out, `more` the next ones, and the rare
 * paths are functions of their own.
 *
 * Per message: its queue wait (a stamp equal to the block's tick, sent in the
 * open timing block, is a wait of 0 counted with one integer compare; `more` counts it
 * with TurnTiming.took, without a branch on which, as Big's mailboxes mix
 * this block's stamps with the last one's) and one count in
 * the block, as `lean`'s lone-message branch does; the block's clock is the
 * message's start (the block opens with the turn, see TurnTiming.openBlock,
 * and a block that fills moves `clock` and `tick` with `blockStart`; nothing else on
 * this thread moves them while tracing is off). Per turn: its sends and
 * the mailbox's depth, as `lean` counts them.
 */
export function loneTurn(s: ShardState, turns: Turns, obs: TelemetryObserver, lean: ObservedTurn): ObservedTurn {
  const timing = obs.timing;
  const ledger = obs.ledger;
  // The thread's QUEUED count, as Turns.run reads it (both fixed for the thread's life): fewer bytes in `lone`.
  const ctl = s.ctl.i32;
  const queued = s.queuedIndex;
  return lone;

  /** A turn's first message, and the whole turn when it is its only one (a ping-pong's, a ring's). */
  function lone(p: Proc, budget: number): number {
    const mb = p.mailbox;
    // (A typed process has a depth cell, which says whether it is a plain actor: see ProcessAccounting.typed.)
    const c = p.depthCell;
    if (mb.length === 0 || mb.length > 4 || c === null || !c.plain || !obs.loneTurns) return lean(p, budget);
    const b = p.behaviour!;
    // (A local: a closure's constant is read with a check for its temporal dead zone, bytes lone cannot spare.)
    const t = timing;
    // (Literals, as 4 above: an imported constant is read with a check for its temporal dead zone.)
    p.status = 3; // S_RUNNING
    if (!t.blockLive) t.openBlock();
    t.inTurn = true;
    s.turnSends = 0;
    const msg = mb.shiftLone();
    // Sent in this timing block (a ping-pong, a ring): waited 0 ms, counted as such; any other stamp goes the long way.
    if (mb.lastStamp === t.tick) t.zeroWaits++;
    else t.waited(mb);
    // Handled from here on: out of the thread's QUEUED count right before the handler is entered.
    if (mb.sysCount === 0 || !mb.tookSystem(msg)) ctl[queued]!--;
    let next: unknown;
    try {
      next = b.handle(msg, p.state, p.ctx as never);
    } catch (err) {
      return threw(p, 1, err, msg);
    }
    if (++t.blockCount >= t.size) t.endBlock();
    if (isThenable(next)) return waits(p, 1, next, msg);
    p.state = next;
    if (p.pendingExit !== null || p.stopReason !== null) return stops(p, 1);
    // More queued (it came with up to LONE_MAX, or it sent itself some): the rest of the turn is `more`'s.
    if (mb.length > 0) return more(p, budget);
    // The turn ends: ended() and afterTurn's idle, written out.
    c.n--;
    ledger.sent += s.turnSends;
    t.inTurn = false;
    p.status = 1; // S_IDLE
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
      // (Without a branch on which: Big's mailboxes mix this block's stamps with the last one's, see TurnTiming.took.)
      t.took(mb);
      if (mb.sysCount === 0 || !mb.tookSystem(msg)) ctl[queued]!--;
      let next: unknown;
      try {
        next = b.handle(msg, p.state, p.ctx as never);
      } catch (err) {
        return threw(p, n, err, msg);
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
  function threw(p: Proc, n: number, err: unknown, msg: unknown): number {
    ended(p, n);
    turns.crashed(p, err, msg);
    return n;
  }

  /**
   * The turn's `n` messages were handled (the last may have thrown): out of their type's depth, and the
   * turn's sends counted (as TelemetryObserver.turnEnded, in bulk); sends
   * from here on are counted one by one. (Its depth cell is still there: an
   * exit that comes while a handler runs waits for it, see Exits.)
   */
  function ended(p: Proc, n: number): void {
    p.depthCell!.n -= n;
    ledger.sent += s.turnSends;
    timing.inTurn = false;
  }
}
