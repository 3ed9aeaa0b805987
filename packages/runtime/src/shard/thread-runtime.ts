// One thread's runtime: the layers of a shard (or of the main thread) composed over one shared state.
//
//   shard-state      identity, process table, transport, scheduler, timers, observer
//   router           where a pid lives (one rule), the signal queue, signal paths
//   receive          selective receive
//   delivery         sends, mailboxes, dead letters
//   calls, timers    call/reply, sendAfter
//   names            registered names
//   exits            links, monitors, exit signals, the end of a process
//   remote           requests to the main thread about other nodes; a lost node's links and monitors
//   placement, spawn where a process goes, its load and init
//   turn             running a process's messages (turn-observed: the same, with telemetry)
//   dispatch         ring ops from other threads
//
// Each layer imports only the ones above it in this list; this file wires them.

import type { ModuleRef, Monitored, SpawnOptions, TimerRef } from '../actor/context.js';
import type { ExitReason, ExitReasonInput } from '../actor/exit-reason.js';
import { type From, type MonitorRef, isDownMessage, isExitMessage } from '../actor/messages.js';
import type { BehaviourProbe } from '../actor/probe.js';
import { onRebase } from '../actor/ticks.js';
import { Proc, S_DEAD, S_IDLE, S_INBOX, S_RUNNING } from '../actor/proc.js';
import { Pid } from '../actor/pid.js';
import type { MetricsWriter, TelemetryProvider } from '@joerl/telemetry/internal';
import { NOOP_METRICS } from '@joerl/telemetry/internal';
import { InvalidOptionError, NoProcError } from '../errors.js';
import { checkSignal, describe } from '../validate.js';
import { LAG_US, LOADING, LOOP_TICK, THREAD_STRIDE_I32 } from '../ring/control-block.js';
import { ActorCtx, type ActorHost } from './actor-context.js';
import { abortable } from './abortable.js';
import { Calls } from './calls.js';
import { Delivery } from './delivery.js';
import { Dispatcher } from './dispatch.js';
import { Exits } from './exits.js';
import { Names } from './names.js';
import { NOOP_OBSERVER } from './observer.js';
import { Offload } from './offload.js';
import { Placement } from './placement.js';
import { OP_DOWN, OP_EXIT, OP_REMOTE, type ShardInit, type SpawnMode } from './protocol.js';
import { Receive } from './receive.js';
import { Remote } from './remote.js';
import { ReportingProbe } from './report-sink.js';
import { Router } from './router.js';
import { Scheduler } from './scheduler.js';
import { type LocalSinks, ShardState } from './shard-state.js';
import { Spawner } from './spawn.js';
import { type TelemetryObserver, observes } from './telemetry-observer.js';
import { telemetryObserver } from './untraced-observer.js';
import { Timers } from './timers.js';
import { Transport } from './transport.js';
import { setBigPayloadThreshold } from '../codec/side-items.js';
import { observedTurn } from './turn-observed.js';
import { Turns } from './turn.js';

export type { LocalSinks, RuntimeCounters, RuntimeHooks } from './shard-state.js';
export { NOPROC } from './exits.js';

export class ThreadRuntime implements ActorHost {
  readonly state: ShardState;
  readonly router: Router;
  readonly delivery: Delivery;
  private readonly offTicks: () => void;
  readonly calls: Calls;
  readonly timers: Timers;
  readonly names: Names;
  readonly exits: Exits;
  readonly spawner: Spawner;
  readonly offloads: Offload;
  readonly remote: Remote;
  readonly turns: Turns;
  private readonly receives: Receive;
  private readonly telemetry: TelemetryObserver | null;

