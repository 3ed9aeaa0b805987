// Spawning: the request (placement, reserved serial, link or monitor at birth), then the new process's load and init.

import type { ModuleRef, Monitored, SpawnOptions } from '../actor/context.js';
import { checkTerminateLimit } from '../actor/behaviour.js';
import { panicReason } from '../actor/exit-reason.js';
import { UNBOUNDED } from '../actor/mailbox.js';
import { moduleHref } from '../actor/module-ref.js';
import { Pid } from '../actor/pid.js';
import { Proc, S_DEAD, S_IDLE, S_INIT, S_RUNNING, S_WAITING, type SpawnReply } from '../actor/proc.js';
import { forSignal } from '../codec/prepare.js';
import { nameProblem } from '../registry/name-table.js';
import { InitFailedError, InvalidOptionError, ShardDownError, SpawnTimeoutError, fromWireError, toWireError, type WireError } from '../errors.js';
import { checkCapacity, checkSignal, describe, isThenable } from '../validate.js';
import { abortable } from './abortable.js';
import type { Exits } from './exits.js';
import type { Placement } from './placement.js';
import { OP_SPAWN, OP_SPAWN_REPLY, type SpawnMode, type SpawnRequest } from './protocol.js';
import type { SpawnTrace } from './observer.js';
import type { ShardState } from './shard-state.js';

/**
 * A spawn another node asked for (main thread only): its parent, and the
 * link or monitor set at birth, are on that node. `replied` runs
 * synchronously with the answer, before anything the child sends after it.
 */
export interface RemoteBirth {
  parent: Pid;
  link?: Pid;
  monitor?: Pid;
  ref?: number;
  replied(pid: Pid, err: unknown): void;
}

interface PendingSpawn {
  done: SpawnReply;
  shard: number;
  incarnation: number;
}

/** A start that went async (a module loading, an init pending): its deadline, and what to undo when it passes. */
interface Starting {
  timer: NodeJS.Timeout;
  /** Set while an async init is pending: forget it (it no longer counts as pending work). */
  abandon: (() => void) | null;
  /** Its module, for the loader: a start given up while that module loads no longer counts as a load (see disarm). */
  url: string;
  exportName: string;
}

export class Spawner {
  private readonly s: ShardState;
  private readonly placement: Placement;
  private readonly exits: Exits;
  /** Builds the `ctx` handlers receive (the composition's, so this layer needs no context class). */
  private readonly makeCtx: (p: Proc) => unknown;
  private readonly pending = new Map<number, PendingSpawn>();
  /** Processes whose load or init is pending, with their spawn deadline. */
  private readonly starting = new Map<Proc, Starting>();

  constructor(state: ShardState, placement: Placement, exits: Exits, makeCtx: (p: Proc) => unknown) {
    this.s = state;
    this.placement = placement;
    this.exits = exits;
    this.makeCtx = makeCtx;
    // A process that dies while starting (a kill during an async init) leaves no deadline and no pending work behind.
    exits.startEnded = (p) => this.disarm(p, true);
  }

