// The offload pool: stateless CPU jobs on piscina (a dirty scheduler), so one long job never blocks a shard's other actors.

import { fileURLToPath } from 'node:url';
import { JoerlError, ModuleNotFoundError, OffloadFailedError, SystemStoppedError } from '../errors.js';
import type { OffloadRunner } from '../shard/shard-state.js';
import { preview } from '../validate.js';
import { settledExecArgv } from './exec-argv.js';

/** The pool threads' module that runs a chunk of jobs (see OffloadServer). */
const CHUNK = fileURLToPath(new URL('./offload-chunk.js', import.meta.url));

/** Module paths remembered (href -> what piscina is given); past this many, the table starts over. */
const MAX_PATHS = 256;

/** Options for the offload pool. */
export interface OffloadOptions {
  /** Worker threads in the pool (default: half the cores, at least 1). */
  threads?: number;
  /** Keep idle pool threads this long, in ms (default 30000). */
  idleTimeoutMs?: number;
}

type PiscinaLike = {
  run(task: unknown, opts: { filename: string; name: string; signal?: AbortSignal }): Promise<unknown>;
  destroy(): Promise<void>;
};

/** Lazily started: systems that never offload never start a pool thread. */
export class OffloadPool implements OffloadRunner {
  private pool: Promise<PiscinaLike> | null = null;
  /** The pool once started: jobs go straight to it (no extra promise layer per job). */
  private ready: PiscinaLike | null = null;
  private closed = false;
  /**
   * A file: href's path, made once: piscina turns a file: URL into a path
   * per job (a URL parse, a few microseconds of the main thread per job).
   */
  private readonly paths = new Map<string, string>();

  constructor(
    readonly threads: number,
    private readonly idleTimeoutMs: number,
  ) {}

  /** Runs a job; an abort of `signal` (handed to piscina) rejects with the signal's reason, not piscina's AbortError. */
  run(href: string, exportName: string, input: unknown, signal?: AbortSignal): Promise<unknown> {
    const fail = (err: unknown): never => {
      throw this.failure(href, exportName, err, signal);
    };
    try {
      return this.start(href, exportName, input, signal).then(undefined, fail);
    } catch (err) {
      return Promise.reject(err).then(undefined, fail); // as if thrown inside the chain
    }
  }

  /**
   * Starts a job and returns the pool's own promise: the serving path
   * attaches its one continuation to it, and hands a rejection to
   * {@link failure} itself. May throw (piscina refusing the job).
   */
  start(href: string, exportName: string, input: unknown, signal?: AbortSignal): Promise<unknown> {
    if (this.closed) return Promise.reject(new SystemStoppedError('the offload pool'));
    if (signal?.aborted === true) return Promise.reject(signal.reason);
    const filename = this.pathOf(href);
    return this.task(input, signal === undefined ? { filename, name: exportName } : { filename, name: exportName, signal });
  }

  /**
   * Starts one pool task running several jobs, given as `[href, exportName,
   * input, ...]`, in order; resolves with `[ok, value, ms, ...]` (see
   * offload-chunk.ts), or rejects when the task as a whole failed (its
   * thread died, the pool stopped). Never cancellable. May throw.
   */
  startChunk(jobs: unknown[]): Promise<unknown[]> {
    if (this.closed) return Promise.reject(new SystemStoppedError('the offload pool'));
    return this.task(jobs, { filename: CHUNK, name: 'default' }) as Promise<unknown[]>;
  }

  /** Hands piscina one task: straight to the pool once it runs, else after it has started (the first task starts it). */
  private task(input: unknown, opts: { filename: string; name: string; signal?: AbortSignal }): Promise<unknown> {
    if (this.ready !== null) return this.ready.run(input, opts);
    this.pool ??= this.create().then((pool) => (this.ready = pool));
    return this.pool.then((pool) => pool.run(input, opts));
  }

