// Timers: sendAfter and cancelTimer over the thread's timer heap; a process's own timers die with it.

import type { TimerRef } from '../actor/context.js';
import { MAX_THREADS, Pid, isPid } from '../actor/pid.js';
import { type Proc, S_DEAD } from '../actor/proc.js';
import { movesPending } from '../codec/move.js';
import { forLocal, forSignal } from '../codec/prepare.js';
import { InvalidArgumentError } from '../errors.js';
import { nameProblem } from '../registry/name-table.js';
import { describe } from '../validate.js';
import type { Delivery } from './delivery.js';
import type { Router } from './router.js';
import type { ShardState } from './shard-state.js';

export class Timers {
  private readonly s: ShardState;
  private readonly router: Router;
  private readonly delivery: Delivery;

  constructor(state: ShardState, router: Router, delivery: Delivery) {
    this.s = state;
    this.router = router;
    this.delivery = delivery;
  }

  /** Delivers `msg` to `to` after `delayMs` (a name is resolved when the timer fires). `owner`'s timers are cancelled when it exits. */
  sendAfter(owner: Proc | null, to: Pid<unknown> | string, msg: unknown, delayMs: number): TimerRef {
    if (!isPid(to) && typeof to !== 'string') throw new InvalidArgumentError(`sendAfter needs a Pid or a name, got ${describe(to)}`);
    // A name no table can hold (empty, a lone surrogate, over 96 bytes): refused here, not when the timer fires.
    const bad = typeof to === 'string' ? nameProblem(to) : null;
    if (bad !== null) throw new InvalidArgumentError(`sendAfter: ${bad}`);
    checkDelay('sendAfter', delayMs);
    // Refused now rather than as a dead letter later, wherever the message will go; with checkLocalSends
    // taken now, as a send would take it (what the sender changes later shows nowhere). A moved buffer
    // is taken now in any case, as a send takes it.
    const checked = this.s.config.checkLocalSends;
    const here = isPid(to) && this.router.route(to) === this.s.thread;
    const m = checked || !here ? forSignal(msg, 'message', true, checked) : movesPending() ? forLocal(msg, false) : msg;
    return this.arm(owner, delayMs, () => this.delivery.sendQuiet(to, m));
  }

  /**
   * `msg` to `owner` itself after `delayMs`, queued even into a full mailbox,
   * as EXIT and DOWN are (a behaviour's timeout, see ActorContext.timeoutAfter).
   * Internal to the process: not counted as a message sent.
   */
  timeoutAfter(owner: Proc, msg: object, delayMs: number): TimerRef {
    checkDelay('a timeout', delayMs);
    // Kept aside by identity once queued (Mailbox.pushAlways): a string or a number cannot be, and would
    // fail there, when the timer fires, on the thread's timer loop (the shard's end).
    if (typeof msg !== 'object' || msg === null) throw new InvalidArgumentError(`timeoutAfter needs an object as its message, got ${describe(msg)}: wrap it, as { timeout: ${describe(msg)} }`);
    return this.arm(owner, delayMs, () => {
      if (owner.status !== S_DEAD) this.delivery.enqueueSystem(owner, msg);
    });
  }

  /**
   * A timer that runs `deliver` after `delayMs`, held in `owner`'s set until
   * it fires, is cancelled, or its owner exits. A process that has exited
   * (its code still running after a kill) sets none: its timers die with it.
   */
  private arm(owner: Proc | null, delayMs: number, deliver: () => void): TimerRef {
    const ref = this.s.newRef();
    if (owner !== null && owner.status === S_DEAD) return ref;
    this.s.timers.add(
      ref,
      delayMs,
      () => {
        if (owner !== null && owner.timers !== null) owner.timers.delete(ref);
        deliver();
      },
      owner,
    );
    if (owner !== null) (owner.timers ??= new Set()).add(ref);
    return ref;
  }

  /** True only if the timer had not fired yet. A timer is cancelled on the thread that set it. */
  cancelTimer(ref: TimerRef): boolean {
    if (typeof ref !== 'number' || !Number.isInteger(ref)) throw new InvalidArgumentError(`cancelTimer needs a TimerRef, got ${describe(ref)}`);
    const thread = this.s.thread;
    if (ref % MAX_THREADS !== thread) {
      throw new InvalidArgumentError(`timer ${ref} was set on thread ${ref % MAX_THREADS}; cancel it there (this is thread ${thread})`);
    }
    // Out of its owner's set, whoever cancels it (another process of this thread may).
    const o = this.s.timers.ownerOf(ref) as Proc | null;
    if (o !== null && o.timers !== null) o.timers.delete(ref);
    return this.s.timers.cancel(ref);
  }

  /** The process is exiting: its timers never fire. */
  cancelAll(p: Proc): void {
    if (p.timers === null) return;
    for (const id of p.timers) this.s.timers.cancel(id);
    p.timers = null;
  }
}

function checkDelay(what: string, delayMs: number): void {
  if (typeof delayMs !== 'number' || !Number.isFinite(delayMs) || delayMs < 0) {
    throw new InvalidArgumentError(`${what} delay must be a finite number of ms >= 0, got ${String(delayMs)}`);
  }
}
