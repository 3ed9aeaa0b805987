// Calls: a request with a monitor on the server and an optional timeout; replies go straight to the waiting caller.

import { performance } from 'node:perf_hooks';
import { context, trace } from '@opentelemetry/api';
import { type ExitReason, formatReason, isNoProc } from '../actor/exit-reason.js';
import { type From, isCallMessage, isFrom } from '../actor/messages.js';
import { Pid, isPid } from '../actor/pid.js';
import { type PendingCall, type Proc, S_DEAD, checkLive } from '../actor/proc.js';
import { assertEncodable } from '../codec/codec.js';
import { CallFailedError, CallTimeoutError, InvalidArgumentError, MailboxFullError, NoProcError, UnencodableError, UnknownNameError, NodeDownError, SystemStoppedError, fromWireError, toWireError, type WireError } from '../errors.js';
import { checkSignal, describe } from '../validate.js';
import { CallDeadlines } from './call-deadlines.js';
import type { Delivery } from './delivery.js';
import { OP_DEMONITOR, OP_MONITOR, OP_REPLY } from './protocol.js';
import { R_REPLY, REMOTE, isNoConnection } from './remote-ops.js';
import { NO_ROUTE, type Router } from './router.js';
import type { ShardState } from './shard-state.js';

export class Calls {
  private readonly s: ShardState;
  private readonly router: Router;
  private readonly delivery: Delivery;
  private readonly deadlines: CallDeadlines;
  /**
   * A server on this thread may run its turn at once (Scheduler.runNow).
   * Not with tracing on: run from the caller's continuation, the server's
   * handler would see the caller's async context, not the root one a turn
   * from the scheduler's loop sees.
   */
  private readonly runNow: boolean;

  constructor(state: ShardState, router: Router, delivery: Delivery, runNow: boolean) {
    this.s = state;
    this.runNow = runNow;
    this.router = router;
    this.delivery = delivery;
    this.deadlines = new CallDeadlines(state, (p, ref, pc) => {
      if (pendingOf(p, ref) !== pc) return;
      const err = new CallTimeoutError(pc.to.toString(), pc.timeoutMs);
      this.end(p, ref, pc, true, err);
      settle(pc, false, err);
    });
    delivery.callUnsent = (from, ref) => {
      // Answered as a reply would be, to the caller on this thread (a call that already ended finds nothing).
      if (from.node === state.node && from.shard === state.thread) {
        this.onReply(from.serial, ref, false, toWireError(new UnencodableError('request', "a call's request", 'it changed after the call and no longer encodes (do not change a message once it is sent: send a copy)')), null);
      }
    };
    delivery.callRefused = (p, msg) => {
      // (A forged envelope, a `from` whose pid is no Pid, gets its dead letter only: this runs in a ring's dispatch.)
      if (!isCallMessage(msg) || !isFrom(msg.from) || !isPid(msg.from.pid)) return;
      this.reply(msg.from, false, toWireError(new MailboxFullError(p.pid.toString(), p.mailbox.capacity)));
    };
  }

