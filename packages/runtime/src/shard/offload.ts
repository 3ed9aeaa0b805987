// Offload: jobs for the piscina pool, which the main thread owns; a shard asks main over the ring and awaits the answer.

import type { ModuleRef } from '../actor/context.js';
import { moduleHref } from '../actor/module-ref.js';
import { forSignal } from '../codec/prepare.js';
import { wakeThread } from '../ring/wait.js';
import { InvalidArgumentError, SystemStoppedError, fromWireError, toWireError, type WireError } from '../errors.js';
import { checkSignal, describe } from '../validate.js';
import { OP_OFFLOAD, OP_OFFLOAD_CANCEL, OP_OFFLOAD_REPLY } from './protocol.js';
import type { ShardState } from './shard-state.js';

/** The longest an answer to a shard's offload job waits for a wake-up (see Offload.answer), in ms. */
const HOLD_MS = 4;

/** A job asked of the main thread: how to settle it, and (with a signal) how to stop listening to it. */
interface PendingJob {
  resolve: (v: unknown) => void;
  reject: (e: unknown) => void;
  unlisten: (() => void) | null;
}

export class Offload {
  private readonly s: ShardState;
  private readonly pending = new Map<number, PendingJob>();
  private seq = 0;
  /** Main thread: the cancellable jobs shards asked for, per asking thread: reqId -> its controller. */
  private readonly cancellable: (Map<number, AbortController> | undefined)[] = [];
  /** Main thread: per asking thread, the jobs it asked for that have not been answered. */
  private readonly outstanding: number[] = [];
  /** Main thread: threads sent answers without a wake-up, and the timer that wakes them (see answer). */
  private readonly owed: number[] = [];
  private owedTimer: ReturnType<typeof setTimeout> | null = null;

  constructor(state: ShardState) {
    this.s = state;
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
      const id = ++this.seq;
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

  /** Main thread: a shard asked for a job; its answer goes back to thread `from`. */
  serve(from: number, reqId: number, href: string, exportName: string, input: unknown, cancellable: boolean): void {
    let ac: AbortController | undefined;
    if (cancellable) (this.cancellable[from] ??= new Map()).set(reqId, (ac = new AbortController()));
    this.outstanding[from] = (this.outstanding[from] ?? 0) + 1;
    this.run(href, exportName, input, ac?.signal).then(
      (value) => {
        if (ac !== undefined) this.cancellable[from]!.delete(reqId);
        let ok = true;
        try {
          value = forSignal(value, 'result', false, false);
        } catch (err) {
          ok = false;
          value = toWireError(err);
        }
        this.answer(from, reqId, ok, value);
      },
      (err: unknown) => {
        if (ac !== undefined) this.cancellable[from]!.delete(reqId);
        this.answer(from, reqId, false, toWireError(err));
      },
    );
  }

  /**
   * Main thread: the answer to thread `from`'s job. Waking a parked shard
   * per answer cost more CPU than the rest of a job's trip (on 2 cores it
   * came out of the pool's threads): while `from` still has more than twice
   * the pool's size of jobs here (the pool stays busy without its next
   * ones), the answer is published without waking it, and a wake-up follows
   * within HOLD_MS at the latest, or sooner with a later answer that wakes.
   */
  private answer(from: number, reqId: number, ok: boolean, value: unknown): void {
    const tr = this.s.transport;
    const left = --this.outstanding[from]!;
    if (left <= 2 * (this.s.hooks.offloadThreads ?? 1)) {
      tr.emit3(from, OP_OFFLOAD_REPLY, reqId, ok, value);
      return;
    }
    tr.emit3Quiet(from, OP_OFFLOAD_REPLY, reqId, ok, value);
    if (!this.owed.includes(from)) this.owed.push(from);
    if (this.owedTimer === null) {
      this.owedTimer = setTimeout(this.payOwed, HOLD_MS);
      this.owedTimer.unref();
    }
  }

  /** The held answers go out (if no flush has published them yet) and their threads are woken. */
  private readonly payOwed = (): void => {
    this.owedTimer = null;
    this.s.transport.flush();
    for (const t of this.owed) wakeThread(this.s.ctl.i32, t);
    this.owed.length = 0;
  };

  /** Main thread: thread `from` aborted its job `reqId` (its answer, if any, is dropped there). */
  cancel(from: number, reqId: number): void {
    this.cancellable[from]?.get(reqId)?.abort();
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
    const run = this.s.hooks.offload;
    if (run === undefined) return Promise.reject(new SystemStoppedError('the offload pool'));
    return run(href, exportName, input, signal);
  }
}
