// A process cell: everything the runtime keeps for one actor (or main-thread inbox) on its own thread.

import type { Span, SpanContext } from '@opentelemetry/api';
import type { TypeMetrics } from '@joerl/telemetry/internal';
import type { Behaviour } from './behaviour.js';
import type { ExitReason } from './exit-reason.js';
import { Mailbox } from './mailbox.js';
import { NoProcError } from '../errors.js';
import { type Pid, pidKey } from './pid.js';

/**
 * Status of a process; the numeric order matters (>= EXITING means "not accepting").
 * turn-lone.ts writes IDLE and RUNNING as literals (bytes it cannot spare): renumber them there too.
 */
export const S_INIT = 0; //     created, init not finished
export const S_IDLE = 1; //     nothing to do
export const S_QUEUED = 2; //   in the run queue
export const S_RUNNING = 3; //  a handler is on the stack
export const S_WAITING = 4; //  an async handler (or init) is pending
export const S_INBOX = 5; //    a main-thread inbox: never scheduled, read with receive()
export const S_EXITING = 6; //  terminate is running
export const S_DEAD = 7;

/**
 * Refuses an operation asked for `p` once it has exited (its code still
 * running after a kill): ERR_NO_PROC. What it would make (a call, a child, a
 * link, a monitor) would outlive it, since its exit has run already.
 */
export function checkLive(p: Proc): void {
  if (p.status === S_DEAD) throw new NoProcError(p.pid.toString());
}

/** A selective receive in progress. */
export interface PendingReceive {
  match: (msg: unknown) => boolean;
  resolve: (msg: unknown) => void;
  reject: (err: unknown) => void;
  timer: number;
}

/** A call this process is waiting on, keyed by its monitor ref. */
export interface PendingCall {
  /**
   * The resolving functions of the call's promise; null while `call()` is
   * still running, which makes the promise only if the call did not end
   * meanwhile (an in-shard server answers at once): an ending then is kept
   * in `outcome` and `value`, and the call returns a promise already settled.
   */
  resolve: ((value: unknown) => void) | null;
  reject: ((err: unknown) => void) | null;
  /** PC_PENDING, PC_OK or PC_FAILED: how the call ended before it had a promise. */
  outcome: number;
  value: unknown;
  /** When it times out (performance.now() ms; Infinity: never), and its timeout (which deadline queue it is in). */
  deadline: number;
  timeoutMs: number;
  /** Answered, failed or cancelled: its deadline no longer matters. */
  ended: boolean;
  to: Pid;
  /**
   * The server, when it lives on the caller's thread: the monitor behind the
   * call is then set and cleared on it directly (no MONITOR / DEMONITOR
   * signal round); null for a server on another thread or node.
   */
  server: Proc | null;
  /** Tracing: the call's CLIENT span. */
  span: Span | undefined;
  /** With a signal: removes its abort listener (called when the call ends, however it ends). */
  unlisten: (() => void) | undefined;
}

/**
 * Called once when a spawn finishes: with the pid, or with the error; `type`
 * is the behaviour's name once its module is loaded (null before: the
 * `actor.spawn` span keeps the name it guessed from the file).
 */
export type SpawnReply = (pid: Pid | null, err: unknown, type: string | null) => void;

/**
 * The calls a server took and has not answered yet (telemetry only: call
 * duration, late answers, calls in flight at exit). Made on its first call
 * and kept for its life, so a process that never serves a call carries one
 * null field, not five fields and two boxed doubles.
 */
export class Serving {
  /** The one call being served when there is only one (no Map entry, no tuple per call): its ref, sent time (abs ms) and the caller's deadline. */
  one = false;
  ref = 0;
  at = NaN;
  deadline = Infinity;
  /** The others: ref -> [sent at (abs ms), caller's deadline]. */
  more: Map<number, [number, number]> | null = null;
}

