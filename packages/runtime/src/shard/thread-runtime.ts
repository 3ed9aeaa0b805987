// One thread's runtime: the process table, delivery, OTP signal semantics, spawn, timers and selective receive.

import { type Span, type SpanContext, context, trace } from '@opentelemetry/api';
import { NoopMetrics, type ReasonLabel, ShardMetrics, type SpanSink, type SpanStartRecord, type TelemetryProvider, formatTraceparent, parseTraceparent, spanEndToWire, spanStartToWire } from '@joerl/telemetry';
import { ThreadTracing } from './tracing.js';
import type { ModuleRef, Monitored, SpawnOptions, TimerRef } from '../actor/context.js';
import { type ExitReason, type ExitReasonInput, KILL, formatReason, normalizeReason, panicReason, reasonKind } from '../actor/exit-reason.js';
import { type From, type MonitorRef, isFrom } from '../actor/messages.js';
import { MAIN_PID, MAX_THREADS, Pid } from '../actor/pid.js';
import {
  type PendingCall,
  type PendingReceive,
  Proc,
  S_DEAD,
  S_EXITING,
  S_IDLE,
  S_INBOX,
  S_INIT,
  S_QUEUED,
  S_RUNNING,
  S_WAITING,
  type SpawnReply,
} from '../actor/proc.js';
import { assertEncodable } from '../codec/codec.js';
import {
  CallFailedError,
  CallTimeoutError,
  InitFailedError,
  InvalidArgumentError,
  InvalidOptionError,
  MailboxFullError,
  NoProcError,
  ShardDownError,
  SystemStoppedError,
  UnknownNameError,
  fromWireError,
  toWireError,
  type WireError,
} from '../errors.js';
import {
  ACTORS,
  FIRST_SERIAL,
  GAVE_UP,
  LAG_US,
  LOADING,
  LOOP_TICK,
  INCARNATION,
  REF,
  SERIAL,
  STOPPING,
  THREAD_STRIDE_I32,
  THREAD_STRIDE_I64,
  controlViews,
  type ControlViews,
} from '../ring/layout.js';
import { NameTable } from '../registry/name-table.js';
import { TimerHeap } from '../timer/timer-heap.js';
import { ActorCtx } from './actor-context.js';
import { Loader, moduleHref } from './loader.js';
import {
  ARITY,
  type DeadLetter,
  type DeadLetterReason,
  type ExitSignalReason,
  OP_DEAD_LETTER,
  OP_DEMONITOR,
  OP_DOWN,
  OP_EXIT,
  OP_LINK,
  OP_MONITOR,
  OP_NAME_ADDED,
  OP_OFFLOAD,
  OP_OFFLOAD_REPLY,
  OP_REPLY,
  OP_SEND,
  OP_CLOCK,
  OP_SEND_AT,
  OP_SEND_TP,
  OP_SERIES,
  OP_SPAN_END,
  OP_SPAN_START,
  OP_SPAWN,
  OP_SPAWN_REPLY,
  OP_UNLINK,
  type ShardInit,
  type SpawnRequest,
  type ThreadConfig,
  unknownMessage,
} from './protocol.js';
import { Scheduler } from './scheduler.js';
import { Transport } from './transport.js';

/** The exit reason for links and monitors to a process that does not exist. */
export const NOPROC: ExitReason = { kind: 'custom', value: 'noproc' };

export const SPAWN_PLAIN = 0;
export const SPAWN_LINK = 1;
export const SPAWN_MONITOR = 2;

interface PendingSpawn {
  done: SpawnReply;
  shard: number;
  incarnation: number;
}

/** Optional callbacks the owner of a thread installs. */
export interface RuntimeHooks {
  /** Main thread: a message could not be delivered (from any thread). */
  deadLetter?(dl: DeadLetter): void;
  /** Main thread: runs a job on the offload pool. */
  offload?(href: string, exportName: string, input: unknown): Promise<unknown>;
  /** Main thread: thread `thread` announced a metric series. */
  series?(thread: number, slot: number, metric: number, labels: string[]): void;
  /** Main thread: a span started / ended on thread `thread`. */
  spanStarted?(thread: number, rec: unknown): void;
  spanEnded?(thread: number, rec: unknown): void;
}

/** What only the main thread passes its runtime (the rest arrives through the rings). */
export interface LocalSinks {
  announce?: (slot: number, metric: number, labels: string[]) => void;
  spans?: SpanSink;
}

/** Counters a thread keeps about itself. */
export interface RuntimeCounters {
  spawned: number;
  exited: number;
  delivered: number;
  deadLetters: number;
  /** Call replies that arrived after their call had ended (timed out): dropped by design. */
  lateReplies: number;
}

function isThenable(v: unknown): v is PromiseLike<unknown> {
  return v !== null && typeof v === 'object' && typeof (v as { then?: unknown }).then === 'function';
}

export class ThreadRuntime {
  readonly thread: number;
  readonly threads: number;
  readonly config: ThreadConfig;
  readonly ctl: ControlViews;
  readonly names: NameTable;
  readonly procs = new Map<number, Proc>();
  readonly transport: Transport;
  readonly scheduler: Scheduler;
  readonly timers: TimerHeap;
  readonly loader = new Loader();
  /** This thread's metric shard (a no-op when telemetry is off). */
  readonly m: ShardMetrics;
  /** True when telemetry is on: the runtime takes its instrumented paths. */
  readonly metricsOn: boolean;
  /** Telemetry provider hooks (null: none, and nothing is built for them). */
  provider: TelemetryProvider | null = null;
  /** Built-in spans (null: tracing off, and envelopes carry nothing). */
  readonly tracing: ThreadTracing | null;
  /** True while a handler turn runs; `clock` is then the current message's start (abs ms), reused for send stamps. */
  private inTurn = false;
  private clock = 0;
  /** Messages per timing block at 100% sampling (adaptive, 1..64; see runTurnObserved). */
  private timingBlock = 1;
  private blockStart = 0;
  private blockCount = 0;
  /**
   * Messages sent in the current turn. A turn's budget counts messages
   * handled plus messages sent (like reductions on the BEAM), so an actor
   * that loops by sending to itself while flooding another cannot keep the
   * turn for `actorBudget` rounds of its loop.
   */
  private turnSends = 0;
  /** A timing block is open: it spans turns (of any actors) until it is full or the slice ends. */
  private blockLive = false;
  /** A run of equal queue waits not yet recorded. */
  private waitMs = NaN;
  private waitCount = 0;
  /** Tracing: start records of spans opened since the last publish (see the span sink). */
  private readonly unshippedStarts = new Map<string, SpanStartRecord>();
  /** The last OP_CLOCK value sent to each thread, and received from each. */
  private readonly dstClock: number[];
  private readonly srcClock: number[];
  readonly counters: RuntimeCounters = { spawned: 0, exited: 0, delivered: 0, deadLetters: 0, lateReplies: 0 };
  hooks: RuntimeHooks = {};
  /** First serial of this incarnation: spawn requests below it were meant for a dead predecessor. */
  readonly firstSerial: number;
  shuttingDown = false;

  private readonly pendingSpawns = new Map<number, PendingSpawn>();
  private readonly pendingOffloads = new Map<number, { resolve: (v: unknown) => void; reject: (e: unknown) => void }>();
  private reqSeq = 0;
  private rr = 0;
  private readonly localOps: unknown[] = [];
  private draining = false;
  private readonly actorsIndex: number;
  private onAllExited: (() => void) | null = null;

