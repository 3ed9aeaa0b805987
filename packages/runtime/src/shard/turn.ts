// A turn: up to a budget of one process's messages, run by the scheduler; async handlers hand the process back later.

import { panicReason } from '../actor/exit-reason.js';
import { type Proc, S_IDLE, S_QUEUED, S_RUNNING, S_WAITING } from '../actor/proc.js';
import { isThenable } from '../validate.js';
import type { Exits } from './exits.js';
import type { ShardState } from './shard-state.js';

/** Runs one turn with telemetry (see turn-observed.ts); the scheduler's runner when the observer observes turns. */
export type ObservedTurn = (p: Proc, budget: number) => number;

export class Turns {
  private readonly s: ShardState;
  private readonly exits: Exits;

  constructor(state: ShardState, exits: Exits) {
    this.s = state;
    this.exits = exits;
  }

  /**
   * Runs up to `budget` messages of `p`: the scheduler's runner when nothing
   * observes this thread. The one telemetry fork of the message path is
   * taken once, at start: a thread that observes runs the observed turn
   * (turn-observed.ts) instead, which times, counts and traces what it runs.
   */
  readonly run = (p: Proc, budget: number): number => {
    const s = this.s;
    p.status = S_RUNNING;
    const b = p.behaviour!;
    const ctx = p.ctx;
    const mb = p.mailbox;
    const ctl = s.ctl.i32;
    const queued = s.queuedIndex;
    let n = 0;
    s.turnSends = 0;
    while (n + s.turnSends < budget && mb.length > 0) {
      const msg = mb.shift();
      n++;
      // Handled from here on: out of the thread's QUEUED count right before the handler is entered.
      if (mb.sysCount === 0 || !mb.tookSystem(msg)) ctl[queued]!--;
      let next: unknown;
      try {
        next = b.handle(msg, p.state, ctx as never);
      } catch (err) {
        this.crashed(p, err, msg);
        return n;
      }
      if (isThenable(next)) {
        this.awaitHandler(p, next, msg);
        return n;
      }
      p.state = next;
      if (this.stopping(p)) return n;
    }
    this.afterTurn(p);
    return n;
  };

  /** A handler threw while handling `msg`: a crash report, and the process exits with `panic` (never the shard). */
  crashed(p: Proc, err: unknown, msg: unknown): void {
    this.s.reports.crash(p, 'handle', err, msg);
    p.status = S_IDLE;
    this.exits.exitProc(p, panicReason(err));
  }

  /** An async handler (of `msg`) is pending: the process waits, and the scheduler knows work is still coming. */
  awaitHandler(p: Proc, next: PromiseLike<unknown>, msg: unknown): void {
    p.status = S_WAITING;
    this.s.scheduler.asyncPending++;
    next.then(
      (state) => this.resume(p, state),
      (err: unknown) => this.asyncCrash(p, err, msg),
    );
  }

  /** After a handler returned: exit now if it asked to stop or an exit signal came meanwhile. */
  stopping(p: Proc): boolean {
    if (p.pendingExit === null && p.stopReason === null) return false;
    p.status = S_IDLE;
    this.exits.applyPending(p);
    return true;
  }

  /** A turn ran out of budget or of messages: back in the run queue, or idle. */
  afterTurn(p: Proc): void {
    if (p.mailbox.length > 0) {
      p.status = S_QUEUED;
      this.s.scheduler.enqueue(p);
    } else {
      p.status = S_IDLE;
    }
  }

  private resume(p: Proc, state: unknown): void {
    this.s.scheduler.asyncPending--;
    this.endAsyncSpan(p);
    if (p.status !== S_WAITING) return; // exited while the handler was pending
    p.state = state;
    p.status = S_IDLE;
    if (this.exits.applyPending(p)) return;
    if (p.mailbox.length > 0) this.s.schedule(p);
  }

  private asyncCrash(p: Proc, err: unknown, msg: unknown): void {
    this.s.scheduler.asyncPending--;
    this.endAsyncSpan(p, err);
    if (p.status !== S_WAITING) return;
    this.crashed(p, err, msg);
  }

  private endAsyncSpan(p: Proc, err?: unknown): void {
    if (p.traceSpan === null) return;
    this.s.observer.spanEnded(p.traceSpan, err);
    p.traceSpan = null;
  }
}
