// The `ctx` object handlers receive: a thin, typed front over the thread's process API, bound to one process.

import type { ActorContext, CallOptions, ModuleRef, Monitored, NodeInfo, OffloadJobOptions, ReceiveOptions, SpawnOptions, TimerRef } from '../actor/context.js';
import type { ExitReason, ExitReasonInput } from '../actor/exit-reason.js';
import type { From, MonitorRef } from '../actor/messages.js';
import type { Pid } from '../actor/pid.js';
import type { BehaviourProbe } from '../actor/probe.js';
import { type Proc, S_DEAD, S_EXITING } from '../actor/proc.js';
import { analyzeAs } from '../codec/values.js';
import { InvalidArgumentError, NotANodeError, toWireError } from '../errors.js';
import { describe, notOptions, optionsError } from '../validate.js';
import type { SpawnMode } from './protocol.js';

/** OTP's default call timeout. */
export const DEFAULT_CALL_TIMEOUT_MS = 5000;

/** The process API of one thread, as contexts and main-thread inboxes use it (the thread runtime implements it). */
export interface ActorHost {
  readonly thread: number;
  readonly systemStopping: boolean;
  /** The system's checkLocalSends: values that cross are checked as deeply as messages are. */
  readonly checkLocalSends: boolean;
  send(to: Pid<unknown> | string, msg: unknown, from?: Pid): void;
  sendQuiet(to: Pid<unknown> | string, msg: unknown): void;
  spawn(module: ModuleRef, args: unknown, opts: SpawnOptions | undefined, parent: Proc | null, mode: SpawnMode): Promise<Pid | Monitored>;
  link(p: Proc, pid: Pid<unknown>): void;
  unlink(p: Proc, pid: Pid<unknown>): void;
  monitor(p: Proc, pid: Pid<unknown>): MonitorRef;
  demonitor(p: Proc, ref: MonitorRef): boolean;
  exit(from: Pid, pid: Pid<unknown>, reason: ExitReasonInput): void;
  requestStop(p: Proc, reason: ExitReasonInput): void;
  exitProc(p: Proc, reason: ExitReason): void;
  register(name: string, pid: Pid<unknown>): void;
  unregister(name: string): boolean;
  whereis(name: string): Pid<unknown> | undefined;
  sendAfter(owner: Proc | null, to: Pid<unknown> | string, msg: unknown, delayMs: number): TimerRef;
  timeoutAfter(owner: Proc, msg: object, delayMs: number): TimerRef;
  cancelTimer(ref: TimerRef): boolean;
  receive(p: Proc, match: (msg: unknown) => boolean, timeoutMs: number | undefined): Promise<unknown>;
  call(p: Proc, to: Pid<unknown> | string, req: unknown, timeoutMs: number, signal?: AbortSignal): Promise<unknown>;
  cast(to: Pid<unknown> | string, msg: unknown, from?: Pid): void;
  reply(from: From, ok: boolean, value: unknown, by?: Proc | null): void;
  offload(module: ModuleRef, input: unknown, exportName?: string, signal?: AbortSignal, owner?: Proc | null): Promise<unknown>;
  flush(): void;
  probe(p: Proc): BehaviourProbe;
  /** This node's name (null without `node`). */
  readonly nodeName: string | null;
  /** A node-level request to the main thread (global names, nodes, node monitors). */
  nodeRequest(kind: string, arg: unknown): Promise<unknown>;
}