  constructor(init: ShardInit, spinMicros: number, local: LocalSinks = {}) {
    this.thread = init.thread;
    this.threads = init.threads;
    this.config = init.config;
    this.ctl = controlViews(init.control, init.threads);
    this.names = new NameTable(init.names, init.maxNames, init.thread);
    this.actorsIndex = init.thread * THREAD_STRIDE_I32 + ACTORS;
    this.firstSerial = Number(Atomics.load(this.ctl.i64, init.thread * THREAD_STRIDE_I64 + FIRST_SERIAL));
    this.transport = new Transport(
      init.thread,
      init.rings,
      this.ctl.i32,
      (ops, from) => this.dispatch(ops, 0, ops.length, from),
      (dest, op) => this.onUnencodableOp(dest, op),
    );
    this.scheduler = new Scheduler(
      init.thread,
      this.ctl.i32,
      this.transport,
      this.runTurn,
      init.config.actorBudget,
      init.config.sliceBudget,
      spinMicros,
    );
    this.timers = new TimerHeap(() => this.scheduler.kick());
    this.dstClock = new Array<number>(init.threads).fill(NaN);
    this.srcClock = new Array<number>(init.threads).fill(NaN);
    this.metricsOn = init.metrics !== null && init.telemetry.enabled;
    this.m = this.metricsOn
      ? new ShardMetrics(init.metrics!, init.telemetry, local.announce ?? ((slot, metric, labels) => this.transport.emit3(0, OP_SERIES, slot, metric, labels)))
      : new NoopMetrics();
    this.tracing =
      init.tracing === null
        ? null
        : new ThreadTracing(
            init.tracing,
            local.spans ?? {
              // Start records are only needed for spans still open when we publish (so the main
              // thread can end them if this shard dies): held back, and dropped if the span ends first.
              started: (rec) => void this.unshippedStarts.set(rec.spanId, rec),
              ended: (rec) => {
                this.unshippedStarts.delete(rec.spanId);
                this.transport.emitQuiet(0, OP_SPAN_END, spanEndToWire(rec));
              },
            },
            init.thread !== 0,
          );
    // Before anything this thread sent becomes visible elsewhere, the telemetry it
    // implies is recorded: a peer that got our reply and then reads the metrics
    // sees the messages handled so far (the open timing block ends here).
    const shipStarts = this.tracing !== null && init.thread !== 0;
    this.transport.beforeFlush = () => {
      if (this.blockLive) this.closeBlock();
      if (!shipStarts || this.unshippedStarts.size === 0) return;
      for (const rec of this.unshippedStarts.values()) this.transport.emitQuiet(0, OP_SPAN_START, spanStartToWire(rec));
      this.unshippedStarts.clear();
    };
    const loadingIndex = init.thread * THREAD_STRIDE_I32 + LOADING;
    this.loader.onLoading = (delta) => void Atomics.add(this.ctl.i32, loadingIndex, delta);
  }

  // ---------------------------------------------------------------- identity

  /** Reserves the next serial on `thread` (any thread may do this). */
  reserveSerial(thread: number): number {
    return Number(Atomics.add(this.ctl.i64, thread * THREAD_STRIDE_I64 + SERIAL, 1n));
  }

  /** A new monitor or timer reference, unique on this node; `ref % 4096` is the minting thread. */
  newRef(): number {
    return Number(Atomics.add(this.ctl.i64, this.thread * THREAD_STRIDE_I64 + REF, 1n)) * MAX_THREADS + this.thread;
  }

  private incarnationOf(thread: number): number {
    return Atomics.load(this.ctl.i32, thread * THREAD_STRIDE_I32 + INCARNATION);
  }

  private pidOf(serial: number): Pid {
    return new Pid(0, this.thread, serial);
  }

  // ---------------------------------------------------------------- sending

  /** User-facing send: throws what can be known here, dead-letters the rest. `from` is for providers only. */
  send(to: Pid<unknown> | string, msg: unknown, from?: Pid): void {
    let pid: Pid<unknown>;
    if (to instanceof Pid) pid = to;
    else if (typeof to === 'string') {
      const found = this.names.whereis(to);
      if (found === undefined) {
        this.failed('actor_not_found', null, to);
        throw new UnknownNameError(to, msg);
      }
      pid = found;
    } else {
      throw new InvalidArgumentError(`send needs a Pid or a registered name, got ${describe(to)}`);
    }
    this.turnSends++;
    const stamp = this.metricsOn ? this.m.onSend(this.inTurn ? this.clock : NaN) : NaN;
    if (this.provider?.onMessageSent) this.provider.onMessageSent(from?.toString(), pid.toString());
    // A message to oneself is the actor's own control flow (a loop, a timer), not a hop: it carries no
    // trace, or one sampled trace would swallow everything the loop ever does.
    const tc = this.tracing === null || (from !== undefined && pid.key === from.key) ? undefined : this.tracing.onSend(from, pid);
    if (pid.shard === this.thread && pid.node === 0) {
      const p = this.procs.get(pid.serial);
      if (p === undefined || p.status === S_DEAD) {
        this.failed('actor_not_found', null, pid);
        throw new NoProcError(pid.toString(), msg);
      }
      if (!this.enqueue(p, msg, stamp, tc)) {
        this.failed('mailbox_full', p, pid);
        throw new MailboxFullError(pid.toString(), p.mailbox.capacity, msg);
      }
      return;
    }
    if (pid.node !== 0 || pid.shard >= this.threads) {
      this.failed('actor_not_found', null, pid);
      throw new NoProcError(pid.toString(), msg);
    }
    try {
      assertEncodable(msg);
    } catch (err) {
      this.failed('unencodable', null, pid);
      throw err;
    }
    if (stamp === stamp && this.dstClock[pid.shard] !== stamp) {
      this.dstClock[pid.shard] = stamp;
      this.transport.emit1(pid.shard, OP_CLOCK, stamp);
    }
    if (tc !== undefined) {
      this.transport.emit4(pid.shard, OP_SEND_TP, pid.serial, msg, formatTraceparent(tc), stamp === stamp);
    } else if (stamp === stamp) {
      this.transport.emit2(pid.shard, OP_SEND_AT, pid.serial, msg);
    } else {
      this.transport.emit2(pid.shard, OP_SEND, pid.serial, msg);
    }
  }

  /** A send that failed on the spot (it throws): counted, never sampled. */
  private failed(reason: string, p: Proc | null, to: Pid<unknown> | string): void {
    this.counters.deadLetters++;
    this.m.sendFailed(reason, p?.tm ?? null);
    if (this.provider?.onDeadLetter) this.provider.onDeadLetter(String(to), reason);
  }

  /** Runtime-internal send (timers, replies): never throws; failures become dead letters. */
  sendQuiet(to: Pid<unknown> | string, msg: unknown): void {
    let pid: Pid<unknown> | undefined;
    if (typeof to === 'string') {
      pid = this.names.whereis(to);
      if (pid === undefined) {
        this.deadLetter(to, msg, 'actor_not_found');
        return;
      }
    } else pid = to;
    if (this.metricsOn && this.m.sampleMessage()) this.m.sent();
    if (pid.shard === this.thread) {
      this.deliverSerial(pid.serial, msg);
      return;
    }
    try {
      assertEncodable(msg);
    } catch {
      this.deadLetter(pid, msg, 'unencodable');
      return;
    }
    if (pid.shard >= this.threads) this.deadLetter(pid, msg, 'actor_not_found');
    else this.transport.emit2(pid.shard, OP_SEND, pid.serial, msg);
  }

  /** Delivers to a process of this thread, dead-lettering on failure. */
  private deliverSerial(serial: number, msg: unknown, stamp = NaN, trace?: SpanContext): void {
    const p = this.procs.get(serial);
    // An exiting process (its terminate running) still receives: terminate may wait for messages.
    if (p === undefined || p.status === S_DEAD) this.deadLetter(this.pidOf(serial), msg, 'actor_not_found');
    else if (!this.enqueue(p, msg, stamp, trace)) this.deadLetter(p.pid, msg, 'mailbox_full', p);
  }

  /** Puts a message in a mailbox (or hands it to a waiting receive); schedules the process. */
  private enqueue(p: Proc, msg: unknown, stamp = NaN, trace?: SpanContext): boolean {
    if (p.receivers !== null && this.offer(p, msg)) return true;
    if (!(stamp === stamp || trace !== undefined ? p.mailbox.pushStamped(msg, stamp, trace) : p.mailbox.push(msg))) return false;
    if (p.tm !== null) this.m.mailboxIn(p.tm, p.mailbox.capacity !== Infinity);
    this.counters.delivered++;
    if (p.status === S_IDLE) {
      p.status = S_QUEUED;
      this.scheduler.enqueue(p);
    }
    return true;
  }

  /** EXIT and DOWN messages: never refused by a full mailbox, or they would be lost. */
  private enqueueSystem(p: Proc, msg: unknown): void {
    if (p.receivers !== null && this.offer(p, msg)) return;
    p.mailbox.pushAlways(msg);
    if (p.tm !== null) this.m.mailboxIn(p.tm, p.mailbox.capacity !== Infinity);
    if (p.status === S_IDLE) {
      p.status = S_QUEUED;
      this.scheduler.enqueue(p);
    }
  }

  /** Hands `msg` to the oldest pending receive that matches it. */
  private offer(p: Proc, msg: unknown): boolean {
    const rs = p.receivers!;
    for (let i = 0; i < rs.length; i++) {
      const r = rs[i]!;
      let ok: boolean;
      try {
        ok = r.match(msg) === true;
      } catch (err) {
        this.endReceive(p, r);
        r.reject(err);
        return this.offer(p, msg);
      }
      if (ok) {
        this.endReceive(p, r);
        r.resolve(msg);
        return true;
      }
    }
    return false;
  }