  /**
   * What a job that failed with `err` rejects with: the signal's reason once aborted, else a typed error (ours pass as they are).
   * `chunked`: `err` is a chunk runner's answer, whose tag alone says a load failure (see offload-chunk.ts).
   */
  failure(href: string, exportName: string, err: unknown, signal?: AbortSignal, chunked = false): unknown {
    if (signal?.aborted === true) return signal.reason;
    // A job still running when the system stopped: the pool's end (piscina's "Terminating worker thread"), not the job's.
    if (this.closed) return new SystemStoppedError('the offload pool');
    // Errors made here (a stopped pool) are already typed; a job's own errors arrive as clones, never as ours.
    return err instanceof JoerlError ? err : translate(href, this.pathOf(href), exportName, err, chunked);
  }

  private pathOf(href: string): string {
    if (!href.startsWith('file:')) return href;
    let path = this.paths.get(href);
    if (path === undefined) {
      if (this.paths.size >= MAX_PATHS) this.paths.clear();
      path = fileURLToPath(href);
      this.paths.set(href, path);
    }
    return path;
  }

  async close(): Promise<void> {
    this.closed = true;
    const pool = this.pool;
    this.pool = null;
    this.ready = null;
    if (pool !== null) await (await pool).destroy();
  }

  private async create(): Promise<PiscinaLike> {
    const { Piscina } = (await import('piscina')) as unknown as { Piscina: new (opts: object) => PiscinaLike };
    const execArgv = settledExecArgv();
    return new Piscina({
      ...(execArgv === undefined ? {} : { execArgv }),
      minThreads: 1,
      maxThreads: this.threads,
      idleTimeout: this.idleTimeoutMs,
      // Several jobs may wait on the same thread's queue; a job never blocks another's result.
      concurrentTasksPerWorker: 1,
      // Nothing reads piscina's run and wait time histograms: two records per job on the main thread saved.
      recordTiming: false,
    });
  }
}

/**
 * Missing modules get their own code; anything a job throws fails that job
 * only. A load failure or a missing export is told from the job's own error
 * by who made it: the chunk runner tags it (offload-chunk.ts); for a job run
 * alone, Node's or piscina's message names the module's path. A job's own
 * message that merely reads alike ("Failed to load user 42") is the job's.
 */
function translate(href: string, path: string, exportName: string, err: unknown, chunked: boolean): Error {
  const e = err as { code?: string; message?: string; $joerlOffload?: unknown } | null;
  if (e?.$joerlOffload === 'clone' || isBare(err)) {
    // The chunk runner's tag, with the clone's error; or, for a job run alone, what piscina hands back when its
    // thread could not post the result (the DataCloneError crosses as an empty object; a job that throws {} reads the same).
    const why = typeof e?.message === 'string' ? ` (${e.message})` : '';
    return new OffloadFailedError(href, `its result could not be sent back${why}: a job must return plain data, not functions or class instances`, { cause: err });
  }
  if (typeof e?.message !== 'string') {
    return new OffloadFailedError(href, `it threw ${preview(err)}, which is not an Error (throw an Error: it keeps a stack)`, { cause: err });
  }
  const message = e.message;
  // The chunk runner's tag, its message kept in an Error (the tag is plain data).
  if (e.$joerlOffload === 'module') return new ModuleNotFoundError(href, new Error(message));
  if (e.$joerlOffload === 'export') return new OffloadFailedError(href, `export "${exportName}" is not a function (${message})`, { cause: new Error(message) });
  // For a job run alone, by piscina: Node names the module it could not find in quotes, and piscina the one
  // without the function; a job's own failure that names its module otherwise (a module it imports was not
  // found: "... imported from <its path>") is the job's.
  if (!chunked) {
    if (/Cannot find (module|package) '/.test(message) && (message.includes(`'${path}'`) || message.includes(`'${href}'`))) return new ModuleNotFoundError(href, err);
    if (message.startsWith('No handler function') && (message.includes(path) || message.includes(href))) {
      return new OffloadFailedError(href, `export "${exportName}" is not a function (${message})`, { cause: err });
    }
  }
  return new OffloadFailedError(href, message, { cause: err });
}

/** An object with no fields of its own and the plain prototype: `{}`. */
function isBare(v: unknown): boolean {
  return typeof v === 'object' && v !== null && Object.getPrototypeOf(v) === Object.prototype && Object.keys(v).length === 0;
}
