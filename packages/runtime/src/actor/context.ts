// The context a handler receives: its own pid and every process operation, typed for the actor's messages.

import type { BEHAVIOUR } from './brand.js';
import type { ExitReason, ExitReasonInput } from './exit-reason.js';
import type { BehaviourProbe } from './probe.js';
import type { From, MonitorRef, SystemMessage } from './messages.js';
import type { Pid } from './pid.js';

/** Where a spawned process goes: a shard number (1..N), or a policy. */
export type Placement = number | 'local' | 'round-robin' | 'least-loaded';

/** A module given to spawn: a URL object, a `file:` URL string, or an absolute path. */
export type ModuleRef = URL | string;

/** Options for spawn, spawnLink and spawnMonitor. */
export interface SpawnOptions {
  /** The module export holding the behaviour (default `'default'`). */
  export?: string;
  /** Placement: `'local'` (from an actor: its own shard), a shard number, `'round-robin'` or `'least-loaded'`. */
  shard?: Placement;
  /** Register the process under this name before its init runs. */
  name?: string;
  /** Mailbox capacity (default: the behaviour's, else the system's). */
  mailboxCapacity?: number;
  /**
   * How long this process's `terminate` may run, in ms (0 to 2^31-1, or
   * Infinity; default: the behaviour's, else the system's
   * `terminateTimeoutMs`). A supervisor gives each child its spec's
   * `shutdown`, as OTP's supervisor is the only limit on a child's cleanup.
   */
  terminateTimeoutMs?: number;
  /**
   * How long loading the module and running an async `init` may take, in ms
   * (default: the system's `spawnTimeoutMs`). Past it the half-started
   * process is killed and the spawn rejects with `ERR_SPAWN_TIMEOUT`. A
   * spawn whose module is loaded and whose init returns at once never arms it.
   */
  timeoutMs?: number;
  /**
   * The node to start the process on (a node name; `'local'` or this node's
   * own name: here). The module must lie under this node's `root`: the other
   * node loads the same path under its own root. Rejects with
   * `ERR_UNKNOWN_NODE` or `ERR_NODE_DOWN` when that node is not connected.
   */
  node?: string;
  /**
   * Cancels the spawn: an already-aborted signal rejects at once with
   * `signal.reason` (nothing starts); an abort before the spawn resolves
   * rejects it with `signal.reason` and, since the process exists from the
   * request on (its pid is reserved), kills it (`killed`: init is cut short
   * or never runs, `terminate` does not run), undoing the link or monitor
   * set at birth first, so the caller gets no EXIT or DOWN for it. An abort
   * after the spawn resolved does nothing.
   */
  signal?: AbortSignal;
}

/** A node of the cluster, as `nodes()` reports it. */
export interface NodeInfo {
  /** Its name, unique among the live nodes of a cluster. */
  name: string;
  /** Its id: the first number of its pids; a restarted node gets a new one. */
  id: number;
  /** How many times a node of this name has started in the cluster (Erlang's creation). */
  creation: number;
}

/** Reference to a pending `sendAfter` timer. */
export type TimerRef = number & { readonly __brand?: 'TimerRef' };

/** Options for a selective receive. */
export interface ReceiveOptions {
  /** Give up after this long and resolve `undefined` (default: wait forever). */
  timeoutMs?: number;
}

/** A spawned-and-monitored process. */
export interface Monitored<M = unknown> {
  pid: Pid<M>;
  ref: MonitorRef;
}

/** Options for a call. */
export interface CallOptions {
  /** Reject with `ERR_CALL_TIMEOUT` after this long (default 5000; `Infinity` waits forever). */
  timeoutMs?: number;
  /**
   * Cancels the call: an already-aborted signal rejects at once with
   * `signal.reason` (nothing is sent); an abort while the call waits rejects
   * it with `signal.reason`, and the reply, if the server still sends one, is
   * dropped, exactly as after a timeout. The listener is removed when the
   * call settles.
   */
  signal?: AbortSignal;
}

