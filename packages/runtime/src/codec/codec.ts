// Cross-thread encoding: msgpackr with records, and extensions so values arrive as structuredClone delivers them.

import { Packr, Unpackr, addExtension } from 'msgpackr';
import { MAX_THREADS, Pid } from '../actor/pid.js';
import { UnencodableError } from '../errors.js';
import { type BinaryValue, K_DATA_VIEW, TYPED_ARRAYS, TypedArray, bufferOf, copyOf, kindOf, lengthOf, viewOf } from './binary-kinds.js';
import { type ErrorWire, errorFromWire, errorToWire } from './error-value.js';
import { NegZero } from './markers.js';
import { LOST, MOVE_INLINE_MAX, bigPayloadThreshold, frameItems, keptInline, ownership, sideBatch } from './side-items.js';

/*
 * Extension types (msgpack ext codes) of our own; msgpackr's built-ins use
 * 0x42 (a large bigint), 0x52, 0x62, 0x65, 0x69, 0x70, 0x72, 0x73, 0x74, 0x78 and 0xff.
 *   0x6a 'j'  Pid                     its key (serial * 4096 + shard) on node 0, else [node, shard, serial]
 *   0x45 'E'  Error                   ErrorWire (structuredClone's fields)
 *   0x7a 'z'  -0                      (a NegZero marker in a copy made for the wire)
 *   0x61 'a'  binary, inline          [kind u8][pad u8][pad][the bytes, 8-aligned][7 - pad]
 *   0x41 'A'  binary, inline (older)  [kind u8][the bytes the value spans]: read, no longer written
 *   0x53 'S'  binary, side item       24 bytes, see SIDE_BYTES
 */
const T_PID = 0x6a;
const T_ERROR = 0x45;
const T_NEG_ZERO = 0x7a;
const T_INLINE = 0x41;
const T_SIDE = 0x53;
const T_ALIGNED = 0x61;

addExtension({ Class: NegZero, type: T_NEG_ZERO, write: () => 0, read: () => -0 });

// msgpackr's own Error extension keeps a subclass's name and drops the stack; structuredClone does the opposite.
addExtension({ Class: Error, type: T_ERROR, write: (e: Error) => errorToWire(e), read: (w: ErrorWire) => errorFromWire(w) });

type Alloc = (size: number) => { target: Uint8Array; targetView: DataView; position: number };

/** Side placeholder: mode u8, kind u8, 2 spare, item index u32, byteOffset f64, length f64. */
const SIDE_BYTES = 24;
const M_COPIED = 0;
const M_MOVED = 1;
const M_SHARED = 2;

function packBinary(v: BinaryValue, alloc: Alloc): void {
  const kind = kindOf(v);
  const buf = bufferOf(v);
  const shared = buf instanceof SharedArrayBuffer;
  // A small moved buffer goes inline (see MOVE_INLINE_MAX): it was detached at the send already.
  const own = shared || v.byteLength <= MOVE_INLINE_MAX ? undefined : ownership(buf as ArrayBuffer);
  if (shared || own === true || (v.byteLength >= bigPayloadThreshold() && !keptInline(buf))) {
    const batch = sideBatch();
    if (batch !== null) return packSide(v, kind, buf, shared, own, batch, alloc);
    if (shared) throw new UnencodableError('message', 'a SharedArrayBuffer outside a send', 'shared memory crosses only to another thread of this system');
  }
  packInline(v, kind, alloc);
}

/**
 * Writes a binary part inline, as T_ALIGNED: [kind u8][pad u8][pad bytes][the bytes it spans][7 - pad
 * bytes], the pad putting the bytes at a multiple of 8 in the encoder's buffer (their place is known
 * only once room is taken, and room is taken once, so the length always counts 7 spare bytes). Frames
 * start at a multiple of 8 there (msgpackr aligns each pack) and at 0 in the reader's copy (the ring
 * reader's scratch or reassembly buffer), so the receiver finds the bytes aligned and
 * copies them as the value's own type in one memcpy (see unpackAligned). A typed array is copied in as
 * its own type too (a memcpy into a view of the encoder's buffer, no byte view of the value made).
 */
