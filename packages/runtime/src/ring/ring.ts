// Single-producer single-consumer byte ring over a SharedArrayBuffer: framed writes, batched publish, fragment reassembly.

import { COUNT_FLAG, MAX_CHUNK_DIVISOR, MID_MESSAGE_INDEX, MORE_FLAG, NEED_SPACE_INDEX, PAD, RAW_TAG, READ_INDEX, RESET, RING_HEADER_BYTES, RING_HEADER_I32, SIDE_FLAG, WRITE_INDEX } from './layout.js';

/** The largest reassembly buffer a reader keeps between messages. */
const KEEP_ASSEMBLY = 4 * 1024 * 1024;

/** Allocates a ring's SharedArrayBuffer; `capacity` must be a power of two. */
export function createRingBuffer(capacity: number): SharedArrayBuffer {
  return new SharedArrayBuffer(RING_HEADER_BYTES + capacity);
}

function capacityOf(sab: SharedArrayBuffer): number {
  return sab.byteLength - RING_HEADER_BYTES;
}

/** The ring's header words (see layout.ts), for the side-channel fields. */
export function ringHeader(sab: SharedArrayBuffer): Int32Array {
  return new Int32Array(sab, 0, RING_HEADER_I32);
}

/** How full a ring is, 0..1: bytes published and not yet read, over its capacity (any thread may ask). */
export function ringFill(sab: SharedArrayBuffer): number {
  const ctl = new Int32Array(sab, 0, RING_HEADER_BYTES / 4);
  const used = ((Atomics.load(ctl, WRITE_INDEX) >>> 0) - (Atomics.load(ctl, READ_INDEX) >>> 0)) >>> 0;
  return used / capacityOf(sab);
}

/** Publish with a plain store and a fence of our own (see RingWriter.publish): x64 only. */
const PLAIN_PUBLISH = process.arch === 'x64';
/** A word of this thread's own for the fence. */
const FENCE = new Int32Array(new SharedArrayBuffer(64));

/** The producer end. Writes frames, then publishes them all with one atomic store. */
export class RingWriter {
  private readonly ctl: Int32Array;
  private readonly u8: Uint8Array;
  private readonly u32: Uint32Array;
  private readonly cap: number;
  private readonly mask: number;
  /** Largest payload chunk in one frame. */
  readonly maxChunk: number;
  /**
   * Local copy of the write counter; becomes visible on `publish()`. The
   * counters are kept as int32 (`| 0`), as the header words hold them: the
   * same 32 bits as a u32, but a small integer to V8 at every value. As u32
   * (`>>> 0`) they passed 2^31 after 2 GiB through the ring, the field became
   * a double, and V8 retired the writer's map (and the reader's): the ring
   * code that had seen one was thrown away mid-stream. Distances are still
   * taken as u32 (`(a - b) >>> 0`), positions with the mask.
   */
  private w: number;
  private published: number;
  /**
   * The consumer's counter as last loaded. It only moves forward, so space
   * it already shows free is free: a frame that fits below it is written
   * without loading the consumer's cache line, which the consumer has just
   * written when it reads as fast as we publish (a miss per frame, one of
   * the costs of a cross-shard round trip). A frame that does not fit by
   * it loads the counter afresh, so a full ring is still seen as full only
   * when it is (and NEED_SPACE's handshake below still holds).
   */
  private readSeen: number;

  constructor(sab: SharedArrayBuffer) {
    this.cap = capacityOf(sab);
    this.mask = this.cap - 1;
    this.ctl = new Int32Array(sab, 0, RING_HEADER_BYTES / 4);
    this.u8 = new Uint8Array(sab, RING_HEADER_BYTES, this.cap);
    this.u32 = new Uint32Array(sab, RING_HEADER_BYTES, this.cap / 4);
    this.maxChunk = this.cap / MAX_CHUNK_DIVISOR;
    // A restarted producer resumes where its predecessor last published:
    // anything it wrote but did not publish was never visible.
    this.w = Atomics.load(this.ctl, WRITE_INDEX);
    this.published = this.w;
    this.readSeen = Atomics.load(this.ctl, READ_INDEX);
  }