  /**
   * Sends `req` to `to` as a call and resolves with its reply. The server is
   * monitored for the call's duration, so a dead, dying or crashing server
   * fails the call at once (ERR_NO_PROC / ERR_CALL_FAILED with its reason),
   * not after the timeout. The reply never enters the caller's mailbox: a
   * reply that comes after the timeout finds no pending call and is dropped.
   */
  call(p: Proc, to: Pid<unknown> | string, req: unknown, timeoutMs: number, signal?: AbortSignal): Promise<unknown> {
    const s = this.s;
    let pid: Pid<unknown>;
    let t: number;
    let local: boolean;
    try {
      checkLive(p);
      pid = this.delivery.resolveTarget(to, 'call');
      // OTP's calling_self: the reply could only come once this call returned (it would wait for its timeout, or forever).
      if (pid.equals(p.pid)) throw new InvalidArgumentError(`a process cannot call itself (${pid}): handle the request directly, or send it to yourself and answer it in a later turn`);
      if (timeoutMs !== Infinity && (typeof timeoutMs !== 'number' || !(timeoutMs >= 0))) {
        throw new InvalidArgumentError(`call timeoutMs must be a number >= 0 or Infinity, got ${describe(timeoutMs)}`);
      }
      // An aborted signal throws its reason here: nothing is sent.
      if (signal !== undefined) checkSignal(signal, 'call');
      t = this.router.route(pid);
      local = t === s.thread;
      // In-shard, only the request is copied (checkLocalSends), not the envelope the runtime wraps it in.
      if (local) req = this.delivery.prepareLocal(req);
      else assertEncodable(req);
    } catch (err) {
      return Promise.reject(err);
    }
    let server: Proc | null = null;
    // The call's clock read (NaN: none was needed), which runNow reuses rather than reading its own.
    let now = NaN;
    let pc: PendingCall | null = null;
    let ref = 0;
    try {
      ref = s.newRef();
      if (local) {
        // Same thread: whether the server lives is known now, and its exit finds the call through
        // its monitoredBy as any monitor's would (a DOWN that fails the call with its reason). A
        // server running its terminate is alive (as for a caller on another thread, Exits.onMonitor):
        // the request waits in its mailbox, and the call fails with its exit reason when it is gone.
        server = s.procs.get(pid.serial) ?? null;
        if (server === null || server.status === S_DEAD) {
          this.delivery.callNoProc(pid);
          return Promise.reject(new NoProcError(pid.toString()));
        }
        if (server.callWatcher === null) {
          server.callWatcher = p.pid;
          server.callWatcherRef = ref;
        } else {
          server.addMonitoredBy(ref, p.pid);
        }
      }
      // Every field in the literal: one shape for every call (a field added later, a span, would fork it).
      pc = { resolve: null, reject: null, outcome: PC_PENDING, value: undefined, deadline: Infinity, timeoutMs, ended: false, to: pid, server, span: undefined, unlisten: undefined };
      addPending(p, ref, pc);
      // Another thread of this node: the monitor goes inside the call's op (Delivery.sendCall), set up there before the request is seen.
      const thread = t >= 0 && !local;
      if (server === null) {
        p.addMonitor(ref, pid);
        if (!thread) {
          this.router.sig(OP_MONITOR, p.pid, pid, ref);
          if (pendingOf(p, ref) !== pc) return promiseOf(pc); // a server that is already gone: rejected with noproc
        }
      }
      const obs = s.observer;
      // One clock read per call serves its deadline and, with telemetry, its sent time and the send's stamp.
      if (timeoutMs !== Infinity || obs.observesTurns) now = performance.now();
      if (signal !== undefined) this.listen(p, ref, pc, signal);
      const span = obs.callStarted(pid);
      if (span !== undefined) pc.span = span;
      const env = obs.callEnvelope({ pid: p.pid, ref }, req, timeoutMs, now);
      try {
        if (thread) {
          if (span === undefined) this.delivery.sendCall(t, pid, p.pid, ref, env);
          else context.with(trace.setSpan(context.active(), span), () => this.delivery.sendCall(t, pid, p.pid, ref, env));
        } else if (span === undefined) {
          if (server !== null) this.delivery.sendTo(server, env, p.pid);
          else this.delivery.send(pid, env, p.pid, local);
        }
        else context.with(trace.setSpan(context.active(), span), () => this.delivery.send(pid, env, p.pid, local));
      } catch (err) {
        this.end(p, ref, pc, true, err);
        settle(pc, false, err);
        server = null;
      }
    } catch (err) {
      // What an executor would have done with a throw: the call rejects (the send's own failure is handled above).
      if (pc === null) return Promise.reject(err);
      settle(pc, false, err);
      return promiseOf(pc);
    }
    // A server on this thread answers now when it can (see Scheduler.runNow): no slice per round trip.
    if (server !== null && this.runNow) {
      this.nowRef = ref;
      this.nowCaller = p;
      this.nowCall = pc;
      s.scheduler.runNow(server, now);
      this.nowRef = -1;
      this.nowCaller = this.nowCall = null;
    }
    // Not a timer per call (a setTimeout armed and cleared every round trip): a queue per timeout value,
    // joined from the call's clock by a call still waiting once it is sent. Most in-shard calls ended in
    // the server's turn above, and a queue entry (pushed, marked ended, trimmed) was a tenth of them.
    if (timeoutMs !== Infinity && !pc.ended) {
      pc.deadline = now + timeoutMs;
      this.deadlines.add(p, ref, pc);
    }
    return promiseOf(pc);
  }

