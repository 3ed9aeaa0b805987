// Parking and waking threads: one doorbell word per thread, notified only when its owner is parked.

import { DOORBELL, PARKED, THREAD_STRIDE_I32 } from './control-block.js';

/**
 * Wakes thread `t` if it is parked. Call after publishing to one of its rings.
 *
 * Lost-wakeup freedom is the Dekker pattern over seq_cst atomics: the
 * producer stores WRITE then loads PARKED; the consumer stores PARKED then
 * loads WRITE (its last `hasWork()` check). At least one side sees the
 * other's store, so either the consumer finds the data or we ring the bell.
 */
export function wakeThread(ctl: Int32Array, t: number): void {
  const base = t * THREAD_STRIDE_I32;
  if (Atomics.load(ctl, base + PARKED) !== 0) {
    Atomics.add(ctl, base + DOORBELL, 1);
    Atomics.notify(ctl, base + DOORBELL);
  }
}

/**
 * Parks the calling thread `t` until its doorbell rings or `timeoutMs`
 * passes. Does not block the event loop (Atomics.waitAsync), so timers and
 * control messages still run; the caller keeps a ref'd handle alive, because
 * a pending waitAsync alone does not keep a Node thread running.
 */
export async function parkThread(
  ctl: Int32Array,
  t: number,
  hasWork: () => boolean,
  timeoutMs: number,
): Promise<void> {
  const base = t * THREAD_STRIDE_I32;
  const seq = Atomics.load(ctl, base + DOORBELL);
  Atomics.store(ctl, base + PARKED, 1);
  // Re-check after announcing we are parked (the other half of the Dekker pair).
  if (!hasWork()) {
    const res = Atomics.waitAsync(ctl, base + DOORBELL, seq, timeoutMs);
    if (res.async) await res.value;
  }
  Atomics.store(ctl, base + PARKED, 0);
}