  private endReceive(p: Proc, r: PendingReceive): void {
    const rs = p.receivers;
    if (rs !== null) {
      const i = rs.indexOf(r);
      if (i >= 0) rs.splice(i, 1);
      if (rs.length === 0) p.receivers = null;
    }
    if (r.timer !== 0) this.timers.cancel(r.timer);
  }

  deadLetter(to: Pid<unknown> | string, message: unknown, reason: DeadLetterReason, p: Proc | null = null): void {
    this.counters.deadLetters++;
    this.m.sendFailed(reason, p?.tm ?? null);
    if (this.provider?.onDeadLetter) this.provider.onDeadLetter(String(to), reason);
    if (this.shuttingDown) return;
    const dl: DeadLetter = { to, message, reason, shard: this.thread };
    if (this.thread === 0) {
      this.hooks.deadLetter?.(dl);
      return;
    }
    try {
      assertEncodable(message);
    } catch {
      dl.message = '[unencodable message]';
    }
    this.transport.emit1(0, OP_DEAD_LETTER, dl);
  }

  /** An op that passed assertEncodable but still failed to pack: report it, drop only it. */
  private onUnencodableOp(dest: number, op: unknown[]): void {
    if (op[0] === OP_SEND || op[0] === OP_SEND_AT) this.deadLetter(new Pid(0, dest, op[1] as number), '[unencodable message]', 'unencodable');
  }

  // ---------------------------------------------------------------- inbound ops

  /** Runs ops[start..end); the same code serves rings and this thread's own signal queue. */
  private dispatch(ops: unknown[], start: number, end: number, from: number): void {
    let i = start;
    while (i < end) {
      const op = ops[i] as number;
      switch (op) {
        case OP_SEND:
          this.deliverSerial(ops[i + 1] as number, ops[i + 2]);
          break;
        case OP_SEND_AT:
          this.deliverSerial(ops[i + 1] as number, ops[i + 2], this.srcClock[from]!);
          break;
        case OP_CLOCK:
          this.srcClock[from] = ops[i + 1] as number;
          break;
        case OP_SEND_TP:
          this.deliverSerial(ops[i + 1] as number, ops[i + 2], ops[i + 4] === true ? this.srcClock[from]! : NaN, parseTraceparent(ops[i + 3] as string));
          break;
        case OP_SPAN_START:
          this.hooks.spanStarted?.(from, ops[i + 1]);
          break;
        case OP_SPAN_END:
          this.hooks.spanEnded?.(from, ops[i + 1]);
          break;
        case OP_SERIES:
          this.hooks.series?.(from, ops[i + 1] as number, ops[i + 2] as number, ops[i + 3] as string[]);
          break;
        case OP_LINK:
          this.onLink(ops[i + 1] as Pid, ops[i + 2] as number);
          break;
        case OP_UNLINK: {
          const p = this.procs.get(ops[i + 2] as number);
          if (p !== undefined && p.links !== null) p.links.delete((ops[i + 1] as Pid).key);
          break;
        }
        case OP_EXIT: {
          const p = this.procs.get(ops[i + 2] as number);
          if (p !== undefined) this.onExitSignal(p, ops[i + 1] as Pid, ops[i + 3] as ExitSignalReason, ops[i + 4] === true);
          break;
        }
        case OP_MONITOR:
          this.onMonitor(ops[i + 1] as Pid, ops[i + 2] as number, ops[i + 3] as number);
          break;
        case OP_DEMONITOR: {
          const p = this.procs.get(ops[i + 2] as number);
          if (p !== undefined && p.monitoredBy !== null) p.monitoredBy.delete(ops[i + 3] as number);
          break;
        }
        case OP_DOWN:
          this.onDown(ops[i + 1] as number, ops[i + 2] as number, ops[i + 3] as Pid, ops[i + 4] as ExitReason);
          break;
        case OP_SPAWN: {
          const reqId = ops[i + 1] as number;
          this.startSpawn(ops[i + 2] as SpawnRequest, (pid, err) => {
            this.transport.emit3(from, OP_SPAWN_REPLY, reqId, pid, err === null ? null : toWireError(err));
          });
          break;
        }
        case OP_SPAWN_REPLY: {
          const pending = this.pendingSpawns.get(ops[i + 1] as number);
          if (pending !== undefined) {
            this.pendingSpawns.delete(ops[i + 1] as number);
            const err = ops[i + 3] as WireError | null;
            pending.done(ops[i + 2] as Pid | null, err === null ? null : fromWireError(err));
          }
          break;
        }
        case OP_DEAD_LETTER:
          if (!this.shuttingDown) this.hooks.deadLetter?.(ops[i + 1] as DeadLetter);
          break;
        case OP_OFFLOAD: {
          const reqId = ops[i + 1];
          this.runOffload(ops[i + 2] as string, ops[i + 3] as string, ops[i + 4]).then(
            (value) => {
              try {
                assertEncodable(value);
                this.transport.emit3(from, OP_OFFLOAD_REPLY, reqId, true, value);
              } catch (err) {
                this.transport.emit3(from, OP_OFFLOAD_REPLY, reqId, false, toWireError(err));
              }
            },
            (err: unknown) => this.transport.emit3(from, OP_OFFLOAD_REPLY, reqId, false, toWireError(err)),
          );
          break;
        }
        case OP_OFFLOAD_REPLY: {
          const pending = this.pendingOffloads.get(ops[i + 1] as number);
          if (pending !== undefined) {
            this.pendingOffloads.delete(ops[i + 1] as number);
            if (ops[i + 2] === true) pending.resolve(ops[i + 3]);
            else pending.reject(fromWireError(ops[i + 3] as WireError));
          }
          break;
        }
        case OP_REPLY:
          this.onReply(ops[i + 1] as number, ops[i + 2] as number, ops[i + 3] === true, ops[i + 4], ops[i + 5] as string | null);
          break;
        case OP_NAME_ADDED: {
          const p = this.procs.get(ops[i + 1] as number);
          if (p !== undefined && p.status < S_EXITING) p.addName(ops[i + 2] as string);
          else this.names.unregister(ops[i + 2] as string, this.pidOf(ops[i + 1] as number));
          break;
        }
        default:
          unknownMessage('ring op', op);
      }
      i += 1 + ARITY[op]!;
    }
  }

  /** Queues a signal for a process on this thread and runs the queue unless it is already running. */
  private local(...op: unknown[]): void {
    const q = this.localOps;
    for (let i = 0; i < op.length; i++) q.push(op[i]);
    if (this.draining) return;
    this.draining = true;
    try {
      // Iterative, not recursive: an exit that kills a linked process that
      // kills the next... runs as a loop, however long the chain.
      let i = 0;
      while (i < q.length) {
        const end = i + 1 + ARITY[q[i] as number]!;
        this.dispatch(q, i, end, this.thread);
        i = end;
      }
      q.length = 0;
    } finally {
      this.draining = false;
    }
  }

  private sigExit(from: Pid, to: Pid, reason: ExitSignalReason, viaLink: boolean): void {
    if (to.shard === this.thread) this.local(OP_EXIT, from, to.serial, reason, viaLink);
    else if (to.shard < this.threads && to.node === 0) this.transport.emit4(to.shard, OP_EXIT, from, to.serial, reason, viaLink);
  }

  private sigDown(to: Pid, ref: number, pid: Pid, reason: ExitReason): void {
    if (to.shard === this.thread) this.local(OP_DOWN, to.serial, ref, pid, reason);
    else if (to.shard < this.threads && to.node === 0) this.transport.emit4(to.shard, OP_DOWN, to.serial, ref, pid, reason);
  }

  private sig(op: number, from: Pid, to: Pid, ref?: number): void {
    if (to.shard === this.thread) {
      if (ref === undefined) this.local(op, from, to.serial);
      else this.local(op, from, to.serial, ref);
    }
    else if (to.shard < this.threads && to.node === 0) {
      if (ref === undefined) this.transport.emit2(to.shard, op, from, to.serial);
      else this.transport.emit3(to.shard, op, from, to.serial, ref);
    }
  }

  private onLink(from: Pid, serial: number): void {
    const p = this.procs.get(serial);
    if (p === undefined || p.status >= S_EXITING) this.sigExit(this.pidOf(serial), from, NOPROC, true);
    else p.addLink(from);
  }

