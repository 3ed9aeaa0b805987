// Span rows on the main thread: frames' rows copied one after another into slabs that spans of those frames share.

/*
 * Each frame's rows used to get an ArrayBuffer of their own: a small frame
 * (tracing at 1% ships a few rows a flush) paid a backing store, its views
 * and their objects per frame, most of the main thread's fixed ~700 ns a
 * frame. A slab is allocated once per 64 KiB of rows (a full 512-row frame,
 * or hundreds of small ones; under glibc's threshold for a mapping of its
 * own, and what one span kept by an exporter keeps alive). Its memory is fresh
 * (a new allocation, not zeroed: only rows written are read) as a frame's own was: reusing it would need to
 * know that no span reads it any more, and a FinalizationRegistry learns
 * that only at a full collection (tried: 4,664 of 4,700 slabs were fresh).
 */

import { ROW_BYTES } from './dense-rows.js';

/** Bytes per slab (see above). */
export const SLAB_BYTES = 64 * 1024;

/** Rows of spans, one frame after another; spans read them through their frame's DenseRows, which holds the slab. */
export class RowSlab {
  readonly f: Float64Array;
  readonly i: Int32Array;
  private readonly u8: Uint8Array;
  /** Rows written so far. */
  rows = 0;
  /** Rows it holds at most. */
  readonly capacity: number;

  /** A slab with room for at least `rows` rows. */
  constructor(rows: number) {
    // Not zeroed (a zeroed ArrayBuffer's memset was ~8% of main's time at 100%): only rows written are ever read.
    const buf = Buffer.allocUnsafeSlow(Math.max(SLAB_BYTES, rows * ROW_BYTES)).buffer;
    this.f = new Float64Array(buf);
    this.i = new Int32Array(buf);
    this.u8 = new Uint8Array(buf);
    this.capacity = Math.floor(buf.byteLength / ROW_BYTES);
  }

  /** Room for `rows` more rows? */
  fits(rows: number): boolean {
    return this.rows + rows <= this.capacity;
  }

  /** Copies `rows` rows starting at byte `from` of `bytes`; returns the index of the first. */
  append(bytes: Uint8Array, from: number, rows: number): number {
    const r = this.rows;
    this.u8.set(bytes.subarray(from, from + rows * ROW_BYTES), r * ROW_BYTES);
    this.rows = r + rows;
    return r;
  }
}
