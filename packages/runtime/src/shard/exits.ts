// Links, monitors and exits: OTP's signal semantics, and the end of a process (terminate, then tell everyone).

import { type ExitReason, type ExitReasonInput, KILL, NOPROC, formatReason, normalizeReason, panicReason, reasonKind } from '../actor/exit-reason.js';
import type { MonitorRef } from '../actor/messages.js';
import { type Pid, pidKey } from '../actor/pid.js';
import { type Proc, S_DEAD, S_EXITING, S_INIT, S_RUNNING, S_WAITING, checkLive } from '../actor/proc.js';
import { forSignal } from '../codec/prepare.js';
import { InitFailedError } from '../errors.js';
import { checkPid, isThenable } from '../validate.js';
import type { Calls } from './calls.js';
import type { Delivery } from './delivery.js';
import { type ExitSignalReason, OP_DEMONITOR, OP_LINK, OP_MONITOR, OP_UNLINK } from './protocol.js';
import type { Receive } from './receive.js';
import type { Router } from './router.js';
import type { ShardState } from './shard-state.js';
import type { Timers } from './timers.js';
import { MAX_DELAY } from '../timer/timer-heap.js';

export { NOPROC };

export class Exits {
  private readonly s: ShardState;
  private readonly router: Router;
  private readonly delivery: Delivery;
  private readonly rcv: Receive;
  private readonly calls: Calls;
  private readonly timers: Timers;
  /** Shutdown waits on this: called when the last process is gone. */
  onAllExited: (() => void) | null = null;

  constructor(state: ShardState, router: Router, delivery: Delivery, receive: Receive, calls: Calls, timers: Timers) {
    this.s = state;
    this.router = router;
    this.delivery = delivery;
    this.rcv = receive;
    this.calls = calls;
    this.timers = timers;
  }

  /**
   * Told when a process dies before its start finished (killed while its module loads or its async
   * init is pending). The spawn layer above sets it, to forget the start's deadline and pending work.
   */
  startEnded: (p: Proc) => void = () => {};
  /** `p` is exiting: the offload jobs it waits on reject (set by the thread runtime; see Offload.ownerExited). */
  offloadsEnded: (p: Proc) => void = () => {};

  // ---- the process API

  link(p: Proc, target: Pid<unknown>): void {
    checkPid(target, 'link');
    checkLive(p);
    if (target.equals(p.pid)) return;
    if (p.addLink(target)) {
      this.s.observer.linkCreated();
      this.router.sig(OP_LINK, p.pid, target);
    }
  }

  unlink(p: Proc, target: Pid<unknown>): void {
    checkPid(target, 'unlink');
    if (p.links !== null && p.links.delete(pidKey(target))) this.router.sig(OP_UNLINK, p.pid, target);
  }

  monitor(p: Proc, target: Pid<unknown>): MonitorRef {
    checkPid(target, 'monitor');
    checkLive(p);
    const ref = this.s.newRef();
    this.s.observer.monitorCreated();
    p.addMonitor(ref, target);
    this.router.sig(OP_MONITOR, p.pid, target, ref);
    return ref;
  }

  demonitor(p: Proc, ref: MonitorRef): boolean {
    const target = p.monitors?.get(ref);
    if (target !== undefined) {
      p.monitors!.delete(ref);
      this.router.sig(OP_DEMONITOR, p.pid, target, ref);
    }
    // Like erlang:demonitor(Ref, [flush]): a DOWN already queued is removed too. Its monitor went
    // when it was queued (onDown), so it is looked for whether the monitor was still active or not.
    const mb = p.mailbox;
    for (let i = 0; i < mb.length; i++) {
      const m = mb.at(i) as { type?: unknown; ref?: unknown } | null;
      if (m !== null && typeof m === 'object' && m.type === 'DOWN' && m.ref === ref) {
        this.rcv.takeAt(p, i);
        break;
      }
    }
    return target !== undefined;
  }

  /** exit/2: sends an exit signal from `from` to `target`. */
  exit(from: Pid, target: Pid<unknown>, input: ExitReasonInput): void {
    checkPid(target, 'exit');
    const reason = this.reasonOf(input);
    this.s.observer.signalSent(reason === KILL ? 'kill' : 'exit', reason === KILL ? 'killed' : reasonKind(reason));
    this.router.sigExit(from, target, reason, false);
  }

  /** ctx.stop(): exit after the current handler (or at once when idle). */
  requestStop(p: Proc, input: ExitReasonInput): void {
    const reason = this.reasonOf(input);
    const r = reason === KILL ? 'killed' : reason;
    this.s.observer.signalSent('stop', null);
    this.s.observer.signalReceived('stop', false);
    // A stop is clean whatever its reason: terminate runs, with 'killed' too (OTP's terminate(killed, State)
    // after a trapped exit with that reason); only an exit signal `kill` skips it.
    if (p.status === S_RUNNING || p.status === S_WAITING || p.status === S_INIT) p.stopReason = r;
    else this.exitProc(p, r, false);
  }

