// Ring frames' codec: msgpackr records whose key lists each producing thread publishes once, in shared memory, so a frame carries a record's id and not its keys.

import { Packr, RESET_BUFFER_MODE, REUSE_BUFFER_MODE, Unpackr } from 'msgpackr';
import { frameOptions } from './codec.js';

/**
 * Record shapes a thread shares: msgpackr's one-byte record ids (0x40-0x5f).
 * The first 32 shapes a thread sends get one for good; later shapes are
 * defined in each frame that uses them, as every shape was before (the frame
 * then stands alone, as a node's frames do).
 */
const SHARED = 32;
/** Longest key list shared, in bytes of JSON: a longer one is defined in each frame that uses it. */
const ENTRY_MAX = 1024;
/** [count i32][spare i32], then the entries: [byte length u16][the key list as JSON]. */
const HEADER = 8;

/** Bytes of one thread's store: room for every shared shape at its longest, so an append always fits. */
export const RECORD_STORE_BYTES = HEADER + SHARED * (2 + ENTRY_MAX);

/** Frames up to this many bytes are handed out in a view kept per length (see RingCodec.views). */
const VIEWS_UP_TO = 512;

/** One store per thread (the main thread is 0), kept for the system's life: a restarted shard goes on from its store. */
export function createRecordStores(threads: number): SharedArrayBuffer[] {
  const out: SharedArrayBuffer[] = [];
  for (let t = 0; t < threads; t++) out.push(new SharedArrayBuffer(RECORD_STORE_BYTES));
  return out;
}

const utf8 = new TextEncoder();
const text = new TextDecoder();

/** msgpackr shares a shape only when this says yes; the others are defined in each frame. */
function fits(keys: readonly string[]): boolean {
  return utf8.encode(JSON.stringify(keys)).length <= ENTRY_MAX;
}

/**
 * One thread's shared key lists, append-only. The producer writes an entry's
 * bytes, then publishes the new count with an atomic store, before the frame
 * that first uses it is published to any ring: a consumer that reads the
 * frame finds the entry. An entry never changes once counted, so a reader
 * never races the writer, and ids stay valid across a producer's restarts.
 */
class RecordStore {
  private readonly count: Int32Array;
  private readonly bytes: Uint8Array;
  /** Entries written and where the next one goes (the producer's side; found again on a restart). */
  private written: number;
  private end: number;

  constructor(sab: SharedArrayBuffer) {
    this.count = new Int32Array(sab, 0, 1);
    this.bytes = new Uint8Array(sab);
    this.written = 0;
    this.end = HEADER;
    const n = Atomics.load(this.count, 0);
    for (; this.written < n; this.written++) this.end += 2 + this.lengthAt(this.end);
  }

  /** Every published key list, as new arrays (msgpackr marks the arrays it is given). */
  load(): string[][] {
    const n = Atomics.load(this.count, 0);
    const out: string[][] = [];
    for (let i = 0, p = HEADER; i < n; i++) {
      const len = this.lengthAt(p);
      // slice(): a copy off shared memory, which TextDecoder does not take.
      out.push(JSON.parse(text.decode(this.bytes.slice(p + 2, p + 2 + len))) as string[]);
      p += 2 + len;
    }
    return out;
  }

  /** Appends the shared lists past those written (msgpackr's saveStructures); true: saved. */
  append(structures: readonly (readonly string[])[] & { sharedLength?: number }): boolean {
    const upTo = Math.min(structures.sharedLength ?? structures.length, SHARED);
    for (let i = this.written; i < upTo; i++) {
      const b = utf8.encode(JSON.stringify(structures[i]));
      // `fits` let only lists of up to ENTRY_MAX bytes be shared, and the store has room for SHARED of those.
      if (b.length > ENTRY_MAX) throw new Error(`joerl internal error: a shared record of ${b.length} bytes`);
      this.bytes[this.end] = b.length & 0xff;
      this.bytes[this.end + 1] = b.length >> 8;
      this.bytes.set(b, this.end + 2);
      this.end += 2 + b.length;
    }
    if (upTo > this.written) {
      this.written = upTo;
      Atomics.store(this.count, 0, upTo);
    }
    return true;
  }

  private lengthAt(p: number): number {
    return this.bytes[p]! | (this.bytes[p + 1]! << 8);
  }
}

/** A decoder for frames that thread's producer wrote (its records from `store`). */
export function frameDecoder(store: SharedArrayBuffer): Unpackr {
  const records = new RecordStore(store);
  return new Unpackr({ ...frameOptions, maxSharedStructures: SHARED, getStructures: () => records.load() });
}

/**
 * A thread's ring codec: one encoder whose shared records go to this
 * thread's store, and one decoder per producing thread, made on its first
 * frame, whose records come from that thread's store.
 *
 * Measured (one frame of one `{ kind, seq, from: pid }` message, 2026-11-30):
 * pack 730-940 -> 230-460 ns, unpack 550-680 -> 120-210 ns; 36 -> 19 bytes.
 */
export class RingCodec {
  private readonly packr: Packr;
  private readonly decoders: (Unpackr | undefined)[] = [];
  /**
   * Views of msgpackr's buffer by length, for frames up to VIEWS_UP_TO bytes:
   * each pack writes at the same place (`start`) of the same buffer
   * (`target`), so a frame whose length came before goes out in the view
   * made then (as RingReader.views, on the other end). A view per frame was
   * ~35 ns of a ~100 ns pack of a one-message frame.
   */
  private target: Uint8Array | null = null;
  private start = 0;
  private views: (Uint8Array | undefined)[] = [];

  constructor(
    private readonly stores: readonly SharedArrayBuffer[],
    thread: number,
  ) {
    const mine = new RecordStore(stores[thread]!);
    this.packr = new Packr({
      ...frameOptions,
      maxSharedStructures: SHARED,
      getStructures: () => mine.load(),
      saveStructures: (s: string[][]) => mine.append(s),
      shouldShareStructure: fits,
    } as ConstructorParameters<typeof Packr>[0]);
  }

  /**
   * Packs one ring frame into the encoder's buffer at the same place every
   * time (msgpackr's RESET_BUFFER_MODE), so the buffer is reused instead of
   * moving on and, every few large frames, being replaced by a fresh one (new
   * memory: page faults, and external memory for the GC to chase). The view it
   * returns is valid only until the next pack call: the caller copies it.
   */
  pack(value: unknown): Uint8Array {
    const t = this.packr.pack(value, REUSE_BUFFER_MODE | RESET_BUFFER_MODE) as Uint8Array & { start?: number; end?: number };
    // A frame that saved new shared records comes back as a view of its own (msgpackr's buffer may have moved).
    if (t.start === undefined || t.end === undefined) return t;
    const start = t.start;
    const len = t.end - start;
    if (len > VIEWS_UP_TO) return t.subarray(start, t.end);
    if (t !== this.target || start !== this.start) {
      this.target = t;
      this.start = start;
      this.views = [];
    }
    return (this.views[len] ??= t.subarray(start, start + len));
  }

  /** Decodes a frame from thread `from`'s ring. */
  unpack(from: number, bytes: Uint8Array): unknown {
    return (this.decoders[from] ??= frameDecoder(this.stores[from]!)).unpack(bytes);
  }
}