/** Options for an offload job (`offload` on the system or on `ctx`). */
export interface OffloadJobOptions {
  /** The module export to run (default `'default'`). */
  export?: string;
  /**
   * Cancels the job: an already-aborted signal rejects at once with
   * `signal.reason`; an abort before the result arrives rejects with
   * `signal.reason`, drops the late result, and cancels the job on the pool
   * (piscina removes a queued job, and ends the worker thread running a started one).
   */
  signal?: AbortSignal;
}

/**
 * Phantom protocol of a server: what it accepts as calls (and answers) and as
 * casts. `Pid<ServerProtocol<Req, Rep, Cast>>` lets `call` infer reply types.
 */
export interface ServerProtocol<Req = unknown, Rep = unknown, Cast = unknown> {
  readonly __call?: Req;
  readonly __reply?: Rep;
  readonly __cast?: Cast;
}

/** Request type of a server pid. */
export type CallOf<P> = P extends Pid<ServerProtocol<infer Q, any, any>> ? Q : unknown;
/** Reply type of a server pid. */
export type ReplyOf<P> = P extends Pid<ServerProtocol<any, infer R, any>> ? R : unknown;
/** Cast type of a server pid. */
export type CastOf<P> = P extends Pid<ServerProtocol<any, any, infer C>> ? C : unknown;

/** Operations every process has: actors through `ctx`, the main thread through an `Inbox`. */
export interface ProcessOps {
  /** Sends a message. Throws `ERR_NO_PROC`, `ERR_UNKNOWN_NAME`, `ERR_MAILBOX_FULL` or `ERR_UNENCODABLE` when that can be known here; otherwise a failure becomes a dead letter. */
  send<T>(to: Pid<T> | string, msg: NoInfer<T>): void;
  /** Links to `pid`: if either exits abnormally, the other gets the exit signal. */
  link(pid: Pid<unknown>): void;
  /** Removes a link; no exit signal from it arrives afterwards. */
  unlink(pid: Pid<unknown>): void;
  /** Monitors `pid`: exactly one `{ type: 'DOWN' }` message arrives when it exits (at once if it is gone). */
  monitor(pid: Pid<unknown>): MonitorRef;
  /** Drops a monitor (and a DOWN for it still in the mailbox). True if it was active. */
  demonitor(ref: MonitorRef): boolean;
  /** Sends an exit signal: `'kill'` cannot be trapped; `'normal'` is ignored by a non-trapping target. */
  exit(pid: Pid<unknown>, reason: ExitReasonInput): void;
  /** Delivers `msg` to `to` (a pid, or a name resolved when the timer fires) after `delayMs`. */
  sendAfter<T>(to: Pid<T> | string, msg: NoInfer<T>, delayMs: number): TimerRef;
  /** Cancels a timer: true only if it had not fired yet. */
  cancelTimer(ref: TimerRef): boolean;
  /** The pid registered under `name`, or undefined. */
  whereis(name: string): Pid<unknown> | undefined;
  /**
   * Calls a server and resolves with its reply. Fails fast with `ERR_NO_PROC`
   * (server gone), `ERR_UNKNOWN_NAME`, or `ERR_CALL_FAILED` (it exited during
   * the call; `.reason` says why); `ERR_CALL_TIMEOUT` after `timeoutMs`.
   */
  call<P extends Pid<any>>(to: P | string, req: CallOf<P>, opts?: CallOptions): Promise<ReplyOf<P>>;
  /** Sends a cast to a server (fire and forget; a server that does not exist makes a dead letter, not an error, as in OTP). */
  cast<P extends Pid<any>>(to: P | string, msg: CastOf<P>): void;
  /** Answers a call (from `handleCall`, now or later; once). */
  reply<R>(from: From<R>, value: R): void;
  /** Answers a call with an error: the caller's promise rejects with it (its class and `.code` survive). */
  replyError(from: From<unknown>, error: Error): void;
  /**
   * Watches the connection to node `name`: one `{ type: 'nodedown', node }`
   * message arrives when it is lost (at once if it is not connected), one
   * for each call, as Erlang's `monitor_node(Node, true)`.
   * Watching this node's own name does nothing: a running node is never down
   * to itself (as in Erlang). Throws `ERR_NOT_A_NODE` on a system without `node`.
   */
  monitorNode(name: string): void;
  /** Takes back one `monitorNode(name)`, as Erlang's `monitor_node(Node, false)` (a nodedown already delivered stays). */
  demonitorNode(name: string): void;
  /**
   * Registers `pid` (a process of this node) under a cluster-wide name, with
   * an atomic create in the cluster's key-value bucket. Rejects with
   * `ERR_NAME_TAKEN` when any live process of any node holds it. The name is
   * freed when the process exits or its node goes down.
   */
  registerGlobal(name: string, pid?: Pid<unknown>): Promise<void>;
  /** Frees a global name this node holds. Resolves false if it held none. */
  unregisterGlobal(name: string): Promise<boolean>;
  /** The pid registered under a global name, from this node's cache (kept current by a watch), else from the bucket. */
  whereisGlobal(name: string): Promise<Pid<unknown> | undefined>;
  /** The other nodes connected now. */
  nodes(): Promise<NodeInfo[]>;
}