  private onMonitor(from: Pid, serial: number, ref: number): void {
    const p = this.procs.get(serial);
    if (p === undefined || p.status >= S_EXITING) this.sigDown(from, ref, this.pidOf(serial), NOPROC);
    else p.addMonitoredBy(ref, from);
  }

  private onDown(serial: number, ref: number, pid: Pid, reason: ExitReason): void {
    const p = this.procs.get(serial);
    if (p === undefined || p.status === S_DEAD) return;
    // The monitor behind a call: the server is gone, so the call fails now, with its reason.
    const pc = p.calls?.get(ref);
    if (pc !== undefined) {
      const err = isNoproc(reason) ? new NoProcError(pid.toString()) : new CallFailedError(pid.toString(), reason, `the server exited (${formatReason(reason)})`);
      this.endCall(p, ref, pc, false, err);
      pc.reject(err);
      return;
    }
    // Exactly one DOWN: the monitor is gone after the first (or after demonitor).
    if (p.monitors === null || !p.monitors.delete(ref)) return;
    this.m.signalReceived('down', false);
    this.enqueueSystem(p, { type: 'DOWN', ref, pid, reason });
  }

  private onExitSignal(p: Proc, from: Pid, reason: ExitSignalReason, viaLink: boolean): void {
    if (p.status === S_DEAD) return;
    // After unlink, no exit signal from that link may arrive.
    if (viaLink && (p.links === null || !p.links.delete(from.key))) return;
    if (reason === KILL) {
      this.m.signalReceived('kill', false);
      this.exitProc(p, 'killed');
      return;
    }
    if (p.status === S_EXITING) return;
    if (p.trapExit) {
      this.m.signalReceived('exit', true);
      this.enqueueSystem(p, { type: 'EXIT', from, reason });
      return;
    }
    if (reason === 'normal') {
      const selfExit = !viaLink && from.equals(p.pid);
      this.m.signalReceived('exit', !selfExit);
      if (selfExit) this.exitProc(p, 'normal');
      return;
    }
    this.m.signalReceived('exit', false);
    this.exitProc(p, reason);
  }

  // ---------------------------------------------------------------- running

  /**
   * Called every TICK_MS by a timer on this thread: proves the event loop
   * turns (the main thread's watchdog reads LOOP_TICK) and records its lag.
   */
  tick(lagMs: number): void {
    const base = this.thread * THREAD_STRIDE_I32;
    Atomics.add(this.ctl.i32, base + LOOP_TICK, 1);
    Atomics.store(this.ctl.i32, base + LAG_US, Math.min(2 ** 31 - 1, Math.round(lagMs * 1000)));
  }

  /** Runs up to `budget` messages of `p` (the scheduler's callback). */
  private runTurn = (p: Proc, budget: number): number => {
    if (this.metricsOn || this.provider !== null || this.tracing !== null) return this.runTurnObserved(p, budget);
    p.status = S_RUNNING;
    const b = p.behaviour!;
    const ctx = p.ctx;
    const mb = p.mailbox;
    let n = 0;
    this.turnSends = 0;
    while (n + this.turnSends < budget && mb.length > 0) {
      const msg = mb.shift();
      n++;
      let next: unknown;
      try {
        next = b.handle(msg, p.state, ctx as never);
      } catch (err) {
        p.status = S_IDLE;
        this.exitProc(p, panicReason(err));
        return n;
      }
      if (isThenable(next)) {
        p.status = S_WAITING;
        this.scheduler.asyncPending++;
        next.then(
          (s) => this.resume(p, s),
          (err: unknown) => this.asyncCrash(p, err),
        );
        return n;
      }
      p.state = next;
      if (p.pendingExit !== null || p.stopReason !== null) {
        p.status = S_IDLE;
        this.applyPending(p);
        return n;
      }
    }
    this.afterTurn(p);
    return n;
  };

  /**
   * The same turn, observed: counters, depth gauges, queue wait, call and cast
   * accounting, provider hooks.
   *
   * Timing. A clock read costs 40-80 ns here, as much as a fast handler, so:
   * below 100% sampling each sampled message is timed on its own (chained: a
   * timed message's end is the next one's start). At 100%, messages are timed
   * in blocks of `timingBlock` handled back to back, each recorded at the
   * block's mean; sum and count are exact. The block shrinks to one message as
   * soon as handlers average over 10 us (then every message is timed exactly)
   * and grows back to 64 while they stay fast.
   */
  private runTurnObserved(p: Proc, budget: number): number {
    p.status = S_RUNNING;
    const b = p.behaviour!;
    const ctx = p.ctx;
    const mb = p.mailbox;
    const m = this.m;
    const tm = p.tm;
    const prov = this.provider;
    const blocks = m.samplesAll;
    let n = 0;
    let now: number;
    if (blocks) {
      // The processing histogram has no labels, so a timing block may cover
      // several actors' turns: fast one-message turns cost no clock read each.
      if (!this.blockLive) {
        this.blockStart = m.now();
        this.blockLive = true;
      }
      now = this.blockStart;
    } else now = m.now();
    let fresh = true;
    this.waitMs = NaN;
    this.waitCount = 0;
    this.inTurn = true;
    try {
      this.turnSends = 0;
      while (n + this.turnSends < budget && mb.length > 0) {
        const msg = mb.shift();
        const stamp = mb.lastStamp;
        mb.lastStamp = NaN;
        const carried = mb.lastTrace as SpanContext | undefined;
        mb.lastTrace = undefined;
        n++;
        const sampled = blocks || m.sampleMessage();
        // A fresh clock for a timed message; a queue wait uses the latest one (as in a
        // timing block, it reads low by at most the unsampled handlers since).
        if (!blocks && !fresh && sampled) {
          now = m.now();
          fresh = true;
        }
        if (blocks) now = this.blockStart;
        this.clock = now;
        if (tm !== null) {
          if (stamp === stamp) {
            // Messages from one sending handler share a stamp, and a timing block shares `now`:
            // record equal waits together.
            const wait = now > stamp ? now - stamp : 0; // a block's start can predate a stamp from another thread
            if (wait !== this.waitMs) {
              if (this.waitCount > 0) m.queueWait(this.waitMs, this.waitCount);
              this.waitMs = wait;
              this.waitCount = 0;
            }
            this.waitCount++;
          }
          if (typeof msg === 'object' && msg !== null) {
            const env = msg as { $joerl?: unknown; from?: { ref: number }; t?: number; d?: number };
            if (env.$joerl === 'call' && env.from !== undefined) {
              m.callTaken(tm);
              (p.serving ??= new Map()).set(env.from.ref, [env.t ?? NaN, env.d ?? Infinity]);
            } else if (env.$joerl === 'cast') {
              m.cast(tm);
            }
          }
        }
        if (prov?.onMessageReceived) prov.onMessageReceived(p.pid.toString());
        let traced: { ctx: import('@opentelemetry/api').Context; span: Span } | undefined;
        if (carried !== undefined && this.tracing !== null) {
          traced = this.tracing.beginHandle(carried, stamp, p.typeName, p.pid);
          // The span start must be visible to the main thread before a handler that might never return.
          if (traced !== undefined && this.thread !== 0) this.transport.flushTo(0);
        }
        let next: unknown;
        try {
          next = traced === undefined ? b.handle(msg, p.state, ctx as never) : context.with(traced.ctx, b.handle, b, msg, p.state, ctx as never);
        } catch (err) {
          if (traced !== undefined) this.tracing!.endHandle(traced.span, err);
          this.endTurn(p, n);
          p.status = S_IDLE;
          this.exitProc(p, panicReason(err));
          return n;
        }
        if (traced !== undefined) {
          if (isThenable(next)) p.traceSpan = traced.span;
          else this.tracing!.endHandle(traced.span);
        }
        if (blocks) {
          if (++this.blockCount >= this.timingBlock) this.endBlock();
        } else if (sampled) {
          const end = m.now();
          m.processed(end - now);
          now = end;
        } else {
          fresh = false;
        }
        if (isThenable(next)) {
          this.endTurn(p, n);
          p.status = S_WAITING;
          this.scheduler.asyncPending++;
          next.then(
            (s) => this.resume(p, s),
            (err: unknown) => this.asyncCrash(p, err),
          );
          return n;
        }
        p.state = next;
        if (p.pendingExit !== null || p.stopReason !== null) {
          this.endTurn(p, n);
          p.status = S_IDLE;
          this.applyPending(p);
          return n;
        }
      }
      this.endTurn(p, n);
    } finally {
      this.inTurn = false;
    }
    this.afterTurn(p);
    return n;
  }