  /**
   * Writes one frame (payload up to `maxChunk` bytes) if it fits; false
   * means the ring is full right now and nothing was written. After a false,
   * the consumer wakes our thread once it has freed space (NEED_SPACE).
   * A non-zero `tag` (the side-channel generation of the items posted for
   * this message) goes with the message's first frame, and so does `count`
   * (>= 0) when that frame continues (`more`): the sent messages the whole
   * message carries, for a reader that comes after one that freed this
   * frame and died (see MID_MESSAGE_INDEX).
   */
  tryWrite(payload: Uint8Array, more: boolean, tag = 0, count = -1): boolean {
    const len = payload.length;
    const extra = (tag === 0 ? 0 : 4) + (count < 0 ? 0 : 4);
    const need = 4 + extra + ((len + 3) & ~3);
    let pos = this.w & this.mask;
    const tail = this.cap - pos;
    // The consumer's counter: an atomic load (when the one seen last is not enough) so we never
    // reuse bytes it has not finished copying.
    if (this.cap - ((this.w - this.readSeen) >>> 0) < (need > tail ? tail + need : need)) this.readSeen = Atomics.load(this.ctl, READ_INDEX);
    let free = this.cap - ((this.w - this.readSeen) >>> 0);
    if (need > tail) {
      // Frames are contiguous: pad out the tail and start over at 0.
      if (free < tail + need) return this.blocked();
      this.u32[pos >>> 2] = PAD;
      this.w = (this.w + tail) | 0;
      free -= tail;
      pos = 0;
    }
    if (free < need) return this.blocked();
    this.u32[pos >>> 2] = (len | (more ? MORE_FLAG : 0) | (tag === 0 ? 0 : SIDE_FLAG) | (count < 0 ? 0 : COUNT_FLAG)) >>> 0;
    if (tag !== 0) this.u32[(pos >>> 2) + 1] = tag;
    if (count >= 0) this.u32[(pos >>> 2) + (tag === 0 ? 1 : 2)] = count;
    this.u8.set(payload, pos + 4 + extra);
    this.w = (this.w + need) | 0;
    return true;
  }

  /**
   * Raises NEED_SPACE. seq_cst store then the caller's next free-space check
   * pairs with the consumer's READ store then NEED_SPACE load (Dekker): either
   * we see the freed space on retry, or the consumer sees the flag and wakes us.
   */
  private blocked(): false {
    Atomics.store(this.ctl, NEED_SPACE_INDEX, 1);
    return false;
  }

  /** Bytes the ring holds when full. */
  get capacity(): number {
    return this.cap;
  }

  /**
   * Whether a frame of `len` payload bytes (`tagged`: with a tag word;
   * `counted`: with a count word) would be written now: tryWrite's own
   * test, the padding of the ring's end included when the frame must start
   * over at 0.
   */
  fits(len: number, tagged: boolean, counted = false): boolean {
    const need = (tagged ? 8 : 4) + (counted ? 4 : 0) + ((len + 3) & ~3);
    const tail = this.cap - (this.w & this.mask);
    this.readSeen = Atomics.load(this.ctl, READ_INDEX);
    return this.cap - ((this.w - this.readSeen) >>> 0) >= (need > tail ? tail + need : need);
  }

  /** Free bytes right now (for the scheduler's "can the overflow move?" check). */
  free(): number {
    this.readSeen = Atomics.load(this.ctl, READ_INDEX);
    return this.cap - ((this.w - this.readSeen) >>> 0);
  }

  /** Writes a RESET marker so the consumer drops any half-assembled message from a dead predecessor. */
  writeReset(): boolean {
    const r = Atomics.load(this.ctl, READ_INDEX);
    if (this.cap - ((this.w - r) >>> 0) < 4) return false;
    this.u32[(this.w & this.mask) >>> 2] = RESET;
    this.w = (this.w + 4) | 0;
    return true;
  }

  /**
   * Makes every frame written so far visible. True if there was anything new.
   *
   * A seq_cst store of the counter: the plain byte writes above happen-before
   * any consumer load that observes it (release/acquire through Atomics). On
   * x64 the counter is a plain store, then a seq_cst store to a word no
   * other thread touches: x64 keeps stores in order (TSO) and V8 emits
   * typed-array stores in program order, so the frame's bytes are visible
   * before the counter as with the atomic store, and the fence after keeps
   * the caller's next load (wakeThread's PARKED, half of a Dekker pair) after
   * both. A locked store to the counter's line, which the consumer keeps
   * reading while it waits, took the line only once the frame's line was
   * ours: the plain store lets both come at once. Ping-pong p50, twelve
   * alternating pairs: 0.957 of it with the atomic store. Other machines
   * keep the atomic store.
   */
  publish(): boolean {
    if (this.w === this.published) return false;
    if (PLAIN_PUBLISH) {
      this.ctl[WRITE_INDEX] = this.w;
      Atomics.store(FENCE, 0, 0);
    } else Atomics.store(this.ctl, WRITE_INDEX, this.w);
    this.published = this.w;
    return true;
  }
}

/** Frames up to this many bytes are copied word by word and handed over in a view kept per length (see RingReader.views). */
const VIEWS_UP_TO = 512;