function packInline(v: BinaryValue, kind: number, alloc: Alloc): void {
  const n = v.byteLength;
  const len = n + 2 + 7;
  const head = len < 0x100 ? 3 : len < 0x10000 ? 4 : 6;
  const a = alloc(head + len);
  const t = a.target;
  const base = t.byteOffset;
  let p = a.position;
  const pad = -(base + p + head + 2) & 7;
  if (head === 3) {
    t[p++] = 0xc7;
    t[p++] = len;
  } else if (head === 4) {
    t[p++] = 0xc8;
    t[p++] = len >> 8;
    t[p++] = len & 0xff;
  } else {
    t[p++] = 0xc9;
    a.targetView.setUint32(p, len);
    p += 4;
  }
  t[p++] = T_ALIGNED;
  t[p++] = kind;
  t[p++] = pad;
  p += pad;
  if (kind < K_DATA_VIEW) {
    viewsOf(packViews, t.buffer as ArrayBuffer, kind).set(v as never, (base + p) / TYPED_ARRAYS[kind]!.BYTES_PER_ELEMENT);
  } else {
    t.set(new Uint8Array(bufferOf(v), ArrayBuffer.isView(v) ? v.byteOffset : 0, n), p);
  }
}

function packSide(v: BinaryValue, kind: number, buf: ArrayBuffer | SharedArrayBuffer, shared: boolean, own: boolean | undefined, batch: NonNullable<ReturnType<typeof sideBatch>>, alloc: Alloc): void {
  let mode: number;
  let item: ArrayBuffer | SharedArrayBuffer;
  let byteOffset = ArrayBuffer.isView(v) ? v.byteOffset : 0;
  if (shared) {
    mode = M_SHARED;
    item = buf;
  } else if (own !== undefined) {
    // Ours already (a move, or a copy made at send time): hand it over as it is.
    mode = own ? M_MOVED : M_COPIED;
    item = buf;
  } else {
    // The sender's own memory: one copy of just the bytes it spans, then handed over.
    mode = M_COPIED;
    const c = copyOf(v, kind);
    item = kind <= K_DATA_VIEW ? ((c as ArrayBufferView).buffer as ArrayBuffer) : (c as ArrayBuffer);
    byteOffset = 0;
  }
  const index = batch.items.push(item) - 1;
  if (!shared) {
    batch.transfer.push(item as ArrayBuffer);
    batch.kib += Math.ceil(item.byteLength / 1024);
  }
  const a = alloc(3 + SIDE_BYTES);
  let p = a.position;
  a.target[p++] = 0xc7;
  a.target[p++] = SIDE_BYTES;
  a.target[p++] = T_SIDE;
  a.target[p] = mode;
  a.target[p + 1] = kind;
  a.targetView.setUint32(p + 4, index);
  a.targetView.setFloat64(p + 8, byteOffset);
  a.targetView.setFloat64(p + 16, lengthOf(v, kind));
}

/**
 * A T_ALIGNED value: its bytes sit at a multiple of their element size when the frame was read at an
 * aligned place (always, from a ring), so a view of the frame's bytes as the value's type is sliced:
 * one allocation of the right size (on V8's heap up to 64 bytes) and one memcpy. Elsewhere (a frame
 * from another node, say), through a byte copy.
 */
function unpackAligned(data: Uint8Array): BinaryValue {
  const kind = data[0]!;
  const from = 2 + data[1]!;
  const n = data.length - 9;
  if (kind < K_DATA_VIEW && !(data.buffer instanceof SharedArrayBuffer)) {
    const C = TYPED_ARRAYS[kind]!;
    const off = data.byteOffset + from;
    if (off % C.BYTES_PER_ELEMENT === 0) return new C(data.buffer as ArrayBuffer, off, n / C.BYTES_PER_ELEMENT).slice();
  }
  return copied(kind, data.subarray(from, from + n));
}

/*
 * Whole-buffer views of each typed-array kind over the encoder's target (reused frame after frame;
 * replaced only when msgpackr grows it): packInline copies a part in with one `set` at an element
 * index instead of first making a view of its own per value. Holds at most one stale target until
 * the next typed array is packed.
 */
type AnyTyped = InstanceType<(typeof TYPED_ARRAYS)[number]>;
const packViews: { buffer: ArrayBuffer | null; views: (AnyTyped | undefined)[] } = { buffer: null, views: [] };

function viewsOf(c: typeof packViews, buffer: ArrayBuffer, kind: number): AnyTyped {
  if (c.buffer !== buffer) {
    c.buffer = buffer;
    c.views = [];
  }
  let v = c.views[kind];
  if (v === undefined) {
    const C = TYPED_ARRAYS[kind]!;
    v = c.views[kind] = new C(buffer, 0, Math.floor(buffer.byteLength / C.BYTES_PER_ELEMENT));
  }
  return v;
}

/** The older T_INLINE layout, [kind u8][bytes] (still read: a frame from a node that writes it). */
function unpackInline(data: Uint8Array): BinaryValue {
  return copied(data[0]!, data.subarray(1));
}

/** A value of `kind` over a copy of `data`, aligned at offset 0 (`data` is a view into the reader's reused buffer). */
function copied(kind: number, data: Uint8Array): BinaryValue {
  const bytes = Uint8Array.prototype.slice.call(data, 0);
  const per = kind < K_DATA_VIEW ? TYPED_ARRAYS[kind]!.BYTES_PER_ELEMENT : 1;
  return viewOf(kind, bytes.buffer, 0, bytes.byteLength / per);
}

