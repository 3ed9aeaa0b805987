// The main thread's side of offload: runs shards' jobs on the pool and sends the answers back, holding them while a shard has many jobs there.

import { performance } from 'node:perf_hooks';
import { forSignal } from '../codec/prepare.js';
import { ShardDownError, SystemStoppedError, toWireError } from '../errors.js';
import { OP_OFFLOAD_REPLY } from './protocol.js';
import type { ShardState } from './shard-state.js';

/** The longest an answer to a shard's offload job is held back (see OffloadServer.answer), in ms. */
const HOLD_MS = 4;
/** Jobs one pool task carries at most (see OffloadServer.launch). */
const MAX_CHUNK = 8;
/** A chunk's jobs, by their measured times, run about this long at most, in ms; a job at least this long, or not measured yet, goes alone. */
const CHUNK_MS = 1;
/** Job kinds (module and export) whose time is remembered; past this many, the table starts over. */
const MAX_COSTS = 256;

/** A shard's job not yet handed to the pool (see OffloadServer.serve). */
interface Waiting {
  from: number;
  gen: number;
  reqId: number;
  href: string;
  exportName: string;
  input: unknown;
  ac: AbortController | undefined;
}

/**
 * Main thread only. Shards' jobs go to the pool in chunks: one piscina task
 * runs several jobs (offload-chunk.ts) and answers each apart, so piscina's
 * cost per task (its task object, promise and async resource, a message
 * each way, the wake-ups) is paid once per chunk. A cancellable job goes
 * alone as a task of its own, with one continuation on the pool's promise.
 *
 * Answers are held back while their shard has many jobs here: waking a
 * parked shard per answer cost more CPU than the rest of a job's trip (on 2
 * cores it came out of the pool's threads). A held answer is only kept in a
 * list, so it costs the main thread no pass of its loop (wake, slice, pack,
 * publish) either; see `answer` for when the list goes out.
 */
export class OffloadServer {
  private readonly s: ShardState;
  /** Per asking thread: its cancellable jobs, reqId -> its controller. */
  private readonly cancellable: (Map<number, AbortController> | undefined)[] = [];
  /** Per asking thread: the jobs its current incarnation asked for that have not been answered. */
  private readonly outstanding: number[] = [];
  /** Per asking thread: its deaths seen here. An answer to an earlier incarnation is dropped (the new one's ids start over). */
  private readonly gens: number[] = [];
  /** Per asking thread: answers held back, as (reqId, ok, value) triples, and when the first of them was. */
  private readonly held: (unknown[] | undefined)[] = [];
  private readonly heldSince: number[] = [];
  /** Threads with answers held, and the timer that sends those held HOLD_MS. */
  private readonly owed: number[] = [];
  private timer: ReturnType<typeof setTimeout> | null = null;
  private stopped = false;
  /** Pool tasks (chunks and lone jobs) handed over and not settled. */
  private running = 0;
  /** Shards' jobs not handed to the pool yet, oldest first (from `head`). */
  private waiting: Waiting[] = [];
  private head = 0;
  /** A pass over the waiting jobs is queued (a microtask: a frame's jobs all arrive first). */
  private pumping = false;
  /** A job kind's run time in ms (module href, or href#export), a moving average of what the pool's threads measured. */
  private readonly costs = new Map<string, number>();

  constructor(state: ShardState) {
    this.s = state;
  }

  /**
   * Thread `from` asked for a job; its answer goes back to it as
   * OP_OFFLOAD_REPLY. The job waits here until the frame it came in has
   * been read (a microtask), so a shard's batch is seen whole and can be
   * split into chunks (see `pump`).
   */
  serve(from: number, reqId: number, href: string, exportName: string, input: unknown, cancellable: boolean): void {
    let ac: AbortController | undefined;
    if (cancellable) (this.cancellable[from] ??= new Map()).set(reqId, (ac = new AbortController()));
    this.outstanding[from] = (this.outstanding[from] ?? 0) + 1;
    this.waiting.push({ from, gen: this.gens[from] ?? 0, reqId, href, exportName, input, ac });
    if (!this.pumping) {
      this.pumping = true;
      queueMicrotask(this.pumpSoon);
    }
  }

  private readonly pumpSoon = (): void => {
    this.pumping = false;
    if (!this.stopped) this.pump();
  };

  /** Thread `from` aborted its job `reqId` (its answer, if any, is dropped there). */
  cancel(from: number, reqId: number): void {
    this.cancellable[from]?.get(reqId)?.abort();
  }