  /** spawn / spawnLink / spawnMonitor from `parent` (null: the main thread). */
  spawn(module: ModuleRef, args: unknown, opts: SpawnOptions | undefined, parent: Proc | null, mode: SpawnMode, birth?: RemoteBirth): Promise<Pid | Monitored> {
    const s = this.s;
    let req: SpawnRequest;
    let target: number;
    let signal: AbortSignal | undefined;
    try {
      const href = moduleHref(module);
      const o = opts ?? {};
      if (typeof o !== 'object' || o === null) throw new InvalidOptionError(`spawn options must be an object, got ${describe(o)}`);
      const exportName = o.export ?? 'default';
      if (typeof exportName !== 'string' || exportName.length === 0) throw new InvalidOptionError(`options.export must be a non-empty string, got ${describe(exportName)}`);
      if (o.name !== undefined && (typeof o.name !== 'string' || o.name.length === 0)) throw new InvalidOptionError(`options.name must be a non-empty string, got ${describe(o.name)}`);
      // Checked here, not where the child lands (after its module loaded and it was counted as spawned).
      const bad = o.name === undefined ? null : nameProblem(o.name);
      if (bad !== null) throw new InvalidOptionError(`options.name: ${bad}`);
      if (o.mailboxCapacity !== undefined) checkCapacity(o.mailboxCapacity, 'options.mailboxCapacity');
      if (o.terminateTimeoutMs !== undefined) checkTerminateLimit(o.terminateTimeoutMs, 'options.terminateTimeoutMs');
      if (o.timeoutMs !== undefined) checkSpawnTimeout(o.timeoutMs);
      // An aborted signal throws its reason here: nothing starts.
      if (o.signal !== undefined) signal = checkSignal(o.signal, 'spawn');
      target = this.placement.place(o.shard, parent !== null);
      if (s.isGone(target)) throw new ShardDownError(target, true);
      // Checked at the call wherever the child lands; copied as a message would be.
      const a = forSignal(args, 'args', target === s.thread, s.config.checkLocalSends);
      // `parent` in the literal: a property added afterwards would give every request an out-of-object property array.
      req = { url: href, export: exportName, args: a, serial: s.reserveSerial(target), parent: parent !== null ? parent.pid : (birth?.parent ?? s.mainPid) };
      if (birth?.link !== undefined) req.link = birth.link;
      if (birth?.monitor !== undefined) [req.monitor, req.ref] = [birth.monitor, birth.ref!];
      if (o.name !== undefined) req.name = o.name;
      if (o.mailboxCapacity !== undefined) req.mailboxCapacity = o.mailboxCapacity;
      if (o.terminateTimeoutMs !== undefined) req.terminateTimeoutMs = o.terminateTimeoutMs;
      if (o.timeoutMs !== undefined) req.timeoutMs = o.timeoutMs;
    } catch (err) {
      return Promise.reject(err);
    }
    const incarnation = s.incarnationOf(target);
    const pid = new Pid(s.node, target, req.serial);
    // Traced: the `actor.spawn` span stays open until the answer, which names the behaviour (the hint is the file's name).
    const traced = s.observer.spawning(req.url, req.export, pid);
    if (traced !== undefined) req.tp = traced.tp;
    let ref = 0;
    if (parent !== null && mode === 'link') {
      // Recorded before the child exists, so an init crash always finds the link.
      parent.addLink(pid);
      s.observer.linkCreated();
      req.link = parent.pid;
    } else if (parent !== null && mode === 'monitor') {
      ref = s.newRef();
      s.observer.monitorCreated();
      parent.addMonitor(ref, pid);
      req.monitor = parent.pid;
      req.ref = ref;
    }
    // Counted where the process lives (see start). A spawn here answers without a round trip, unless
    // it was asked for by another node (birth: that node is told through the promise path).
    const started =
      target === s.thread && birth === undefined
        ? this.spawnHere(req, pid, mode === 'monitor' ? { pid, ref } : pid, traced)
        : new Promise<Pid | Monitored>((resolve, reject) => {
            const done: SpawnReply = (_pid, err, type) => {
              if (traced !== undefined) s.observer.spawnEnded(traced, type, err);
              birth?.replied(pid, err);
              if (err !== null) reject(err);
              else resolve(mode === 'monitor' ? { pid, ref } : pid);
            };
            // A ref, not a count of ours: a restarted thread counts again from 0, and the old one's request, answered late, would settle the new one's.
            const id = s.newRef();
            this.pending.set(id, { done, shard: target, incarnation });
            s.transport.emit2(target, OP_SPAWN, id, req);
          });
    return signal === undefined ? started : abortable(started, signal, () => this.abandon(pid, parent, mode, ref));
  }