/** The consumer end. Copies each whole message out of shared memory and hands it over. */
export class RingReader {
  private readonly ctl: Int32Array;
  private readonly u8: Uint8Array;
  private readonly u32: Uint32Array;
  private readonly mask: number;
  /** The read counter, as int32 (see RingWriter.w). */
  private r: number;
  /** Reassembly buffer for fragmented messages (null when none is open). */
  private partial: Uint8Array | null = null;
  private partialLen = 0;
  private partialTag = 0;
  /** Kept between messages (like `scratch`): a fresh buffer per reassembled message cost page faults and collections. */
  private assembly: Uint8Array = new Uint8Array(0);
  private scratch: Uint8Array = new Uint8Array(64 * 1024);
  /** `scratch` as 32-bit words, for copying small frames word by word. */
  private scratch32 = new Int32Array(this.scratch.buffer);
  /**
   * Views of `scratch` by length, for frames up to VIEWS_UP_TO bytes: a frame
   * whose length came before is handed over in the same view object. msgpackr
   * keeps a DataView on the view it decodes (a property of the view): a new
   * view per frame cost a view, a DataView and a property store (in a
   * ping-pong, about a tenth of the reader's time besides spinning).
   */
  private views: (Uint8Array | undefined)[] = [];
  private readonly i32: Int32Array;
  /** The word hasData read last at the read position (see there; public only so the read is kept). */
  touched = 0;
  /** Skipping the rest of a message an earlier reader of this ring began (see MID_MESSAGE_INDEX). */
  private skipping: boolean;
  /** The sent messages it carries (the count its first frame gave, see COUNT_FLAG). */
  private skipCount: number;
  /** Called with that count (if not 0) once the skipped message has ended: its messages are lost, its first bytes went with that reader. */
  private readonly onDropped: ((messages: number) => void) | null;

  constructor(sab: SharedArrayBuffer, onDropped: ((messages: number) => void) | null = null) {
    const cap = capacityOf(sab);
    this.mask = cap - 1;
    this.ctl = new Int32Array(sab, 0, RING_HEADER_BYTES / 4);
    this.u8 = new Uint8Array(sab, RING_HEADER_BYTES, cap);
    this.u32 = new Uint32Array(sab, RING_HEADER_BYTES, cap / 4);
    this.i32 = new Int32Array(sab, RING_HEADER_BYTES, cap / 4);
    this.r = Atomics.load(this.ctl, READ_INDEX);
    const mid = Atomics.load(this.ctl, MID_MESSAGE_INDEX);
    this.skipping = mid !== 0;
    this.skipCount = mid > 1 ? mid - 1 : 0;
    this.onDropped = onDropped;
  }

  /**
   * True when the producer has published frames we have not read. Reads the
   * word where the next frame will start, too (its value unused, kept in a
   * field so the read stays): a thread spinning on the producer's counter
   * then keeps the next frame's line coming as well, and when a frame comes
   * its bytes arrive with the counter instead of one line transfer after it.
   * Cross-shard ping-pong p50, twenty-two alternating pairs: 0.944 and 0.968
   * of it without (slow state of the box; no change in its fast state).
   */
  hasData(): boolean {
    this.touched = this.i32[(this.r & this.mask) >>> 2]!;
    return Atomics.load(this.ctl, WRITE_INDEX) !== this.r;
  }