  /**
   * Thread `t` died. Its cancellable jobs at the pool are cancelled, as a
   * process's exit cancels its own (a job that never ends would hold a pool
   * thread for good); the others run to their end. Their answers are
   * dropped here: they belong to processes that are gone, and the next
   * incarnation numbers its jobs from 1 again. It starts with no jobs
   * counted (so its answers are not held back for the old ones).
   */
  threadDown(t: number): void {
    // Its jobs still waiting here are skipped when their turn comes (launch).
    this.gens[t] = (this.gens[t] ?? 0) + 1;
    this.outstanding[t] = 0;
    const cancellable = this.cancellable[t];
    this.cancellable[t] = undefined;
    if (cancellable !== undefined) for (const ac of cancellable.values()) ac.abort(new ShardDownError(t));
    const held = this.held[t];
    if (held !== undefined) held.length = 0;
  }

  /** Shutdown: answers from now on are dropped (the shards have stopped) and the hold timer is cleared. */
  stop(): void {
    this.stopped = true;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    this.owed.length = 0;
    this.waiting = [];
    this.head = 0;
  }

  /**
   * The pool is handed twice its size of tasks at most (each thread busy,
   * one more queued for it); the rest wait here and go as tasks end. A
   * shard's jobs come in batches: handed over at once, a batch kept the main
   * thread from the pool's answers (and so the pool's threads from their
   * next jobs) for as long as it took piscina to queue them all. What waits
   * is split over the free places, so every thread gets work, in chunks of
   * MAX_CHUNK jobs at most.
   */
  private pump(): void {
    const cap = 2 * (this.s.hooks.offload?.threads ?? 1);
    while (this.running < cap && this.head < this.waiting.length) {
      this.launch(Math.min(MAX_CHUNK, Math.ceil((this.waiting.length - this.head) / (cap - this.running))));
    }
  }

  /**
   * Takes up to `size` waiting jobs, oldest first, as one task: while their
   * measured times add up to less than CHUNK_MS (a chunk's first answer
   * waits for its last job). A cancellable job, or one whose kind has no
   * time yet or takes CHUNK_MS or more, goes alone. A job of a shard that
   * died since is not run: nobody waits for it (see threadDown).
   */
  private launch(size: number): void {
    const chunk: Waiting[] = [];
    let ms = 0;
    while (chunk.length < size && this.head < this.waiting.length) {
      const j = this.waiting[this.head]!;
      if ((this.gens[j.from] ?? 0) !== j.gen) {
        this.shift();
        continue;
      }
      if (j.ac !== undefined) {
        if (chunk.length > 0) break;
        this.shift();
        this.start(j);
        return;
      }
      const cost = this.costs.get(costKey(j)) ?? CHUNK_MS;
      if (chunk.length > 0 && ms + cost > CHUNK_MS) break;
      this.shift();
      chunk.push(j);
      ms += cost;
    }
    if (chunk.length > 0) this.startChunk(chunk);
  }

  private shift(): void {
    const w = this.waiting;
    w[this.head++] = undefined as unknown as Waiting;
    if (this.head === w.length) {
      this.waiting = [];
      this.head = 0;
    } else if (this.head >= 1024 && this.head * 2 >= w.length) {
      this.waiting = w.slice(this.head);
      this.head = 0;
    }
  }

  /** Hands a cancellable job to the pool alone, with one continuation on the pool's own promise (no promise layer of ours). */
  private start(j: Waiting): void {
    const pool = this.s.hooks.offload;
    let job: Promise<unknown>;
    try {
      if (pool === undefined) throw new SystemStoppedError('the offload pool');
      job = pool.start(j.href, j.exportName, j.input, j.ac?.signal);
    } catch (err) {
      job = Promise.reject(err);
    }
    this.running++;
    job.then(
      (value) => {
        if (this.ended()) this.settle(j, true, value);
      },
      (err: unknown) => {
        if (this.ended()) this.settle(j, false, pool === undefined ? err : pool.failure(j.href, j.exportName, err, j.ac?.signal));
      },
    );
  }

  /** Hands a chunk of jobs to the pool as one task; each job is answered apart, and all of them fail if the task does (its thread died). */
  private startChunk(chunk: Waiting[]): void {
    const pool = this.s.hooks.offload;
    let task: Promise<unknown[]>;
    try {
      if (pool === undefined) throw new SystemStoppedError('the offload pool');
      const jobs = new Array<unknown>(chunk.length * 3);
      for (let i = 0; i < chunk.length; i++) {
        const j = chunk[i]!;
        jobs[3 * i] = j.href;
        jobs[3 * i + 1] = j.exportName;
        jobs[3 * i + 2] = j.input;
      }
      task = pool.startChunk(jobs);
    } catch (err) {
      task = Promise.reject(err);
    }
    this.running++;
    task.then(
      (out) => {
        if (!this.ended()) return;
        for (let i = 0; i < chunk.length; i++) {
          const j = chunk[i]!;
          this.learn(j, out[3 * i + 2] as number);
          const ok = out[3 * i] === true;
          this.settle(j, ok, ok ? out[3 * i + 1] : pool!.failure(j.href, j.exportName, out[3 * i + 1], undefined, true));
        }
      },
      (err: unknown) => {
        if (!this.ended()) return;
        for (const j of chunk) this.settle(j, false, pool === undefined ? err : pool.failure(j.href, j.exportName, err));
      },
    );
  }