  /**
   * An aborted spawn. Its pid was reserved at the request and its process is
   * created as soon as its thread reads the request, so: undo the link or
   * monitor set at birth (the parent hears nothing of it), then kill that pid
   * (the signal follows the request on the same ring, so it finds the process).
   */
  abandon(pid: Pid, parent: Proc | null, mode: SpawnMode, ref: number): void {
    if (parent !== null && mode === 'link') this.exits.unlink(parent, pid);
    else if (parent !== null && mode === 'monitor') this.exits.demonitor(parent, ref);
    this.exits.exit(parent?.pid ?? this.s.mainPid, pid, 'kill');
    // From outside a slice: what was queued must go out even if the thread is parked.
    this.s.scheduler.kick();
  }

  /** What the last spawn started on this thread answered, when it answered before start() returned (see spawnHere). */
  private syncErr: unknown = null;
  private syncType: string | null = null;
  private readonly syncReply: SpawnReply = (_pid, err, type) => {
    this.syncErr = err;
    this.syncType = type;
  };

  /**
   * A spawn on this thread. The process starts at once, and when its module
   * is loaded and its init synchronous (the usual case) it has answered
   * before start() returns: the caller gets a settled promise, with no
   * executor and no callbacks. Spawns nested in its init answer before it
   * does, so the last answer recorded is its own.
   */
  private spawnHere(req: SpawnRequest, pid: Pid, value: Pid | Monitored, traced: SpawnTrace | undefined): Promise<Pid | Monitored> {
    const p = this.start(req, this.syncReply, pid);
    if (p !== null && p.spawnReply === this.syncReply) {
      // Still starting (its module loading, or an async init): it answers later.
      return new Promise((resolve, reject) => {
        p.spawnReply = (_pid, err, type) => {
          if (traced !== undefined) this.s.observer.spawnEnded(traced, type, err);
          if (err !== null) reject(err);
          else resolve(value);
        };
      });
    }
    const err = this.syncErr;
    this.syncErr = null;
    if (traced !== undefined) this.s.observer.spawnEnded(traced, this.syncType, err);
    return err !== null ? Promise.reject(err) : Promise.resolve(value);
  }

  /** A spawn request from thread `from`: the answer goes back there. */
  serve(from: number, reqId: number, req: SpawnRequest): void {
    // The behaviour's name goes back only for a traced spawn: the requester's `actor.spawn` span is named after it.
    this.start(req, (pid, err, type) => {
      this.s.transport.emit4(from, OP_SPAWN_REPLY, reqId, pid, err === null ? null : toWireError(err), req.tp === undefined ? null : type);
    });
  }

  /** The answer to one of our spawn requests (`type`: the behaviour's name, for a traced spawn). */
  onReply(reqId: number, pid: Pid | null, err: WireError | null, type: string | null): void {
    const pending = this.pending.get(reqId);
    if (pending === undefined) return;
    this.pending.delete(reqId);
    pending.done(pid, err === null ? null : fromWireError(err), type);
  }

  /** Shard `shard` (incarnation `incarnation`) died: spawns waiting on it fail. */
  failTo(shard: number, incarnation: number): void {
    for (const [id, ps] of this.pending) {
      if (ps.shard === shard && ps.incarnation <= incarnation) {
        this.pending.delete(id);
        ps.done(null, new ShardDownError(shard), null);
      }
    }
  }