function unpackSide(data: Uint8Array): unknown {
  const dv = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const kind = data[1]!;
  const index = dv.getUint32(4);
  const byteOffset = dv.getFloat64(8);
  const length = dv.getFloat64(16);
  const items = frameItems();
  if (items === LOST) {
    const bytes = kind < K_DATA_VIEW ? length * TYPED_ARRAYS[kind]!.BYTES_PER_ELEMENT : length;
    return `[${bytes} bytes of binary data, lost with the thread that held them]`;
  }
  const item = items?.[index] as ArrayBuffer | SharedArrayBuffer | undefined;
  if (item === undefined) throw new Error(`joerl internal error: side item ${index} missing from its frame`);
  return viewOf(kind, item, byteOffset, length);
}

/**
 * The pids this thread decoded last, one per slot (by serial, modulo the
 * size): a pid decoded again is the object decoded before, not a new one.
 * Pids are immutable and compared with `equals`; in-shard sends already
 * share them (a copy keeps a pid as it is, see snapshot.ts). Savina's Big
 * hands each of its 120 actors the list of all 120: decoded fresh, that was
 * 14,400 pid objects scattered over the heap, one read at random per send;
 * shared, it is 120, and the benchmark ran ~17% faster with telemetry off
 * and ~12% with it on (ARCHITECTURE.md, "Values"). A slot holds at most
 * one pid, so a miss costs what decoding cost before.
 */
const PIDS_SEEN = 4096;
const pidsSeen: (Pid | undefined)[] = new Array<Pid | undefined>(PIDS_SEEN);

/** The pid `<node.shard.serial>`: the one decoded last in its slot when that is it, a new one otherwise. */
function decodedPid(node: number, shard: number, serial: number): Pid {
  const slot = serial & (PIDS_SEEN - 1);
  const seen = pidsSeen[slot];
  if (seen !== undefined && seen.serial === serial && seen.shard === shard && seen.node === node) return seen;
  const pid = new Pid(node, shard, serial);
  pidsSeen[slot] = pid;
  return pid;
}

/** Serials below this give a key (serial * MAX_THREADS + shard) that is a safe integer. */
const KEYED_SERIALS = 2 ** 41;

/** The pid of a system without nodes, from its key. */
function keyedPid(key: number): Pid {
  const shard = key % MAX_THREADS;
  return decodedPid(0, shard, (key - shard) / MAX_THREADS);
}

/*
 * msgpackr tries extension classes in turn with `instanceof` (the last registered first), and every
 * miss costs 20-30 ns (measured, packing a 64 B Float64Array per message: 240 -> 175 ns a message
 * with typed arrays tried first). So the most common kinds go last: pids (most messages carry
 * one, a call or a ping two: the target and the sender), then typed arrays, then the rest.
 * Pids tried before typed arrays (packing [op, pid, {kind, seq, from: pid}], one process per
 * order, 2026-11-30): 698 and 703 -> 501 and 555 ns a frame; frames with a Float64Array or a
 * Uint8Array read the same (613-640 and 258-293 ns either way). The order changes nothing else: no
 * value is an instance of two of these classes.
 */
for (const Class of [SharedArrayBuffer, ArrayBuffer, DataView, TypedArray]) {
  addExtension({ Class, type: T_INLINE, pack: packBinary as never, unpack: unpackInline });
}
addExtension({
  Class: Pid,
  type: T_PID,
  write: (pid: Pid) => (pid.node === 0 && pid.serial < KEYED_SERIALS ? pid.key : [pid.node, pid.shard, pid.serial]),
  read: (t: number | [number, number, number]) => (typeof t === 'number' ? keyedPid(t) : decodedPid(t[0], t[1], t[2])),
});
addExtension({ type: T_SIDE, unpack: unpackSide });
addExtension({ type: T_ALIGNED, unpack: unpackAligned });

// Records make batches of same-shaped messages both smaller and faster to
// decode (measured: 3.2M vs 2.0M msg/s encode+decode at 64 per batch).
// Ring frames share their records through shared memory (ring-codec.ts).
export const frameOptions = { useRecords: true, moreTypes: true, structuredClone: false } as const;

/**
 * This thread's encoder for frames that must stand alone (to another node):
 * every record is defined in the frame that uses it, so any decoder reads
 * any frame. `pack()` returns a view into a pooled buffer: copy it before the next call.
 */
export const packr = new Packr(frameOptions);

/** This thread's decoder for frames that stand alone. */
export const unpackr = new Unpackr(frameOptions);

export { analyze, assertEncodable } from './values.js';
