// The system's control block: one shared line of counters and flags per thread (doorbells, liveness, serials).

/*
 * Control block: one SharedArrayBuffer for the whole system.
 *
 *   Int32 region, one 64-byte line per thread t (0 = main, 1..N = shards):
 *     t*16 + DOORBELL   bumped by whoever wakes thread t
 *     t*16 + PARKED     1 while thread t sleeps in Atomics.waitAsync
 *     t*16 + BUSY       1 while thread t runs a slice of actor code (plain writes by t: a hint)
 *     t*16 + LOOP_TICK  bumped by a 20 ms timer on thread t: if it stops moving,
 *                       something blocks t's event loop (the watchdog's signal)
 *     t*16 + ACTORS     live processes on t (least-loaded placement)
 *     t*16 + INCARNATION  how many times shard t has been (re)started
 *     t*16 + LAG_US     worst event-loop lag of t over the last second, in microseconds
 *     t*16 + GAVE_UP    1 once the main thread stopped restarting shard t
 *     t*16 + LOADING    modules being imported on t (compiling blocks the loop; not a runaway)
 *     t*16 + QUEUED     messages sent with `send` that wait in t's mailboxes (plain writes by t,
 *                       one per mailbox push and per handler entry); read by main when t ends
 *     t*16 + UNSENT     messages (and dead-letter reports) t queued for other threads that are
 *                       not in a published ring frame yet (plain writes by t's transport)
 *     t*16 + DROPPED    messages t could not deliver once its shutdown began (counted,
 *                       not reported one by one)
 *   and in thread 0's line only:
 *     STOPPING          1 once shutdown() began: supervisors stop restarting
 *   then a BigInt64 region, one 64-byte line per thread:
 *     SERIAL            next process serial on t; any thread may reserve one
 *                       with Atomics.add, so spawnLink knows the child's pid
 *                       before the child exists; survives shard restarts
 *     REF               next monitor/timer reference number minted on t
 *     FIRST_SERIAL      first serial of t's current incarnation
 */
export const THREAD_STRIDE_I32 = 16;
export const DOORBELL = 0;
export const PARKED = 1;
export const BUSY = 2;
export const LOOP_TICK = 3;
export const ACTORS = 4;
export const INCARNATION = 5;
export const LAG_US = 6;
export const GAVE_UP = 7;
export const LOADING = 8;
export const STOPPING = 9;
export const QUEUED = 10;
export const UNSENT = 11;
export const DROPPED = 12;

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
