// The system's control block: two shared lines of counters and flags per thread (doorbells, liveness, counts), then serials.

/*
 * Control block: one SharedArrayBuffer for the whole system.
 *
 *   Int32 region, two 64-byte lines per thread t (0 = main, 1..N = shards),
 *   at t*32. The first line holds what other threads read on every send to t;
 *   the second, what t writes often and others read now and then. Kept on one
 *   line, t's own counting (a mailbox push, a handler entry, a send) took
 *   that line from the peers that had just read it, and their next read (and
 *   t's next atomic store, which waits for the line) paid for it, on every
 *   hop of a cross-shard round trip.
 *     first line:
 *     DOORBELL     bumped by whoever wakes thread t
 *     PARKED       1 while thread t sleeps in Atomics.waitAsync
 *     BUSY         1 while thread t runs a slice of more than one turn or message (plain writes
 *                  by t: a hint that peers read on every send, so a slice of one message, a round
 *                  trip's, leaves it alone and the line stays in their caches)
 *     second line:
 *     LOOP_TICK    bumped by a 20 ms timer on thread t: if it stops moving,
 *                  something blocks t's event loop (the watchdog's signal)
 *     ACTORS       live processes on t (least-loaded placement)
 *     INCARNATION  how many times shard t has been (re)started
 *     LAG_US       worst event-loop lag of t over the last second, in microseconds
 *     GAVE_UP      1 once the main thread stopped restarting shard t
 *     LOADING      modules being imported on t (compiling blocks the loop: the watchdog allows spawnTimeoutMs)
 *     QUEUED       messages sent with `send` that wait in t's mailboxes (plain writes by t,
 *                  one per mailbox push and per handler entry); read by main when t ends
 *     UNSENT       messages (and dead-letter reports) t queued for other threads that are
 *                  not in a published ring frame yet (plain writes by t's transport)
 *     DROPPED      messages t could not deliver once its shutdown began (counted,
 *                  not reported one by one)
 *     SLICING      1 while thread t runs a slice, from before its poll (plain writes by t; the
 *                  drain's: a slice may hold a frame it has read and not yet delivered)
 *     FRAME_LEFT   messages of the ring frame t is dispatching that are not delivered yet, written
 *                  only while actor code runs in the middle of it (a terminate, an init, a receive's
 *                  match; plain writes by t, see shard/frame-cursor.ts); read by main when t ends
 *   and in thread 0's second line only:
 *     STOPPING     1 once shutdown() began: supervisors stop restarting
 *   then a BigInt64 region, one 64-byte line per thread:
 *     SERIAL            next process serial on t; any thread may reserve one
 *                       with Atomics.add, so spawnLink knows the child's pid
 *                       before the child exists; survives shard restarts
 *     REF               next monitor/timer reference number minted on t
 *     FIRST_SERIAL      first serial of t's current incarnation
 */
export const THREAD_STRIDE_I32 = 32;
export const DOORBELL = 0;
export const PARKED = 1;
export const BUSY = 2;
export const LOOP_TICK = 16;
export const ACTORS = 17;
export const INCARNATION = 18;
export const LAG_US = 19;
export const GAVE_UP = 20;
export const LOADING = 21;
export const STOPPING = 22;
export const QUEUED = 23;
export const UNSENT = 24;
export const DROPPED = 25;
export const SLICING = 26;
export const FRAME_LEFT = 27;

export const THREAD_STRIDE_I64 = 8;
export const SERIAL = 0;
export const REF = 1;
export const FIRST_SERIAL = 2;

/** Bytes of the control block for `threads` threads (main included). */
export function controlBytes(threads: number): number {
  return threads * THREAD_STRIDE_I32 * 4 + threads * THREAD_STRIDE_I64 * 8;
}

/** Typed views over the control block. */
export interface ControlViews {
  readonly i32: Int32Array;
  readonly i64: BigInt64Array;
}

export function controlViews(sab: SharedArrayBuffer, threads: number): ControlViews {
  const i32Bytes = threads * THREAD_STRIDE_I32 * 4;
  return {
    i32: new Int32Array(sab, 0, threads * THREAD_STRIDE_I32),
    i64: new BigInt64Array(sab, i32Bytes, threads * THREAD_STRIDE_I64),
  };
}
