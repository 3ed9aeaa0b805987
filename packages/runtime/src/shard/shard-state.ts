// The state one thread's layers share: its identity, process table, transport, scheduler, timers and observer.

import type { SpanSink } from '@joerl/telemetry/internal';
import { MAX_THREADS, Pid } from '../actor/pid.js';
import { type Proc, S_QUEUED } from '../actor/proc.js';
import {
  ACTORS,
  FIRST_SERIAL,
  GAVE_UP,
  INCARNATION,
  QUEUED,
  REF,
  SERIAL,
  STOPPING,
  THREAD_STRIDE_I32,
  THREAD_STRIDE_I64,
  type ControlViews,
  controlViews,
} from '../ring/control-block.js';
import { NameTable } from '../registry/name-table.js';
import { TimerHeap } from '../timer/timer-heap.js';
import { FrameCursor } from './frame-cursor.js';
import { Loader } from './loader.js';
import { ProcTable } from './proc-table.js';
import type { ShardObserver } from './observer.js';
import { type DeadLetter, OP_REPORT, type ShardInit, type ThreadConfig } from './protocol.js';
import { NO_REMOTE, type RemoteSink } from './remote-ops.js';
import { ReportSink, type Shipped } from './report-sink.js';
import type { Scheduler } from './scheduler.js';
import { SliceClock } from './slice-clock.js';
import type { LinkHost, Transport } from './transport.js';

/** Optional callbacks the owner of a thread installs. */
export interface RuntimeHooks {
  /** Main thread: a message could not be delivered (from any thread). */
  deadLetter?(dl: DeadLetter): void;
  /** Main thread: a crash or supervisor report, or a count of lost messages (from any thread). */
  report?(r: Shipped): void;
  /** Main thread: the offload pool. */
  offload?: OffloadRunner;
  /** Main thread: thread `thread` announced a metric series. */
  series?(thread: number, slot: number, metric: number, labels: string[]): void;
  /** Main thread: a span started / ended on thread `thread`. */
  spanStarted?(thread: number, rec: unknown): void;
  /** Main thread: a batch of finished spans (wire records) from thread `thread`. */
  spanBatch?(thread: number, batch: unknown[]): void;
  /**
   * Main thread of a node: a node-level request (spawn on another node,
   * global names) from thread `thread`. `done` is called once, synchronously
   * where the answer is dispatched (so what follows it is dispatched after).
   */
  nodeRequest?(kind: string, arg: unknown, thread: number, done: (ok: boolean, value: unknown) => void): void;
  /** Main thread of a node: shard `shard` died (its processes' serials were below `below`), for the other nodes to hear. */
  shardDown?(shard: number, below: number): void;
  /** Main thread of a node: a remote op (OP_REMOTE) from shard `thread`; without it, the op goes to `remote`. */
  remoteOp?(thread: number, kind: number, to: Pid, a: unknown, b: unknown, c: unknown, d: unknown): void;
  /** Main thread of a node: shard `thread` has read the OP_NODE_DOWN of node `node`. */
  nodeDownSeen?(thread: number, node: number): void;
}

/** The main thread's offload pool, as the runtime uses it (the system's OffloadPool). */
export interface OffloadRunner {
  /** The pool's size (how many answers to a shard to hold back; see OffloadServer). */
  readonly threads: number;
  /** Runs a job; failures are typed (see `failure`). */
  run(href: string, exportName: string, input: unknown, signal?: AbortSignal): Promise<unknown>;
  /** Starts a job: the pool's own promise, its failures as the pool gives them (see `failure`). May throw. */
  start(href: string, exportName: string, input: unknown, signal?: AbortSignal): Promise<unknown>;
  /** Starts one pool task carrying several jobs, `[href, exportName, input, ...]`: resolves with `[ok, value, ms, ...]`, rejects if the task failed as a whole. May throw. */
  startChunk(jobs: unknown[]): Promise<unknown[]>;
  /** What a job that failed with `err` rejects with (`chunked`: `err` is a chunk runner's answer). */
  failure(href: string, exportName: string, err: unknown, signal?: AbortSignal, chunked?: boolean): unknown;
}

