// The ActorSystem handle on the main thread: starts and watches shards, and is itself an endpoint for send/spawn.

import { EventEmitter } from 'node:events';
import { Aggregator, type EndpointOptions, SpanCollector, TelemetryServer, createRegion, defaultResource, nowMs, spanEndFromWire, spanStartFromWire } from '@joerl/telemetry';
import { loadProvider } from '../shard/provider.js';
import type { CallOf, CallOptions, CastOf, ModuleRef, ReplyOf, SpawnOptions, TimerRef } from '../actor/context.js';
import type { ArgsOf, Behaviour, MsgOf } from '../actor/behaviour.js';
import type { ExitReason, ExitReasonInput } from '../actor/exit-reason.js';
import { type DownMessage, type From, isDownMessage } from '../actor/messages.js';
import type { Proc } from '../actor/proc.js';
import { DEFAULT_CALL_TIMEOUT_MS } from '../shard/actor-context.js';
import { MAIN_PID, Pid } from '../actor/pid.js';
import { InvalidOptionError, SystemStoppedError } from '../errors.js';
import { createRingBuffer } from '../ring/ring.js';
import {
  ACTORS,
  BUSY,
  FIRST_SERIAL,
  GAVE_UP,
  LAG_US,
  LOADING,
  LOOP_TICK,
  INCARNATION,
  PARKED,
  REF,
  SERIAL,
  STOPPING,
  THREAD_STRIDE_I32,
  THREAD_STRIDE_I64,
  controlBytes,
  controlViews,
  type ControlViews,
} from '../ring/layout.js';
import { nameTableBytes } from '../registry/name-table.js';
import type { DeadLetter, ShardInit, ShardStats, ThreadConfig } from '../shard/protocol.js';
import { READ_INDEX, RING_HEADER_BYTES, WRITE_INDEX } from '../ring/layout.js';
import { SPAWN_PLAIN, ThreadRuntime } from '../shard/thread-runtime.js';
import { Inbox } from './inbox.js';
import { OffloadPool } from './offload-pool.js';
import { type ResolvedOptions, type SystemOptions, resolveOptions } from './options.js';
import { type ShardDeath, ShardHost } from './shard-host.js';

export type { ShardDeath };

/** What the system knows about one shard right now (read from shared memory, no round trip). */
export interface ShardView {
  shard: number;
  /** Its worker is running and has reported ready. */
  up: boolean;
  /** The system stopped restarting it (it kept dying at start-up). */
  gaveUp: boolean;
  incarnation: number;
  /** Bumped every 20 ms by the shard's event loop; stalls when a handler blocks it. */
  loopTick: number;
  /** ms since loopTick last moved (as seen from here). */
  stalledMs: number;
  /** Event-loop lag at its last tick, in ms. */
  lagMs: number;
  /** Live processes on it. */
  actors: number;
  /** Fullest of the rings into it, 0..1 (near 1: it cannot keep up). */
  ringFill: number;
}

/** The system's own view of itself (health reads it). */
export interface SystemView {
  state: 'starting' | 'running' | 'stopping' | 'stopped';
  shards: ShardView[];
}

/** Events an ActorSystem emits (on the main thread). */
export interface SystemEventMap {
  /** A message could not be delivered and no caller could be told synchronously. */
  deadLetter: [DeadLetter];
  /** A shard died; its actors exited with `killed`, and links and monitors were told. */
  shardDown: [ShardDeath];
  /** A dead shard is running again (a new incarnation, with no actors). */
  shardRestart: [{ shard: number; incarnation: number }];
}

type State = 'running' | 'stopping' | 'stopped';

/** A shard that dies this many times in a row before reporting ready is not restarted again. */
const MAX_FAILED_STARTS = 3;