export class Proc {
  readonly pid: Pid;
  readonly mailbox: Mailbox;
  behaviour: Behaviour | null = null;
  /** The `type` label: the behaviour's name. */
  typeName = 'unknown';
  state: unknown = undefined;
  status = S_INIT;
  initialized = false;
  trapExit = false;
  /** Linked processes, by `pidKey` (unique across nodes). */
  links: Map<number | string, Pid> | null = null;
  /** Monitors this process holds: ref -> watched pid. */
  monitors: Map<number, Pid> | null = null;
  /** Monitors on this process: ref -> watcher pid. */
  monitoredBy: Map<number, Pid> | null = null;
  /** Names registered to this process (freed at exit). */
  names: string[] | null = null;
  /** Timers this process set for itself (cancelled at exit). */
  timers: Set<number> | null = null;
  /** Selective receives in progress, oldest first (inboxes may have several). */
  receivers: PendingReceive[] | null = null;
  /** Calls in flight from this process, by monitor ref. */
  calls: Map<number, PendingCall> | null = null;
  /**
   * The call in flight when it is the only one (the usual case): kept out of
   * `calls`, as a Map set and deleted once per round trip costs more than the
   * rest of the bookkeeping (its deletes rehash). `call` null: none here.
   */
  call: PendingCall | null = null;
  callRef = 0;
  /**
   * One watcher of this process on this node, and its monitor ref: a
   * monitor as those in `monitoredBy`, held here for the same reason as
   * `call` (usually a caller waiting on a call to this process, whose
   * monitor is set and cleared every round trip; its DOWN fails the call).
   * The first monitor takes it when free; others go in `monitoredBy`.
   */
  callWatcher: Pid | null = null;
  callWatcherRef = 0;
  /** Set by ctx.stop(): exit with this reason after the current handler. */
  stopReason: ExitReason | null = null;
  /** An exit signal that arrived while a handler was on the stack. */
  pendingExit: ExitReason | null = null;
  spawnReply: SpawnReply | null = null;
  /** Opaque context object handed to handlers (built by the runtime). */
  ctx: unknown = null;
  /** Telemetry only: its slot in the thread's start times (ProcessAccounting.lifetimes, shared with the actors that started at the same clock), from when its type became known; -1: none. */
  lifeSlot = -1;
  /** Who spawned this process (undefined for main-thread inboxes). */
  parent: Pid | undefined = undefined;
  /** This process's behaviour slots in the thread's metric region (null until its type is known, or telemetry off). */
  tm: TypeMetrics | null = null;
  /** Calls this process took and has not answered (telemetry only; null until its first call). */
  serving: Serving | null = null;
  /** A GenStatem's current state (for the current-state gauge). */
  statemState: string | null = null;
  /** Tracing: the context of this actor's `actor.spawn` span (lifecycle spans go under it). */
  traceParent: SpanContext | null = null;
  /** Tracing: the handle span of an async handler still running. */
  traceSpan: Span | null = null;
  /**
   * Telemetry: where messages in and out of this mailbox are counted until
   * the thread's next flush writes them to its type's depth gauge (null:
   * not counted, its type not known yet or telemetry off), and whether the
   * process is a plain actor (see shard/telemetry-ledger.ts).
   */
  depthCell: { n: number; readonly plain: boolean } | null = null;
  /** Messages handled so far (added once per turn by the scheduler): introspection's "reductions". */
  handled = 0;
  /**
   * `handled` at the last introspection sample, and the rate between the last two samples in tenths of
   * a message per second: an integer (a Smi), as a double would give every Proc created after the first
   * sample a boxed number of its own.
   */
  handledAtSample = 0;
  rate10 = 0;
  /**
   * Messages per turn for a slow handler, measured by the scheduler; 0: not
   * measured yet, and -1: a timed turn found it fast (both the thread's
   * `actorBudget`; only -1 gets the catch-up turn a long mailbox earns).
   */
  turnBudget = 0;

  constructor(pid: Pid, capacity: number) {
    this.pid = pid;
    // Room for two messages to start with (most actors hold few at a time; the ring doubles as needed): 16 B less per actor than four.
    this.mailbox = new Mailbox(capacity, 2);
  }

  /** The behaviour's name once its module is loaded, else null (what a spawn reply carries). */
  get knownType(): string | null {
    return this.behaviour === null ? null : this.typeName;
  }

  addLink(pid: Pid): boolean {
    if (this.links === null) this.links = new Map();
    const k = pidKey(pid);
    if (this.links.has(k)) return false;
    this.links.set(k, pid);
    return true;
  }

  addMonitoredBy(ref: number, watcher: Pid): void {
    if (this.monitoredBy === null) this.monitoredBy = new Map();
    this.monitoredBy.set(ref, watcher);
  }

  addMonitor(ref: number, target: Pid): void {
    if (this.monitors === null) this.monitors = new Map();
    this.monitors.set(ref, target);
  }

  addName(name: string): void {
    if (this.names === null) this.names = [];
    if (!this.names.includes(name)) this.names.push(name);
  }

  removeName(name: string): void {
    if (this.names === null) return;
    const i = this.names.indexOf(name);
    if (i >= 0) this.names.splice(i, 1);
  }
}