  /**
   * Creates the process at once (so signals to it are never lost), then loads its module and runs init.
   * Returns it (null: refused). `pid`: the one the requester holds, when it is on this thread (pids are immutable: one object serves both).
   */
  private start(req: SpawnRequest, done: SpawnReply, pid?: Pid): Proc | null {
    const s = this.s;
    if (req.serial < s.firstSerial) {
      // Reserved from our dead predecessor: its requester is told the shard went down.
      done(null, new ShardDownError(s.thread), null);
      return null;
    }
    const p = new Proc(pid ?? s.pidOf(req.serial), req.mailboxCapacity ?? s.config.mailboxCapacity);
    p.ctx = this.makeCtx(p);
    s.procs.set(req.serial, p);
    s.countProcs();
    // Counted where the process lives: stats() says how many each shard hosted, whoever asked.
    s.counters.spawned++;
    if (req.link !== undefined) p.addLink(req.link);
    if (req.monitor !== undefined) p.addMonitoredBy(req.ref!, req.monitor);
    p.parent = req.parent;
    if (req.terminateTimeoutMs !== undefined) s.terminateLimits.set(req.serial, req.terminateTimeoutMs);
    s.observer.created(p, req.tp);
    p.spawnReply = done;
    let loaded;
    try {
      loaded = s.loader.get(req.url, req.export);
    } catch (err) {
      this.failStart(p, err);
      return p;
    }
    if (loaded instanceof Promise) {
      this.arm(p, req);
      loaded.then(
        (l) => this.init(p, l.behaviour, l.typeName, req),
        (err: unknown) => this.failStart(p, err),
      );
    } else {
      this.init(p, loaded.behaviour, loaded.typeName, req);
    }
    return p;
  }

  private failStart(p: Proc, err: unknown): void {
    if (p.status === S_DEAD) return;
    this.disarm(p);
    this.s.reports.crash(p, 'init', err);
    const reply = p.spawnReply;
    p.spawnReply = null;
    reply?.(null, err, p.knownType);
    p.status = S_IDLE;
    this.exits.exitProc(p, panicReason(err));
  }

  private init(p: Proc, b: NonNullable<Proc['behaviour']>, typeName: string, req: SpawnRequest): void {
    if (p.status !== S_INIT) {
      this.disarm(p); // killed while its module loaded
      return;
    }
    const s = this.s;
    p.behaviour = b;
    p.typeName = typeName;
    if (req.mailboxCapacity === undefined && b.mailboxCapacity !== undefined) p.mailbox.capacity = b.mailboxCapacity === Infinity ? UNBOUNDED : b.mailboxCapacity;
    s.observer.typed(p);
    if (b.trapExit) p.trapExit = true;
    if (req.name !== undefined) {
      try {
        s.names.register(req.name, p.pid);
        p.addName(req.name);
      } catch (err) {
        const reply = p.spawnReply;
        p.spawnReply = null;
        reply?.(null, err, p.knownType);
        p.status = S_IDLE;
        this.exits.exitProc(p, 'normal');
        return;
      }
    }
    p.status = S_RUNNING;
    // Traced spawn: init runs inside an `actor.lifecycle` (started) span, so what it does joins the trace.
    const span = s.observer.starting(p);
    let r: unknown;
    // (Actor code, maybe in the middle of a ring frame: see frame-cursor.ts.)
    s.frame.enter();
    try {
      r = span === undefined ? b.init(req.args, p.ctx as never) : s.observer.initUnder(span, b as never, req.args, p.ctx);
    } catch (err) {
      s.frame.leave();
      if (span !== undefined) s.observer.spanEnded(span, err);
      this.initFailed(p, err);
      return;
    }
    s.frame.leave();
    if (!isThenable(r)) {
      if (span !== undefined) s.observer.spanEnded(span);
      this.initDone(p, r);
      return;
    }
    p.status = S_WAITING;
    s.scheduler.asyncPending++;
    let settled = false;
    const settle = (): boolean => {
      if (settled) return false;
      settled = true;
      s.scheduler.asyncPending--;
      return true;
    };
    // Abandoned (the spawn timed out, or the process died during init): whatever init does later is ignored,
    // and its span ends now, or it would stay open, unexported, for good.
    this.arm(p, req).abandon = () => {
      if (settle() && span !== undefined) s.observer.spanEnded(span, new Error('init abandoned: the spawn timed out, or the process exited during init'));
    };
    r.then(
      (state) => {
        if (!settle()) return; // timed out: the process is gone
        if (span !== undefined) s.observer.spanEnded(span);
        this.initDone(p, state);
      },
      (err: unknown) => {
        if (!settle()) return;
        if (span !== undefined) s.observer.spanEnded(span, err);
        this.initFailed(p, err);
      },
    );
  }

