// The main thread's side of offload: runs shards' jobs on the pool and sends the answers back, holding them while a shard has many jobs there.

import { performance } from 'node:perf_hooks';
import { forSignal } from '../codec/prepare.js';
import { SystemStoppedError, toWireError } from '../errors.js';
import { OP_OFFLOAD_REPLY } from './protocol.js';
import type { ShardState } from './shard-state.js';

/** The longest an answer to a shard's offload job is held back (see OffloadServer.answer), in ms. */
const HOLD_MS = 4;

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
 * Main thread only. A shard's job goes to the pool with one continuation
 * attached to the pool's own promise (no promise layer of ours per job).
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
  /** Shards' jobs handed to the pool and not settled. */
  private running = 0;
  /** Shards' jobs not handed to the pool yet, oldest first (from `head`). */
  private waiting: Waiting[] = [];
  private head = 0;

  constructor(state: ShardState) {
    this.s = state;
  }

  /**
   * Thread `from` asked for a job; its answer goes back to it as
   * OP_OFFLOAD_REPLY. The pool is handed twice its size of shards' jobs at
   * most (each thread busy, one more queued for it); the rest wait here and
   * go to the pool one per job that ends. A shard's jobs come in batches:
   * handed over at once, a batch kept the main thread from the pool's
   * answers (and so the pool's threads from their next jobs) for as long as
   * it took piscina to queue them all.
   */
  serve(from: number, reqId: number, href: string, exportName: string, input: unknown, cancellable: boolean): void {
    let ac: AbortController | undefined;
    if (cancellable) (this.cancellable[from] ??= new Map()).set(reqId, (ac = new AbortController()));
    this.outstanding[from] = (this.outstanding[from] ?? 0) + 1;
    const gen = this.gens[from] ?? 0;
    if (this.running < 2 * (this.s.hooks.offload?.threads ?? 1)) this.start(from, gen, reqId, href, exportName, input, ac);
    else this.waiting.push({ from, gen, reqId, href, exportName, input, ac });
  }

  /** Thread `from` aborted its job `reqId` (its answer, if any, is dropped there). */
  cancel(from: number, reqId: number): void {
    this.cancellable[from]?.get(reqId)?.abort();
  }

  /**
   * Thread `t` died. Its jobs still at the pool run to their end, but their
   * answers are dropped here: they belong to processes that are gone, and
   * the next incarnation numbers its jobs from 1 again. It starts with no
   * jobs counted (so its answers are not held back for the old ones).
   */
  threadDown(t: number): void {
    // Its jobs still waiting here are skipped when their turn comes (next).
    this.gens[t] = (this.gens[t] ?? 0) + 1;
    this.outstanding[t] = 0;
    this.cancellable[t] = undefined;
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

  /** Hands a job to the pool, with one continuation on the pool's own promise (no promise layer of ours). */
  private start(from: number, gen: number, reqId: number, href: string, exportName: string, input: unknown, ac: AbortController | undefined): void {
    const pool = this.s.hooks.offload;
    let job: Promise<unknown>;
    try {
      if (pool === undefined) throw new SystemStoppedError('the offload pool');
      job = pool.start(href, exportName, input, ac?.signal);
    } catch (err) {
      job = Promise.reject(err);
    }
    this.running++;
    job.then(
      (value) => this.settle(from, gen, reqId, ac, true, value),
      (err: unknown) => this.settle(from, gen, reqId, ac, false, pool === undefined ? err : pool.failure(href, exportName, err, ac?.signal)),
    );
  }

  /** A job ended: the oldest waiting one of a live incarnation goes to the pool (an aborted one settles at once there). */
  private next(): void {
    while (this.head < this.waiting.length) {
      const w = this.waiting;
      const j = w[this.head]!;
      w[this.head++] = undefined as unknown as Waiting;
      if (this.head === w.length) {
        this.waiting = [];
        this.head = 0;
      } else if (this.head >= 1024 && this.head * 2 >= w.length) {
        this.waiting = w.slice(this.head);
        this.head = 0;
      }
      // A job of a shard that died since is not run: nobody waits for it (see threadDown).
      if ((this.gens[j.from] ?? 0) !== j.gen) continue;
      this.start(j.from, j.gen, j.reqId, j.href, j.exportName, j.input, j.ac);
      return;
    }
  }

  private settle(from: number, gen: number, reqId: number, ac: AbortController | undefined, ok: boolean, value: unknown): void {
    this.running--;
    if (this.stopped) return;
    this.next();
    if ((this.gens[from] ?? 0) !== gen) return;
    if (ac !== undefined) this.cancellable[from]!.delete(reqId);
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
    this.answer(from, reqId, ok, value);
  }

  /**
   * While `from` still has more than twice the pool's size of jobs here
   * (the pool stays busy without its next ones), the answer is held: kept
   * in a list, not even queued on the transport. The list goes out with the
   * next answer that is not held (the one that brings the count down to
   * twice the pool's size), or from a timer within HOLD_MS, whichever comes
   * first; either wakes the shard.
   */
  private answer(from: number, reqId: number, ok: boolean, value: unknown): void {
    const left = --this.outstanding[from]!;
    const held = this.held[from];
    if (left > 2 * (this.s.hooks.offload?.threads ?? 1)) {
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