  constructor(init: ShardInit, spinMicros: number, local: LocalSinks = {}) {
    const s = (this.state = new ShardState(init));
    this.router = new Router(s);
    this.receives = new Receive(s);
    this.delivery = new Delivery(s, this.router, this.receives);
    // (An EXIT or a DOWN for it goes with it, as for any dead process.)
    this.receives.lost = (p, msg) => {
      if (!isExitMessage(msg) && !isDownMessage(msg)) this.delivery.deadLetter(p.pid, msg, 'process_exited', p);
    };
    this.calls = new Calls(s, this.router, this.delivery, init.tracing === null);
    this.timers = new Timers(s, this.router, this.delivery);
    this.names = new Names(s, this.router);
    this.exits = new Exits(s, this.router, this.delivery, this.receives, this.calls, this.timers);
    this.remote = new Remote(s, this.router);
    // A shard hands remote ops to the main thread, in order with everything else it sends there.
    if (s.distributed && init.thread !== 0) s.remote = (k, to, a, b, c, d) => s.transport.emit6(0, OP_REMOTE, k, to, a, b, c, d);
    this.spawner = new Spawner(s, new Placement(s), this.exits, (p) => new ActorCtx(this, p));
    this.offloads = new Offload(s);
    this.exits.offloadsEnded = (p) => this.offloads.ownerExited(p);
    const dispatch = new Dispatcher(s, { delivery: this.delivery, calls: this.calls, exits: this.exits, names: this.names, spawner: this.spawner, offload: this.offloads, remote: this.remote });
    // The stamps this runtime keeps move back with its thread's tick clock (every ~4.5 minutes); until its shutdown.
    this.offTicks = onRebase((by, originMs) => {
      for (const p of s.procs.values()) p.mailbox.rebase(by, originMs);
      this.delivery.ticksMoved();
      dispatch.ticksMoved(by);
      this.telemetry?.timing.ticksMoved(by);
    });
    this.router.dispatchWith(dispatch.dispatch);
    s.transport = new Transport(init.thread, init.threads, init.rings, s.ctl.i32, { ...init.config, records: init.records }, dispatch.dispatchFrame, (dest, op) => this.delivery.onUnencodableOp(dest, op));
    if (local.links !== undefined) s.transport.links = local.links;
    // A message this thread's previous life had begun to read is lost (see MID_MESSAGE_INDEX): its sends are reported as messagesLost.
    s.transport.input.onDropped = (messages) => s.reports.lost(messages);
    setBigPayloadThreshold(init.config.bigPayloadThreshold);
    // One observer for the thread's life: the real one only when something listens.
    this.telemetry = observes(init) ? telemetryObserver(s, init, local) : null;
    s.observer = this.telemetry ?? NOOP_OBSERVER;
    s.transport.beforeFlush = s.observer.beforeFlush;
    s.transport.afterFlush = s.observer.afterFlush;
    this.turns = new Turns(s, this.exits);
    // The one telemetry fork of the message path, taken once: which turn the scheduler runs.
    const runTurn = this.telemetry !== null ? observedTurn(s, this.turns, this.telemetry) : this.turns.run;
    s.scheduler = new Scheduler(init.thread, s.ctl.i32, s.transport, runTurn, init.config.actorBudget, init.config.sliceBudget, spinMicros, s.sliceClock);
    const loadingIndex = init.thread * THREAD_STRIDE_I32 + LOADING;
    s.loader.onLoading = (delta) => void Atomics.add(s.ctl.i32, loadingIndex, delta);
  }

  get thread(): number {
    return this.state.thread;
  }

  get systemStopping(): boolean {
    return this.state.systemStopping;
  }

  get checkLocalSends(): boolean {
    return this.state.config.checkLocalSends;
  }

  /** This thread's metric writer (the no-op one with metrics off): the main thread's node layer writes the distribution metrics here. */
  get metrics(): MetricsWriter {
    return this.telemetry?.metrics ?? NOOP_METRICS;
  }

  /** Installs provider hooks (loaded after start); ignored when the thread started without a provider. */
  set provider(p: TelemetryProvider | null) {
    if (this.telemetry !== null) this.telemetry.provider = p;
  }