/** What the owner of a thread passes its runtime (the rest arrives through the rings). */
export interface LocalSinks {
  /** How the thread gets rings and side channels (a shard: its parent port; main: the link broker, set later). */
  links?: LinkHost;
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

/** Serials a thread reserves for itself at a time. */
const SERIAL_BLOCK = 64;
const SERIAL_BLOCK_N = BigInt(SERIAL_BLOCK);
/** References a thread reserves for itself at a time. */
const REF_BLOCK = 256;
/**
 * Refs are counted from this many blocks of MAX_THREADS (refs from 2^32 up),
 * so they are past 2^31 from the first, not from the ~524,000th of a thread
 * on. V8 keeps a field that has held only small integers as one; the first
 * ref past 2^31 stored in a process's call slot turned the field into a
 * double, which retired the map of every process, and every optimized
 * function that had seen one (send, enqueue, runNow, the turns, the call and
 * reply paths) was thrown away at once, along with newRef's multiplication,
 * compiled for small integers: a run of 20,000 in-shard calls took 6.2 us a
 * call instead of ~1 (--trace-deopt, 2026-12-01), and the bench's GenServer
 * row caught the recompilation in its first measured runs. `ref %
 * MAX_THREADS` is still the minting thread; refs stay exact (under 2^53)
 * for 2^41 refs a thread.
 */
const REF_BASE_COUNT = 2 ** 20;
const REF_BLOCK_N = BigInt(REF_BLOCK);

export class ShardState {
  /** This node's id in its cluster (0 for a system started without `node`: every pid has node 0). */
  readonly node: number;
  /** This node's name (null without `node`). */
  readonly nodeName: string | null;
  /** True when this system is a node: pids of other nodes route to the network. */
  readonly distributed: boolean;
  /** The main thread of this node as a pid (the parent of processes spawned from main code). */
  readonly mainPid: Pid;
  /** Where remote ops go: the main thread's ring (shards) or the node's connection (main); set by the composition. */
  remote: RemoteSink = NO_REMOTE;
  readonly thread: number;
  readonly threads: number;
  readonly config: ThreadConfig;
  readonly ctl: ControlViews;
  readonly names: NameTable;
  readonly procs = new ProcTable();
  /**
   * Processes' own terminate limits (SpawnOptions.terminateTimeoutMs, ms) by
   * serial: a supervisor's children, mostly. Not a field of every Proc: it
   * read 8 bytes more per idle actor.
   */
  readonly terminateLimits = new Map<number, number>();
  readonly timers: TimerHeap;
  readonly loader = new Loader();
  readonly counters: RuntimeCounters = { spawned: 0, exited: 0, delivered: 0, deadLetters: 0, lateReplies: 0 };
  hooks: RuntimeHooks = {};
  /** Crash and supervisor reports, shipped to the main thread (telemetry on or off). */
  readonly reports: ReportSink;
  /** First serial of this incarnation: spawn requests below it were meant for a dead predecessor. */
  readonly firstSerial: number;
  shuttingDown = false;
  /**
   * Messages sent in the current turn. A turn's budget counts messages
   * handled plus messages sent (like reductions on the BEAM), so an actor
   * that loops by sending to itself while flooding another cannot keep the
   * turn for `actorBudget` rounds of its loop.
   */
  turnSends = 0;
  /** Set once by the composition, before anything runs. */
  transport!: Transport;
  scheduler!: Scheduler;
  /** The scheduler's clock read at a slice's start, for the slice's first timing block (see slice-clock.ts). */
  readonly sliceClock = new SliceClock();
  observer!: ShardObserver;
  private readonly actorsIndex: number;
  /** This thread's block of reserved refs: [nextRef, endRef). */
  private nextRef = 0;
  private endRef = 0;
  /** This thread's block of reserved serials: [nextSerial, endSerial). */
  private nextSerial = 0;
  private endSerial = 0;
  /**
   * This thread's QUEUED slot in `ctl.i32`: messages from `send` waiting in
   * its mailboxes. Plain writes (one per push, one per handler entry): the
   * counter must outlive the thread, not synchronise anything, and only the
   * main thread reads it, after this thread has ended.
   */
  readonly queuedIndex: number;
  /** The ring frame being dispatched, for actor code that runs in the middle of it (see frame-cursor.ts). */
  readonly frame: FrameCursor;