  /**
   * Reads every published frame. Each complete message is copied into local
   * (non-shared) memory first, because decoding straight out of a
   * SharedArrayBuffer view is about 40% slower, and then passed to `onMessage`
   * with its tag (0: none); the view is only valid during that call. A raw
   * frame in one piece (RAW_TAG: span rows, which the main thread copies into
   * a row slab as they are) is passed as a view of the ring itself, its bytes
   * freed after the call: one copy of them instead of two. Returns the number
   * of messages.
   */
  read(onMessage: (bytes: Uint8Array, tag: number) => void, max = Infinity): number {
    // Acquire: frames up to `w` are fully written (see RingWriter.publish).
    const w = Atomics.load(this.ctl, WRITE_INDEX);
    let n = 0;
    while (this.r !== w && n < max) {
      const pos = this.r & this.mask;
      const header = this.u32[pos >>> 2]!;
      if (header === PAD) {
        this.r = (this.r + (this.mask + 1 - pos)) | 0;
        continue;
      }
      if (header === RESET) {
        this.partial = null;
        this.partialLen = 0;
        if (this.skipping || Atomics.load(this.ctl, MID_MESSAGE_INDEX) !== 0) this.endSkip(false);
        this.r = (this.r + 4) | 0;
        continue;
      }
      const more = (header & MORE_FLAG) !== 0;
      const tagged = (header & SIDE_FLAG) !== 0;
      const len = (header & ~(MORE_FLAG | SIDE_FLAG | COUNT_FLAG)) >>> 0;
      const tag = tagged ? this.u32[(pos >>> 2) + 1]! : 0;
      // The words between header and payload: a tag, a count (only on the first frame of a message that continues).
      const extra = (header & (SIDE_FLAG | COUNT_FLAG)) === 0 ? 0 : (tagged ? 4 : 0) + ((header & COUNT_FLAG) !== 0 ? 4 : 0);
      const start = pos + 4 + extra;
      // A frame's size counts those words.
      const size = len + extra;
      if (this.skipping) {
        // The rest of a message whose start an earlier reader freed: not a message on its own.
        this.release(size);
        if (!more) this.endSkip(true);
        continue;
      }
      if (more || this.partial !== null) {
        if (this.partial === null) {
          this.partialTag = tag;
          // Before its bytes are freed: a reader that comes after this one must know it starts mid-message,
          // and how many messages went with us if we die before its end.
          const count = (header & COUNT_FLAG) !== 0 ? this.u32[(start >>> 2) - 1]! : 0;
          Atomics.store(this.ctl, MID_MESSAGE_INDEX, 1 + count);
        }
        this.append(start, len);
        if (!more) {
          const whole = this.partial!.subarray(0, this.partialLen);
          const wholeTag = this.partialTag;
          this.partial = null;
          this.partialLen = 0;
          Atomics.store(this.ctl, MID_MESSAGE_INDEX, 0);
          this.release(size);
          onMessage(whole, wholeTag);
          // A rare huge message does not pin its buffer for good.
          if (this.assembly.length > KEEP_ASSEMBLY) this.assembly = new Uint8Array(0);
          n++;
          continue;
        }
        this.release(size);
        continue;
      }
      if (tag === RAW_TAG) {
        try {
          onMessage(this.u8.subarray(start, start + len), tag);
        } finally {
          this.release(size);
        }
        n++;
        continue;
      }
      if (this.scratch.length < len) this.grow(len);
      if (len <= VIEWS_UP_TO) {
        // Word by word (frames start 4-aligned and are padded to 4): no view of the ring made.
        const from = start >>> 2;
        const to = this.scratch32;
        for (let k = 0, words = (len + 3) >>> 2; k < words; k++) to[k] = this.i32[from + k]!;
      } else {
        this.scratch.set(this.u8.subarray(start, start + len), 0);
      }
      // Free the bytes before decoding: the producer can refill while we work.
      this.release(size);
      onMessage(len <= VIEWS_UP_TO ? (this.views[len] ??= this.scratch.subarray(0, len)) : this.scratch.subarray(0, len), tag);
      n++;
    }
    return n;
  }

  private grow(len: number): void {
    // (A whole number of words, for scratch32.)
    this.scratch = new Uint8Array(Math.max((len + 3) & ~3, this.scratch.length * 2));
    this.scratch32 = new Int32Array(this.scratch.buffer);
    this.views = [];
  }

  private release(len: number): void {
    this.r = (this.r + 4 + ((len + 3) & ~3)) | 0;
    // seq_cst store: our copies of these bytes are done before the producer may overwrite them.
    Atomics.store(this.ctl, READ_INDEX, this.r);
  }

  /** The message being skipped ended (`lost`: its last frame was read; false: the producer restarted, and counts what it had not finished). */
  private endSkip(lost: boolean): void {
    const count = this.skipCount;
    this.skipping = false;
    this.skipCount = 0;
    Atomics.store(this.ctl, MID_MESSAGE_INDEX, 0);
    if (lost && count > 0 && this.onDropped !== null) this.onDropped(count);
  }

  /** True (once) if the producer is blocked on a full ring: the caller should wake it. */
  takeNeedSpace(): boolean {
    if (Atomics.load(this.ctl, NEED_SPACE_INDEX) === 0) return false;
    Atomics.store(this.ctl, NEED_SPACE_INDEX, 0);
    return true;
  }

  private append(start: number, len: number): void {
    if (this.partial === null) this.partial = this.assembly;
    if (this.partial.length < this.partialLen + len) {
      const grown = new Uint8Array(Math.max(this.partial.length * 2, this.partialLen + len, 1024));
      grown.set(this.partial.subarray(0, this.partialLen), 0);
      this.partial = grown;
      this.assembly = grown;
    }
    this.partial.set(this.u8.subarray(start, start + len), this.partialLen);
    this.partialLen += len;
  }
}
