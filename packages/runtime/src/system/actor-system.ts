// The ActorSystem handle on the main thread: starts and watches shards, and is itself an endpoint for send/spawn.

import { EventEmitter } from 'node:events';
import { type EndpointOptions, TelemetryServer } from '@joerl/telemetry';
import { Aggregator, SpanCollector, createRegion, defaultResource, nowMs, spanEndFromWire, spanStartFromWire } from '@joerl/telemetry/internal';
import { loadProvider } from '../shard/provider.js';
import type { CallOf, CallOptions, CastOf, ModuleRef, ReplyOf, SpawnOptions, TimerRef } from '../actor/context.js';
import type { ArgsOf, Behaviour, MsgOf } from '../actor/behaviour.js';
import type { ExitReason, ExitReasonInput } from '../actor/exit-reason.js';
import { type DownMessage, type From, isDownMessage } from '../actor/messages.js';
import type { Proc } from '../actor/proc.js';
import { DEFAULT_CALL_TIMEOUT_MS } from '../shard/actor-context.js';
import { MAIN_PID, type Pid } from '../actor/pid.js';
import { InvalidOptionError, SystemStoppedError } from '../errors.js';
import { STOPPING } from '../ring/control-block.js';
import type { DeadLetter, ShardInit, ShardStats, ThreadConfig } from '../shard/protocol.js';
import { ThreadRuntime } from '../shard/thread-runtime.js';
import { Inbox } from './inbox.js';
import { OffloadPool } from './offload-pool.js';
import { type ResolvedOptions, type SystemOptions, resolveOptions } from './options.js';
import type { ShardDeath } from './shard-host.js';
import { type ShardView, ShardPool } from './shard-pool.js';
import { LinkBroker } from './link-broker.js';
import { type SharedMemory, type SharedMemoryUsage, allocateSharedMemory, ringsOf, sharedMemoryUsage } from './shared-memory.js';

export type { ShardDeath, ShardView, SharedMemoryUsage };

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

