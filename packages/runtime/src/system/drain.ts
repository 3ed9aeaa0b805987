// shutdown({ drainMs }): let the shards work off what is queued, for a bounded time, before the stop begins.

import { performance } from 'node:perf_hooks';
import { InvalidOptionError } from '../errors.js';
import { ringFill } from '../ring/ring.js';
import { GAVE_UP, QUEUED, SLICING, THREAD_STRIDE_I32, UNSENT } from '../ring/control-block.js';
import { describe } from '../validate.js';
import type { SharedMemory } from './shared-memory.js';

/** Options of `ActorSystem.shutdown`. */
export interface ShutdownOptions {
  /**
   * Before stopping, let the shards work off what is queued for at most this
   * many milliseconds (0 to 2^31-1; default 0: stop at once, as before).
   * From the call on, the system handle accepts nothing new (`send`, `call`,
   * `spawn`... throw or reject with `ERR_SYSTEM_STOPPED`), while actors keep
   * running, and may send to each other and spawn, as usual (so may inboxes
   * made earlier: they are processes too). The drain ends as soon as no
   * message waits in any shard's mailboxes, in any ring or in any outgoing
   * buffer (timers not yet fired and async work that has not sent yet are
   * not waited for). Then the stop runs as without `drainMs`: what is left is
   * reported as `messagesLost` with reason `shutdown`.
   */
  drainMs?: number;
}

/** How often the shared counters are read while draining: cheap reads, no wake-up of anyone. */
const POLL_MS = 2;

/** `opts.drainMs` (0 when absent), or the error that says what is wrong with the options. */
export function drainMsOf(opts: ShutdownOptions | undefined): number | InvalidOptionError {
  if (opts === undefined) return 0;
  if (typeof opts !== 'object' || opts === null) return new InvalidOptionError(`shutdown options must be an object, got ${describe(opts)}`);
  const ms = opts.drainMs;
  if (ms === undefined) return 0;
  if (typeof ms !== 'number' || !(ms >= 0 && ms <= 2 ** 31 - 1)) {
    return new InvalidOptionError(`options.drainMs must be a number of ms from 0 to ${2 ** 31 - 1}, got ${describe(ms)}`);
  }
  return ms;
}

/**
 * True when, at this reading, no sent message waits anywhere on its way to a
 * shard's actor: every live shard's mailboxes are empty (QUEUED), nothing
 * waits in its outgoing buffers (UNSENT) and it is between slices (SLICING: a
 * slice may hold a frame it has read and not yet delivered); nothing waits
 * in the main thread's outgoing buffers; every ring is read to its end. The
 * main thread's own mailboxes (inboxes) are not counted: their readers are
 * the user's code, which is awaiting the shutdown.
 */
export function nothingQueued(mem: SharedMemory, shards: number): boolean {
  const i32 = mem.ctl.i32;
  if (Atomics.load(i32, UNSENT) !== 0) return false;
  for (let t = 1; t <= shards; t++) {
    const base = t * THREAD_STRIDE_I32;
    if (Atomics.load(i32, base + GAVE_UP) === 1) continue; // gone for good: its leftovers were reported when it went
    if (Atomics.load(i32, base + SLICING) !== 0 || Atomics.load(i32, base + QUEUED) !== 0 || Atomics.load(i32, base + UNSENT) !== 0) return false;
  }
  for (let from = 0; from <= shards; from++) {
    const row = mem.rings[from]!;
    for (let to = 0; to <= shards; to++) {
      const ring = row[to];
      if (ring === undefined || (to !== 0 && Atomics.load(i32, to * THREAD_STRIDE_I32 + GAVE_UP) === 1)) continue;
      if (ringFill(ring) > 0) return false;
    }
  }
  return true;
}

/**
 * Waits until nothing is queued (read so on two readings in a row, POLL_MS
 * apart: the counters are read one after the other, and a message moving
 * between two of them could slip past one reading) or until `drainMs` has
 * passed. Resolves with true if everything drained.
 */
export async function drain(mem: SharedMemory, shards: number, drainMs: number): Promise<boolean> {
  const deadline = performance.now() + drainMs;
  let quiet = 0;
  for (;;) {
    if (!nothingQueued(mem, shards)) quiet = 0;
    else if (++quiet === 2) return true;
    const left = deadline - performance.now();
    if (left <= 0) return false;
    await new Promise((r) => setTimeout(r, Math.min(POLL_MS, left)));
  }
}

/** Runs every step in turn, whatever the ones before did; resolves with the errors they threw, in order. */
export async function everyStep(steps: Array<() => unknown>): Promise<unknown[]> {
  const errors: unknown[] = [];
  for (const step of steps) {
    try {
      await step();
    } catch (err) {
      errors.push(err);
    }
  }
  return errors;
}
