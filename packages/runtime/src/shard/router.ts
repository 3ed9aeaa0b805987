// The one routing rule (where a pid lives, seen from this thread) and the signal paths built on it.

import { type ExitReason, NOPROC, formatReason, toWellFormed } from '../actor/exit-reason.js';
import { forWire } from '../codec/prepare.js';
import { copy } from '../codec/snapshot.js';
import type { Pid } from '../actor/pid.js';
import { ARITY, type ExitSignalReason, OP_DEMONITOR, OP_DOWN, OP_EXIT, OP_LINK, OP_MONITOR } from './protocol.js';
import { REMOTE, R_DEMONITOR, R_DOWN, R_EXIT, R_LINK, R_MONITOR, R_UNLINK } from './remote-ops.js';
import type { ShardState } from './shard-state.js';

/** `route()`: no thread of this system hosts the pid (a shard number out of range, or another node on a system without `node`). */
export const NO_ROUTE = -1;
export { REMOTE };

/** Runs ops[start..end) on this thread (the dispatcher, installed by the composition). */
export type LocalDispatch = (ops: unknown[], start: number, end: number, from: number) => void;

export class Router {
  readonly #s: ShardState;
  #dispatch: LocalDispatch = () => {
    throw new Error('joerl internal error: a signal was queued before the dispatcher was installed');
  };
  readonly #queue: unknown[] = [];
  #draining = false;

  constructor(state: ShardState) {
    this.#s = state;
  }

  /** Installs the dispatcher (the layer on top, built after this one), before anything runs. */
  dispatchWith(dispatch: LocalDispatch): void {
    this.#dispatch = dispatch;
  }

  /**
   * Where `pid` lives: this thread's number (deliver here), a peer thread's
   * number (its ring), REMOTE (another node: the main thread's connection),
   * or NO_ROUTE. Every path that addresses a pid (sends, quiet sends,
   * replies, signals, timers, spawn replies, offload results) asks this, so a
   * pid of another node can never be taken for a local one.
   */
  route(pid: Pid<unknown>): number {
    const s = this.#s;
    if (pid.node !== s.node) return s.distributed ? REMOTE : NO_ROUTE;
    if (pid.shard >= s.threads) return NO_ROUTE;
    return pid.shard;
  }

  /**
   * Queues a signal for a process on this thread and runs the queue unless it
   * is already running. Iterative, not recursive: an exit that kills a linked
   * process that kills the next... runs as a loop, however long the chain.
   */
  local(...op: unknown[]): void {
    const q = this.#queue;
    if (this.#draining) {
      for (let i = 0; i < op.length; i++) q.push(op[i]);
      return;
    }
    this.#draining = true;
    try {
      // The usual case, nothing queued: run it from its own array (no trip through the queue).
      this.#dispatch(op, 0, op.length, this.#s.thread);
      if (q.length === 0) return;
      let i = 0;
      while (i < q.length) {
        const end = i + 1 + ARITY[q[i] as number]!;
        this.#dispatch(q, i, end, this.#s.thread);
        i = end;
      }
      q.length = 0;
    } finally {
      this.#draining = false;
    }
  }

  /** True while the local signal queue runs: an op for this thread must then go behind what it holds (`local`). */
  get draining(): boolean {
    return this.#draining;
  }

  /** An exit signal from `from` to `to` (dropped when `to` is unreachable: nobody is there to tell). */
  sigExit(from: Pid, to: Pid, reason: ExitSignalReason, viaLink: boolean): void {
    const t = this.route(to);
    if (t === this.#s.thread) this.local(OP_EXIT, from, to.serial, this.#here(reason), viaLink);
    else if (t >= 0) this.#s.transport.emit4(t, OP_EXIT, from, to.serial, wireReason(reason, false), viaLink);
    else if (t === REMOTE) this.#s.remote(R_EXIT, to, from, wireReason(reason, true), viaLink, null);
  }

  /** A DOWN for monitor `ref` held by `to`, about `pid`. */
  sigDown(to: Pid, ref: number, pid: Pid, reason: ExitReason): void {
    const t = this.route(to);
    if (t === this.#s.thread) this.local(OP_DOWN, to.serial, ref, pid, this.#here(reason));
    else if (t >= 0) this.#s.transport.emit4(t, OP_DOWN, to.serial, ref, pid, wireReason(reason, false));
    else if (t === REMOTE) this.#s.remote(R_DOWN, to, ref, pid, wireReason(reason, true), null);
  }

  /**
   * A reason for a receiver on this thread: with checkLocalSends, a copy of
   * its own, as each receiver on another thread decodes one (a reason goes
   * to every link and monitor; one that changes it changes it for nobody else).
   */
  #here<R extends ExitSignalReason>(reason: R): R {
    return typeof reason === 'object' && this.#s.config.checkLocalSends ? (copy(reason, false) as R) : reason;
  }

  /** LINK, UNLINK, MONITOR and DEMONITOR: `from`, the target's serial, and a ref for the monitor ops. */
  sig(op: number, from: Pid, to: Pid, ref?: number): void {
    const t = this.route(to);
    if (t === this.#s.thread) {
      if (ref === undefined) this.local(op, from, to.serial);
      else this.local(op, from, to.serial, ref);
    } else if (t >= 0) {
      if (ref === undefined) this.#s.transport.emit2(t, op, from, to.serial);
      else this.#s.transport.emit3(t, op, from, to.serial, ref);
    } else if (t === REMOTE) {
      this.#s.remote(remoteKind(op), to, from, ref ?? null, null, null);
    } else if (op === OP_LINK) {
      // No thread hosts `to` (a shard number past this system's, another node's pid without `node`):
      // no such process, answered as a dead one's would be, not dropped (a join would never settle).
      this.sigExit(to, from, NOPROC, true);
    } else if (op === OP_MONITOR) {
      this.sigDown(from, ref!, to, NOPROC);
    }
  }
}

/**
 * A reason for the wire: as forWire makes a message (a `-0` keeps its
 * marker). Reasons were checked where they were given (exit(), stop(), or
 * made by the runtime from a throw); one that still cannot cross (shared
 * memory bound for another node) goes as its printed form rather than not at
 * all: a link or monitor must always fire.
 */
function wireReason<R extends ExitSignalReason>(reason: R, remote: boolean): R {
  if (typeof reason !== 'object') return reason;
  try {
    return forWire(reason, false, remote) as R;
  } catch {
    return { kind: 'custom', value: toWellFormed(formatReason(reason)) } as R;
  }
}

/** The remote op kind of a local signal op. */
function remoteKind(op: number): number {
  switch (op) {
    case OP_LINK:
      return R_LINK;
    case OP_MONITOR:
      return R_MONITOR;
    case OP_DEMONITOR:
      return R_DEMONITOR;
    default:
      return R_UNLINK;
  }
}
