// Offload: jobs for the piscina pool, which the main thread owns; a shard asks main over the ring and awaits the answer.

import type { ModuleRef } from '../actor/context.js';
import { moduleHref } from '../actor/module-ref.js';
import { forSignal } from '../codec/prepare.js';
import { InvalidArgumentError, SystemStoppedError, fromWireError, type WireError } from '../errors.js';
import { checkSignal, describe } from '../validate.js';
import { OffloadServer } from './offload-server.js';
import { OP_OFFLOAD, OP_OFFLOAD_CANCEL } from './protocol.js';
import type { ShardState } from './shard-state.js';

/** A job asked of the main thread: how to settle it, and (with a signal) how to stop listening to it. */
interface PendingJob {
  resolve: (v: unknown) => void;
  reject: (e: unknown) => void;
  unlisten: (() => void) | null;
}

export class Offload {
  private readonly s: ShardState;
  private readonly pending = new Map<number, PendingJob>();
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
   */
  offload(module: ModuleRef, input: unknown, exportName = 'default', signal?: AbortSignal): Promise<unknown> {
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
      const job: PendingJob = { resolve, reject, unlisten: null };
      this.pending.set(id, job);
      this.s.scheduler.offloadsPending++;
      this.s.transport.emit5(0, OP_OFFLOAD, id, href, exportName, input, signal !== undefined);
      if (signal === undefined) return;
      // The signal lives on this thread: main is told to cancel the job it runs for us.
      const abort = (): void => {
        if (this.pending.get(id) !== job) return;
        this.pending.delete(id);
        this.s.scheduler.offloadsPending--;
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
    this.pending.delete(id);
    this.s.scheduler.offloadsPending--;
    p.unlisten?.();
    if (ok) p.resolve(value);
    else p.reject(fromWireError(value as WireError));
  }

  private run(href: string, exportName: string, input: unknown, signal: AbortSignal | undefined): Promise<unknown> {
    const pool = this.s.hooks.offload;
    if (pool === undefined) return Promise.reject(new SystemStoppedError('the offload pool'));
    return pool.run(href, exportName, input, signal);
  }
}