  /**
   * The DEMONITOR of an answered call to another thread goes out from a
   * microtask: after the caller's continuation, which usually makes the next
   * call, so both reach the server's thread in one frame (one publish, at
   * most one wake-up) instead of a frame for the demonitor alone. Until it
   * arrives the server may still send a DOWN for the ref; the caller no
   * longer holds that monitor and drops it, as after any demonitor.
   */
  private demonitorSoon(from: Pid, to: Pid, ref: number): void {
    const q = this.demonitors;
    if (q.length === 0) queueMicrotask(this.sendDemonitors);
    q.push(from, to, ref);
  }

  private readonly demonitors: unknown[] = [];
  private readonly sendDemonitors = (): void => {
    const q = this.demonitors;
    for (let i = 0; i < q.length; i += 3) this.router.sig(OP_DEMONITOR, q[i] as Pid, q[i + 1] as Pid, q[i + 2] as number);
    q.length = 0;
  };

  /**
   * Sends a cast envelope: fire and forget. As OTP's gen_server:cast, a
   * server that does not exist is no error: a cast to a dead process or to
   * a name nobody holds is a dead letter (counted, and reported with reason
   * actor_not_found, as one to a dead process on another thread is, whose
   * death the sender cannot see). Anything else throws as a send does.
   */
  cast(to: Pid<unknown> | string, msg: unknown, from?: Pid): void {
    const env = { $joerl: 'cast', msg };
    try {
      this.delivery.send(to, env, from);
    } catch (err) {
      if (!(err instanceof NoProcError) && !(err instanceof UnknownNameError)) throw err;
      this.delivery.deadLetter(to, env, 'actor_not_found', null, true);
    }
  }

  /** Answers a call (now or later). A reply to a call that already ended is dropped at the caller. `by` is the answering process (telemetry). */
  reply(from: From, ok: boolean, value: unknown, by: Proc | null = null): void {
    if (!isFrom(from) || !isPid(from.pid)) throw new InvalidArgumentError(`reply needs the From of a call, got ${describe(from)}`);
    const s = this.s;
    s.observer.replied(by, from.ref);
    // The call whose server runs its turn inside call() (runNow): its caller and entry are at hand, no lookups.
    // (The pid too, not the ref alone: a From of a caller on another node may carry the same ref.)
    const caller = this.nowCaller;
    if (from.ref === this.nowRef && caller !== null && from.pid === caller.pid && !this.router.draining) {
      this.nowRef = -1;
      this.answered(caller, from.ref, this.nowCall!, ok, this.delivery.prepareLocal(value), false);
      return;
    }
    const to = from.pid;
    const tp = s.observer.replyContext();
    const t = this.router.route(to);
    if (t === s.thread) {
      const v = this.delivery.prepareLocal(value);
      // Straight to the caller's pending call, unless the signal queue is running: then behind what it holds.
      if (this.router.draining) this.router.local(OP_REPLY, to.serial, from.ref, ok, v, tp, false);
      else this.onReply(to.serial, from.ref, ok, v, tp);
      return;
    }
    if (t === NO_ROUTE) return;
    const v = this.delivery.prepareRemote(value, t === REMOTE);
    if (t === REMOTE) s.remote(R_REPLY, to, from.ref, ok, v, tp);
    else s.transport.emit6(t, OP_REPLY, to.serial, from.ref, ok, v, tp, by !== null && release(by, from.ref));
  }

