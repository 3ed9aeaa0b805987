// The system's control block: per thread, two groups of counters and flags (doorbells, liveness, counts) on lines of their own, then serials.

/*
 * Control block: one SharedArrayBuffer for the whole system.
 *
 *   Int32 region, 256 bytes per thread t (0 = main, 1..N = shards), at t*64:
 *   two groups of words, each 64 bytes long and 64 bytes away from any
 *   other group. The first group holds what other threads read on every send
 *   to t; the second, what t writes often and others read now and then. Kept
 *   on one line, t's own counting (a mailbox push, a handler entry, a send)
 *   took that line from the peers that had just read it, and their next read
 *   (and t's next atomic store, which waits for the line) paid for it, on
 *   every hop of a cross-shard round trip.
 *   The gaps are there because a SharedArrayBuffer's memory is aligned to 16
 *   bytes, not 64: on this box (Node 20, glibc) its first byte sits 16 bytes
 *   past a cache-line boundary, whatever its size (a probe that times reads
 *   of each word while another thread writes word 0). The layout before
 *   (128 bytes per thread, the second group ending 16 bytes before the next
 *   thread's first) shared no line at that offset by luck only: at 32 or 48
 *   bytes, thread t-1's UNSENT and SLICING (written on every send, every
 *   slice) would sit on the line of thread t's PARKED, which every sender to
 *   t reads. Groups with 64 bytes between them share no line wherever the
 *   buffer starts (control-block.test.ts checks each 16-byte offset).
 *     first group:
 *     DOORBELL     bumped by whoever wakes thread t
 *     PARKED       1 while thread t sleeps in Atomics.waitAsync
 *     BUSY         1 while thread t runs a slice of more than one turn or message (plain writes
 *                  by t: a hint that peers read on every send, so a slice of one message, a round
 *                  trip's, leaves it alone and the line stays in their caches)
 *     second group:
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
 *   and in thread 0's second group only:
 *     STOPPING     1 once shutdown() began: supervisors stop restarting
 *   then a BigInt64 region, 128 bytes per thread (its words, then a gap as above):
 *     SERIAL            next process serial on t; any thread may reserve one
 *                       with Atomics.add, so spawnLink knows the child's pid
 *                       before the child exists; survives shard restarts
 *     REF               next monitor/timer reference number minted on t
 *     FIRST_SERIAL      first serial of t's current incarnation
 */
export const THREAD_STRIDE_I32 = 64;
/** Int32 words per group (64 bytes), and where each group of a thread's region starts. */
export const GROUP_I32 = 16;
export const FIRST_GROUP = 0;
export const SECOND_GROUP = 32;
export const DOORBELL = FIRST_GROUP;
export const PARKED = FIRST_GROUP + 1;
export const BUSY = FIRST_GROUP + 2;
export const LOOP_TICK = SECOND_GROUP;
export const ACTORS = SECOND_GROUP + 1;
export const INCARNATION = SECOND_GROUP + 2;
export const LAG_US = SECOND_GROUP + 3;
export const GAVE_UP = SECOND_GROUP + 4;
export const LOADING = SECOND_GROUP + 5;
export const STOPPING = SECOND_GROUP + 6;
export const QUEUED = SECOND_GROUP + 7;
export const UNSENT = SECOND_GROUP + 8;
export const DROPPED = SECOND_GROUP + 9;
export const SLICING = SECOND_GROUP + 10;
export const FRAME_LEFT = SECOND_GROUP + 11;

export const THREAD_STRIDE_I64 = 16;
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