/** The cluster operations of ProcessOps, over a host's node requests (contexts and inboxes share them). */
export const clusterOps = {
  monitorNode(h: ActorHost, self: Pid, name: string): void {
    if (h.nodeName === null) throw new NotANodeError('monitorNode');
    if (typeof name !== 'string' || name.length === 0) throw new InvalidArgumentError(`monitorNode needs a node name, got ${describe(name)}`);
    // The answer is the nodedown message itself, later (or now): nothing to wait for.
    h.nodeRequest('monitor_node', { name, watcher: self }).catch(() => {});
  },
  demonitorNode(h: ActorHost, self: Pid, name: string): void {
    if (h.nodeName === null) throw new NotANodeError('demonitorNode');
    if (typeof name !== 'string' || name.length === 0) throw new InvalidArgumentError(`demonitorNode needs a node name, got ${describe(name)}`);
    // Behind the watches this process asked for before (one ring to the main thread, in order).
    h.nodeRequest('demonitor_node', { name, watcher: self }).catch(() => {});
  },
  registerGlobal(h: ActorHost, name: string, pid: Pid<unknown>): Promise<void> {
    if (typeof name !== 'string' || name.length === 0) return Promise.reject(new InvalidArgumentError(`registerGlobal needs a non-empty name, got ${describe(name)}`));
    return h.nodeRequest('register_global', { name, pid }) as Promise<void>;
  },
  unregisterGlobal(h: ActorHost, name: string): Promise<boolean> {
    return h.nodeRequest('unregister_global', name) as Promise<boolean>;
  },
  whereisGlobal(h: ActorHost, name: string): Promise<Pid<unknown> | undefined> {
    return h.nodeRequest('whereis_global', name).then((v) => (v ?? undefined) as Pid<unknown> | undefined);
  },
  nodes(h: ActorHost): Promise<NodeInfo[]> {
    return h.nodeRequest('nodes', null) as Promise<NodeInfo[]>;
  },
};

export class ActorCtx implements ActorContext<unknown> {
  readonly #h: ActorHost;
  readonly #p: Proc;
  #probe: BehaviourProbe | null = null;

  constructor(host: ActorHost, p: Proc) {
    this.#h = host;
    this.#p = p;
  }

  get self(): Pid<unknown> {
    return this.#p.pid;
  }

  get shard(): number {
    return this.#h.thread;
  }

  get trappingExits(): boolean {
    return this.#p.trapExit;
  }

  get parent(): Pid<unknown> | undefined {
    return this.#p.parent;
  }

  get typeName(): string {
    return this.#p.typeName;
  }

  get systemStopping(): boolean {
    return this.#h.systemStopping;
  }

  get alive(): boolean {
    return this.#p.status !== S_DEAD;
  }

  get node(): string | undefined {
    return this.#h.nodeName ?? undefined;
  }

