// The row layout of a dense span batch: written by a shard (dense-batch.ts), read on the main thread (dense-span.ts).

/*
 * A row is 88 bytes: two float64 (start, end: absolute ms) then int32 fields,
 * both views over one buffer. Ids are 32-bit words (ids.ts). As one float64
 * per field a row took 152 bytes, copied four times on its way (out of the
 * batch, into the frame, into the ring, out of it on the main thread).
 *
 *   float64 [0] start, [1] end
 *   int32   [4] code (0: a wire record, [5] its index), [5] parentRemote, [6] node, [7] shard, [8] serial,
 *           [9] text index | -1, [10] fromNode, [11] fromShard, [12] fromSerial,
 *           [13..14] span id, [15..18] trace id, [19..20] parent span id (0, 0: none), [21] unused
 *
 * A traced message's receive span and its handle span, when nothing made the
 * handle span a Span object (the usual), share one row (code RECEIVED): both
 * have the same trace, pid and type, the handle's parent is the receive
 * span and starts where it ends. Two rows cost the receiving shard ~60 ns
 * a traced message more (writing, shipping), measured. The fields a send
 * uses there hold the rest:
 *
 *   float64 [0] receive start, [1] handle end, [5] (int32 [10..11]) receive end = handle start
 *   int32   [13..14] receive span id, [19..20] its parent (the send span), [5] whether that is remote,
 *           [12] and [21] handle span id (hi, lo); the rest as above
 */

/** Float64 slots per row. */
export const ROW_F64 = 11;
/** Int32 slots per row. */
export const ROW_I32 = 22;
/** Bytes per row. */
export const ROW_BYTES = ROW_F64 * 8;
export const I_CODE = 4;
export const I_REMOTE = 5;
export const I_NODE = 6;
export const I_SHARD = 7;
export const I_SERIAL = 8;
export const I_TEXT = 9;
export const I_FROM_NODE = 10;
export const I_FROM_SHARD = 11;
export const I_FROM_SERIAL = 12;
export const I_SPAN = 13;
export const I_TRACE = 15;
export const I_PARENT = 19;
/** Row code of a receive span and its handle span in one row (see above; built-in descriptor codes are 1..3). */
export const RECEIVED = 4;
/** In a RECEIVED row: the float64 slot of the receive's end (the handle's start). */
export const F_MID = 5;
/** In a RECEIVED row: the handle span id's words. */
export const I_HANDLE_HI = 12;
export const I_HANDLE_LO = 21;
/**
 * Values per row of a small batch shipped as a plain array: start, end, then
 * int32 slots 4..21 (a few rows: a typed array's own backing store per flush
 * costs more than packing a few dozen numbers one by one).
 */
export const PLAIN = 20;

/** Both views over a batch's rows. */
export interface RowViews {
  readonly f: Float64Array;
  readonly i: Int32Array;
  readonly rows: number;
}

/** Views over a shipped batch's rows (a plain array of a few rows is laid out as typed rows first). */
export function rowViews(nums: Float64Array | number[]): RowViews {
  if (nums instanceof Float64Array) return { f: nums, i: new Int32Array(nums.buffer, nums.byteOffset, nums.length * 2), rows: nums.length / ROW_F64 };
  const rows = nums.length / PLAIN;
  const f = new Float64Array(rows * ROW_F64);
  const i = new Int32Array(f.buffer);
  for (let r = 0; r < rows; r++) {
    const p = r * PLAIN;
    f[r * ROW_F64] = nums[p]!;
    f[r * ROW_F64 + 1] = nums[p + 1]!;
    for (let k = 2; k < PLAIN; k++) i[r * ROW_I32 + 2 + k] = nums[p + k]!;
  }
  return { f, i, rows };
}