  /** A turn ran out of budget or of messages: back in the run queue, or idle. */
  private afterTurn(p: Proc): void {
    if (p.mailbox.length > 0) {
      p.status = S_QUEUED;
      this.scheduler.enqueue(p);
    } else {
      p.status = S_IDLE;
    }
  }

  /** Closes an observed turn: pending queue waits, and the `n` messages it took off the depth gauge (the timing block may go on; see closeBlock). */
  private endTurn(p: Proc, n: number): void {
    if (this.waitCount > 0) this.m.queueWait(this.waitMs, this.waitCount);
    this.waitCount = 0;
    if (p.tm !== null) this.m.mailboxOut(p.tm, p.mailbox.capacity !== Infinity, n);
  }

  /** Ends the open timing block: called before every flush (so a slice's end ends it too; what follows is not handler time). */
  private closeBlock(): void {
    this.endBlock();
    // Mid-turn (a span start shipped before a handler), the block goes on from here.
    if (!this.inTurn) this.blockLive = false;
  }

  /** Records the current timing block (100% sampling) and adapts the block size. */
  private endBlock(): void {
    if (this.blockCount === 0) return;
    const end = this.m.now();
    const ms = end - this.blockStart;
    this.m.processedBlock(ms, this.blockCount);
    this.timingBlock = ms / this.blockCount > 0.01 ? 1 : Math.min(64, this.timingBlock * 2);
    this.blockStart = end;
    this.blockCount = 0;
  }

  private resume(p: Proc, state: unknown): void {
    this.scheduler.asyncPending--;
    if (p.traceSpan !== null) {
      this.tracing!.endHandle(p.traceSpan);
      p.traceSpan = null;
    }
    if (p.status !== S_WAITING) return; // exited while the handler was pending
    p.state = state;
    p.status = S_IDLE;
    if (this.applyPending(p)) return;
    if (p.mailbox.length > 0) {
      p.status = S_QUEUED;
      this.scheduler.enqueue(p);
    }
  }

  private asyncCrash(p: Proc, err: unknown): void {
    this.scheduler.asyncPending--;
    if (p.traceSpan !== null) {
      this.tracing!.endHandle(p.traceSpan, err);
      p.traceSpan = null;
    }
    if (p.status !== S_WAITING) return;
    p.status = S_IDLE;
    this.exitProc(p, panicReason(err));
  }

  private applyPending(p: Proc): boolean {
    const reason = p.pendingExit ?? p.stopReason;
    if (reason === null) return false;
    p.pendingExit = null;
    p.stopReason = null;
    this.exitProc(p, reason);
    return true;
  }

  // ---------------------------------------------------------------- exiting

  /** Ends a process: terminate (unless killed or never started), then finish. */
  exitProc(p: Proc, reason: ExitReason): void {
    const st = p.status;
    if (st === S_DEAD) return;
    if (st === S_RUNNING) {
      // A handler is on the stack: exit right after it returns.
      if (p.pendingExit === null || reason === 'killed') p.pendingExit = reason;
      return;
    }
    if (st === S_EXITING) {
      if (reason === 'killed') this.finish(p, 'killed');
      return;
    }
    p.status = S_EXITING;
    this.cancelReceive(p);
    this.cancelTimers(p);
    this.cancelCalls(p);
    const b = p.behaviour;
    if (reason === 'killed' || !p.initialized || b === null) {
      this.finish(p, reason);
      return;
    }
    let r: unknown;
    try {
      r = b.terminate(reason, p.state, p.ctx as never);
    } catch (err) {
      this.finish(p, panicReason(err));
      return;
    }
    if (!isThenable(r)) {
      this.finish(p, reason);
      return;
    }
    const limit = b.terminateTimeoutMs ?? this.config.terminateTimeoutMs;
    const timer = limit === Infinity ? undefined : setTimeout(() => this.finish(p, 'killed'), limit);
    timer?.unref();
    r.then(
      () => {
        clearTimeout(timer);
        this.finish(p, reason);
      },
      (err: unknown) => {
        clearTimeout(timer);
        this.finish(p, panicReason(err));
      },
    );
  }

  /** The process is gone: free its names, then tell links and monitors. */
  private finish(p: Proc, reason: ExitReason): void {
    if (p.status === S_DEAD) return;
    p.status = S_DEAD;
    this.procs.delete(p.pid.serial);
    this.ctl.i32[this.actorsIndex] = this.procs.size;
    this.counters.exited++;
    if (p.names !== null) for (const n of p.names) this.names.unregister(n, p.pid);
    const reply = p.spawnReply;
    if (reply !== null) {
      p.spawnReply = null;
      reply(null, new InitFailedError(p.pid.toString(), reason, `it exited during init (${formatReason(reason)})`));
    }
    const kind = reasonKind(reason);
    if (p.tm !== null) this.recordExit(p, kind);
    if (p.traceParent !== null && this.tracing !== null) {
      const span = this.tracing.lifecycle('stopped', p.traceParent, p.typeName, p.pid, formatReason(reason));
      if (kind === 'panic') this.tracing.endHandle(span, new Error((reason as { message: string }).message));
      else span.end();
    }
    if (p.traceSpan !== null) {
      this.tracing!.endHandle(p.traceSpan, new Error(`the actor exited (${formatReason(reason)}) while handling this message`));
      p.traceSpan = null;
    }
    if (this.provider !== null) this.tellProvider(p, reason, kind);
    const { links, monitoredBy, monitors } = p;
    p.links = p.monitoredBy = p.monitors = null;
    if (links !== null) {
      for (const pid of links.values()) {
        this.m.signalSent('exit', kind);
        this.sigExit(p.pid, pid, reason, true);
      }
    }
    if (monitoredBy !== null) {
      for (const [ref, w] of monitoredBy) {
        this.m.signalSent('down', null);
        this.sigDown(w, ref, p.pid, reason);
      }
    }
    if (monitors !== null) for (const [ref, t] of monitors) this.sig(OP_DEMONITOR, p.pid, t, ref);
    p.state = undefined;
    if (this.onAllExited !== null && this.procs.size === 0) this.onAllExited();
  }

  /** Telemetry for an exit: lifecycle counters, the mailbox it leaves, calls it never answered, its machine state. */
  private recordExit(p: Proc, kind: ReasonLabel): void {
    const tm = p.tm!;
    const m = this.m;
    m.stopped(tm, kind, performance.now() - p.startedAt, p.mailbox.capacity);
    if (p.mailbox.length > 0) m.mailboxOut(tm, p.mailbox.capacity !== Infinity, p.mailbox.length);
    if (p.serving !== null) {
      for (let i = 0; i < p.serving.size; i++) m.callDone(tm, NaN, false);
      p.serving = null;
    }
    if (p.statemState !== null) {
      m.statemEnter(tm, p.statemState, -1);
      p.statemState = null;
    }
  }

  private tellProvider(p: Proc, reason: ExitReason, kind: ReasonLabel): void {
    const prov = this.provider!;
    if (p.status === S_INBOX || p.behaviour === null) return;
    const pid = p.pid.toString();
    prov.onActorStopped?.(p.typeName, pid, kind);
    if (kind === 'panic') prov.onActorPanicked?.(p.typeName, pid, (reason as { message: string }).message);
  }

  /** Takes the i-th queued message out of order (selective receive, demonitor flush), keeping the depth gauge right. */
  private takeAt(p: Proc, i: number): unknown {
    const msg = p.mailbox.removeAt(i);
    if (p.tm !== null) this.m.mailboxOut(p.tm, p.mailbox.capacity !== Infinity);
    return msg;
  }

  private cancelReceive(p: Proc): void {
    const rs = p.receivers;
    if (rs === null) return;
    p.receivers = null;
    for (const r of rs) {
      if (r.timer !== 0) this.timers.cancel(r.timer);
      r.reject(this.shuttingDown ? new SystemStoppedError() : new NoProcError(p.pid.toString()));
    }
  }

  private cancelCalls(p: Proc): void {
    const calls = p.calls;
    if (calls === null) return;
    for (const [ref, pc] of [...calls]) {
      const err = this.shuttingDown ? new SystemStoppedError() : new NoProcError(p.pid.toString());
      this.endCall(p, ref, pc, true, err);
      pc.reject(err);
    }
  }

  private cancelTimers(p: Proc): void {
    if (p.timers === null) return;
    for (const id of p.timers) this.timers.cancel(id);
    p.timers = null;
  }

