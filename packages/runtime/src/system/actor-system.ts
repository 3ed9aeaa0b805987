// The ActorSystem handle on the main thread: starts and watches shards, and is itself an endpoint for send/spawn.

import type { EndpointOptions, TelemetryServer } from '@joerl/telemetry';
import type { Aggregator } from '@joerl/telemetry/aggregator';
import { loadProvider } from '../shard/provider.js';
import type { CallOf, CallOptions, CastOf, ModuleRef, NodeInfo, OffloadJobOptions, ReplyOf, SpawnOptions, TimerRef } from '../actor/context.js';
import type { ArgsOf, Behaviour, MsgOf } from '../actor/behaviour.js';
import type { ExitReason, ExitReasonInput } from '../actor/exit-reason.js';
import type { From } from '../actor/messages.js';
import type { Proc } from '../actor/proc.js';
import { DEFAULT_CALL_TIMEOUT_MS } from '../shard/actor-context.js';
import type { Pid } from '../actor/pid.js';
import { InvalidArgumentError, SystemStoppedError } from '../errors.js';
import { notOptions, optionsError } from '../validate.js';
import { STOPPING } from '../ring/control-block.js';
import type { ShardStats } from '../shard/protocol.js';
import { ThreadRuntime } from '../shard/thread-runtime.js';
import { checkOptionsArg, checkTimeout } from '../shard/introspect.js';
import { clusterOps } from '../shard/actor-context.js';
import type { NodeClaim } from '../node/claim.js';
import type { NodeDownInfo, NodeService } from '../node/node-service.js';
import type { SystemEventMap, SystemView } from './system-events.js';
import { GuardedEmitter } from './guarded-emitter.js';
import { Inbox, joinWith } from './inbox.js';
import { OffloadPool } from './offload-pool.js';
import { type ResolvedOptions, type SystemOptions, resolveOptions } from './options.js';
import type { ShardDeath } from './shard-host.js';
import { type ShardView, ShardPool } from './shard-pool.js';
import { Introspection, type ProcessInfo, type ProcessInfoOptions, type ShardSnapshot } from './introspection.js';
import type { AnswerOptions, ProcessQuery, ProcessRow, SupervisorNode } from '../actor/introspection.js';
import { type SharedMemory, type SharedMemoryUsage, allocateSharedMemory, sharedMemoryUsage } from './shared-memory.js';
import { ShardInits } from './shard-inits.js';
import { LinkBroker } from './link-broker.js';
import { MetricsEndpoint } from './metrics-endpoint.js';
import type { MessagesLost } from './losses.js';
import { type ShutdownOptions, drain, drainMsOf, everyStep } from './drain.js';
import { ShardFaults } from './shard-faults.js';
import { SystemTracing } from './system-tracing.js';
import type { CrashReport, SupervisorReport } from '../shard/report-sink.js';

export type { CrashReport, MessagesLost, NodeDownInfo, ShardDeath, ShardView, SharedMemoryUsage, ShutdownOptions, SupervisorReport, SystemEventMap, SystemView };

type State = 'running' | 'draining' | 'stopping' | 'stopped'; // draining: the handle takes nothing new, shards run (and restart)

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
export class ActorSystem extends GuardedEmitter {
  /** Number of shards. Shards are numbered 1..shards; thread 0 is the main thread. */
  readonly shards: number;
  /** The options in effect, defaults filled in. */
  readonly options: Readonly<ResolvedOptions>;
  readonly #rt: ThreadRuntime;
  readonly #pool: ShardPool;
  readonly #look: Introspection;
  readonly #mem: SharedMemory;
  /** Rings made after start and side channels: recorded and handed over (link-broker.ts). */
  readonly #links: LinkBroker;
  /** Each thread's ShardInit, and its current metric region. */
  readonly #inits: ShardInits;
  #state: State = 'running';
  #started = false;
  /** The main thread's process for calls (many in flight at once, keyed by ref). */
  #caller: Proc | null = null;
  readonly #offload: OffloadPool;
  readonly #aggregator: Aggregator;
  readonly #endpoint: MetricsEndpoint;
  readonly #tracing: SystemTracing | null;
  #stopped: Promise<void> | null = null;
  readonly #faults: ShardFaults;
  #node: NodeService | null = null;