  /** A reply arrived for process `serial`'s call `ref`. */
  onReply(serial: number, ref: number, ok: boolean, value: unknown, tp: string | null, released = false): void {
    const p = this.s.procs.get(serial);
    const pc = p === undefined ? undefined : pendingOf(p, ref);
    if (p === undefined || pc === undefined) {
      this.s.counters.lateReplies++;
      return;
    }
    this.answered(p, ref, pc, ok, value, released, tp ?? undefined);
  }

  /** Call `ref` of `p` got its answer (a call that already ended, aborted meanwhile, drops it). */
  private answered(p: Proc, ref: number, pc: PendingCall, ok: boolean, value: unknown, released: boolean, tp?: string): void {
    if (pc.ended) {
      this.s.counters.lateReplies++;
      return;
    }
    const err = ok ? undefined : fromWireError(value as WireError);
    this.end(p, ref, pc, !released, err, tp, true);
    settle(pc, ok, ok ? value : err);
  }

  /** The call whose in-shard server runs its turn inside call() (Scheduler.runNow): its ref (-1: none), caller and entry. */
  private nowRef = -1;
  private nowCaller: Proc | null = null;
  private nowCall: PendingCall | null = null;

  /** The DOWN of monitor `ref`: if it was a call's, that call fails now, with the server's reason. */
  failOnDown(p: Proc, ref: number, pid: Pid, reason: ExitReason): boolean {
    const pc = pendingOf(p, ref);
    if (pc === undefined) return false;
    const err = isNoProc(reason)
      ? new NoProcError(pid.toString())
      : isNoConnection(reason)
        ? new NodeDownError(pid.node, `the connection to the node of ${pid} was lost (or it never existed)`)
        : new CallFailedError(pid.toString(), reason, `the server exited (${formatReason(reason)})`);
    this.end(p, ref, pc, false, err);
    settle(pc, false, err);
    return true;
  }

  /** The caller is exiting: every call it has in flight rejects. */
  cancel(p: Proc): void {
    // (Every exit asks, twice: see Exits.endWaits. Most processes have no call in flight.)
    if (p.call === null && (p.calls === null || p.calls.size === 0)) return;
    const all: [number, PendingCall][] = p.calls === null ? [] : [...p.calls];
    if (p.call !== null) all.unshift([p.callRef, p.call]);
    for (const [ref, pc] of all) {
      const err = this.s.shuttingDown ? new SystemStoppedError() : new NoProcError(p.pid.toString());
      this.end(p, ref, pc, true, err);
      settle(pc, false, err);
    }
  }

  /**
   * An abort of `signal` ends the call as a timeout does, with the signal's
   * reason: its entry goes (a late reply is dropped), the server is
   * demonitored. The listener goes when the call ends, however it ends.
   */
  private listen(p: Proc, ref: number, pc: PendingCall, signal: AbortSignal): void {
    const abort = (): void => {
      if (pendingOf(p, ref) !== pc) return;
      this.end(p, ref, pc, true, signal.reason);
      // From outside a slice: the demonitor must still go out if the thread is parked.
      this.s.scheduler.kick();
      settle(pc, false, signal.reason);
    };
    signal.addEventListener('abort', abort, { once: true });
    pc.unlisten = () => signal.removeEventListener('abort', abort);
  }