  // ---------------------------------------------------------------- process API

  link(p: Proc, target: Pid<unknown>): void {
    checkPid(target, 'link');
    if (target.equals(p.pid)) return;
    if (p.addLink(target)) {
      this.m.linkCreated();
      this.sig(OP_LINK, p.pid, target);
    }
  }

  unlink(p: Proc, target: Pid<unknown>): void {
    checkPid(target, 'unlink');
    if (p.links !== null && p.links.delete(target.key)) this.sig(OP_UNLINK, p.pid, target);
  }

  monitor(p: Proc, target: Pid<unknown>): MonitorRef {
    checkPid(target, 'monitor');
    const ref = this.newRef();
    this.m.monitorCreated();
    p.addMonitor(ref, target);
    this.sig(OP_MONITOR, p.pid, target, ref);
    return ref;
  }

  demonitor(p: Proc, ref: MonitorRef): boolean {
    const target = p.monitors?.get(ref);
    if (target === undefined) return false;
    p.monitors!.delete(ref);
    this.sig(OP_DEMONITOR, p.pid, target, ref);
    // Like erlang:demonitor(Ref, [flush]): a DOWN already queued is removed too.
    const mb = p.mailbox;
    for (let i = 0; i < mb.length; i++) {
      const m = mb.at(i) as { type?: unknown; ref?: unknown } | null;
      if (m !== null && typeof m === 'object' && m.type === 'DOWN' && m.ref === ref) {
        this.takeAt(p, i);
        break;
      }
    }
    return true;
  }

  /** exit/2: sends an exit signal from `from` to `target`. */
  exit(from: Pid, target: Pid<unknown>, input: ExitReasonInput): void {
    checkPid(target, 'exit');
    const reason = normalizeReason(input);
    this.m.signalSent(reason === KILL ? 'kill' : 'exit', reason === KILL ? 'killed' : reasonKind(reason));
    this.sigExit(from, target, reason, false);
  }

  /** ctx.stop(): exit after the current handler (or at once when idle). */
  requestStop(p: Proc, input: ExitReasonInput): void {
    const reason = normalizeReason(input);
    const r = reason === KILL ? 'killed' : reason;
    this.m.signalSent('stop', null);
    this.m.signalReceived('stop', false);
    if (p.status === S_RUNNING || p.status === S_WAITING || p.status === S_INIT) p.stopReason = r;
    else this.exitProc(p, r);
  }

  register(name: string, pid: Pid<unknown>): void {
    checkPid(pid, 'register');
    if (pid.shard === this.thread) {
      const p = this.procs.get(pid.serial);
      if (p === undefined || p.status >= S_EXITING) throw new NoProcError(pid.toString());
      this.names.register(name, pid);
      p.addName(name);
      return;
    }
    this.names.register(name, pid);
    // The owning thread frees the name when the process exits (or at once if it already has).
    this.transport.emit2(pid.shard, OP_NAME_ADDED, pid.serial, name);
  }

  unregister(name: string): boolean {
    const pid = this.names.whereis(name);
    if (pid === undefined) return false;
    const removed = this.names.unregister(name, pid);
    if (removed && pid.shard === this.thread) this.procs.get(pid.serial)?.removeName(name);
    return removed;
  }

  sendAfter(owner: Proc | null, to: Pid<unknown> | string, msg: unknown, delayMs: number): TimerRef {
    if (!(to instanceof Pid) && typeof to !== 'string') throw new InvalidArgumentError(`sendAfter needs a Pid or a name, got ${describe(to)}`);
    if (typeof delayMs !== 'number' || !Number.isFinite(delayMs) || delayMs < 0) {
      throw new InvalidArgumentError(`sendAfter delay must be a finite number of ms >= 0, got ${String(delayMs)}`);
    }
    if (!(to instanceof Pid) || to.shard !== this.thread) assertEncodable(msg);
    const ref = this.newRef();
    this.timers.add(ref, delayMs, () => {
      if (owner !== null && owner.timers !== null) owner.timers.delete(ref);
      this.sendQuiet(to, msg);
    });
    if (owner !== null) (owner.timers ??= new Set()).add(ref);
    return ref;
  }

  cancelTimer(ref: TimerRef, owner: Proc | null): boolean {
    if (typeof ref !== 'number' || !Number.isInteger(ref)) throw new InvalidArgumentError(`cancelTimer needs a TimerRef, got ${describe(ref)}`);
    if (ref % MAX_THREADS !== this.thread) {
      throw new InvalidArgumentError(`timer ${ref} was set on thread ${ref % MAX_THREADS}; cancel it there (this is thread ${this.thread})`);
    }
    if (owner !== null && owner.timers !== null) owner.timers.delete(ref);
    return this.timers.cancel(ref);
  }

