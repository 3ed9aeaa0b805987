// The main thread's reading of span frames (dense-frame.ts): rows into a reused slab, texts decoded once, one span object per row.

import { FRAME_HEAD, wellFormed } from './dense-frame.js';
import { ROW_BYTES } from './dense-rows.js';
import type { DenseRows } from './dense-span.js';
import { RowSlab } from './row-slabs.js';

const NO_TEXTS: string[] = [];
/** Distinct texts (actor type names) remembered with their bytes: a system has few. */
const TEXT_CACHE = 64;
const decoder = new TextDecoder();

/** A little-endian u32 of a frame's head (written so by denseFrame). */
function u32(b: Uint8Array, at: number): number {
  return (b[at]! | (b[at + 1]! << 8) | (b[at + 2]! << 16) | (b[at + 3]! << 24)) >>> 0;
}

/**
 * Turns each span frame into the spans processors get, with as little as
 * possible per frame (at 1% a frame holds a few spans and its fixed cost
 * was most of main's): the rows are copied into the current slab
 * (row-slabs.ts), never into a buffer of their own; a text is decoded once
 * and then recognised by its bytes; a frame with the same slab and texts as
 * the one before shares its DenseRows. The frame just read is rows
 * `first` to `end` of `rows` (SpanCollector.endedRows makes its spans).
 */
export class FrameIntake {
  private readonly resource: unknown;
  private slab: RowSlab | null = null;
  private last: DenseRows | null = null;
  private readonly known: Uint8Array[] = [];
  private readonly knownText: string[] = [];
  private knownNext = 0;
  /** The frame's texts as read, before they are found equal to the last frame's or copied. */
  private readonly scratch: string[] = [];
  /** The frame just read: its rows (shared with frames before it), the first of them and the one past its last. */
  rows: DenseRows | null = null;
  first = 0;
  end = 0;

  constructor(resource: unknown) {
    this.resource = resource;
  }

  /** Reads one frame (`bytes` is only valid during the call, and may be a view of shared memory) into `rows`, `first` and `end`. */
  read(bytes: Uint8Array): void {
    const rows = u32(bytes, 0);
    const count = u32(bytes, 4);
    if (!wellFormed(bytes, rows)) throw new Error(`joerl internal error: a span frame of ${bytes.length} bytes announces ${rows} rows`);
    if (rows === 0) {
      this.first = this.end = 0;
      return;
    }
    let at = FRAME_HEAD + rows * ROW_BYTES;
    const got = this.scratch;
    got.length = count;
    for (let k = 0; k < count; k++) {
      const n = u32(bytes, at);
      got[k] = this.text(bytes, at + 4, n);
      at += 4 + n;
    }
    let slab = this.slab;
    if (slab === null || !slab.fits(rows)) slab = this.slab = new RowSlab(rows);
    const first = slab.append(bytes, FRAME_HEAD, rows);
    let h = this.last;
    if (h === null || h.slab !== slab || !same(h.texts, got)) {
      h = this.last = { f: slab.f, i: slab.i, texts: count === 0 ? NO_TEXTS : got.slice(), resource: this.resource, slab };
    }
    this.rows = h;
    this.first = first;
    this.end = first + rows;
  }

  /** The text of `n` UTF-8 bytes at `from`: one decoded before when its bytes match. */
  private text(bytes: Uint8Array, from: number, n: number): string {
    const known = this.known;
    search: for (let k = 0; k < known.length; k++) {
      const b = known[k]!;
      if (b.length !== n) continue;
      for (let j = 0; j < n; j++) if (b[j] !== bytes[from + j]) continue search;
      return this.knownText[k]!;
    }
    // (Decoded from a copy: `bytes` may be a view of shared memory, see RingReader.read.)
    const own = bytes.slice(from, from + n);
    const text = decoder.decode(own);
    const slot = known.length < TEXT_CACHE ? known.length : this.knownNext++ % TEXT_CACHE;
    known[slot] = own;
    this.knownText[slot] = text;
    return text;
  }
}

function same(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let k = 0; k < a.length; k++) if (a[k] !== b[k]) return false;
  return true;
}