  /**
   * A reason given to exit() or stop(): refused at the call
   * (`ERR_UNENCODABLE`, path from `reason`) when it could not cross threads,
   * wherever its receivers live, and taken as a copy with checkLocalSends.
   * An Error becomes a panic reason (a description made of strings).
   */
  private reasonOf(input: ExitReasonInput): ExitSignalReason {
    if (typeof input === 'string' && (input === 'normal' || input === 'shutdown' || input === 'killed' || input === KILL)) return input;
    if (input instanceof Error) return normalizeReason(input);
    return normalizeReason(forSignal(input, 'reason', true, this.s.config.checkLocalSends) as ExitReasonInput);
  }

  // ---- signals arriving (from the dispatcher)

  // A process running its terminate (S_EXITING) is alive, as in OTP: a link or monitor set up now
  // fires when it is gone, with its real reason (finish reads them), not with noproc at once.
  onLink(from: Pid, serial: number): void {
    const p = this.s.procs.get(serial);
    if (p === undefined || p.status === S_DEAD) this.router.sigExit(this.s.pidOf(serial), from, NOPROC, true);
    else p.addLink(from);
  }

  onMonitor(from: Pid, serial: number, ref: number): void {
    const p = this.s.procs.get(serial);
    if (p === undefined || p.status === S_DEAD) this.router.sigDown(from, ref, this.s.pidOf(serial), NOPROC);
    else if (p.callWatcher === null && from.node === this.s.node) {
      // The slot first (see Proc.callWatcher): a cross-shard call sets and clears one monitor per round trip.
      p.callWatcher = from;
      p.callWatcherRef = ref;
    } else p.addMonitoredBy(ref, from);
  }

  onDown(serial: number, ref: number, pid: Pid, reason: ExitReason): void {
    const p = this.s.procs.get(serial);
    if (p === undefined || p.status === S_DEAD) return;
    // The monitor behind a call: the server is gone, so the call fails now, with its reason.
    if (this.calls.failOnDown(p, ref, pid, reason)) return;
    // Exactly one DOWN: the monitor is gone after the first (or after demonitor).
    if (p.monitors === null || !p.monitors.delete(ref)) return;
    this.s.observer.signalReceived('down', false);
    this.delivery.enqueueSystem(p, { type: 'DOWN', ref, pid, reason });
  }

  onExitSignal(p: Proc, from: Pid, reason: ExitSignalReason, viaLink: boolean): void {
    if (p.status === S_DEAD) return;
    // After unlink, no exit signal from that link may arrive.
    if (viaLink && (p.links === null || !p.links.delete(pidKey(from)))) return;
    const obs = this.s.observer;
    if (reason === KILL) {
      obs.signalReceived('kill', false);
      this.exitProc(p, 'killed');
      return;
    }
    if (p.status === S_EXITING) return;
    if (p.trapExit) {
      obs.signalReceived('exit', true);
      this.delivery.enqueueSystem(p, { type: 'EXIT', from, reason });
      return;
    }
    if (reason === 'normal') {
      // Dropped by a process that does not trap, or its own end: not an ignored (trapped) signal, as the spec counts those.
      const selfExit = !viaLink && from.equals(p.pid);
      obs.signalReceived('exit', false);
      if (selfExit) this.exitProc(p, 'normal');
      return;
    }
    obs.signalReceived('exit', false);
    this.exitProc(p, reason);
  }

  // ---- ending a process

  /**
   * Ends a process: terminate (unless it was killed, `brutal`, or never
   * started), then finish. An exit with the reason 'killed' is brutal unless
   * it is a stop the process asked for (requestStop, applyPending).
   */
  exitProc(p: Proc, reason: ExitReason, brutal = reason === 'killed'): void {
    const st = p.status;
    if (st === S_DEAD) return;
    if (st === S_RUNNING) {
      // A handler is on the stack: exit right after it returns.
      if (p.pendingExit === null || brutal) p.pendingExit = reason;
      return;
    }
    if (st === S_EXITING) {
      if (brutal) this.finish(p, 'killed');
      return;
    }
    p.status = S_EXITING;
    this.endWaits(p);
    const b = p.behaviour;
    if (brutal || !p.initialized || b === null) {
      this.finish(p, reason);
      return;
    }
    let r: unknown;
    // (Actor code, maybe in the middle of a ring frame: see frame-cursor.ts.)
    this.s.frame.enter();
    try {
      r = b.terminate(reason, p.state, p.ctx as never);
    } catch (err) {
      this.s.frame.leave();
      this.s.reports.crash(p, 'terminate', err);
      this.finish(p, panicReason(err));
      return;
    }
    this.s.frame.leave();
    if (!isThenable(r)) {
      this.finish(p, reason);
      return;
    }
    const limit = this.s.terminateLimits.get(p.pid.serial) ?? b.terminateTimeoutMs ?? this.s.config.terminateTimeoutMs;
    // (A spawn's limit was checked at the spawn, a behaviour's when it was defined: finite ones are at most MAX_DELAY.)
    const timer = limit === Infinity ? undefined : setTimeout(() => this.finish(p, 'killed'), Math.min(limit, MAX_DELAY));
    timer?.unref();
    r.then(
      () => {
        clearTimeout(timer);
        this.finish(p, reason);
      },
      (err: unknown) => {
        clearTimeout(timer);
        if (p.status !== S_DEAD) this.s.reports.crash(p, 'terminate', err);
        this.finish(p, panicReason(err));
      },
    );
  }

