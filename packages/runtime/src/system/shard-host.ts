// Main-thread side of one shard: starts its worker, watches it, and reports its death so it can be restarted.

import * as Comlink from 'comlink';
import { MessageChannel, type MessagePort, type ResourceLimits, type Worker } from 'node:worker_threads';
import { ShardDownError } from '../errors.js';
import { portEndpoint } from '../shard/admin-channel.js';
import type { ShardAdmin } from '../shard/admin.js';
import type { FromShard, LinkFromShard, ShardInit, ShardStats } from '../shard/protocol.js';
import { unknownMessage } from '../shard/protocol.js';
import { startWorker } from './exec-argv.js';

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
/**
 * How long a shard that has answered its shutdown may take to end on its own before it is terminated
 * (at most shutdownTimeoutMs): time for what its actors' terminate started and did not await (a log
 * stream's end) to finish, without waiting out a handle they left open (a top-level setInterval).
 */
const EXIT_GRACE_MS = 1000;
/** How long killShard waits for the shard's event loop to take the injected error before terminating it. */
const CRASH_GRACE_MS = 1000;

export class ShardHost {
  readonly shard: number;
  worker: Worker | null = null;
  incarnation = 0;
  ready = false;
  /** Consecutive deaths during start-up; reset once a start succeeds. */
  failedStarts = 0;
  private killedFor: ShardDeath['cause'] | null = null;
  /** What the death's message says when it was killed (see kill). */
  private killedWhy: string | null = null;
  private lastError: Error | null = null;
  private stopping: { resolve: () => void } | null = null;
  /** The shard's admin object (comlink), and our end of its channel; null while no worker runs. */
  private admin: Comlink.Remote<ShardAdmin> | null = null;
  private adminPort: MessagePort | null = null;
  /** Admin calls in flight: rejected with ERR_SHARD_DOWN if the worker dies first. */
  private readonly inFlight = new Set<(err: Error) => void>();
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
    const channel = new MessageChannel();
    init.admin = channel.port2;
    const opts: ConstructorParameters<typeof Worker>[1] = {
      workerData: init,
      transferList: [channel.port2],
      name: `joerl-shard-${this.shard}`,
      // execArgv is the parent's, minus flags only the main script can use
      // (see exec-argv.ts). TypeScript actor modules do not rely on it: they
      // load through tsx's tsImport (see loader.ts).
    };
    if (this.resourceLimits !== undefined) opts.resourceLimits = this.resourceLimits;
    const worker = startWorker(ENTRY, opts);
    this.worker = worker;
    this.adminPort = channel.port1;
    this.admin = Comlink.wrap<ShardAdmin>(portEndpoint(channel.port1));
    this.ready = false;
    this.killedFor = null;
    this.killedWhy = null;
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
        this.closeAdmin();
        if (this.stopping !== null) {
          // Ended by the stop, on its own or terminated after the stop's time limit (a handler that never
          // returned): what it held, a name-table lock or spawns waiting on it, is taken back as after a death.
          this.onDeath({ shard: this.shard, incarnation: this.incarnation, cause: 'exit', message: 'stopped with the system', duringStart: false, final: true });
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
          message: this.killedWhy ?? err?.message ?? `worker exited with code ${code}`,
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

  /**
   * Calls the shard's admin object. Rejects with ERR_SHARD_DOWN when no worker
   * runs, or when it dies before it answers (a dead worker never answers:
   * without this, the promise would hang). A call made while the shard starts
   * waits in the channel until it is ready.
   */
  call<T>(fn: (admin: Comlink.Remote<ShardAdmin>) => Promise<T>): Promise<T> {
    const admin = this.admin;
    if (admin === null) return Promise.reject(new ShardDownError(this.shard));
    return new Promise<T>((resolve, reject) => {
      const fail = (err: Error): void => reject(err);
      this.inFlight.add(fail);
      fn(admin).then(
        (v) => {
          this.inFlight.delete(fail);
          resolve(v);
        },
        (err: unknown) => {
          this.inFlight.delete(fail);
          reject(err);
        },
      );
    });
  }

  /** The worker is gone: calls in flight fail, the proxy is released and our end of the channel closed. */
  private closeAdmin(): void {
    for (const fail of this.inFlight) fail(new ShardDownError(this.shard));
    this.inFlight.clear();
    const admin = this.admin;
    this.admin = null;
    admin?.[Comlink.releaseProxy]();
    this.adminPort?.close();
    this.adminPort = null;
  }

  /**
   * Fault injection: an uncaught error thrown on the shard's own event loop,
   * as a stray exception in actor code would be. A shard whose loop does not
   * turn within CRASH_GRACE_MS (a handler that does not return) is terminated.
   */
  crash(): void {
    const worker = this.worker;
    if (worker === null) return;
    // The call never answers: the shard dies (its rejection, ERR_SHARD_DOWN, is expected).
    this.call((a) => a.crash(`killShard(${this.shard}): injected fault`)).catch(() => {});
    setTimeout(() => {
      if (this.worker === worker) this.kill('error');
    }, CRASH_GRACE_MS).unref();
  }

  /** Terminates the worker where it stands (the death is reported with `cause`, and `why` as its message). */
  kill(cause: ShardDeath['cause'], why: string | null = null): void {
    if (this.worker === null) return;
    this.killedFor = cause;
    this.killedWhy = why;
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
      // The worker ends on its own once its processes are stopped; its exit resolves this. Once it has
      // answered, nothing of ours is left in it: a handle its actors' code left open (a top-level
      // setInterval, a pool's socket) would keep it alive until `timeoutMs`, so it gets EXIT_GRACE_MS.
      this.call((a) => a.shutdown(timeoutMs)).then(
        () => setTimeout(() => void worker.terminate(), Math.min(EXIT_GRACE_MS, timeoutMs)).unref(),
        () => void worker.terminate(),
      );
    });
  }

  stats(timeoutMs: number): Promise<ShardStats> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<ShardStats>((resolve) => (timer = setTimeout(() => resolve(emptyStats(this.shard)), timeoutMs)));
    return Promise.race([this.call((a) => a.stats()).catch(() => emptyStats(this.shard)), late]).finally(() => clearTimeout(timer));
  }
}

function emptyStats(shard: number): ShardStats {
  return { shard, actors: 0, runQueue: 0, spawned: 0, exited: 0, delivered: 0 };
}