  constructor(init: ShardInit) {
    this.thread = init.thread;
    this.node = init.node?.id ?? 0;
    this.nodeName = init.node?.name ?? null;
    this.distributed = init.node !== null;
    this.mainPid = new Pid(this.node, 0, 0);
    this.threads = init.threads;
    this.config = init.config;
    this.ctl = controlViews(init.control, init.threads);
    this.names = new NameTable(init.names, init.maxNames, init.thread);
    this.actorsIndex = init.thread * THREAD_STRIDE_I32 + ACTORS;
    this.queuedIndex = init.thread * THREAD_STRIDE_I32 + QUEUED;
    this.frame = new FrameCursor(this.ctl.i32, init.thread);
    this.firstSerial = Number(Atomics.load(this.ctl.i64, init.thread * THREAD_STRIDE_I64 + FIRST_SERIAL));
    this.timers = new TimerHeap(() => this.scheduler.kick());
    this.reports = new ReportSink(init.thread, (r) => {
      if (this.thread === 0) this.hooks.report?.(r);
      else this.transport.emit1(0, OP_REPORT, r);
    });
  }

  /**
   * Reserves the next serial on `thread` (any thread may do this). This
   * thread's own serials are reserved SERIAL_BLOCK at a time: one atomic add
   * (and one BigInt) per block, not per spawn. Serials stay unique; a block a
   * dead incarnation left unused is below its successor's first serial.
   */
  reserveSerial(thread: number): number {
    if (thread !== this.thread) return Number(Atomics.add(this.ctl.i64, thread * THREAD_STRIDE_I64 + SERIAL, 1n));
    if (this.nextSerial === this.endSerial) {
      this.nextSerial = Number(Atomics.add(this.ctl.i64, thread * THREAD_STRIDE_I64 + SERIAL, SERIAL_BLOCK_N));
      this.endSerial = this.nextSerial + SERIAL_BLOCK;
    }
    return this.nextSerial++;
  }

  /**
   * A new monitor or timer reference, unique on this node; `ref % MAX_THREADS`
   * is the minting thread. The counter lives in shared memory so a restarted
   * shard never mints a ref its predecessor did; it is advanced REF_BLOCK at
   * a time (a call makes one: no atomic add and BigInt per call).
   */
  newRef(): number {
    if (this.nextRef === this.endRef) {
      this.nextRef = Number(Atomics.add(this.ctl.i64, this.thread * THREAD_STRIDE_I64 + REF, REF_BLOCK_N));
      this.endRef = this.nextRef + REF_BLOCK;
    }
    return (REF_BASE_COUNT + this.nextRef++) * MAX_THREADS + this.thread;
  }

  incarnationOf(thread: number): number {
    return Atomics.load(this.ctl.i32, thread * THREAD_STRIDE_I32 + INCARNATION);
  }

  pidOf(serial: number): Pid {
    return new Pid(this.node, this.thread, serial);
  }

  /** Publishes the live process count (least-loaded placement and health read it). */
  countProcs(): void {
    this.ctl.i32[this.actorsIndex] = this.procs.size;
  }

  /** True once `shutdown()` began (supervisors stop restarting children). */
  get systemStopping(): boolean {
    return Atomics.load(this.ctl.i32, STOPPING) === 1;
  }

  /** True once the main thread gave up restarting `thread`. */
  isGone(thread: number): boolean {
    return thread !== 0 && Atomics.load(this.ctl.i32, thread * THREAD_STRIDE_I32 + GAVE_UP) === 1;
  }

  /** Puts an idle process with work in the run queue. */
  schedule(p: Proc): void {
    p.status = S_QUEUED;
    this.scheduler.enqueue(p);
  }
}