  receive(p: Proc, match: (msg: unknown) => boolean, timeoutMs: number | undefined): Promise<unknown> {
    if (typeof match !== 'function') return Promise.reject(new InvalidArgumentError('receive needs a match function'));
    if (timeoutMs !== undefined && (typeof timeoutMs !== 'number' || Number.isNaN(timeoutMs) || timeoutMs < 0)) {
      return Promise.reject(new InvalidArgumentError(`receive timeoutMs must be a number >= 0, got ${String(timeoutMs)}`));
    }
    if (p.status === S_DEAD) return Promise.reject(new NoProcError(p.pid.toString()));
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
        r.timer = this.newRef();
        this.timers.add(r.timer, timeoutMs, () => {
          r.timer = 0;
          this.endReceive(p, r);
          resolve(undefined);
        });
      }
      (p.receivers ??= []).push(r);
    });
  }

  // ---------------------------------------------------------------- calls

  /**
   * Sends `req` to `to` as a call and resolves with its reply. The server is
   * monitored for the call's duration, so a dead, dying or crashing server
   * fails the call at once (ERR_NO_PROC / ERR_CALL_FAILED with its reason),
   * not after the timeout. The reply never enters the caller's mailbox: a
   * reply that comes after the timeout finds no pending call and is dropped.
   */
  call(p: Proc, to: Pid<unknown> | string, req: unknown, timeoutMs: number): Promise<unknown> {
    let pid: Pid<unknown>;
    try {
      pid = this.resolveTarget(to, 'call');
      if (timeoutMs !== Infinity && (typeof timeoutMs !== 'number' || !(timeoutMs >= 0))) {
        throw new InvalidArgumentError(`call timeoutMs must be a number >= 0 or Infinity, got ${describe(timeoutMs)}`);
      }
      if (pid.shard !== this.thread) assertEncodable(req);
    } catch (err) {
      return Promise.reject(err);
    }
    return new Promise((resolve, reject) => {
      const ref = this.newRef();
      const pc: PendingCall = { resolve, reject, timer: 0, to: pid };
      (p.calls ??= new Map()).set(ref, pc);
      p.addMonitor(ref, pid);
      this.sig(OP_MONITOR, p.pid, pid, ref);
      if (p.calls?.get(ref) !== pc) return; // a local server that is already gone: rejected with noproc
      if (timeoutMs !== Infinity) {
        pc.timer = this.newRef();
        this.timers.add(pc.timer, timeoutMs, () => {
          pc.timer = 0;
          if (p.calls?.get(ref) !== pc) return;
          const err = new CallTimeoutError(pid.toString(), timeoutMs);
          this.endCall(p, ref, pc, true, err);
          reject(err);
        });
      }
      const from: From = { pid: p.pid, ref };
      const span = this.tracing?.onCall(pid);
      if (span !== undefined) pc.span = span;
      let env: object;
      if (this.metricsOn) {
        // Sent time and the caller's deadline: the server measures call duration and late answers.
        const t = this.m.now();
        env = { $joerl: 'call', from, req, t, d: t + timeoutMs };
      } else {
        env = { $joerl: 'call', from, req };
      }
      try {
        if (span === undefined) this.send(pid, env, p.pid);
        else context.with(trace.setSpan(context.active(), span), () => this.send(pid, env, p.pid));
      } catch (err) {
        this.endCall(p, ref, pc, true, err);
        reject(err);
      }
    });
  }

  /** Sends a cast envelope (fire and forget; same errors as send). */
  cast(to: Pid<unknown> | string, msg: unknown): void {
    this.send(to, { $joerl: 'cast', msg });
  }

  /** Answers a call (now or later). A reply to a call that already ended is dropped at the caller. `by` is the answering process (telemetry). */
  reply(from: From, ok: boolean, value: unknown, by: Proc | null = null): void {
    if (!isFrom(from)) throw new InvalidArgumentError(`reply needs the From of a call, got ${describe(from)}`);
    const served = by?.serving?.get(from.ref);
    if (served !== undefined) {
      by!.serving!.delete(from.ref);
      const now = this.m.now();
      this.m.callDone(by!.tm!, now - served[0], now > served[1]);
    }
    const to = from.pid;
    if (!(to instanceof Pid)) throw new InvalidArgumentError(`reply needs the From of a call, got ${describe(from)}`);
    const tp = this.tracing === null ? null : (this.tracing.replyContext() ?? null);
    if (to.shard === this.thread) {
      this.local(OP_REPLY, to.serial, from.ref, ok, value, tp);
      return;
    }
    if (to.shard >= this.threads) return;
    assertEncodable(value);
    this.transport.emit5(to.shard, OP_REPLY, to.serial, from.ref, ok, value, tp);
  }

  private onReply(serial: number, ref: number, ok: boolean, value: unknown, tp: string | null): void {
    const p = this.procs.get(serial);
    const pc = p?.calls?.get(ref);
    if (p === undefined || pc === undefined) {
      this.counters.lateReplies++;
      return;
    }
    const err = ok ? undefined : fromWireError(value as WireError);
    this.endCall(p, ref, pc, true, err, tp ?? undefined);
    if (ok) pc.resolve(value);
    else pc.reject(err);
  }

  /** Forgets a call: its timer, its entry and (unless its DOWN already came) its monitor; ends its span. */
  private endCall(p: Proc, ref: number, pc: PendingCall, demonitor: boolean, err?: unknown, serverTp?: string): void {
    if (pc.span !== undefined) this.tracing!.endCall(pc.span, serverTp, err);
    p.calls!.delete(ref);
    if (p.calls!.size === 0) p.calls = null;
    if (pc.timer !== 0) this.timers.cancel(pc.timer);
    if (demonitor) {
      if (p.monitors !== null && p.monitors.delete(ref)) this.sig(OP_DEMONITOR, p.pid, pc.to, ref);
    } else if (p.monitors !== null) {
      p.monitors.delete(ref);
    }
  }

  private resolveTarget(to: Pid<unknown> | string, op: string): Pid<unknown> {
    if (to instanceof Pid) return to;
    if (typeof to === 'string') {
      const pid = this.names.whereis(to);
      if (pid === undefined) throw new UnknownNameError(to);
      return pid;
    }
    throw new InvalidArgumentError(`${op} needs a Pid or a registered name, got ${describe(to)}`);
  }

  // ---------------------------------------------------------------- offload

  /**
   * Runs `module`'s export on the offload pool (owned by the main thread) and
   * resolves with its result. A throwing job rejects only this promise.
   */
  offload(module: ModuleRef, input: unknown, exportName = 'default'): Promise<unknown> {
    let href: string;
    try {
      href = moduleHref(module);
      if (typeof exportName !== 'string' || exportName.length === 0) throw new InvalidArgumentError(`offload export must be a non-empty string, got ${describe(exportName)}`);
      assertEncodable(input);
    } catch (err) {
      return Promise.reject(err);
    }
    if (this.thread === 0) return this.runOffload(href, exportName, input);
    return new Promise((resolve, reject) => {
      const id = ++this.reqSeq;
      this.pendingOffloads.set(id, { resolve, reject });
      this.transport.emit4(0, OP_OFFLOAD, id, href, exportName, input);
    });
  }

  private runOffload(href: string, exportName: string, input: unknown): Promise<unknown> {
    const run = this.hooks.offload;
    if (run === undefined) return Promise.reject(new SystemStoppedError('the offload pool'));
    return run(href, exportName, input);
  }

  // ---------------------------------------------------------------- spawning

  /** spawn / spawnLink / spawnMonitor from `parent` (null: the main thread). */
  spawn(module: ModuleRef, args: unknown, opts: SpawnOptions | undefined, parent: Proc | null, mode: number): Promise<Pid | Monitored> {
    let req: SpawnRequest;
    let target: number;
    try {
      const href = moduleHref(module);
      const o = opts ?? {};
      if (typeof o !== 'object' || o === null) throw new InvalidOptionError(`spawn options must be an object, got ${describe(o)}`);
      const exportName = o.export ?? 'default';
      if (typeof exportName !== 'string' || exportName.length === 0) throw new InvalidOptionError(`options.export must be a non-empty string, got ${describe(exportName)}`);
      if (o.name !== undefined && (typeof o.name !== 'string' || o.name.length === 0)) throw new InvalidOptionError(`options.name must be a non-empty string, got ${describe(o.name)}`);
      if (o.mailboxCapacity !== undefined) checkCapacity(o.mailboxCapacity, 'options.mailboxCapacity');
      target = this.place(o.shard, parent !== null);
      if (this.isGone(target)) throw new ShardDownError(target);
      if (target !== this.thread) assertEncodable(args);
      req = { url: href, export: exportName, args, serial: this.reserveSerial(target) };
      req.parent = parent !== null ? parent.pid : MAIN_PID;
      if (o.name !== undefined) req.name = o.name;
      if (o.mailboxCapacity !== undefined) req.mailboxCapacity = o.mailboxCapacity;
    } catch (err) {
      return Promise.reject(err);
    }
    const incarnation = this.incarnationOf(target);
    const pid = new Pid(0, target, req.serial);
    if (this.tracing !== null) {
      const tc = this.tracing.onSpawn(exportTypeHint(req), pid);
      if (tc !== undefined) req.tp = formatTraceparent(tc);
    }
    let ref = 0;
    if (parent !== null && mode === SPAWN_LINK) {
      // Recorded before the child exists, so an init crash always finds the link.
      parent.addLink(pid);
      this.m.linkCreated();
      req.link = parent.pid;
    } else if (parent !== null && mode === SPAWN_MONITOR) {
      ref = this.newRef();
      this.m.monitorCreated();
      parent.addMonitor(ref, pid);
      req.monitor = parent.pid;
      req.ref = ref;
    }
    this.counters.spawned++;
    return new Promise((resolve, reject) => {
      const done: SpawnReply = (_pid, err) => {
        if (err !== null) reject(err);
        else resolve(mode === SPAWN_MONITOR ? { pid, ref } : pid);
      };
      if (target === this.thread) {
        this.startSpawn(req, done);
        return;
      }
      const id = ++this.reqSeq;
      this.pendingSpawns.set(id, { done, shard: target, incarnation });
      this.transport.emit2(target, OP_SPAWN, id, req);
    });
  }

  /** True once `shutdown()` began (supervisors stop restarting children). */
  get systemStopping(): boolean {
    return Atomics.load(this.ctl.i32, STOPPING) === 1;
  }

  /** True once the main thread gave up restarting `thread`. */
  private isGone(thread: number): boolean {
    return thread !== 0 && Atomics.load(this.ctl.i32, thread * THREAD_STRIDE_I32 + GAVE_UP) === 1;
  }

  private place(shard: SpawnOptions['shard'], fromActor: boolean): number {
    const shards = this.threads - 1;
    if (shard === undefined) shard = fromActor ? 'local' : 'round-robin';
    if (typeof shard === 'number') {
      if (!Number.isInteger(shard) || shard < 1 || shard > shards) {
        throw new InvalidOptionError(`options.shard must be an integer from 1 to ${shards}, got ${shard}`);
      }
      return shard;
    }
    switch (shard) {
      case 'local':
        if (this.thread !== 0) return this.thread;
        return this.place('round-robin', false);
      case 'round-robin':
        for (let k = 0; k < shards; k++) {
          this.rr = (this.rr % shards) + 1;
          if (!this.isGone(this.rr)) break;
        }
        return this.rr;
      case 'least-loaded': {
        let best = 1;
        let bestLoad = Infinity;
        for (let t = 1; t <= shards; t++) {
          if (this.isGone(t)) continue;
          const load = Atomics.load(this.ctl.i32, t * THREAD_STRIDE_I32 + ACTORS);
          if (load < bestLoad) {
            best = t;
            bestLoad = load;
          }
        }
        return best;
      }
      default:
        throw new InvalidOptionError(`options.shard must be a shard number, 'local', 'round-robin' or 'least-loaded', got ${describe(shard)}`);
    }
  }

  /** Creates the process at once (so signals to it are never lost), then loads its module and runs init. */
  private startSpawn(req: SpawnRequest, done: SpawnReply): void {
    if (req.serial < this.firstSerial) {
      // Reserved from our dead predecessor: its requester is told the shard went down.
      done(null, new ShardDownError(this.thread));
      return;
    }
    const p = new Proc(this.pidOf(req.serial), req.mailboxCapacity ?? this.config.mailboxCapacity);
    p.ctx = new ActorCtx(this, p);
    this.procs.set(req.serial, p);
    this.ctl.i32[this.actorsIndex] = this.procs.size;
    if (req.link !== undefined) p.addLink(req.link);
    if (req.monitor !== undefined) p.addMonitoredBy(req.ref!, req.monitor);
    p.parent = req.parent;
    if (req.tp !== undefined && this.tracing !== null) p.traceParent = parseTraceparent(req.tp) ?? null;
    p.spawnReply = done;
    let loaded;
    try {
      loaded = this.loader.get(req.url, req.export);
    } catch (err) {
      this.failStart(p, err);
      return;
    }
    if (loaded instanceof Promise) {
      loaded.then(
        (l) => this.initProc(p, l.behaviour, l.typeName, req),
        (err: unknown) => this.failStart(p, err),
      );
    } else {
      this.initProc(p, loaded.behaviour, loaded.typeName, req);
    }
  }

  private failStart(p: Proc, err: unknown): void {
    if (p.status === S_DEAD) return;
    const reply = p.spawnReply;
    p.spawnReply = null;
    reply?.(null, err);
    p.status = S_IDLE;
    this.exitProc(p, panicReason(err));
  }

  private initProc(p: Proc, b: NonNullable<Proc['behaviour']>, typeName: string, req: SpawnRequest): void {
    if (p.status !== S_INIT) return; // killed while its module loaded
    p.behaviour = b;
    p.typeName = typeName;
    if (req.mailboxCapacity === undefined && b.mailboxCapacity !== undefined) p.mailbox.capacity = b.mailboxCapacity;
    if (this.metricsOn) {
      const tm = (p.tm = this.m.type(typeName));
      this.m.spawned(tm, p.mailbox.capacity);
      // Messages that arrived while the module loaded were not counted yet.
      if (p.mailbox.length > 0) this.m.mailboxOut(tm, p.mailbox.capacity !== Infinity, -p.mailbox.length);
    }
    if (b.trapExit) p.trapExit = true;
    if (req.name !== undefined) {
      try {
        this.names.register(req.name, p.pid);
        p.addName(req.name);
      } catch (err) {
        const reply = p.spawnReply;
        p.spawnReply = null;
        reply?.(null, err);
        p.status = S_IDLE;
        this.exitProc(p, 'normal');
        return;
      }
    }
    p.status = S_RUNNING;
    // Traced spawn: init runs inside an `actor.lifecycle` (started) span, so what it does joins the trace.
    const started = p.traceParent !== null ? this.tracing!.lifecycle('started', p.traceParent, typeName, p.pid) : undefined;
    let r: unknown;
    try {
      r = started === undefined ? b.init(req.args, p.ctx as never) : context.with(trace.setSpan(context.active(), started), b.init, b, req.args, p.ctx as never);
    } catch (err) {
      if (started !== undefined) this.tracing!.endHandle(started, err);
      this.initFailed(p, err);
      return;
    }
    if (started !== undefined) {
      if (isThenable(r)) r.then(() => this.tracing!.endHandle(started), (err: unknown) => this.tracing!.endHandle(started, err));
      else this.tracing!.endHandle(started);
    }
    if (isThenable(r)) {
      p.status = S_WAITING;
      this.scheduler.asyncPending++;
      r.then(
        (s) => {
          this.scheduler.asyncPending--;
          this.initDone(p, s);
        },
        (err: unknown) => {
          this.scheduler.asyncPending--;
          this.initFailed(p, err);
        },
      );
      return;
    }
    this.initDone(p, r);
  }

  private initDone(p: Proc, state: unknown): void {
    if (p.status !== S_RUNNING && p.status !== S_WAITING) return;
    p.state = state;
    p.initialized = true;
    p.status = S_IDLE;
    const reply = p.spawnReply;
    p.spawnReply = null;
    reply?.(p.pid, null);
    if (this.provider?.onActorSpawned) this.provider.onActorSpawned(p.typeName, p.pid.toString());
    if (this.applyPending(p)) return;
    if (p.mailbox.length > 0) {
      p.status = S_QUEUED;
      this.scheduler.enqueue(p);
    }
  }

  private initFailed(p: Proc, err: unknown): void {
    if (p.status !== S_RUNNING && p.status !== S_WAITING) return;
    const reason = panicReason(err);
    const reply = p.spawnReply;
    p.spawnReply = null;
    reply?.(null, new InitFailedError(p.pid.toString(), reason, `init threw: ${reason.message}`));
    p.status = S_IDLE;
    p.pendingExit = null;
    this.exitProc(p, reason);
  }

  // ---------------------------------------------------------------- main-thread inboxes

  /** A process on this thread that is read with `receive()`; it traps exits and never runs a handler. */
  createInbox(): Proc {
    const serial = this.reserveSerial(this.thread);
    const p = new Proc(this.pidOf(serial), Infinity);
    p.status = S_INBOX;
    p.trapExit = true;
    p.initialized = true;
    p.typeName = 'inbox';
    this.procs.set(serial, p);
    return p;
  }

  // ---------------------------------------------------------------- faults and shutdown

  /** Shard `shard` (incarnation `incarnation`) died: its processes exited with `killed`. */
  onShardDown(shard: number, incarnation: number): void {
    for (const [id, ps] of this.pendingSpawns) {
      if (ps.shard === shard && ps.incarnation <= incarnation) {
        this.pendingSpawns.delete(id);
        ps.done(null, new ShardDownError(shard));
      }
    }
    for (const p of [...this.procs.values()]) {
      if (p.status === S_DEAD) continue;
      if (p.links !== null) {
        for (const pid of [...p.links.values()]) if (pid.shard === shard) this.local(OP_EXIT, pid, p.pid.serial, 'killed', true);
      }
      if (p.monitors !== null) {
        for (const [ref, t] of [...p.monitors]) if (t.shard === shard) this.local(OP_DOWN, p.pid.serial, ref, t, 'killed');
      }
      if (p.monitoredBy !== null) {
        for (const [ref, w] of [...p.monitoredBy]) if (w.shard === shard) p.monitoredBy.delete(ref);
      }
    }
  }

  /** Stops every process with `shutdown` (newest first), waits for their terminate hooks, then stops the loop. */
  async shutdown(timeoutMs: number): Promise<number> {
    // Take in everything sent before the shutdown order (a monitor set up just
    // before shutdown must still get its DOWN).
    if (this.thread !== 0) this.scheduler.slice();
    this.shuttingDown = true;
    if (this.procs.size > 0) {
      const all = new Promise<void>((resolve) => {
        this.onAllExited = resolve;
      });
      for (const p of [...this.procs.values()].reverse()) {
        if (p.status === S_RUNNING) p.status = S_IDLE; // cannot be on the stack here; defensive
        this.exitProc(p, 'shutdown');
      }
      if (this.procs.size > 0) {
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([all, new Promise<void>((r) => { timer = setTimeout(r, timeoutMs); })]);
        clearTimeout(timer);
      }
      for (const p of [...this.procs.values()]) this.finish(p, 'killed');
      this.onAllExited = null;
    }
    const left = this.procs.size;
    this.transport.flush();
    this.timers.clear();
    await this.scheduler.stop();
    return left;
  }
}

/** A type label for the `actor.spawn` span, before the module is loaded: the export name, else the file name. */
function exportTypeHint(req: SpawnRequest): string {
  if (req.export !== 'default') return req.export;
  const file = req.url.slice(req.url.lastIndexOf('/') + 1);
  return file.replace(/(\.actor)?\.(c|m)?(j|t)sx?$/, '');
}

function isNoproc(reason: ExitReason): boolean {
  return typeof reason === 'object' && reason.kind === 'custom' && reason.value === 'noproc';
}

function checkPid(pid: unknown, op: string): asserts pid is Pid<unknown> {
  if (!(pid instanceof Pid)) throw new InvalidArgumentError(`${op} needs a Pid, got ${describe(pid)}`);
}

export function checkCapacity(value: unknown, what: string): void {
  if (value !== Infinity && (typeof value !== 'number' || !Number.isInteger(value) || value < 1)) {
    throw new InvalidOptionError(`${what} must be a positive integer or Infinity, got ${describe(value)}`);
  }
}

export function describe(v: unknown): string {
  if (v === null) return 'null';
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'object') return (v as object).constructor?.name ?? 'object';
  return `${typeof v} ${String(v)}`;
}