  /**
   * Called every TICK_MS by a timer on this thread: proves the event loop
   * turns (the main thread's watchdog reads LOOP_TICK) and records its lag.
   */
  tick(lagMs: number): void {
    const base = this.state.thread * THREAD_STRIDE_I32;
    Atomics.add(this.state.ctl.i32, base + LOOP_TICK, 1);
    Atomics.store(this.state.ctl.i32, base + LAG_US, Math.min(2 ** 31 - 1, Math.round(lagMs * 1000)));
  }

  // ---- the process API (ActorHost): what ctx, inboxes and the system handle call

  send(to: Pid<unknown> | string, msg: unknown, from?: Pid): void {
    this.delivery.send(to, msg, from);
  }
  sendQuiet(to: Pid<unknown> | string, msg: unknown): void {
    this.delivery.sendQuiet(to, msg);
  }
  spawn(module: ModuleRef, args: unknown, opts: SpawnOptions | undefined, parent: Proc | null, mode: SpawnMode): Promise<Pid | Monitored> {
    // An exited process spawns no more, on any node: a link to it would never carry its exit (the child an orphan).
    if (parent !== null && parent.status === S_DEAD) return Promise.reject(new NoProcError(parent.pid.toString()));
    const node = opts?.node;
    if (node !== undefined && node !== 'local' && node !== this.state.nodeName) {
      if (typeof node !== 'string' || node.length === 0) return Promise.reject(new InvalidOptionError(`options.node must be a node name, got ${describe(node)}`));
      let signal: AbortSignal | undefined;
      try {
        signal = checkSignal(opts?.signal, 'spawn');
      } catch (err) {
        return Promise.reject(err);
      }
      const started = this.remote.spawn(module, args, { ...opts, node }, parent, mode);
      if (signal === undefined) return started;
      // The pid is known only once the other node answers: the process is killed then.
      const abandon = (v: Pid | Monitored): void => this.spawner.abandon(v instanceof Pid ? v : v.pid, parent, mode, v instanceof Pid ? 0 : v.ref);
      return abortable(started, signal, () => void started.then(abandon, () => {}));
    }
    return this.spawner.spawn(module, args, opts, parent, mode);
  }
  nodeRequest(kind: string, arg: unknown): Promise<unknown> {
    return this.remote.request(kind, arg);
  }
  get nodeName(): string | null {
    return this.state.nodeName;
  }
  link(p: Proc, pid: Pid<unknown>): void {
    this.exits.link(p, pid);
  }
  unlink(p: Proc, pid: Pid<unknown>): void {
    this.exits.unlink(p, pid);
  }
  monitor(p: Proc, pid: Pid<unknown>): MonitorRef {
    return this.exits.monitor(p, pid);
  }
  demonitor(p: Proc, ref: MonitorRef): boolean {
    return this.exits.demonitor(p, ref);
  }
  exit(from: Pid, pid: Pid<unknown>, reason: ExitReasonInput): void {
    this.exits.exit(from, pid, reason);
  }
  requestStop(p: Proc, reason: ExitReasonInput): void {
    this.exits.requestStop(p, reason);
  }
  exitProc(p: Proc, reason: ExitReason): void {
    this.exits.exitProc(p, reason);
  }
  register(name: string, pid: Pid<unknown>): void {
    this.names.register(name, pid);
  }
  unregister(name: string): boolean {
    return this.names.unregister(name);
  }
  whereis(name: string): Pid<unknown> | undefined {
    return this.state.names.whereis(name);
  }
  sendAfter(owner: Proc | null, to: Pid<unknown> | string, msg: unknown, delayMs: number): TimerRef {
    return this.timers.sendAfter(owner, to, msg, delayMs);
  }

