// A batch of built-in span rows as raw bytes: a ring frame of its own to the main thread, never through msgpack.
//
// Why not an op in a msgpack frame: msgpackr packs every value of a thread
// through one function, whose `value.constructor` load sees the maps of
// everything the thread ever packed. A thread sending plain messages keeps it
// at four maps (arrays of ops, the messages); a span batch adds a typed
// array and arrays of doubles and of small integers, and from then on that
// load is megamorphic for every message the thread sends: about a tenth of a
// sender's time at 1% tracing, more than its traced messages cost.
//
// Layout (the platform's byte order: both ends are threads of one process):
//   u32 rows, u32 texts, rows * 88 bytes of rows (dense-rows.ts),
//   then each text: u32 UTF-8 byte length, its bytes.

import { ROW_BYTES } from './dense-rows.js';

/** Bytes before the rows (two u32, so the rows start 8-aligned in the batch's own buffer). */
export const FRAME_HEAD = 8;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * The frame of `rows` rows already written at FRAME_HEAD of `buf` (the
 * batch's buffer), with `texts` after them: a view of `buf` when they fit in
 * it, else a copy. The caller's ring copies it before the batch is reused.
 */
export function denseFrame(buf: Uint8Array, rows: number, texts: readonly string[]): Uint8Array {
  let end = FRAME_HEAD + rows * ROW_BYTES;
  let out = buf;
  // Room for each text at its longest (3 bytes a UTF-16 unit) plus its length word; type names are short.
  let need = end;
  for (let k = 0; k < texts.length; k++) need += 4 + texts[k]!.length * 3;
  if (need > buf.length) {
    out = new Uint8Array(need);
    out.set(buf.subarray(0, end));
  }
  const dv = new DataView(out.buffer, out.byteOffset, out.byteLength);
  dv.setUint32(0, rows, true);
  dv.setUint32(4, texts.length, true);
  for (let k = 0; k < texts.length; k++) {
    const n = encoder.encodeInto(texts[k]!, out.subarray(end + 4)).written;
    dv.setUint32(end, n, true);
    end += 4 + n;
  }
  return out.subarray(0, end);
}

/** True when `bytes` is at least a frame's head and the rows it announces (a frame read back whole). */
export function wellFormed(bytes: Uint8Array, rows: number): boolean {
  return bytes.length >= FRAME_HEAD + rows * ROW_BYTES;
}

/**
 * A frame read on the main thread (the view is only valid during the read)
 * as the batch it stands for: its rows copied into a Float64Array of their
 * own (the spans made over them outlive the read), its texts decoded.
 */
export function batchFromFrame(bytes: Uint8Array): [Float64Array, string[], []] {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const rows = dv.getUint32(0, true);
  const count = dv.getUint32(4, true);
  if (!wellFormed(bytes, rows)) throw new Error(`joerl internal error: a span frame of ${bytes.length} bytes announces ${rows} rows`);
  let at = FRAME_HEAD + rows * ROW_BYTES;
  // slice(): a copy at offset 0 of a buffer of its own, so it is 8-aligned whatever the view's offset.
  const nums = new Float64Array(bytes.slice(FRAME_HEAD, at).buffer);
  const texts = new Array<string>(count);
  for (let k = 0; k < count; k++) {
    const n = dv.getUint32(at, true);
    texts[k] = decoder.decode(bytes.subarray(at + 4, at + 4 + n));
    at += 4 + n;
  }
  return [nums, texts, []];
}