export interface ActorSystem {
  on<K extends keyof SystemEventMap>(event: K, listener: (...args: SystemEventMap[K]) => void): this;
  once<K extends keyof SystemEventMap>(event: K, listener: (...args: SystemEventMap[K]) => void): this;
  off<K extends keyof SystemEventMap>(event: K, listener: (...args: SystemEventMap[K]) => void): this;
  emit<K extends keyof SystemEventMap>(event: K, ...args: SystemEventMap[K]): boolean;
}

/**
 * An actor system: one shard (worker thread) per core, and the main thread as
 * an endpoint. Start it, spawn behaviour modules by URL, send, and shut down.
 *
 * ```ts
 * const system = await ActorSystem.start();
 * const pid = await system.spawn(new URL('./hasher.actor.js', import.meta.url), { seed: 1 });
 * system.send(pid, { kind: 'hash', block: 7 });
 * await system.shutdown();
 * ```
 */
export class ActorSystem extends EventEmitter {
  /** Number of shards. Shards are numbered 1..shards; thread 0 is the main thread. */
  readonly shards: number;
  /** The options in effect, defaults filled in. */
  readonly options: Readonly<ResolvedOptions>;
  readonly #rt: ThreadRuntime;
  readonly #hosts: ShardHost[];
  readonly #ctl: ControlViews;
  readonly #control: SharedArrayBuffer;
  readonly #rings: (SharedArrayBuffer | null)[][];
  readonly #names: SharedArrayBuffer;
  readonly #config: ThreadConfig;
  #state: State = 'running';
  #started = false;
  readonly #view: { tick: number; since: number }[] = [];
  /** The main thread's process for calls (many in flight at once, keyed by ref). */
  #caller: Proc | null = null;
  readonly #offload: OffloadPool;
  readonly #aggregator: Aggregator;
  /** Metric region of each thread's current incarnation (null entries: telemetry off). */
  readonly #regions: (SharedArrayBuffer | null)[] = [];
  #server: TelemetryServer | null = null;
  readonly #spans: SpanCollector | null;
  #spanTick: NodeJS.Timeout | null = null;
  #stopped: Promise<void> | null = null;
  #watchdog: NodeJS.Timeout | null = null;
  readonly #watch: { hb: number; since: number }[];