/** What handlers receive as `ctx`. */
export interface ActorContext<M = unknown> extends ProcessOps {
  /** This process. */
  readonly self: Pid<M>;
  /** The shard (thread) this process runs on. */
  readonly shard: number;
  /** True once `trapExit(true)` was called (or the behaviour traps from the start). */
  readonly trappingExits: boolean;
  /** Who spawned this process (an actor, or a main-thread process). */
  readonly parent: Pid<unknown> | undefined;
  /** This process's `type` label: its behaviour's name. */
  readonly typeName: string;
  /** True once `system.shutdown()` has begun (supervisors stop restarting). */
  readonly systemStopping: boolean;
  /**
   * False once this process has exited. A kill does not wait for an async
   * handler: its code runs on, but what it asks for is refused (ERR_NO_PROC)
   * or dropped. Code that would act on the world after an await (a
   * supervisor's restarts) checks it.
   */
  readonly alive: boolean;
  /** This node's name (undefined on a system started without `node`). */
  readonly node: string | undefined;
  /** What a behaviour records about itself (state machines, supervisors): a no-op when telemetry, provider and tracing are off. */
  readonly probe: BehaviourProbe;
  /**
   * For behaviours: `msg` to this process after `delayMs`, queued even into a
   * full mailbox (as EXIT and DOWN are), for timeouts that must not be lost
   * (GenStatem's, internal to the machine as OTP's are). Cancelled with
   * `cancelTimer`, and with the process.
   */
  timeoutAfter(msg: object, delayMs: number): TimerRef;
  /** Starts a process from a behaviour module (default placement: this shard). Resolves once its init has finished. */
  spawn<B extends Behaviour<any, any, any> = Behaviour>(module: ModuleRef, args?: ArgsOf<B>, opts?: SpawnOptions): Promise<Pid<MsgOf<B>>>;
  /** spawn + link, atomically: an init crash reaches this process as an exit signal. */
  spawnLink<B extends Behaviour<any, any, any> = Behaviour>(module: ModuleRef, args?: ArgsOf<B>, opts?: SpawnOptions): Promise<Pid<MsgOf<B>>>;
  /** spawn + monitor, atomically. */
  spawnMonitor<B extends Behaviour<any, any, any> = Behaviour>(module: ModuleRef, args?: ArgsOf<B>, opts?: SpawnOptions): Promise<Monitored<MsgOf<B>>>;
  /** Turns exit signals into `{ type: 'EXIT' }` messages (except `'kill'`). */
  trapExit(on: boolean): void;
  /** Ends this process with `reason` (default `'normal'`) once the current handler returns. */
  stop(reason?: ExitReasonInput): void;
  /** Registers this process under `name` (freed when it exits). Throws `ERR_NAME_TAKEN`. */
  register(name: string): void;
  /** Removes one of this process's names. */
  unregister(name: string): boolean;
  /**
   * Selective receive, from inside an async handler: resolves with the first
   * queued (or arriving) message that `match` accepts, leaving the others in
   * order; resolves `undefined` after `timeoutMs`.
   */
  receive<T extends M | SystemMessage>(match: (msg: M | SystemMessage) => msg is T, opts?: ReceiveOptions): Promise<T | undefined>;
  receive(match: (msg: M | SystemMessage) => boolean, opts?: ReceiveOptions): Promise<M | SystemMessage | undefined>;
  /**
   * Runs a stateless function (`module`'s export, default `'default'`) on the
   * offload pool, so a long CPU job does not hold up the other actors of this
   * shard. Rejects with `ERR_OFFLOAD_FAILED` if the job throws,
   * `ERR_MODULE_NOT_FOUND`, or `ERR_UNENCODABLE` for bad input; with
   * `signal`, rejects with its reason once it aborts (see {@link OffloadJobOptions}).
   * Short jobs (measured under 1 ms) sent together may share one pool task,
   * up to 8 of them about 1 ms in all: they run one after another on one
   * pool thread, and each settles when its task ends; a job with a `signal`
   * always runs alone. While this shard has more than 8 jobs per pool thread
   * in flight, their results may settle in batches, up to 4 ms after the job
   * ended (waking the shard per result cost the pool's threads CPU). If this
   * shard dies, the results of its jobs still running are dropped.
   */
  offload<R = unknown>(module: ModuleRef, input: unknown, opts?: OffloadJobOptions): Promise<R>;
  /**
   * Publishes what this thread has sent so far, now. Cross-thread sends are
   * batched until the current handler returns (that batching is most of the
   * throughput); call this before a long computation when a message must
   * leave first (a progress report, a reply).
   */
  flush(): void;
  /** Like `offload`, but the result arrives later as a message: `{ type: 'OFFLOAD', tag, ok, value | error }`. */
  offloadMessage(module: ModuleRef, input: unknown, tag: unknown, opts?: { export?: string }): void;
}