let systemCount = 0;

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
  readonly #pool: ShardPool;
  readonly #mem: SharedMemory;
  readonly #links: LinkBroker;
  /** Names this system's ring channels (several systems may run in one process). */
  readonly #systemId = `${process.pid}-${++systemCount}-${Math.random().toString(36).slice(2, 8)}`;
  readonly #config: ThreadConfig;
  #state: State = 'running';
  #started = false;
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

  /** Starts a system and resolves once every shard is ready. */
  static async start(options?: SystemOptions): Promise<ActorSystem> {
    const system = new ActorSystem(resolveOptions(options));
    try {
      if (system.options.provider !== null) system.#rt.provider = await loadProvider(system.options.provider, 0);
      await system.#pool.start();
    } catch (err) {
      await system.shutdown();
      throw err;
    }
    system.#pool.startWatchdog(system.options.handlerTimeoutMs);
    system.#started = true;
    return system;
  }

  private constructor(o: ResolvedOptions) {
    super();
    this.options = Object.freeze(o);
    this.shards = o.threads;
    const threads = o.threads + 1;
    this.#mem = allocateSharedMemory(threads, o.maxNames, o.ringBytes);
    this.#config = {
      mailboxCapacity: o.mailboxCapacity,
      actorBudget: o.actorBudget,
      sliceBudget: o.sliceBudget,
      spinMicros: o.spinMicros,
      terminateTimeoutMs: o.terminateTimeoutMs,
      ringBytes: o.ringBytes,
      checkLocalSends: o.checkLocalSends,
      bigPayloadThreshold: o.bigPayloadThreshold,
      maxPayloadBytesInFlight: o.maxPayloadBytesInFlight,
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
    // Rings and side channels: the main thread keeps the directory and hands them over (link-broker.ts).
    const links = (this.#links = new LinkBroker(this.#mem, this.#rt.state.transport, () => this.#rt.state.scheduler.kick(), (shard, msg, transfer) => this.#pool.hosts[shard - 1]?.send(msg, transfer)));
    this.#rt.state.transport.links = { ringOpened: (to, ring) => links.ringOpened(0, to, ring), channelWanted: (to) => links.channelWanted(0, to) };
    this.#rt.state.hooks.series = (thread, slot, metric, labels) => this.#aggregator.announce(thread, slot, metric, labels);
    if (spans !== null) {
      this.#rt.state.hooks.spanStarted = (thread, w) => spans.started(thread, spanStartFromWire(w));
      this.#rt.state.hooks.spanEnded = (thread, w) => spans.ended(thread, spanEndFromWire(w));
      // Shards publish span records without waking us; collect them at least this often.
      this.#spanTick = setInterval(() => this.#rt.state.scheduler.kick(), 50);
      this.#spanTick.unref();
    }
    this.#rt.state.hooks.deadLetter = (dl) => {
      this.emit('deadLetter', dl);
    };
    this.#offload = new OffloadPool(o.offload.threads, o.offload.idleTimeoutMs);
    this.#rt.state.hooks.offload = (href, exportName, input) => this.#offload.run(href, exportName, input);
    this.#rt.state.scheduler.start();
    this.#pool = new ShardPool(o.threads, this.#mem, (s, incarnation) => this.#init(s, incarnation), o.resourceLimits, o.restartShards, {
      running: () => this.#state === 'running',
      cleanup: (d) => this.#onShardDeath(d),
      down: (d) => {
        if (d.final) this.#links.shardGone(d.shard);
        this.emit('shardDown', d);
      },
      restarted: (shard, incarnation) => {
        this.#links.shardRestarted(shard);
        this.emit('shardRestart', { shard, incarnation });
      },
    });
    for (const h of this.#pool.hosts) {
      h.onLink = (m) => (m.type === 'ring-opened' ? links.ringOpened(h.shard, m.to, m.ring) : links.channelWanted(h.shard, m.to));
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
      control: this.#mem.control,
      rings: ringsOf(this.#mem, thread),
      systemId: this.#systemId,
      names: this.#mem.names,
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
    this.#rt.state.scheduler.slice();
    await this.#spans?.forceFlush();
  }

  /** Per-shard state, read from shared memory (cheap: health calls it every second). */
  inspect(): SystemView {
    return { state: this.#state === 'running' ? (this.#started ? 'running' : 'starting') : this.#state, shards: this.#pool.inspect() };
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
    return this.#rt.spawn(module, args, opts, null, 'plain') as Promise<Pid<MsgOf<B>>>;
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
    return this.#live().whereis(name);
  }

  /** Every registered name with its pid. */
  registered(): Array<[string, Pid<unknown>]> {
    return this.#live().state.names.entries();
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

  /**
   * Shared memory allocated now, in bytes: rings (made as pairs of threads
   * first talk), the control block, the name table and metric regions. Sync:
   * read from the main thread's own records.
   */
  memory(): SharedMemoryUsage {
    return sharedMemoryUsage(this.#mem, this.#regions);
  }

  /** Per-shard counters (live actors, run queue, spawned, exited, delivered). */
  async stats(): Promise<ShardStats[]> {
    return this.#pool.stats();
  }

  /**
   * Fault injection: terminates shard `shard` as if it had crashed. Its actors
   * exit with `killed`, links and monitors elsewhere fire, and the shard restarts.
   */
  killShard(shard: number): void {
    this.#pool.kill(shard);
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
    Atomics.store(this.#mem.ctl.i32, STOPPING, 1);
    this.#stopped = (async () => {
      if (this.#spanTick !== null) clearInterval(this.#spanTick);
      if (this.#server !== null) await this.#server.close();
      // Ring data must not be overtaken by the control message that follows.
      this.#rt.state.transport.flush();
      await this.#pool.stop(this.options.shutdownTimeoutMs);
      // Deliver what the shards said last (DOWNs, terminate reports) before the inboxes close.
      this.#rt.state.scheduler.slice();
      await this.#rt.shutdown(0);
      await this.#offload.close();
      await this.#spans?.forceFlush();
      this.#state = 'stopped';
    })();
    return this.#stopped;
  }

  /** The main thread's side of a shard's death: its names, what it published, its metrics and spans, links and monitors to it. */
  #onShardDeath(d: ShardDeath): void {
    const s = d.shard;
    const st = this.#rt.state;
    this.#links.shardDied(s);
    st.names.recoverLock(s);
    st.names.removeShard(s);
    // Take in everything the dead shard published (late metric announcements
    // among it), then keep its counters and drop its gauges.
    st.transport.drainFrom(s);
    this.#aggregator.retire(s);
    this.#spans?.threadDied(s, nowMs(), d.message);
    this.#rt.onShardDown(s, d.incarnation);
    st.scheduler.kick();
    st.transport.flush();
  }
}
