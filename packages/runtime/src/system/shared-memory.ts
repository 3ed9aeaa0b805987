// The system's shared memory: the control block, the name table and the rings to and from main at start; the others as shards first talk.

import { createRecordStores } from '../codec/ring-codec.js';
import { nameTableBytes } from '../registry/name-table.js';
import { FIRST_SERIAL, REF, SERIAL, THREAD_STRIDE_I64, type ControlViews, controlBytes, controlViews } from '../ring/control-block.js';
import { createRingBuffer } from '../ring/ring.js';
import type { RingGrant } from '../shard/protocol.js';

/** Everything threads share, as the main thread keeps it. */
export interface SharedMemory {
  control: SharedArrayBuffer;
  ctl: ControlViews;
  /**
   * rings[from][to]: the directory of rings made so far (sparse). Those
   * between main and each shard are made at start (2 per shard: every shard
   * talks to main); one between two shards is made by its producer on its
   * first send there and recorded here by the main thread, which also hands
   * it to the restarted incarnations of either.
   */
  rings: (SharedArrayBuffer | undefined)[][];
  names: SharedArrayBuffer;
  /** Each thread's shared msgpackr records (see ring-codec.ts), kept across its restarts. */
  records: SharedArrayBuffer[];
}

/** Allocates the shared memory of `threads` threads (main included), serials and refs starting at 1, and the rings to and from main. */
export function allocateSharedMemory(threads: number, ringBytes: number, maxNames: number): SharedMemory {
  const control = new SharedArrayBuffer(controlBytes(threads));
  const ctl = controlViews(control, threads);
  for (let t = 0; t < threads; t++) {
    const b = t * THREAD_STRIDE_I64;
    ctl.i64[b + SERIAL] = 1n;
    ctl.i64[b + REF] = 1n;
    ctl.i64[b + FIRST_SERIAL] = 1n;
  }
  const rings: (SharedArrayBuffer | undefined)[][] = [];
  for (let t = 0; t < threads; t++) rings.push([]);
  for (let t = 1; t < threads; t++) {
    rings[0]![t] = createRingBuffer(ringBytes);
    rings[t]![0] = createRingBuffer(ringBytes);
  }
  return { control, ctl, rings, names: new SharedArrayBuffer(nameTableBytes(maxNames, threads)), records: createRecordStores(threads) };
}

/** Records a ring a thread made; false if the pair already had one (a producer never makes two). */
export function recordRing(mem: SharedMemory, from: number, to: number, ring: SharedArrayBuffer): boolean {
  const row = mem.rings[from]!;
  if (row[to] !== undefined) return false;
  row[to] = ring;
  return true;
}

/** The rings thread `t` produces into or consumes from, for its start-up data. */
export function ringsOf(mem: SharedMemory, t: number): RingGrant[] {
  const out: RingGrant[] = [];
  const n = mem.rings.length;
  for (let other = 0; other < n; other++) {
    const mine = mem.rings[t]![other];
    if (mine !== undefined) out.push({ from: t, to: other, ring: mine });
    const theirs = mem.rings[other]![t];
    if (theirs !== undefined) out.push({ from: other, to: t, ring: theirs });
  }
  return out;
}

/** Shared memory in use, in bytes (from {@link ActorSystem.memory}). */
export interface SharedMemoryUsage {
  /** Rings made so far (one per ordered pair of threads that has talked). */
  rings: number;
  /** Their bytes, headers included. */
  ringBytes: number;
  /** The control block (a line per thread). */
  controlBytes: number;
  /** The name registry. */
  nameTableBytes: number;
  /** The record stores, one per thread (see ring-codec.ts). */
  recordBytes: number;
  /** Metric regions, one per thread (0 with telemetry off). */
  metricsBytes: number;
  /** All of the above. */
  total: number;
}

/** Sums what {@link SharedMemory} holds now, plus the metric regions. */
export function sharedMemoryUsage(mem: SharedMemory, regions: readonly (SharedArrayBuffer | null)[]): SharedMemoryUsage {
  let rings = 0;
  let ringBytes = 0;
  for (const row of mem.rings) {
    for (const r of row) {
      if (r === undefined) continue;
      rings++;
      ringBytes += r.byteLength;
    }
  }
  let metricsBytes = 0;
  for (const r of regions) if (r !== null) metricsBytes += r.byteLength;
  const controlBytes = mem.control.byteLength;
  const nameTableBytes = mem.names.byteLength;
  let recordBytes = 0;
  for (const r of mem.records) recordBytes += r.byteLength;
  return { rings, ringBytes, controlBytes, nameTableBytes, recordBytes, metricsBytes, total: ringBytes + controlBytes + nameTableBytes + recordBytes + metricsBytes };
}
