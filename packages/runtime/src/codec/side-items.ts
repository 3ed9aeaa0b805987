// Side items: large, moved and shared binary parts that leave a frame's encoding and travel beside it on a MessagePort.

/*
 * A frame that carries side items is encoded with a placeholder in place of
 * each one; the items go, as one postMessage per frame, on the port of that
 * pair of threads, before the frame is published. The receiver takes that
 * message when it decodes the frame, so items keep the frame's place in the
 * ring's order (see ARCHITECTURE.md, "Big payloads").
 *
 *   copied  the bytes of a large buffer, copied once into a new ArrayBuffer
 *           that is then transferred (the receiver gets it without a copy)
 *   moved   a buffer marked by move(): detached at send time, transferred
 *   shared  a SharedArrayBuffer: posted as itself, the same memory arrives
 */

/** One frame's side items, as posted on the port. */
export interface SideBatch {
  items: unknown[];
  transfer: ArrayBuffer[];
  /** Bytes in flight this batch accounts for, in KiB (rounded up per item); shared memory counts 0. */
  kib: number;
}

let threshold = 2 * 1024;

/**
 * Moved buffers of at most this many bytes are copied into the frame instead of travelling beside it:
 * the sender's buffer is detached at the send all the same, and the receiver gets the bytes in a buffer
 * of its own, so nothing observable changes. Measured (CPU per message, payloads bench): 64 B moves
 * cost ~3.9 us inline against ~5 us with a side-channel post per frame; at 4 KiB the post won
 * (8-9 us against 13-15 us inline: three copies and the receiver's allocation).
 */
export const MOVE_INLINE_MAX = 1024;

/** Binary parts of at least this many bytes leave the frame's encoding (set per thread from the options). */
export function setBigPayloadThreshold(bytes: number): void {
  threshold = bytes;
}

export function bigPayloadThreshold(): number {
  return threshold;
}

/**
 * Binary parts of at least this many bytes (and of the threshold) bound for another thread are copied at
 * the send, in production too, not when the batch is packed. Packed, the copies of a whole flush (4 to 16
 * messages of 1 MiB in the payloads bench) were made in one burst: more fresh memory at once, more page
 * faults. Measured (CPU per MiB, all threads, A/B at load 8-10): 1 MiB -30%, 8 MiB -20%, 64 KiB within
 * noise; at 4 KiB the copy of the envelope and the adopt/lookup pair cost the sender ~50% more, hence the floor.
 */
export const COPY_AT_SEND_MIN = 64 * 1024;

/** True for a binary part the send copies for the wire (see {@link COPY_AT_SEND_MIN}). */
export function copiedAtSend(bytes: number): boolean {
  return bytes >= COPY_AT_SEND_MIN && bytes >= threshold;
}

/**
 * Buffers the runtime owns carry their ownership under this symbol: `false`
 * for a copy made for the wire, `true` for a buffer detached by a move. The
 * encoder transfers them as they are instead of copying them again. A
 * property, not a WeakMap: every entry of a WeakMap is an ephemeron, and a
 * thread copying 64 KiB parts spent ~4% of its CPU on them (the write
 * barrier of a young key in an old table, and every scavenge clearing the
 * table: perf of the payloads source, 2026-12-01). The buffer is the
 * runtime's own copy, which user code does not hold, and is detached when
 * it is posted; the property does not cross threads.
 */
const OWNED = Symbol('joerl.owned');

/** An ArrayBuffer the runtime may have adopted (see {@link OWNED}). */
type Adoptable = ArrayBuffer & { [OWNED]?: boolean };

/** Bytes adopted since the transport last asked (see {@link takeAdoptedBytes}). */
let adopted = 0;

/** Hands a buffer the runtime made to the encoder (`moved`: it came from `move()`, so it always travels beside the frame). */
export function adopt(buf: ArrayBuffer, moved: boolean): void {
  (buf as Adoptable)[OWNED] = moved;
  adopted += buf.byteLength;
}

/**
 * Bytes of the buffers adopted since the last call (the parts the send just
 * took for the wire: moved, or copied at the send), and starts over. The
 * transport adds them to the batch they join and sends a batch on once it
 * holds {@link SIDE_FLUSH_BYTES} of them.
 */
export function takeAdoptedBytes(): number {
  const n = adopted;
  adopted = 0;
  return n;
}

/**
 * A batch holding this many bytes of parts taken at the send goes out at once, as a full batch of
 * ops does, instead of at the end of the turn or slice. A handler that sends big parts in a loop
 * (the payloads bench's source: about 21 messages a turn) otherwise kept every one of them on its
 * own heap until the flush: 8 MiB moves went out 21 to a post (176 MiB at once) while the receiver
 * idled. (Parts that must then wait for the in-flight budget are held off the heap: side-stash.ts.)
 */
export const SIDE_FLUSH_BYTES = 1024 * 1024;

/**
 * Buffers the runtime made for the wire that always go inline, whatever
 * their size: a shard's span batch (a few KiB at most, one per publishing
 * flush). Beside the frame, each would cost a port post on the sender and a
 * message event on the main thread, many times what copying its bytes costs.
 */
const inline = new WeakSet<ArrayBuffer>();

/** Marks a buffer the runtime made as one the encoder copies into the frame (see `inline`). */
export function keepInline(buf: ArrayBuffer): void {
  inline.add(buf);
}

/** True for a buffer marked by {@link keepInline}. */
export function keptInline(buf: ArrayBuffer | SharedArrayBuffer): boolean {
  return inline.has(buf as ArrayBuffer);
}

/** True: moved, false: a copy we own, undefined: the sender's own buffer. */
export function ownership(buf: ArrayBuffer): boolean | undefined {
  return (buf as Adoptable)[OWNED];
}

// ---- encoding: the batch being packed now (null when side items are not allowed, e.g. outside the transport)

let out: SideBatch | null = null;
let open = false;

/** Starts collecting side items for one pack() call. */
export function beginSideBatch(): void {
  open = true;
  out = null;
}

/** Ends the pack() call: its side items, or null if it had none. */
export function endSideBatch(): SideBatch | null {
  const b = out;
  out = null;
  open = false;
  return b;
}

/** The batch collecting items now; null when packing happens outside the transport (no port to carry them). */
export function sideBatch(): SideBatch | null {
  if (!open) return null;
  return (out ??= { items: [], transfer: [], kib: 0 });
}

// ---- decoding: the items of the frame being unpacked now

/** Items of a frame whose port died with its thread: the frame's targets died with it too. */
export const LOST: unique symbol = Symbol('joerl.lost');

let items: unknown[] | typeof LOST | null = null;

/** Sets the items of the frame about to be unpacked (null: it has none). */
export function setFrameItems(v: unknown[] | typeof LOST | null): void {
  items = v;
}

/** The current frame's items. */
export function frameItems(): unknown[] | typeof LOST | null {
  return items;
}
