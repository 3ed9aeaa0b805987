// A main-thread process: lets plain code receive messages, link, monitor and wait for DOWNs like an actor.

import type { CallOf, CallOptions, CastOf, ReceiveOptions, ReplyOf, TimerRef } from '../actor/context.js';
import type { ExitReason, ExitReasonInput } from '../actor/exit-reason.js';
import { type DownMessage, type From, type MonitorRef, type SystemMessage, isDownMessage } from '../actor/messages.js';
import type { Pid } from '../actor/pid.js';
import { type Proc, S_INBOX } from '../actor/proc.js';
import { NoProcError, SystemStoppedError, toWireError } from '../errors.js';
import { type ActorHost, DEFAULT_CALL_TIMEOUT_MS, clusterOps } from '../shard/actor-context.js';
import { notOptions, optionsError } from '../validate.js';

const any = (): boolean => true;

/**
 * A process on the main thread, read with `receive()` instead of a handler.
 * It always traps exits, so links and monitors arrive as messages:
 *
 * ```ts
 * const inbox = system.inbox();
 * const ref = inbox.monitor(pid);
 * const down = await inbox.receive((m) => isDownMessage(m) && m.ref === ref);
 * ```
 */
export class Inbox<M = unknown> {
  readonly #rt: ActorHost;
  readonly #p: Proc;

  /** @internal */
  constructor(rt: ActorHost, p: Proc) {
    this.#rt = rt;
    this.#p = p;
  }

  /** This inbox's pid: give it to actors so they can reply. */
  get pid(): Pid<M> {
    return this.#p.pid as Pid<M>;
  }

  /** Messages waiting to be received. */
  get size(): number {
    return this.#p.mailbox.length;
  }

  /** False once closed (or the system stopped). */
  get open(): boolean {
    return this.#p.status === S_INBOX;
  }

  /** The first queued or arriving message `match` accepts (default: any); `undefined` after `timeoutMs`. */
  receive<T extends M | SystemMessage>(match: (msg: M | SystemMessage) => msg is T, opts?: ReceiveOptions): Promise<T | undefined>;
  receive(match?: (msg: M | SystemMessage) => boolean, opts?: ReceiveOptions): Promise<M | SystemMessage | undefined>;
  receive(match: (msg: any) => boolean = any, opts?: ReceiveOptions): Promise<unknown> {
    if (notOptions(opts)) return Promise.reject(optionsError('receive', opts));
    return this.#rt.receive(this.#p, match, opts?.timeoutMs);
  }

  send<T>(to: Pid<T> | string, msg: NoInfer<T>): void {
    this.#live();
    this.#rt.send(to, msg);
  }

  link(pid: Pid<unknown>): void {
    this.#live();
    this.#rt.link(this.#p, pid);
  }

  unlink(pid: Pid<unknown>): void {
    this.#rt.unlink(this.#p, pid);
  }

  monitor(pid: Pid<unknown>): MonitorRef {
    this.#live();
    return this.#rt.monitor(this.#p, pid);
  }

  demonitor(ref: MonitorRef): boolean {
    return this.#rt.demonitor(this.#p, ref);
  }

  exit(pid: Pid<unknown>, reason: ExitReasonInput): void {
    this.#live();
    this.#rt.exit(this.#p.pid, pid, reason);
  }

  sendAfter<T>(to: Pid<T> | string, msg: NoInfer<T>, delayMs: number): TimerRef {
    this.#live();
    return this.#rt.sendAfter(this.#p, to, msg, delayMs);
  }

  cancelTimer(ref: TimerRef): boolean {
    return this.#rt.cancelTimer(ref);
  }

  call<P extends Pid<any>>(to: P | string, req: CallOf<P>, opts?: CallOptions): Promise<ReplyOf<P>> {
    try {
      this.#live();
    } catch (err) {
      return Promise.reject(err);
    }
    if (notOptions(opts)) return Promise.reject(optionsError('call', opts));
    return this.#rt.call(this.#p, to, req, opts?.timeoutMs ?? DEFAULT_CALL_TIMEOUT_MS, opts?.signal) as Promise<ReplyOf<P>>;
  }

  cast<P extends Pid<any>>(to: P | string, msg: CastOf<P>): void {
    this.#live();
    this.#rt.cast(to, msg);
  }

  reply<R>(from: From<R>, value: R): void {
    this.#rt.reply(from, true, value);
  }

  replyError(from: From<unknown>, error: Error): void {
    this.#rt.reply(from, false, toWireError(error));
  }

  /** Watches the connection to node `name`: one `{ type: 'nodedown', node }` message when it is lost (at once if it is not connected; never for this node's own name). */
  monitorNode(name: string): void {
    clusterOps.monitorNode(this.#rt, this.#p.pid, name);
  }

  /** Takes back one `monitorNode(name)` (a nodedown already delivered stays). */
  demonitorNode(name: string): void {
    clusterOps.demonitorNode(this.#rt, this.#p.pid, name);
  }

  /**
   * Throws unless this inbox is open: a closed one (a dead process) sends,
   * links, monitors, calls and sets timers no more (ERR_NO_PROC), and none
   * does once the system is stopping (ERR_SYSTEM_STOPPED). A call's reply
   * would find no caller, a link or monitor would leak on its target, a send
   * would go into a ring nobody reads any more.
   */
  #live(): void {
    if (this.#p.status === S_INBOX) return;
    throw this.#rt.systemStopping ? new SystemStoppedError() : new NoProcError(this.#p.pid.toString());
  }

  /** Ends this process (reason `normal`): links and monitors on it fire; a pending receive rejects. */
  close(): void {
    this.#rt.exitProc(this.#p, 'normal');
  }
}

/** Resolves with the exit reason of `pid` once it has exited (`noproc` if it already had); closes `inbox` either way. */
export async function joinWith(inbox: Inbox, pid: Pid<unknown>): Promise<ExitReason> {
  try {
    const ref = inbox.monitor(pid);
    const down = (await inbox.receive((m): m is DownMessage => isDownMessage(m) && m.ref === ref)) as DownMessage;
    return down.reason;
  } finally {
    inbox.close();
  }
}