  /**
   * The spawn's deadline, armed once its start goes async (the module is
   * loading, or init returned a promise): a start that finishes at once
   * never pays for a timer.
   */
  private arm(p: Proc, req: SpawnRequest): Starting {
    let st = this.starting.get(p);
    if (st !== undefined) return st;
    const limit = req.timeoutMs ?? this.s.config.spawnTimeoutMs;
    const timer = setTimeout(() => this.timedOut(p, limit, req), limit);
    // The shard's own loop keeps the thread alive; a stuck start must not keep a stopping one.
    timer.unref();
    st = { timer, abandon: null, url: req.url, exportName: req.export };
    this.starting.set(p, st);
    return st;
  }

  private disarm(p: Proc, abandoned = false): void {
    if (this.starting.size === 0) return; // the usual case: nothing went async
    const st = this.starting.get(p);
    if (st === undefined) return;
    clearTimeout(st.timer);
    this.starting.delete(p);
    if (!abandoned) return;
    st.abandon?.();
    // Ended while its module was loading (an abort, a kill): as at its timeout (timedOut), the load stops
    // counting as one, or the watchdog would go on allowing this thread spawnTimeoutMs, for good if it never ends.
    if (p.behaviour === null) this.s.loader.stalled(st.url, st.exportName);
  }

  /** The deadline passed: the spawn rejects with ERR_SPAWN_TIMEOUT and the half-started process is killed. */
  private timedOut(p: Proc, limit: number, req: SpawnRequest): void {
    const st = this.starting.get(p);
    this.starting.delete(p);
    const reply = p.spawnReply;
    if (reply === null || p.status === S_DEAD) return;
    const loading = p.status === S_INIT;
    if (loading) this.s.loader.stalled(req.url, req.export);
    st?.abandon?.();
    p.spawnReply = null;
    reply(null, new SpawnTimeoutError(p.pid.toString(), limit, loading ? `its module ${req.url} was still loading` : 'its init had not returned'), p.knownType);
    p.status = S_IDLE;
    this.exits.exitProc(p, 'killed');
  }

  private initDone(p: Proc, state: unknown): void {
    this.disarm(p);
    if (p.status !== S_RUNNING && p.status !== S_WAITING) return;
    p.state = state;
    p.initialized = true;
    p.status = S_IDLE;
    const reply = p.spawnReply;
    p.spawnReply = null;
    reply?.(p.pid, null, p.typeName);
    this.s.observer.started(p);
    if (this.exits.applyPending(p)) return;
    if (p.mailbox.length > 0) this.s.schedule(p);
  }

  private initFailed(p: Proc, err: unknown): void {
    this.disarm(p);
    if (p.status !== S_RUNNING && p.status !== S_WAITING) return;
    this.s.reports.crash(p, 'init', err);
    const reason = panicReason(err);
    const reply = p.spawnReply;
    p.spawnReply = null;
    reply?.(null, new InitFailedError(p.pid.toString(), reason, `init threw: ${reason.message}`), p.typeName);
    p.status = S_IDLE;
    p.pendingExit = null;
    this.exits.exitProc(p, reason);
  }
}

/** A spawn's `timeoutMs` (ERR_INVALID_OPTION otherwise), here or for another node's spawn (Remote.spawn). */
export function checkSpawnTimeout(ms: unknown): number {
  if (typeof ms !== 'number' || !(ms >= 1 && ms <= 2 ** 31 - 1)) {
    throw new InvalidOptionError(`options.timeoutMs must be a finite number of ms from 1 to ${2 ** 31 - 1}, got ${describe(ms)}`);
  }
  return ms;
}