/** The message `offloadMessage` delivers. */
export type OffloadMessage<R = unknown> =
  | { readonly type: 'OFFLOAD'; readonly tag: unknown; readonly ok: true; readonly value: R }
  | { readonly type: 'OFFLOAD'; readonly tag: unknown; readonly ok: false; readonly error: { name: string; code?: string; message: string } };

/** A value or a promise of it: handlers may be sync or async. */
export type MaybePromise<T> = T | Promise<T>;

/**
 * What the shard scheduler runs. Built by {@link defineActor} (and later by
 * `defineGenServer` & co.); users rarely write one by hand.
 */
export interface Behaviour<Args = unknown, State = unknown, Msg = unknown> {
  readonly [BEHAVIOUR]: string;
  /** The `type` label in metrics and traces; defaults to the export's name (for a default export, the file's name without `.actor` and its extension). */
  readonly name: string | undefined;
  /** Start with `trapExit` on (before `init` runs). */
  readonly trapExit: boolean;
  /** Default mailbox capacity for this behaviour (spawn options override it). */
  readonly mailboxCapacity: number | undefined;
  /** How long `terminate` may run (default: the system's `terminateTimeoutMs`). */
  readonly terminateTimeoutMs: number | undefined;
  /** What introspection (`getState`, the observer) shows of the state; default: the state itself. (A method: bivariant, so `Behaviour<A, S, M>` still fits `Behaviour<unknown, unknown, M>`.) */
  inspect?(state: State): unknown;
  init(args: Args, ctx: ActorContext<Msg>): MaybePromise<State>;
  handle(msg: Msg | SystemMessage, state: State, ctx: ActorContext<Msg>): MaybePromise<State>;
  terminate(reason: ExitReason, state: State, ctx: ActorContext<Msg>): MaybePromise<void>;
  /** Phantom: lets `spawn<typeof B>()` infer argument and message types. */
  readonly __types?: { args: Args; msg: Msg };
}

/** Argument type of a behaviour. */
export type ArgsOf<B> = B extends Behaviour<infer A, unknown, unknown> ? A : unknown;
/** Message type of a behaviour. */
export type MsgOf<B> = B extends Behaviour<unknown, unknown, infer M> ? M : unknown;