  /** Starts a system and resolves once every shard is ready. */
  static async start(options?: SystemOptions): Promise<ActorSystem> {
    const o = resolveOptions(options);
    // A node claims its id before any thread exists: every pid carries it. The cluster code and the aggregator
    // (prom-client) load here, not at the top: shards load this file too (actor modules import the package's entry).
    const claim = o.node === null ? null : await (await import('../node/claim.js')).claimNode(o.node);
    const { Aggregator } = await import('@joerl/telemetry/aggregator');
    const system = new ActorSystem(o, claim, new Aggregator());
    try {
      if (system.options.provider !== null) system.#rt.provider = await loadProvider(system.options.provider, 0);
      await system.#pool.start();
      if (claim !== null) {
        const { NodeService } = await import('../node/node-service.js');
        system.#node = new NodeService(claim.options, claim.transport, claim.membership, system.#rt, {
          up: (n) => system.emit('nodeUp', n),
          down: (n) => system.emit('nodeDown', n),
          deadLetter: (dl) => system.emit('deadLetter', dl),
        });
        await system.#node.start();
      }
    } catch (err) {
      // The start's own error is the one to see, whatever the stop of what had started does (a span
      // processor whose flush fails...); and the node's connection closes either way.
      await system.shutdown().catch(() => {});
      if (claim !== null && system.#node === null) await claim.transport.close().catch(() => {});
      throw err;
    }
    system.#pool.startWatchdog(system.options.handlerTimeoutMs, system.options.spawnTimeoutMs);
    system.#started = true;
    return system;
  }

  private constructor(o: ResolvedOptions, claim: NodeClaim | null, aggregator: Aggregator) {
    super();
    this.options = Object.freeze(o);
    this.shards = o.threads;
    const threads = o.threads + 1;
    this.#mem = allocateSharedMemory(threads, o.ringBytes, o.maxNames);
    this.#aggregator = aggregator;
    this.#endpoint = new MetricsEndpoint(this.#aggregator.registry);
    const tracing = (this.#tracing = o.tracing === null ? null : new SystemTracing(o.tracing));
    const node = claim === null ? null : { id: claim.membership.me.id, name: claim.membership.me.name };
    this.#inits = new ShardInits(o, this.#mem, aggregator, tracing, node, () => this.#links?.systemId ?? '');
    // The main thread never spins: it has the user's code to run.
    this.#rt = new ThreadRuntime(this.#inits.of(0, 0), 0, {
      announce: (slot, metric, labels) => this.#aggregator.announce(0, slot, metric, labels),
      ...(tracing === null ? {} : { spans: tracing.mainSink() }),
    });
    this.#links = new LinkBroker(this.#mem, this.#rt.state.transport, () => this.#rt.state.scheduler.kick());
    this.#rt.state.hooks.series = (thread, slot, metric, labels) => this.#aggregator.announce(thread, slot, metric, labels);
    tracing?.install(this.#rt);
    this.#rt.state.hooks.deadLetter = (dl) => {
      this.emit('deadLetter', dl);
    };
    this.#faults = new ShardFaults(this.#rt, this.#mem, this.#aggregator, tracing, (event, ...args) => void this.emit(event, ...args), o);
    this.#offload = new OffloadPool(o.offload.threads, o.offload.idleTimeoutMs);
    this.#rt.state.hooks.offload = this.#offload;
    this.#rt.state.scheduler.start();
    const events = this.#links.poolEvents(this.#faults.poolEvents(() => this.#state === 'running' || this.#state === 'draining'));
    this.#pool = new ShardPool(o.threads, this.#mem, (s, incarnation) => this.#inits.of(s, incarnation), o.resourceLimits, o.restartShards, events);
    this.#links.serve(this.#pool.hosts);
    this.#look = new Introspection(this.#pool, () => this.#state === 'running', node?.id ?? 0);
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
   * Serves `/metrics` (and `/health`, `/ready`, `/live` once `@joerl/health`
   * mounts them) over HTTP, on 127.0.0.1:9090 by default. One endpoint per
   * system: called again, it returns the running server when the options fit
   * it (no port, port 0, or its port; its host), and throws
   * `ERR_SERVER_RUNNING` when they ask for another. Closed by `shutdown()`;
   * one you close yourself is forgotten, and the next call serves anew. Throws `ERR_INVALID_OPTION` for a bad port or host.
   */
  async serveMetrics(options?: EndpointOptions): Promise<TelemetryServer> {
    if (this.#state !== 'running') throw new SystemStoppedError();
    return this.#endpoint.serve(options);
  }

  /** Hands every finished span so far to the processors' exporters (`forceFlush` on each). */
  async flushTraces(): Promise<void> {
    // What the shards have published is taken in first (see SystemTracing.flush).
    await this.#tracing?.flush(this.#rt);
  }

  /** Per-shard state, read from shared memory (cheap: health calls it every second). */
  inspect(): SystemView {
    const state = this.#state === 'running' ? (this.#started ? 'running' : 'starting') : this.#state === 'draining' ? 'stopping' : this.#state;
    return { state, shards: this.#pool.inspect() };
  }

  /**
   * A metric summed over every thread and label set (a histogram: its count;
   * 0 with telemetry off); `joerl_system_memory_bytes` and the mailbox memory
   * gauges as `/metrics` shows them. ERR_INVALID_ARGUMENT for a name not in
   * the catalogue, and for `joerl_mailbox_utilization_percent` (a percentage
   * per behaviour: read its series from `system.metrics`).
   */
  metricTotal(name: string): number {
    try {
      return this.#aggregator.total(name);
    } catch (err) {
      // The aggregator's one refusal (telemetry has no error of that code): a name it cannot total.
      if (err instanceof RangeError) throw new InvalidArgumentError(`metricTotal: ${err.message}`);
      throw err;
    }
  }

  /** The running HTTP endpoint, if `serveMetrics` was called; null again once it is closed. */
  get server(): TelemetryServer | null {
    return this.#endpoint.server;
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
   * finished; rejects with `ERR_MODULE_NOT_FOUND`, `ERR_MODULE_FAILED`, `ERR_EXPORT_NOT_FOUND`,
   * `ERR_NOT_A_BEHAVIOUR`, `ERR_NAME_TAKEN`, `ERR_INIT_FAILED`..., and with
   * `signal.reason` once `opts.signal` aborts (the process is then killed: see {@link SpawnOptions}).
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
   * `ERR_CALL_TIMEOUT` after `timeoutMs` (default 5000), and with
   * `signal.reason` once `signal` aborts (see {@link CallOptions}).
   */
  call<P extends Pid<any>>(to: P | string, req: CallOf<P>, opts?: CallOptions): Promise<ReplyOf<P>> {
    if (this.#state !== 'running') return Promise.reject(new SystemStoppedError());
    if (notOptions(opts)) return Promise.reject(optionsError('call', opts));
    this.#caller ??= this.#rt.createInbox();
    return this.#rt.call(this.#caller, to, req, opts?.timeoutMs ?? DEFAULT_CALL_TIMEOUT_MS, opts?.signal) as Promise<ReplyOf<P>>;
  }

  /** Runs `module`'s export (default `'default'`) on the offload pool and resolves with its result; `signal` cancels (see {@link OffloadJobOptions}). */
  offload<R = unknown>(module: ModuleRef, input: unknown, opts?: OffloadJobOptions): Promise<R> {
    if (this.#state !== 'running') return Promise.reject(new SystemStoppedError());
    if (notOptions(opts)) return Promise.reject(optionsError('offload', opts, "{ export: 'fib' }"));
    return this.#rt.offload(module, input, opts?.export, opts?.signal) as Promise<R>;
  }

  /** Sends a cast to a server (fire and forget; a server that does not exist makes a dead letter, not an error, as in OTP). */
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
    rt.exit(rt.state.mainPid, pid, reason);
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
    return this.#live().cancelTimer(ref);
  }

  /** A new main-thread process to receive replies, link and monitor. Close it when done. */
  inbox<M = unknown>(): Inbox<M> {
    const rt = this.#live();
    return new Inbox<M>(rt, rt.createInbox());
  }

  /** Resolves with the exit reason of `pid` once it has exited (`noproc` if it already had). */
  async join(pid: Pid<unknown>): Promise<ExitReason> {
    return joinWith(this.inbox(), pid);
  }

  /** This node (null on a system started without `node`). */
  get node(): NodeInfo | null {
    return this.#node === null ? null : { name: this.#node.me.name, id: this.#node.me.id, creation: this.#node.me.creation };
  }

  /** The other nodes connected now. */
  nodes(): NodeInfo[] {
    return this.#node?.nodes() ?? [];
  }

  /** Registers `pid` (a process of this node) under a cluster-wide name; rejects with ERR_NAME_TAKEN if any node holds it. */
  registerGlobal(name: string, pid: Pid<unknown>): Promise<void> {
    // (A promise's function rejects, as spawn and call do, rather than throwing when the system is stopped.)
    return Promise.resolve().then(() => clusterOps.registerGlobal(this.#live(), name, pid));
  }

  /** Frees a global name. */
  unregisterGlobal(name: string): Promise<boolean> {
    return Promise.resolve().then(() => clusterOps.unregisterGlobal(this.#live(), name));
  }

  /** The pid holding a global name (cached, kept current by a watch of the bucket). */
  whereisGlobal(name: string): Promise<Pid<unknown> | undefined> {
    return Promise.resolve().then(() => clusterOps.whereisGlobal(this.#live(), name));
  }

  /**
   * The busiest processes (by `sortBy`, default messages handled per second),
   * at most `limit` (default 100), across shards; each shard computes its own
   * top-N, and nothing is collected while nobody asks.
   */
  processes(query?: ProcessQuery): Promise<ProcessRow[]> {
    return this.#look.processes(query);
  }

  /** One process in detail: links, monitors (both ways), timers, the head of its mailbox, and its state. ERR_NO_PROC if it is gone. */
  processInfo(pid: Pid<unknown>, opts?: ProcessInfoOptions): Promise<ProcessInfo> {
    return this.#look.processInfo(pid, opts);
  }

  /** The state of `pid` as its behaviour shows it, taken between messages (OTP's `sys:get_state`); ERR_CALL_TIMEOUT if it stays busy past `timeoutMs` (default 1000). */
  getState(pid: Pid<unknown>, opts?: { timeoutMs?: number }): Promise<string> {
    return this.#look.getState(pid, opts);
  }

  /** Every supervision tree (root supervisors, children nested across shards) with strategy, intensity and restarts. `timeoutMs` bounds the wait for each shard. */
  supervisionTree(opts?: AnswerOptions): Promise<SupervisorNode[]> {
    return this.#look.supervisionTree(opts);
  }

  /** Live figures per shard: actors, run queue, msgs/s, queued messages, heap, event-loop lag, ring fill. `timeoutMs` bounds the wait for each shard. */
  shardFigures(opts?: AnswerOptions): Promise<ShardSnapshot[]> {
    return this.#look.shards(opts);
  }

  /** Shared memory allocated now, in bytes: rings (made as threads first talk), control block, name table, metric regions. */
  memory(): SharedMemoryUsage {
    return sharedMemoryUsage(this.#mem, this.#inits.regions);
  }

  /** Per-shard counters (live actors, run queue, spawned, exited, delivered); a shard that does not answer within `timeoutMs` (1000) reports zeros. */
  async stats(opts: { timeoutMs?: number } = {}): Promise<ShardStats[]> {
    checkOptionsArg(opts, 'stats');
    checkTimeout(opts.timeoutMs);
    // A stalled shard (a handler stuck in a loop) answers nothing until the watchdog ends it: zeros after timeoutMs.
    return this.#pool.stats(opts.timeoutMs ?? 1000);
  }

  /**
   * Fault injection: shard `shard` crashes, as if actor code had thrown an
   * uncaught error on its event loop (a shard whose loop stays blocked for a
   * second is terminated). Its actors exit with `killed`, links and monitors
   * elsewhere fire, what was queued there is reported (`messagesLost`), and
   * the shard restarts. ERR_INVALID_ARGUMENT for a shard number out of range.
   */
  killShard(shard: number): void {
    this.#pool.kill(shard);
  }

  /**
   * Stops every actor with reason `shutdown` (terminate hooks run), ends the
   * shards and releases every handle, so the process can exit on its own.
   * Each shard stops its own actors, newest first, the shards at the same
   * time: supervisors do not stop their trees in order then (exit the top
   * supervisor with `'shutdown'` and `join` it first for that).
   * With `drainMs`, what is queued is worked off first, for at most that long
   * (see {@link ShutdownOptions}). Rejects with `ERR_INVALID_OPTION` for bad
   * options (the system keeps running). Called again: the first call's promise.
   */
  shutdown(opts?: ShutdownOptions): Promise<void> {
    if (this.#stopped !== null) return this.#stopped;
    const drainMs = drainMsOf(opts);
    if (typeof drainMs !== 'number') return Promise.reject(drainMs);
    this.#state = drainMs > 0 ? 'draining' : 'stopping';
    this.#stopped = (async () => {
      if (drainMs > 0) {
        this.#rt.state.transport.flush();
        await drain(this.#mem, this.shards, drainMs);
        this.#state = 'stopping';
      }
      // Before the stop, and in shared memory: a supervisor may see a
      // child's 'shutdown' exit before its own shard hears of the shutdown.
      Atomics.store(this.#mem.ctl.i32, STOPPING, 1);
      this.#tracing?.stop();
      this.#faults.stopWatching();
      await this.#endpoint.close();
      const st = this.#rt.state;
      // Ring data must not be overtaken by the control message that follows.
      st.transport.flush();
      await this.#pool.stop(this.options.shutdownTimeoutMs);
      // Deliver what the shards said last (DOWNs, terminate reports, dead letters) before the inboxes close.
      for (let t = 1; t <= this.shards; t++) st.transport.input.drainFrom(t);
      st.scheduler.slice();
      await this.#rt.shutdown(0);
      // From here each step runs whatever the one before did (an exporter that fails its flush): the system
      // ends stopped with every handle released, and rejects with the first error. Our processes' exits went
      // out first (peers get the real reasons); then we leave the cluster.
      const errors = await everyStep([() => this.#faults.countLeftovers(), () => this.#node?.stop(), () => this.#offload.close(), () => this.#tracing?.forceFlush()]);
      this.#state = 'stopped';
      if (errors.length > 0) throw errors[0];
    })();
    return this.#stopped;
  }
}
