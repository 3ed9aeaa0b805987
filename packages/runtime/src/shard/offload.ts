// Offload: jobs for the piscina pool, which the main thread owns; a shard asks main over the ring and awaits the answer.

import type { ModuleRef } from '../actor/context.js';
import { moduleHref } from '../actor/module-ref.js';
import { forSignal } from '../codec/prepare.js';
import type { Proc } from '../actor/proc.js';
import { InvalidArgumentError, NoProcError, SystemStoppedError, fromWireError, type WireError } from '../errors.js';
import { checkSignal, describe } from '../validate.js';
import { OffloadServer } from './offload-server.js';
import { OP_OFFLOAD, OP_OFFLOAD_CANCEL } from './protocol.js';
import type { ShardState } from './shard-state.js';

/** A job asked of the main thread: how to settle it, and (with a signal) how to stop listening to it. */
interface PendingJob {
  resolve: (v: unknown) => void;
  reject: (e: unknown) => void;
  unlisten: (() => void) | null;
  /** The process that asked (null: none), whose exit rejects the job (see `ownerExited`). */
  owner: Proc | null;
}

export class Offload {
  private readonly s: ShardState;
  private readonly pending = new Map<number, PendingJob>();
  /** The ids of the jobs each process waits on (only processes that wait on some). */
  private readonly byOwner = new Map<Proc, Set<number>>();
  /** Main thread: serves the shards' jobs. */
  readonly server: OffloadServer;

  constructor(state: ShardState) {
    this.s = state;
    this.server = new OffloadServer(state);
  }

  /**
   * Runs `module`'s export on the offload pool and resolves with its result.
   * A throwing job rejects only this promise. An abort of `signal` rejects
   * with its reason, drops the late result and cancels the job on the pool.
   * The exit of `owner` (the asking process) rejects it with ERR_NO_PROC, as
   * its calls and receives: its code does not go on with the result.
   */
  offload(module: ModuleRef, input: unknown, exportName = 'default', signal?: AbortSignal, owner: Proc | null = null): Promise<unknown> {
    let href: string;
    try {
      href = moduleHref(module);
      if (typeof exportName !== 'string' || exportName.length === 0) throw new InvalidArgumentError(`offload export must be a non-empty string, got ${describe(exportName)}`);
      checkSignal(signal, 'offload');
      // The main thread's pool gets it by postMessage; a shard's goes through the ring first (a -0 keeps its marker).
      input = forSignal(input, 'input', this.s.thread === 0, this.s.config.checkLocalSends);
    } catch (err) {
      return Promise.reject(err);
    }
    if (this.s.thread === 0) return this.run(href, exportName, input, signal);
    return new Promise((resolve, reject) => {
      // A ref (never reused, even by this thread's next incarnation): an answer to the old one's job finds nothing.
      const id = this.s.newRef();
      const job: PendingJob = { resolve, reject, unlisten: null, owner };
      this.pending.set(id, job);
      if (owner !== null) {
        const ids = this.byOwner.get(owner);
        if (ids === undefined) this.byOwner.set(owner, new Set([id]));
        else ids.add(id);
      }
      this.s.scheduler.offloadsPending++;
      this.s.transport.emit5(0, OP_OFFLOAD, id, href, exportName, input, signal !== undefined);
      if (signal === undefined) return;
      // The signal lives on this thread: main is told to cancel the job it runs for us.
      const abort = (): void => {
        if (this.pending.get(id) !== job) return;
        this.forget(id, job);
        this.s.transport.emit1(0, OP_OFFLOAD_CANCEL, id);
        this.s.scheduler.kick();
        reject(signal.reason);
      };
      signal.addEventListener('abort', abort, { once: true });
      job.unlisten = () => signal.removeEventListener('abort', abort);
    });
  }

  /** Main thread: a shard asked for a job (see OffloadServer). */
  serve(from: number, reqId: number, href: string, exportName: string, input: unknown, cancellable: boolean): void {
    this.server.serve(from, reqId, href, exportName, input, cancellable);
  }

  /** Main thread: thread `from` aborted its job `reqId`. */
  cancel(from: number, reqId: number): void {
    this.server.cancel(from, reqId);
  }

  /** The answer to one of our jobs (none waits for it if it was aborted). */
  onReply(id: number, ok: boolean, value: unknown): void {
    const p = this.pending.get(id);
    if (p === undefined) return;
    this.forget(id, p);
    p.unlisten?.();
    if (ok) p.resolve(value);
    else p.reject(fromWireError(value as WireError));
  }

  /**
   * Process `p` is exiting (or has exited): the jobs it waits on reject with
   * ERR_NO_PROC (ERR_SYSTEM_STOPPED at shutdown), their late answers are
   * dropped and the pool is asked to cancel them (a job started without a
   * signal runs to its end there).
   */
  ownerExited(p: Proc): void {
    if (this.byOwner.size === 0) return;
    const ids = this.byOwner.get(p);
    if (ids === undefined) return;
    for (const id of ids) {
      const job = this.pending.get(id)!;
      this.forget(id, job);
      job.unlisten?.();
      this.s.transport.emit1(0, OP_OFFLOAD_CANCEL, id);
      job.reject(this.s.shuttingDown ? new SystemStoppedError() : new NoProcError(p.pid.toString()));
    }
    this.s.scheduler.kick();
  }

  /** Job `id` is no longer waited on. */
  private forget(id: number, job: PendingJob): void {
    this.pending.delete(id);
    this.s.scheduler.offloadsPending--;
    const o = job.owner;
    if (o === null) return;
    const ids = this.byOwner.get(o)!;
    ids.delete(id);
    if (ids.size === 0) this.byOwner.delete(o);
  }

  private run(href: string, exportName: string, input: unknown, signal: AbortSignal | undefined): Promise<unknown> {
    const pool = this.s.hooks.offload;
    if (pool === undefined) return Promise.reject(new SystemStoppedError('the offload pool'));
    return pool.run(href, exportName, input, signal);
  }
}