  /**
   * Forgets a call: its timer, its entry, its abort listener and (unless its
   * DOWN already came) its monitor; ends its span. `answered`: the reply came,
   * and a server on another thread is demonitored after this turn's
   * continuations (see demonitorSoon).
   */
  private end(p: Proc, ref: number, pc: PendingCall, demonitor: boolean, err?: unknown, serverTp?: string, answered = false): void {
    if (pc.span !== undefined) this.s.observer.callEnded(pc.span, serverTp, err);
    if (pc.unlisten !== undefined) pc.unlisten();
    if (p.call === pc) p.call = null;
    else p.calls!.delete(ref);
    if (pc.deadline !== Infinity) this.deadlines.ended(pc);
    else pc.ended = true;
    const server = pc.server;
    if (server !== null) {
      // Its DOWN (demonitor false) already took the entry off; otherwise the call's monitor goes here.
      if (server.callWatcher !== null && server.callWatcherRef === ref) server.callWatcher = null;
      else if (demonitor && server.monitoredBy !== null) server.monitoredBy.delete(ref);
      // Unanswered (a timeout, an abort): a timeout of the server's now, if it holds the call past its deadline (see Dispatch's OP_DEMONITOR).
      if (!answered && server.serving !== null) this.s.observer.abandoned(server, ref);
    } else if (demonitor) {
      if (p.monitors !== null && p.monitors.delete(ref)) {
        if (answered) this.demonitorSoon(p.pid, pc.to, ref);
        else this.router.sig(OP_DEMONITOR, p.pid, pc.to, ref);
      }
    } else if (p.monitors !== null) {
      p.monitors.delete(ref);
    }
  }
}

const PC_PENDING = 0;
const PC_OK = 1;
const PC_FAILED = 2;

/**
 * The promise `call()` returns for `pc`, made as it returns. A call that
 * already ended (its in-shard server ran its turn at once and answered, or
 * it failed on the way) gets a settled promise, with no resolving functions
 * made for it: an in-shard call's commonest case (89 bytes less a call,
 * V8's sampling heap profiler over 50,000 GenServer calls).
 */
function promiseOf(pc: PendingCall): Promise<unknown> {
  if (pc.outcome !== PC_PENDING) {
    const v = pc.value;
    // Not held by an ended call that a deadline queue may still hold (until its head passes it).
    pc.value = undefined;
    return pc.outcome === PC_OK ? Promise.resolve(v) : Promise.reject(v);
  }
  // One executor for every call (see capture): no closure, nor a context for what it would capture, per call.
  const promise = new Promise(capture);
  pc.resolve = captured.resolve;
  pc.reject = captured.reject;
  // Not held past this call: they would keep its promise, and what awaits it, alive.
  captured.resolve = captured.reject = null;
  return promise;
}

/** Ends `pc`'s promise, or, while `call()` is still running, says how it ended (the first ending counts, as a promise's does). */
function settle(pc: PendingCall, ok: boolean, value: unknown): void {
  if (pc.resolve !== null) {
    if (ok) pc.resolve(value);
    else pc.reject!(value);
  } else if (pc.outcome === PC_PENDING) {
    pc.outcome = ok ? PC_OK : PC_FAILED;
    pc.value = value;
  }
}

/** The resolving functions of the promise `capture` was last the executor of: read right after `new Promise(capture)`. */
const captured: { resolve: ((value: unknown) => void) | null; reject: ((err: unknown) => void) | null } = { resolve: null, reject: null };

/** The executor of every call's promise: hands its resolving functions over in `captured`. */
function capture(resolve: (value: unknown) => void, reject: (err: unknown) => void): void {
  captured.resolve = resolve;
  captured.reject = reject;
}

/** Call `ref` of `p` if it is pending (in the one-call slot or the map). */
function pendingOf(p: Proc, ref: number): PendingCall | undefined {
  if (p.call !== null && p.callRef === ref) return p.call;
  return p.calls === null ? undefined : p.calls.get(ref);
}

/**
 * The server `by` answers call `ref` on another thread: the call's monitor
 * goes now (true), so the caller sends no DEMONITOR. Its only effect after
 * the reply would be a DOWN the caller drops (the call is over). Refs are
 * unique per node, so the ref alone names the caller's monitor.
 */
function release(by: Proc, ref: number): boolean {
  if (by.callWatcher !== null && by.callWatcherRef === ref) {
    by.callWatcher = null;
    return true;
  }
  return by.monitoredBy !== null && by.monitoredBy.delete(ref);
}

function addPending(p: Proc, ref: number, pc: PendingCall): void {
  if (p.call === null) {
    p.call = pc;
    p.callRef = ref;
  } else {
    (p.calls ??= new Map()).set(ref, pc);
  }
}