  /** Exits with the reason a handler left behind (ctx.stop(), or an exit signal that came mid-handler). */
  applyPending(p: Proc): boolean {
    const signal = p.pendingExit;
    const reason = signal ?? p.stopReason;
    if (reason === null) return false;
    p.pendingExit = null;
    p.stopReason = null;
    // (A 'killed' the handler's own stop left is a clean stop: see requestStop.)
    this.exitProc(p, reason, signal === 'killed');
    return true;
  }

  /** What `p` waits on ends with it: its receives, calls and offload jobs reject, its timers are cancelled. */
  private endWaits(p: Proc): void {
    this.rcv.cancel(p);
    this.timers.cancelAll(p);
    this.calls.cancel(p);
    this.offloadsEnded(p);
  }

  /** The process is gone: free its names, then tell links and monitors. */
  finish(p: Proc, reason: ExitReason): void {
    if (p.status === S_DEAD) return;
    const s = this.s;
    p.status = S_DEAD;
    // Ended when the exit began; what its code made since (a terminate cut off by its time limit, an async handler
    // resuming after a kill) dies with it too.
    this.endWaits(p);
    s.procs.delete(p.pid.serial);
    if (s.terminateLimits.size !== 0) s.terminateLimits.delete(p.pid.serial);
    s.countProcs();
    s.counters.exited++;
    if (p.names !== null) for (const n of p.names) s.names.unregister(n, p.pid);
    // And the names another thread registered for it that this thread has not heard of yet.
    s.names.freeUnnoted(p.pid);
    const reply = p.spawnReply;
    if (reply !== null) {
      p.spawnReply = null;
      this.startEnded(p);
      reply(null, new InitFailedError(p.pid.toString(), reason, `it exited during init (${formatReason(reason)})`), p.knownType);
    }
    s.observer.exited(p, reason);
    // Before links and monitors hear of the exit: whoever sees the DOWN has seen these dead letters too.
    if (p.mailbox.length > 0) this.deadLetterMailbox(p);
    p.mailbox.release(); // a grown ring gives its array back
    const { links, monitoredBy, monitors, callWatcher } = p;
    p.links = p.monitoredBy = p.monitors = p.callWatcher = null;
    if (links !== null) {
      const kind = reasonKind(reason);
      for (const pid of links.values()) {
        s.observer.signalSent('exit', kind);
        this.router.sigExit(p.pid, pid, reason, true);
      }
    }
    if (monitoredBy !== null) {
      for (const [ref, w] of monitoredBy) {
        s.observer.signalSent('down', null);
        this.router.sigDown(w, ref, p.pid, reason);
      }
    }
    if (callWatcher !== null) {
      // A local caller's call monitor (see Proc.callWatcher): its DOWN fails the call with this reason.
      s.observer.signalSent('down', null);
      this.router.sigDown(callWatcher, p.callWatcherRef, p.pid, reason);
    }
    if (monitors !== null) for (const [ref, t] of monitors) this.router.sig(OP_DEMONITOR, p.pid, t, ref);
    p.state = undefined;
    if (this.onAllExited !== null && s.procs.size === 0) this.onAllExited();
  }

  /**
   * What `send` left in the mailbox of a process that exited becomes dead
   * letters (`process_exited`), with their content; EXIT and DOWN messages
   * were signals, not sends, and go. During shutdown they stay in the
   * thread's QUEUED count, which the main thread reports in one sum.
   */
  private deadLetterMailbox(p: Proc): void {
    const s = this.s;
    const mb = p.mailbox;
    if (s.shuttingDown) {
      mb.drain();
      return;
    }
    const ctl = s.ctl.i32;
    while (mb.length > 0) {
      const msg = mb.shift();
      if (mb.tookSystem(msg)) continue;
      ctl[s.queuedIndex]!--;
      this.delivery.deadLetter(p.pid, msg, 'process_exited', p);
    }
  }
}