  /** Starts a system and resolves once every shard is ready. */
  static async start(options?: SystemOptions): Promise<ActorSystem> {
    const system = new ActorSystem(resolveOptions(options));
    try {
      if (system.options.provider !== null) system.#rt.provider = await loadProvider(system.options.provider, 0);
      await Promise.all(system.#hosts.map((h) => h.start()));
    } catch (err) {
      await system.shutdown();
      throw err;
    }
    system.#startWatchdog();
    system.#started = true;
    return system;
  }

  private constructor(o: ResolvedOptions) {
    super();
    this.options = Object.freeze(o);
    this.shards = o.threads;
    const threads = o.threads + 1;
    this.#control = new SharedArrayBuffer(controlBytes(threads));
    this.#ctl = controlViews(this.#control, threads);
    for (let t = 0; t < threads; t++) {
      const b = t * THREAD_STRIDE_I64;
      this.#ctl.i64[b + SERIAL] = 1n;
      this.#ctl.i64[b + REF] = 1n;
      this.#ctl.i64[b + FIRST_SERIAL] = 1n;
    }
    this.#rings = [];
    for (let from = 0; from < threads; from++) {
      const row: (SharedArrayBuffer | null)[] = [];
      for (let to = 0; to < threads; to++) row.push(from === to ? null : createRingBuffer(o.ringBytes));
      this.#rings.push(row);
    }
    this.#names = new SharedArrayBuffer(nameTableBytes(o.maxNames));
    this.#config = {
      mailboxCapacity: o.mailboxCapacity,
      actorBudget: o.actorBudget,
      sliceBudget: o.sliceBudget,
      spinMicros: o.spinMicros,
      terminateTimeoutMs: o.terminateTimeoutMs,
    };
    this.#aggregator = new Aggregator();
    for (let t = 0; t < threads; t++) this.#regions.push(null);
    const tr = o.tracing;
    const spans = (this.#spans = tr === null ? null : new SpanCollector(tr.processors, tr.resource ?? defaultResource()));
    // The main thread never spins: it has the user's code to run.
    this.#rt = new ThreadRuntime(this.#init(0, 0), 0, {
      announce: (slot, metric, labels) => this.#aggregator.announce(0, slot, metric, labels),
      ...(spans === null ? {} : { spans: { started: (rec) => spans.started(0, rec), ended: (rec) => spans.ended(0, rec) } }),
    });
    this.#rt.hooks.series = (thread, slot, metric, labels) => this.#aggregator.announce(thread, slot, metric, labels);
    if (spans !== null) {
      this.#rt.hooks.spanStarted = (thread, w) => spans.started(thread, spanStartFromWire(w));
      this.#rt.hooks.spanEnded = (thread, w) => spans.ended(thread, spanEndFromWire(w));
      // Shards publish span records without waking us; collect them at least this often.
      this.#spanTick = setInterval(() => this.#rt.scheduler.kick(), 50);
      this.#spanTick.unref();
    }
    this.#rt.hooks.deadLetter = (dl) => {
      this.emit('deadLetter', dl);
    };
    this.#offload = new OffloadPool(o.offload.threads, o.offload.idleTimeoutMs);
    this.#rt.hooks.offload = (href, exportName, input) => this.#offload.run(href, exportName, input);
    this.#rt.scheduler.start();
    this.#hosts = [];
    this.#watch = [];
    for (let s = 1; s <= o.threads; s++) {
      this.#hosts.push(new ShardHost(s, (h) => this.#init(s, h.incarnation), o.resourceLimits, (d) => this.#onShardDeath(d)));
      this.#watch.push({ hb: 0, since: 0 });
      this.#view.push({ tick: -1, since: 0 });
    }
  }

  #init(thread: number, incarnation: number): ShardInit {
    // A fresh region per incarnation: a dead shard's region is retired (its counters kept) first.
    let region: SharedArrayBuffer | null = null;
    if (this.options.telemetry.enabled) {
      region = createRegion();
      this.#regions[thread] = region;
      this.#aggregator.attach(thread, region);
    }
    return {
      metrics: region,
      telemetry: this.options.telemetry,
      provider: this.options.provider,
      tracing: this.options.tracing === null ? null : { sampleRate: this.options.tracing.sampleRate, propagation: this.options.tracing.propagation },
      thread,
      threads: this.shards + 1,
      incarnation,
      control: this.#control,
      rings: this.#rings,
      names: this.#names,
      maxNames: this.options.maxNames,
      config: this.#config,
    };
  }

  /**
   * The merged metrics of every thread as a prom-client `Registry` (Prometheus
   * text 0.0.4): scrape it yourself, or merge it with your own registries
   * (`Registry.merge([system.metrics, yours])`).
   */
  get metrics(): Aggregator['registry'] {
    return this.#aggregator.registry;
  }

  /**
   * Serves `/metrics` (and later `/health`, `/ready`, `/live`) over HTTP, on
   * 127.0.0.1:9090 by default. Closed by `shutdown()`. Throws
   * `ERR_INVALID_OPTION` for a bad port or host.
   */
  async serveMetrics(options?: EndpointOptions): Promise<TelemetryServer> {
    if (this.#state !== 'running') throw new SystemStoppedError();
    if (this.#server !== null) return this.#server;
    try {
      this.#server = await TelemetryServer.listen(this.#aggregator.registry, options);
    } catch (err) {
      if ((err as { code?: string }).code === 'ERR_INVALID_OPTION') throw new InvalidOptionError((err as Error).message);
      throw err;
    }
    return this.#server;
  }

  /** Hands every finished span so far to the processors' exporters (`forceFlush` on each). */
  async flushTraces(): Promise<void> {
    // Take in what the shards have published first.
    this.#rt.scheduler.slice();
    await this.#spans?.forceFlush();
  }

  /** Per-shard state, read from shared memory (cheap: health calls it every second). */
  inspect(): SystemView {
    const now = performance.now();
    const i32 = this.#ctl.i32;
    const shards = this.#hosts.map((h) => {
      const base = h.shard * THREAD_STRIDE_I32;
      const tick = Atomics.load(i32, base + LOOP_TICK);
      const w = this.#view[h.shard - 1]!;
      if (tick !== w.tick) {
        w.tick = tick;
        w.since = now;
      }
      let fill = 0;
      for (let from = 0; from <= this.shards; from++) {
        const sab = this.#rings[from]![h.shard];
        if (sab === null || sab === undefined) continue;
        const ctl = new Int32Array(sab, 0, RING_HEADER_BYTES / 4);
        const used = ((Atomics.load(ctl, WRITE_INDEX) >>> 0) - (Atomics.load(ctl, READ_INDEX) >>> 0)) >>> 0;
        fill = Math.max(fill, used / (sab.byteLength - RING_HEADER_BYTES));
      }
      return {
        shard: h.shard,
        up: h.ready,
        gaveUp: Atomics.load(i32, base + GAVE_UP) === 1,
        incarnation: Atomics.load(i32, base + INCARNATION),
        loopTick: tick,
        stalledMs: h.ready ? now - w.since : 0,
        lagMs: Atomics.load(i32, base + LAG_US) / 1000,
        actors: Atomics.load(i32, base + ACTORS),
        ringFill: fill,
      };
    });
    return { state: this.#state === 'running' ? (this.#started ? 'running' : 'starting') : this.#state, shards };
  }

  /** A metric summed over every thread and label set (a histogram: its count); 0 with telemetry off. */
  metricTotal(name: string): number {
    return this.#aggregator.total(name);
  }

  /** The running HTTP endpoint, if `serveMetrics` was called. */
  get server(): TelemetryServer | null {
    return this.#server;
  }

  /** True until `shutdown()` is called. */
  get running(): boolean {
    return this.#state === 'running';
  }

  #live(): ThreadRuntime {
    if (this.#state !== 'running') throw new SystemStoppedError();
    return this.#rt;
  }

  /**
   * Starts a process from a behaviour module on a shard (round-robin unless
   * `opts.shard` says otherwise). Resolves with its pid once its init has
   * finished; rejects with `ERR_MODULE_NOT_FOUND`, `ERR_EXPORT_NOT_FOUND`,
   * `ERR_NOT_A_BEHAVIOUR`, `ERR_NAME_TAKEN`, `ERR_INIT_FAILED`...
   */
  spawn<B extends Behaviour<any, any, any> = Behaviour>(module: ModuleRef, args?: ArgsOf<B>, opts?: SpawnOptions): Promise<Pid<MsgOf<B>>> {
    if (this.#state !== 'running') return Promise.reject(new SystemStoppedError());
    return this.#rt.spawn(module, args, opts, null, SPAWN_PLAIN) as Promise<Pid<MsgOf<B>>>;
  }

  /** Sends a message from the main thread (see `ProcessOps.send` for what throws). */
  send<T>(to: Pid<T> | string, msg: NoInfer<T>): void {
    this.#live().send(to, msg);
  }

  /**
   * Calls a server from the main thread (see `ProcessOps.call`): resolves
   * with the reply; fails fast if the server is gone or exits; rejects with
   * `ERR_CALL_TIMEOUT` after `timeoutMs` (default 5000).
   */
  call<P extends Pid<any>>(to: P | string, req: CallOf<P>, opts?: CallOptions): Promise<ReplyOf<P>> {
    if (this.#state !== 'running') return Promise.reject(new SystemStoppedError());
    this.#caller ??= this.#rt.createInbox();
    return this.#rt.call(this.#caller, to, req, opts?.timeoutMs ?? DEFAULT_CALL_TIMEOUT_MS) as Promise<ReplyOf<P>>;
  }

  /** Runs `module`'s export (default `'default'`) on the offload pool and resolves with its result. */
  offload<R = unknown>(module: ModuleRef, input: unknown, opts?: { export?: string }): Promise<R> {
    if (this.#state !== 'running') return Promise.reject(new SystemStoppedError());
    return this.#rt.offload(module, input, opts?.export) as Promise<R>;
  }

  /** Sends a cast to a server. */
  cast<P extends Pid<any>>(to: P | string, msg: CastOf<P>): void {
    this.#live().cast(to, msg);
  }

  /** Answers a call from the main thread (when main code was handed a `From`). */
  reply<R>(from: From<R>, value: R): void {
    this.#live().reply(from, true, value);
  }

  /** Sends an exit signal to `pid` (`'kill'` cannot be trapped). */
  exit(pid: Pid<unknown>, reason: ExitReasonInput): void {
    const rt = this.#live();
    rt.exit(MAIN_PID, pid, reason);
  }

  /** Registers `name` for `pid` (freed when it exits). Throws `ERR_NAME_TAKEN`. */
  register(name: string, pid: Pid<unknown>): void {
    this.#live().register(name, pid);
  }

  unregister(name: string): boolean {
    return this.#live().unregister(name);
  }

  whereis(name: string): Pid<unknown> | undefined {
    return this.#live().names.whereis(name);
  }

  /** Every registered name with its pid. */
  registered(): Array<[string, Pid<unknown>]> {
    return this.#live().names.entries();
  }

  /** Delivers `msg` to `to` after `delayMs` (a name is resolved when the timer fires). */
  sendAfter<T>(to: Pid<T> | string, msg: NoInfer<T>, delayMs: number): TimerRef {
    return this.#live().sendAfter(null, to, msg, delayMs);
  }

  /** True only if the timer had not fired yet. */
  cancelTimer(ref: TimerRef): boolean {
    return this.#live().cancelTimer(ref, null);
  }

  /** A new main-thread process to receive replies, link and monitor. Close it when done. */
  inbox<M = unknown>(): Inbox<M> {
    const rt = this.#live();
    return new Inbox<M>(rt, rt.createInbox());
  }

  /** Resolves with the exit reason of `pid` once it has exited (`noproc` if it already had). */
  async join(pid: Pid<unknown>): Promise<ExitReason> {
    const inbox = this.inbox();
    try {
      const ref = inbox.monitor(pid);
      const down = (await inbox.receive((m): m is DownMessage => isDownMessage(m) && m.ref === ref)) as DownMessage;
      return down.reason;
    } finally {
      inbox.close();
    }
  }

  /** Per-shard counters (live actors, run queue, spawned, exited, delivered). */
  async stats(): Promise<ShardStats[]> {
    return Promise.all(this.#hosts.map((h) => h.stats()));
  }

  /**
   * Fault injection: terminates shard `shard` as if it had crashed. Its actors
   * exit with `killed`, links and monitors elsewhere fire, and the shard restarts.
   */
  killShard(shard: number): void {
    const h = this.#hosts[shard - 1];
    if (h === undefined) throw new RangeError(`shard must be 1..${this.shards}, got ${shard}`);
    h.kill('error');
  }

  /**
   * Stops every actor with reason `shutdown` (terminate hooks run), ends the
   * shards and releases every handle, so the process can exit on its own.
   */
  shutdown(): Promise<void> {
    if (this.#stopped !== null) return this.#stopped;
    this.#state = 'stopping';
    // Before anything else, and in shared memory: a supervisor may see a
    // child's 'shutdown' exit before its own shard hears of the shutdown.
    Atomics.store(this.#ctl.i32, STOPPING, 1);
    this.#stopped = (async () => {
      if (this.#watchdog !== null) clearInterval(this.#watchdog);
      if (this.#spanTick !== null) clearInterval(this.#spanTick);
      if (this.#server !== null) await this.#server.close();
      // Ring data must not be overtaken by the control message that follows.
      this.#rt.transport.flush();
      await Promise.all(this.#hosts.map((h) => h.stop(this.options.shutdownTimeoutMs)));
      // Deliver what the shards said last (DOWNs, terminate reports) before the inboxes close.
      this.#rt.scheduler.slice();
      await this.#rt.shutdown(0);
      await this.#offload.close();
      await this.#spans?.forceFlush();
      this.#state = 'stopped';
    })();
    return this.#stopped;
  }

  #startWatchdog(): void {
    const limit = this.options.handlerTimeoutMs;
    if (limit === Infinity) return;
    const every = Math.min(1000, Math.max(10, limit / 4));
    this.#watchdog = setInterval(() => this.#checkShards(limit), every);
    this.#watchdog.unref();
  }

  #checkShards(limit: number): void {
    const now = performance.now();
    const i32 = this.#ctl.i32;
    for (const h of this.#hosts) {
      const w = this.#watch[h.shard - 1]!;
      const base = h.shard * THREAD_STRIDE_I32;
      const tick = Atomics.load(i32, base + LOOP_TICK);
      // Importing (compiling) an actor module blocks the loop too; that is not a runaway.
      if (!h.ready || tick !== w.hb || Atomics.load(i32, base + LOADING) > 0) {
        w.hb = tick;
        w.since = now;
        continue;
      }
      // The shard's event loop has not turned since `since`: something (a
      // handler, sync or after an await) has blocked it that long.
      if (now - w.since > limit) {
        w.since = now;
        h.kill('runaway');
      }
    }
  }

  #onShardDeath(d: ShardDeath): void {
    const host = this.#hosts[d.shard - 1]!;
    if (this.#state !== 'running') return;
    const s = d.shard;
    const i32 = this.#ctl.i32;
    const base = s * THREAD_STRIDE_I32;
    // Order matters: bump the incarnation before sampling SERIAL, so a spawn
    // that reserved a serial after this point also sees the new incarnation.
    Atomics.add(i32, base + INCARNATION, 1);
    const b64 = s * THREAD_STRIDE_I64;
    Atomics.store(this.#ctl.i64, b64 + FIRST_SERIAL, Atomics.load(this.#ctl.i64, b64 + SERIAL));
    Atomics.store(i32, base + BUSY, 0);
    Atomics.store(i32, base + LOADING, 0);
    Atomics.store(i32, base + PARKED, 0);
    Atomics.store(i32, base + ACTORS, 0);
    this.#rt.names.recoverLock(s);
    this.#rt.names.removeShard(s);
    // Take in everything the dead shard published (late metric announcements
    // among it), then keep its counters and drop its gauges.
    this.#rt.transport.drainFrom(s);
    this.#aggregator.retire(s);
    this.#spans?.threadDied(s, nowMs(), d.message);
    this.#rt.onShardDown(s, d.incarnation);
    this.#rt.scheduler.kick();
    this.#rt.transport.flush();
    for (const h of this.#hosts) if (h.shard !== s) h.send({ type: 'shard-down', shard: s, incarnation: d.incarnation });
    if (!this.options.restartShards || host.failedStarts >= MAX_FAILED_STARTS) {
      // Placement skips it from now on; spawns aimed at it fail with ERR_SHARD_DOWN.
      Atomics.store(i32, base + GAVE_UP, 1);
      d.final = true;
    }
    this.emit('shardDown', d);
    if (d.final) return;
    host.incarnation = Atomics.load(i32, base + INCARNATION);
    host.start().then(
      () => {
        if (this.#state === 'running') this.emit('shardRestart', { shard: s, incarnation: host.incarnation });
      },
      () => {
        // It died again during start-up; its exit handler has already been called.
      },
    );
  }
}

