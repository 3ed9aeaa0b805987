// The system's shared memory: the control block, the rings between threads and the name table, allocated once at start.

import { nameTableBytes } from '../registry/name-table.js';
import { FIRST_SERIAL, REF, SERIAL, THREAD_STRIDE_I64, type ControlViews, controlBytes, controlViews } from '../ring/control-block.js';
import { createRingBuffer } from '../ring/ring.js';

/** Everything threads share, as handed to each of them. */
export interface SharedMemory {
  control: SharedArrayBuffer;
  ctl: ControlViews;
  /** rings[from][to]: one single-producer ring per ordered pair of threads; null on the diagonal. */
  rings: (SharedArrayBuffer | null)[][];
  names: SharedArrayBuffer;
}

/** Allocates the shared memory of `threads` threads (main included), serials and refs starting at 1. */
export function allocateSharedMemory(threads: number, ringBytes: number, maxNames: number): SharedMemory {
  const control = new SharedArrayBuffer(controlBytes(threads));
  const ctl = controlViews(control, threads);
  for (let t = 0; t < threads; t++) {
    const b = t * THREAD_STRIDE_I64;
    ctl.i64[b + SERIAL] = 1n;
    ctl.i64[b + REF] = 1n;
    ctl.i64[b + FIRST_SERIAL] = 1n;
  }
  const rings: (SharedArrayBuffer | null)[][] = [];
  for (let from = 0; from < threads; from++) {
    const row: (SharedArrayBuffer | null)[] = [];
    for (let to = 0; to < threads; to++) row.push(from === to ? null : createRingBuffer(ringBytes));
    rings.push(row);
  }
  return { control, ctl, rings, names: new SharedArrayBuffer(nameTableBytes(maxNames)) };
}
