// Selective receive: pending receives take matching messages as they arrive; queued ones are searched first.

import { type PendingReceive, type Proc, S_DEAD } from '../actor/proc.js';
import { InvalidArgumentError, NoProcError, SystemStoppedError } from '../errors.js';
import type { ShardState } from './shard-state.js';

export class Receive {
  private readonly s: ShardState;
  /** A message offered to `p` that no receive took, `p` having ended in a match (set by ThreadRuntime: a dead letter). */
  lost: (p: Proc, msg: unknown) => void = () => {};

  constructor(state: ShardState) {
    this.s = state;
  }

  /** The first queued or arriving message `match` accepts; `undefined` after `timeoutMs`. */
  receive(p: Proc, match: (msg: unknown) => boolean, timeoutMs: number | undefined): Promise<unknown> {
    if (typeof match !== 'function') return Promise.reject(new InvalidArgumentError('receive needs a match function'));
    if (timeoutMs !== undefined && (typeof timeoutMs !== 'number' || Number.isNaN(timeoutMs) || timeoutMs < 0)) {
      return Promise.reject(new InvalidArgumentError(`receive timeoutMs must be a number >= 0, got ${String(timeoutMs)}`));
    }
    if (p.status === S_DEAD) return Promise.reject(this.s.shuttingDown ? new SystemStoppedError() : new NoProcError(p.pid.toString()));
    const mb = p.mailbox;
    try {
      for (let i = 0; i < mb.length; i++) if (match(mb.at(i)) === true) return Promise.resolve(this.takeAt(p, i));
    } catch (err) {
      return Promise.reject(err);
    }
    if (timeoutMs === 0) return Promise.resolve(undefined);
    return new Promise((resolve, reject) => {
      const r: PendingReceive = { match, resolve, reject, timer: 0 };
      if (timeoutMs !== undefined && Number.isFinite(timeoutMs)) {
        r.timer = this.s.newRef();
        this.s.timers.add(r.timer, timeoutMs, () => {
          r.timer = 0;
          this.end(p, r);
          resolve(undefined);
        });
      }
      (p.receivers ??= []).push(r);
    });
  }

  /**
   * Hands `msg` to the oldest pending receive that matches it. A match that
   * throws ends its receive (rejected with the error) and the others are
   * asked: when none is left, the message is the mailbox's (false).
   */
  offer(p: Proc, msg: unknown): boolean {
    const rs = p.receivers;
    if (rs === null) return false;
    const frame = this.s.frame;
    let took: boolean;
    if (frame.ops === null) took = this.offerTo(p, rs, msg);
    else {
      // The matches are actor code run in the middle of a ring frame: if one never returns, the frame's messages from here on are counted.
      frame.enter();
      try {
        took = this.offerTo(p, rs, msg);
      } finally {
        frame.leave();
      }
    }
    // A match ended its own process (closed its inbox, exited): the message has nobody to go to, and in the
    // dead mailbox it would be found by nobody (and counted lost at shutdown, for the wrong reason).
    if (!took && p.status === S_DEAD) {
      this.lost(p, msg);
      return true;
    }
    return took;
  }

  private offerTo(p: Proc, rs: PendingReceive[], msg: unknown): boolean {
    for (let i = 0; i < rs.length; i++) {
      const r = rs[i]!;
      let ok: boolean;
      try {
        ok = r.match(msg) === true;
      } catch (err) {
        this.end(p, r);
        r.reject(err);
        return this.offer(p, msg);
      }
      if (ok) {
        // The match is user code: a send to its own process from there may
        // have been offered first and taken this very receive. Then `msg`
        // goes to the receives left, or to the mailbox, not nowhere.
        if (!this.end(p, r)) return this.offer(p, msg);
        r.resolve(msg);
        return true;
      }
    }
    return false;
  }

  /** Takes the i-th queued message out of order (selective receive, demonitor flush), keeping the depth gauge right. */
  takeAt(p: Proc, i: number): unknown {
    const msg = p.mailbox.removeAt(i);
    if (!p.mailbox.tookSystem(msg)) this.s.ctl.i32[this.s.queuedIndex]!--;
    this.s.observer.mailboxOut(p, 1);
    return msg;
  }

  /** The process is exiting: every pending receive rejects. */
  cancel(p: Proc): void {
    const rs = p.receivers;
    if (rs === null) return;
    p.receivers = null;
    for (const r of rs) {
      if (r.timer !== 0) this.s.timers.cancel(r.timer);
      r.reject(this.s.shuttingDown ? new SystemStoppedError() : new NoProcError(p.pid.toString()));
    }
  }

  /** Ends receive `r` of `p`; false if it had ended already (its promise settled). */
  private end(p: Proc, r: PendingReceive): boolean {
    const rs = p.receivers;
    let pending = false;
    if (rs !== null) {
      const i = rs.indexOf(r);
      if (i >= 0) {
        rs.splice(i, 1);
        pending = true;
      }
      if (rs.length === 0) p.receivers = null;
    }
    if (r.timer !== 0) this.s.timers.cancel(r.timer);
    return pending;
  }
}