  timeoutAfter(owner: Proc, msg: object, delayMs: number): TimerRef {
    return this.timers.timeoutAfter(owner, msg, delayMs);
  }
  cancelTimer(ref: TimerRef): boolean {
    return this.timers.cancelTimer(ref);
  }
  receive(p: Proc, match: (msg: unknown) => boolean, timeoutMs: number | undefined): Promise<unknown> {
    return this.receives.receive(p, match, timeoutMs);
  }
  call(p: Proc, to: Pid<unknown> | string, req: unknown, timeoutMs: number, signal?: AbortSignal): Promise<unknown> {
    return this.calls.call(p, to, req, timeoutMs, signal);
  }
  cast(to: Pid<unknown> | string, msg: unknown, from?: Pid): void {
    this.calls.cast(to, msg, from);
  }
  reply(from: From, ok: boolean, value: unknown, by: Proc | null = null): void {
    this.calls.reply(from, ok, value, by);
  }
  offload(module: ModuleRef, input: unknown, exportName?: string, signal?: AbortSignal, owner: Proc | null = null): Promise<unknown> {
    return this.offloads.offload(module, input, exportName, signal, owner);
  }
  flush(): void {
    this.state.transport.flush();
  }
  probe(p: Proc): BehaviourProbe {
    return new ReportingProbe(this.state.reports, p, this.state.observer.probe(p));
  }

  // ---- main-thread inboxes, faults and shutdown

  /** A process on this thread that is read with `receive()`; it traps exits and never runs a handler. */
  createInbox(): Proc {
    const s = this.state;
    const serial = s.reserveSerial(s.thread);
    const p = new Proc(s.pidOf(serial), Infinity);
    p.status = S_INBOX;
    p.trapExit = true;
    p.initialized = true;
    p.typeName = 'inbox';
    s.procs.set(serial, p);
    return p;
  }

  /**
   * Shard `shard` (incarnation `incarnation`) died: its processes exited with
   * `killed`. Only pids with a serial below `below` were its (the next
   * incarnation's serials start there): a late word of the death, read after
   * the restarted shard's processes were linked to or monitored here, leaves
   * them alone.
   */
  onShardDown(shard: number, incarnation: number, below = Infinity): void {
    this.spawner.failTo(shard, incarnation);
    this.offloads.server.threadDown(shard);
    const local = this.router;
    const node = this.state.node;
    for (const p of this.state.procs.ordered()) {
      if (p.status === S_DEAD) continue;
      if (p.links !== null) {
        for (const pid of [...p.links.values()]) if (pid.shard === shard && pid.node === node && pid.serial < below) local.local(OP_EXIT, pid, p.pid.serial, 'killed', true);
      }
      if (p.monitors !== null) {
        for (const [ref, t] of [...p.monitors]) if (t.shard === shard && t.node === node && t.serial < below) local.local(OP_DOWN, p.pid.serial, ref, t, 'killed');
      }
      if (p.monitoredBy !== null) {
        for (const [ref, w] of [...p.monitoredBy]) if (w.shard === shard && w.node === node && w.serial < below) p.monitoredBy.delete(ref);
      }
      const cw = p.callWatcher;
      if (cw !== null && cw.shard === shard && cw.node === node && cw.serial < below) p.callWatcher = null;
    }
  }

  /** Stops every process with `shutdown` (newest first), waits for their terminate hooks, then stops the loop. */
  async shutdown(timeoutMs: number): Promise<number> {
    const s = this.state;
    // Take in everything sent before the shutdown order (a monitor set up just
    // before shutdown must still get its DOWN).
    if (s.thread !== 0) s.scheduler.slice();
    s.shuttingDown = true;
    if (s.procs.size > 0) {
      const all = new Promise<void>((resolve) => {
        this.exits.onAllExited = resolve;
      });
      for (const p of s.procs.ordered().reverse()) {
        if (p.status === S_RUNNING) p.status = S_IDLE; // cannot be on the stack here; defensive
        this.exits.exitProc(p, 'shutdown');
      }
      if (s.procs.size > 0) {
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([all, new Promise<void>((r) => { timer = setTimeout(r, timeoutMs); })]);
        clearTimeout(timer);
      }
      for (const p of s.procs.ordered()) this.exits.finish(p, 'killed');
      this.exits.onAllExited = null;
    }
    const left = s.procs.size;
    s.transport.flush();
    s.timers.clear();
    this.offloads.server.stop();
    await s.scheduler.stop();
    s.transport.close();
    this.offTicks();
    return left;
  }
}
