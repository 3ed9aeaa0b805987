// The `ctx` object handlers receive: a thin, typed front over the thread runtime, bound to one process.

import type { ActorContext, CallOptions, ModuleRef, Monitored, ReceiveOptions, SpawnOptions, TimerRef } from '../actor/context.js';
import type { ExitReasonInput } from '../actor/exit-reason.js';
import type { From, MonitorRef } from '../actor/messages.js';
import type { Pid } from '../actor/pid.js';
import type { Proc } from '../actor/proc.js';
import { toWireError } from '../errors.js';
import { SPAWN_LINK, SPAWN_MONITOR, SPAWN_PLAIN, type ThreadRuntime } from './thread-runtime.js';

/** Key of the runtime internals on a context (used by the behaviours). `Symbol.for`: a TypeScript actor module loaded through tsx gets its own copy of this package, and must still find them. */
export const INTERNAL = Symbol.for('joerl.internal');

/** OTP's default call timeout. */
export const DEFAULT_CALL_TIMEOUT_MS = 5000;

export class ActorCtx implements ActorContext<unknown> {
  readonly #rt: ThreadRuntime;
  readonly #p: Proc;

  constructor(rt: ThreadRuntime, p: Proc) {
    this.#rt = rt;
    this.#p = p;
  }

  get self(): Pid<unknown> {
    return this.#p.pid;
  }

  get shard(): number {
    return this.#rt.thread;
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
    return this.#rt.systemStopping;
  }

  send(to: Pid<unknown> | string, msg: unknown): void {
    this.#rt.send(to, msg, this.#p.pid);
  }

  spawn(module: ModuleRef, args?: unknown, opts?: SpawnOptions): Promise<Pid<any>> {
    return this.#rt.spawn(module, args, opts, this.#p, SPAWN_PLAIN) as Promise<Pid<any>>;
  }

  spawnLink(module: ModuleRef, args?: unknown, opts?: SpawnOptions): Promise<Pid<any>> {
    return this.#rt.spawn(module, args, opts, this.#p, SPAWN_LINK) as Promise<Pid<any>>;
  }

  spawnMonitor(module: ModuleRef, args?: unknown, opts?: SpawnOptions): Promise<Monitored<any>> {
    return this.#rt.spawn(module, args, opts, this.#p, SPAWN_MONITOR) as Promise<Monitored<any>>;
  }

  link(pid: Pid<unknown>): void {
    this.#rt.link(this.#p, pid);
  }

  unlink(pid: Pid<unknown>): void {
    this.#rt.unlink(this.#p, pid);
  }

  monitor(pid: Pid<unknown>): MonitorRef {
    return this.#rt.monitor(this.#p, pid);
  }

  demonitor(ref: MonitorRef): boolean {
    return this.#rt.demonitor(this.#p, ref);
  }

  exit(pid: Pid<unknown>, reason: ExitReasonInput): void {
    this.#rt.exit(this.#p.pid, pid, reason);
  }

  trapExit(on: boolean): void {
    this.#p.trapExit = on === true;
  }

  stop(reason: ExitReasonInput = 'normal'): void {
    this.#rt.requestStop(this.#p, reason);
  }

  register(name: string): void {
    this.#rt.register(name, this.#p.pid);
  }

  unregister(name: string): boolean {
    return this.#rt.unregister(name);
  }

  whereis(name: string): Pid<unknown> | undefined {
    return this.#rt.names.whereis(name);
  }

  sendAfter(to: Pid<unknown> | string, msg: unknown, delayMs: number): TimerRef {
    return this.#rt.sendAfter(this.#p, to, msg, delayMs);
  }

  cancelTimer(ref: TimerRef): boolean {
    return this.#rt.cancelTimer(ref, this.#p);
  }

  receive(match: (msg: unknown) => boolean, opts?: ReceiveOptions): Promise<any> {
    return this.#rt.receive(this.#p, match, opts?.timeoutMs);
  }

  call(to: Pid<any> | string, req: unknown, opts?: CallOptions): Promise<any> {
    return this.#rt.call(this.#p, to, req, opts?.timeoutMs ?? DEFAULT_CALL_TIMEOUT_MS);
  }

  cast(to: Pid<any> | string, msg: unknown): void {
    this.#rt.cast(to, msg);
  }

  reply(from: From, value: unknown): void {
    this.#rt.reply(from, true, value, this.#p);
  }

  flush(): void {
    this.#rt.transport.flush();
  }

  offload(module: ModuleRef, input: unknown, opts?: { export?: string }): Promise<any> {
    return this.#rt.offload(module, input, opts?.export);
  }

  offloadMessage(module: ModuleRef, input: unknown, tag: unknown, opts?: { export?: string }): void {
    const self = this.#p.pid;
    this.#rt.offload(module, input, opts?.export).then(
      (value) => this.#rt.sendQuiet(self, { type: 'OFFLOAD', tag, ok: true, value }),
      (err: unknown) => this.#rt.sendQuiet(self, { type: 'OFFLOAD', tag, ok: false, error: toWireError(err) }),
    );
  }

  replyError(from: From, error: Error): void {
    this.#rt.reply(from, false, toWireError(error), this.#p);
  }

  /** Runtime internals, for the behaviours in this package (not part of the API). */
  get [INTERNAL](): { rt: ThreadRuntime; p: Proc } {
    return { rt: this.#rt, p: this.#p };
  }
}