  get probe(): BehaviourProbe {
    return (this.#probe ??= this.#h.probe(this.#p));
  }

  send(to: Pid<unknown> | string, msg: unknown): void {
    this.#h.send(to, msg, this.#p.pid);
  }

  spawn(module: ModuleRef, args?: unknown, opts?: SpawnOptions): Promise<Pid<any>> {
    return this.#h.spawn(module, args, opts, this.#p, 'plain') as Promise<Pid<any>>;
  }

  spawnLink(module: ModuleRef, args?: unknown, opts?: SpawnOptions): Promise<Pid<any>> {
    return this.#h.spawn(module, args, opts, this.#p, 'link') as Promise<Pid<any>>;
  }

  spawnMonitor(module: ModuleRef, args?: unknown, opts?: SpawnOptions): Promise<Monitored<any>> {
    return this.#h.spawn(module, args, opts, this.#p, 'monitor') as Promise<Monitored<any>>;
  }

  link(pid: Pid<unknown>): void {
    this.#h.link(this.#p, pid);
  }

  unlink(pid: Pid<unknown>): void {
    this.#h.unlink(this.#p, pid);
  }

  monitor(pid: Pid<unknown>): MonitorRef {
    return this.#h.monitor(this.#p, pid);
  }

  demonitor(ref: MonitorRef): boolean {
    return this.#h.demonitor(this.#p, ref);
  }

  exit(pid: Pid<unknown>, reason: ExitReasonInput): void {
    this.#h.exit(this.#p.pid, pid, reason);
  }

  trapExit(on: boolean): void {
    // Not taken as false: trapExit(1) or trapExit('true') would turn trapping off without a word.
    if (typeof on !== 'boolean') throw new InvalidArgumentError(`trapExit takes true or false, got ${describe(on)}`);
    this.#p.trapExit = on;
  }

  stop(reason: ExitReasonInput = 'normal'): void {
    this.#h.requestStop(this.#p, reason);
  }

  register(name: string): void {
    this.#h.register(name, this.#p.pid);
  }

  unregister(name: string): boolean {
    return this.#h.unregister(name);
  }

  whereis(name: string): Pid<unknown> | undefined {
    return this.#h.whereis(name);
  }

  sendAfter(to: Pid<unknown> | string, msg: unknown, delayMs: number): TimerRef {
    return this.#h.sendAfter(this.#p, to, msg, delayMs);
  }

  timeoutAfter(msg: object, delayMs: number): TimerRef {
    return this.#h.timeoutAfter(this.#p, msg, delayMs);
  }

  cancelTimer(ref: TimerRef): boolean {
    return this.#h.cancelTimer(ref);
  }

  receive(match: (msg: unknown) => boolean, opts?: ReceiveOptions): Promise<any> {
    if (notOptions(opts)) return Promise.reject(optionsError('receive', opts));
    return this.#h.receive(this.#p, match, opts?.timeoutMs);
  }

  call(to: Pid<any> | string, req: unknown, opts?: CallOptions): Promise<any> {
    if (notOptions(opts)) return Promise.reject(optionsError('call', opts));
    return this.#h.call(this.#p, to, req, opts?.timeoutMs ?? DEFAULT_CALL_TIMEOUT_MS, opts?.signal);
  }

  cast(to: Pid<any> | string, msg: unknown): void {
    this.#h.cast(to, msg);
  }

  reply(from: From, value: unknown): void {
    this.#h.reply(from, true, value, this.#p);
  }

  replyError(from: From, error: Error): void {
    this.#h.reply(from, false, toWireError(error), this.#p);
  }

  flush(): void {
    this.#h.flush();
  }

  offload(module: ModuleRef, input: unknown, opts?: OffloadJobOptions): Promise<any> {
    if (notOptions(opts)) return Promise.reject(optionsError('offload', opts, "{ export: 'fib' }"));
    return this.#h.offload(module, input, opts?.export, opts?.signal, this.#p);
  }

  monitorNode(name: string): void {
    clusterOps.monitorNode(this.#h, this.#p.pid, name);
  }

  demonitorNode(name: string): void {
    clusterOps.demonitorNode(this.#h, this.#p.pid, name);
  }

  registerGlobal(name: string, pid?: Pid<unknown>): Promise<void> {
    return clusterOps.registerGlobal(this.#h, name, pid ?? this.#p.pid);
  }

  unregisterGlobal(name: string): Promise<boolean> {
    return clusterOps.unregisterGlobal(this.#h, name);
  }

  whereisGlobal(name: string): Promise<Pid<unknown> | undefined> {
    return clusterOps.whereisGlobal(this.#h, name);
  }

  nodes(): Promise<NodeInfo[]> {
    return clusterOps.nodes(this.#h);
  }

  offloadMessage(module: ModuleRef, input: unknown, tag: unknown, opts?: { export?: string }): void {
    if (notOptions(opts)) throw optionsError('offloadMessage', opts, "{ export: 'fib' }");
    // The tag comes back in the OFFLOAD message: one that cannot be sent (a function, a Symbol) would lose the
    // result, dead-lettered as unencodable, so it is refused here, whatever checkLocalSends says, as spawn args are.
    analyzeAs(tag, this.#h.checkLocalSends, 'tag');
    const p = this.#p;
    const self = p.pid;
    // An owner whose exit began ended the job (Offload.ownerExited): its answer has nobody to go to,
    // and as a message to a dead pid it would be a dead letter for a send nobody made. So has an answer
    // whose owner died after the job ended, before this callback ran (both in one chunk of answers).
    this.#h.offload(module, input, opts?.export, undefined, p).then(
      (value) => {
        if (p.status < S_EXITING) this.#h.sendQuiet(self, { type: 'OFFLOAD', tag, ok: true, value });
      },
      (err: unknown) => {
        if (p.status < S_EXITING) this.#h.sendQuiet(self, { type: 'OFFLOAD', tag, ok: false, error: toWireError(err) });
      },
    );
  }
}