  /** A task ended: what waits goes to the pool before its answers are sent. False once stopped (answers are dropped). */
  private ended(): boolean {
    this.running--;
    if (this.stopped) return false;
    this.pump();
    return true;
  }

  /** Remembers a job kind's run time (a moving average: a kind that gets slower stops being chunked within a few chunks). */
  private learn(j: Waiting, ms: number): void {
    const key = costKey(j);
    const old = this.costs.get(key);
    if (old === undefined && this.costs.size >= MAX_COSTS) this.costs.clear();
    this.costs.set(key, old === undefined ? ms : old + (ms - old) / 4);
  }

  private settle(j: Waiting, ok: boolean, value: unknown): void {
    const from = j.from;
    if ((this.gens[from] ?? 0) !== j.gen) return;
    if (j.ac !== undefined) this.cancellable[from]!.delete(j.reqId);
    if (ok) {
      try {
        value = forSignal(value, 'result', false, false);
      } catch (err) {
        ok = false;
        value = toWireError(err);
      }
    } else {
      value = toWireError(value);
    }
    this.answer(from, j.reqId, ok, value);
  }

  /**
   * While `from` still has more than a full chunk per pool thread of jobs
   * here (the pool stays busy without its next ones), the answer is held:
   * kept in a list, not even queued on the transport. The list goes out
   * with the next answer that is not held (the one that brings the count
   * down to that), or from a timer within HOLD_MS, whichever comes first;
   * either wakes the shard. A chunk's answers all come at its end, so the
   * line is a chunk per thread, not one job.
   */
  private answer(from: number, reqId: number, ok: boolean, value: unknown): void {
    const left = --this.outstanding[from]!;
    const held = this.held[from];
    if (left > MAX_CHUNK * (this.s.hooks.offload?.threads ?? 1)) {
      if (held === undefined) this.held[from] = [reqId, ok, value];
      else held.push(reqId, ok, value);
      if (held === undefined || held.length === 3) {
        // The first of a batch: one clock read per batch, and the timer is armed only if none is.
        this.heldSince[from] = performance.now();
        if (!this.owed.includes(from)) this.owed.push(from);
        if (this.timer === null) this.arm(HOLD_MS);
      }
      return;
    }
    if (held !== undefined && held.length > 0) this.release(from, held);
    this.s.transport.emit3(from, OP_OFFLOAD_REPLY, reqId, ok, value);
  }

  /** Queues `from`'s held answers, in the order they came (the flush that follows wakes it). */
  private release(from: number, held: unknown[]): void {
    const tr = this.s.transport;
    for (let i = 0; i < held.length; i += 3) tr.emit3(from, OP_OFFLOAD_REPLY, held[i], held[i + 1], held[i + 2]);
    held.length = 0;
  }

  private arm(ms: number): void {
    this.timer = setTimeout(this.payOwed, ms);
    this.timer.unref();
  }

  /**
   * The timer: answers held for HOLD_MS go out now and wake their threads.
   * A batch begun since (most are released by an answer well within
   * HOLD_MS) is left to its own time: the timer is armed again for it.
   */
  private readonly payOwed = (): void => {
    this.timer = null;
    const now = performance.now();
    let next = Infinity;
    let sent = false;
    const owed = this.owed;
    for (let i = 0; i < owed.length; i++) {
      const t = owed[i]!;
      const held = this.held[t];
      if (held === undefined || held.length === 0) {
        owed[i--] = owed[owed.length - 1]!;
        owed.pop();
      } else if (now - this.heldSince[t]! >= HOLD_MS - 0.5) {
        this.release(t, held);
        sent = true;
      } else {
        next = Math.min(next, this.heldSince[t]! + HOLD_MS - now);
      }
    }
    if (sent) this.s.transport.flush();
    if (next !== Infinity) this.arm(next);
  };
}

/** The key a job kind's time is kept under. */
function costKey(j: Waiting): string {
  return j.exportName === 'default' ? j.href : `${j.href}#${j.exportName}`;
}
