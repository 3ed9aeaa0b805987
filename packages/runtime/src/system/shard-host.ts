// Main-thread side of one shard: starts its worker, watches it, and reports its death so it can be restarted.

import { type MessagePort, type ResourceLimits, Worker } from 'node:worker_threads';
import type { FromShard, LinkFromShard, ShardInit, ShardStats, ToShard } from '../shard/protocol.js';
import { unknownMessage } from '../shard/protocol.js';

/** Why a shard ended. */
export interface ShardDeath {
  shard: number;
  incarnation: number;
  /** `'error'` (uncaught), `'out_of_memory'`, `'runaway'` (watchdog), `'exit'`. */
  cause: 'error' | 'out_of_memory' | 'runaway' | 'exit';
  message: string;
  error?: Error;
  /** True if it died before reporting ready. */
  duringStart: boolean;
  /** True if the system will not restart it again. */
  final: boolean;
}

const ENTRY = new URL('../shard/entry.js', import.meta.url);

export class ShardHost {
  readonly shard: number;
  worker: Worker | null = null;
  incarnation = 0;
  ready = false;
  /** Consecutive deaths during start-up; reset once a start succeeds. */
  failedStarts = 0;
  private killedFor: ShardDeath['cause'] | null = null;
  private lastError: Error | null = null;
  private stopping: { resolve: () => void } | null = null;
  private statsWaiters = new Map<number, (s: ShardStats) => void>();
  private statsSeq = 0;
  /** The shard made a ring or needs a side channel (the system's link broker answers). */
  onLink: ((msg: LinkFromShard) => void) | null = null;

  constructor(
    shard: number,
    private readonly makeInit: (host: ShardHost) => ShardInit,
    private readonly resourceLimits: ResourceLimits | undefined,
    private readonly onDeath: (death: ShardDeath) => void,
  ) {
    this.shard = shard;
  }

  /** Starts (or restarts) the worker; resolves when it reports ready. */
  start(): Promise<void> {
    const init = this.makeInit(this);
    const opts: ConstructorParameters<typeof Worker>[1] = {
      workerData: init,
      name: `joerl-shard-${this.shard}`,
      // execArgv is inherited (an explicit list may not carry per-process
      // flags such as --expose-gc). TypeScript actor modules do not rely on
      // it: they load through tsx's tsImport (see loader.ts).
    };
    if (this.resourceLimits !== undefined) opts.resourceLimits = this.resourceLimits;
    const worker = new Worker(ENTRY, opts);
    this.worker = worker;
    this.ready = false;
    this.killedFor = null;
    this.lastError = null;
    return new Promise<void>((resolve, reject) => {
      let started = false;
      worker.on('message', (msg: FromShard) => {
        switch (msg.type) {
          case 'ready':
            started = true;
            this.ready = true;
            this.failedStarts = 0;
            resolve();
            break;
          case 'shutdown-done':
            break;
          case 'stats': {
            const w = this.statsWaiters.get(msg.id);
            this.statsWaiters.delete(msg.id);
            w?.(msg.stats);
            break;
          }
          case 'ring-opened':
          case 'channel-wanted':
            this.onLink?.(msg);
            break;
          default:
            unknownMessage('shard', msg);
        }
      });
      worker.on('error', (err: Error) => {
        this.lastError = err;
      });
      worker.on('exit', (code) => {
        if (this.worker !== worker) return;
        this.worker = null;
        this.ready = false;
        for (const w of this.statsWaiters.values()) w(emptyStats(this.shard));
        this.statsWaiters.clear();
        if (this.stopping !== null) {
          this.stopping.resolve();
          return;
        }
        const err = this.lastError;
        const oom = (err as { code?: string } | null)?.code === 'ERR_WORKER_OUT_OF_MEMORY';
        const cause: ShardDeath['cause'] = this.killedFor ?? (oom ? 'out_of_memory' : err !== null ? 'error' : 'exit');
        const death: ShardDeath = {
          shard: this.shard,
          incarnation: this.incarnation,
          cause,
          message: cause === 'runaway' ? 'its event loop was blocked past handlerTimeoutMs (a handler that does not return)' : err?.message ?? `worker exited with code ${code}`,
          duringStart: !started,
          final: false,
        };
        if (!started) this.failedStarts++;
        if (err !== null) death.error = err;
        if (!started) reject(err ?? new Error(`shard ${this.shard} exited during start-up (code ${code})`));
        this.onDeath(death);
      });
    });
  }

  send(msg: ToShard, transfer?: readonly MessagePort[]): void {
    this.worker?.postMessage(msg, transfer);
  }

  /** Terminates the worker as a runaway (the death is reported as such). */
  kill(cause: ShardDeath['cause']): void {
    if (this.worker === null) return;
    this.killedFor = cause;
    void this.worker.terminate();
  }

  /** Asks the shard to stop its actors and end; terminates it after `timeoutMs`. */
  stop(timeoutMs: number): Promise<void> {
    const worker = this.worker;
    if (worker === null) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const timer = setTimeout(() => void worker.terminate(), timeoutMs);
      this.stopping = {
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      };
      worker.postMessage({ type: 'shutdown', timeoutMs } satisfies ToShard);
    });
  }

  stats(): Promise<ShardStats> {
    if (this.worker === null || !this.ready) return Promise.resolve(emptyStats(this.shard));
    const id = ++this.statsSeq;
    return new Promise((resolve) => {
      this.statsWaiters.set(id, resolve);
      this.send({ type: 'stats', id });
    });
  }
}

function emptyStats(shard: number): ShardStats {
  return { shard, actors: 0, runQueue: 0, spawned: 0, exited: 0, delivered: 0 };
}
