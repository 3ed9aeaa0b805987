// The name registry: an open-addressing hash table in shared memory, so every thread registers and looks up synchronously.

import { InvalidArgumentError, NameTakenError, RegistryFullError } from '../errors.js';
import { Pid } from '../actor/pid.js';

/*
 * Layout (one SharedArrayBuffer for the system):
 *
 *   header, 64 bytes:  i32 LOCK (0 = free, else owner thread + 1), i32 LIVE
 *   slots, SLOT_BYTES each:
 *     +0  i32 STATE     EMPTY | LIVE | TOMBSTONE | UNNOTED (live, see below)
 *     +4  i32 VERSION   seqlock: odd while a writer is changing the slot
 *     +8  i32 HASH      FNV-1a of the name's UTF-8 bytes
 *     +12 i32 NAME_LEN
 *     +16 i32 PID_NODE
 *     +20 i32 PID_SHARD
 *     +24 f64 PID_SERIAL
 *     +32 name bytes (up to MAX_NAME_BYTES)
 *   unnoted counts, i32 per thread: UNNOTED slots whose holder is that thread's
 *
 * Writers (register/unregister) take LOCK; it is held for a few hundred
 * nanoseconds. Readers never lock: they read VERSION, the fields, VERSION
 * again, and retry if it changed or was odd.
 *
 * A name registered from another thread than its holder's is UNNOTED until
 * the holder's thread has put it on the holder's list of names (the ones it
 * frees at exit; OP_NAME_ADDED carries it there, after the registering
 * turn). A holder that exits first would leave it behind, pointing at a dead
 * process after its monitors had their DOWN: an exit frees its own UNNOTED
 * names too (`freeUnnoted`), which costs one read of its thread's count of
 * them while there are none (a name stuck unnoted on one thread, whose notice
 * was lost or is late, slows no other thread's exits). A name registered just
 * after its holder's exit read that count is freed when the notice arrives.
 */
const LOCK = 0;
const LIVE_COUNT = 1;
const HEADER_BYTES = 64;
const SLOT_BYTES = 128;
const STATE = 0;
const VERSION = 1;
const HASH = 2;
const NAME_LEN = 3;
const PID_NODE = 4;
const PID_SHARD = 5;
const PID_SERIAL_F64 = 3; // f64 index within the slot (byte 24)
const NAME_OFFSET = 32;
/** Longest name, in UTF-8 bytes. */
export const MAX_NAME_BYTES = SLOT_BYTES - NAME_OFFSET;

const EMPTY = 0;
const LIVE = 1;
const TOMBSTONE = 2;
/** Live (bit 0 set, as LIVE), and not on its holder's list of names yet. */
const UNNOTED = 3;

/** Bytes needed for a table of `maxNames` names shared by `threads` threads. */
export function nameTableBytes(maxNames: number, threads: number): number {
  return HEADER_BYTES + slotCount(maxNames) * SLOT_BYTES + Math.ceil(threads / 2) * 8; // (whole f64s: the slots are read as f64 too)
}

function slotCount(maxNames: number): number {
  let n = 16;
  while (n < maxNames * 2) n *= 2;
  return n;
}

const encoder = new TextEncoder();

/** String.prototype.isWellFormed (Node 20; in TypeScript's lib from ES2024). */
type WellFormed = string & { isWellFormed(): boolean };

/**
 * What is wrong with `name` as a registered name (null: nothing): empty, a lone
 * surrogate (it has no UTF-8 form), or more than MAX_NAME_BYTES of UTF-8.
 * For checks made before the table is reached (a spawn's `name` option).
 */
export function nameProblem(name: string): string | null {
  if (name.length === 0) return 'a registered name must be a non-empty string, got ""';
  if (!(name as WellFormed).isWellFormed()) return `the name ${JSON.stringify(name.slice(0, 40))} holds a lone surrogate (it has no UTF-8 form)`;
  const bytes = encoder.encode(name).length;
  return bytes > MAX_NAME_BYTES ? `the name "${name.slice(0, 40)}..." is ${bytes} bytes of UTF-8, more than ${MAX_NAME_BYTES}` : null;
}
const decoder = new TextDecoder();

interface Cached {
  slot: number;
  version: number;
  pid: Pid;
}

/** One thread's handle on the shared name table. */
export class NameTable {
  private readonly i32: Int32Array;
  private readonly f64: Float64Array;
  private readonly u8: Uint8Array;
  private readonly slots: number;
  private readonly mask: number;
  private readonly maxNames: number;
  private readonly owner: number;
  /** i32 index of thread 0's count of UNNOTED names; the threads' follow. */
  private readonly unnotedAt: number;
  private readonly threads: number;
  private readonly key = new Uint8Array(MAX_NAME_BYTES);
  private readonly cache = new Map<string, Cached>();

  constructor(sab: SharedArrayBuffer, maxNames: number, thread: number) {
    this.slots = slotCount(maxNames);
    this.mask = this.slots - 1;
    this.maxNames = maxNames;
    this.owner = thread + 1;
    this.unnotedAt = (HEADER_BYTES + this.slots * SLOT_BYTES) >> 2;
    this.threads = (sab.byteLength >> 2) - this.unnotedAt;
    this.i32 = new Int32Array(sab);
    this.f64 = new Float64Array(sab);
    this.u8 = new Uint8Array(sab);
  }

  /**
   * Registers `name` for `pid`; throws if taken. `unnoted`: the caller is not
   * `pid`'s thread, which notes the name later (see `noted`); `pid` is then
   * one of this node's, its `shard` the thread it lives on.
   */
  register(name: string, pid: Pid, unnoted = false): void {
    if (unnoted && (pid.shard < 0 || pid.shard >= this.threads)) throw new Error(`joerl internal error: an unnoted name for ${pid}, not on one of ${this.threads} threads`);
    const len = this.encode(name);
    const hash = fnv(this.key, len);
    this.lock();
    try {
      let firstFree = -1;
      for (let i = 0, s = hash & this.mask; i < this.slots; i++, s = (s + 1) & this.mask) {
        const base = this.base(s);
        const state = this.i32[base + STATE];
        if (state === EMPTY) {
          if (firstFree < 0) firstFree = s;
          break;
        }
        if (state === TOMBSTONE) {
          if (firstFree < 0) firstFree = s;
          continue;
        }
        if (this.i32[base + HASH] === hash && this.sameName(base, len)) {
          throw new NameTakenError(name, this.pidAt(s).toString());
        }
      }
      if (firstFree < 0 || this.i32[LIVE_COUNT]! >= this.maxNames) throw new RegistryFullError(this.maxNames);
      const base = this.base(firstFree);
      // Seqlock write: odd version while the fields change.
      Atomics.add(this.i32, base + VERSION, 1);
      this.i32[base + HASH] = hash;
      this.i32[base + NAME_LEN] = len;
      this.i32[base + PID_NODE] = pid.node;
      this.i32[base + PID_SHARD] = pid.shard;
      this.f64[(base >> 1) + PID_SERIAL_F64] = pid.serial;
      this.u8.set(this.key.subarray(0, len), base * 4 + NAME_OFFSET);
      // Counted before the slot says so, uncounted after (clearSlot, noted): a
      // count of 0, read without the lock, means no slot is UNNOTED.
      if (unnoted) Atomics.add(this.i32, this.unnotedAt + pid.shard, 1);
      Atomics.store(this.i32, base + STATE, unnoted ? UNNOTED : LIVE);
      Atomics.add(this.i32, base + VERSION, 1);
      this.i32[LIVE_COUNT]!++;
    } finally {
      this.unlock();
    }
  }

  /**
   * Removes `name`. With `pid`, only if the name still belongs to that pid
   * (an exiting process must not free a name someone re-registered).
   * Returns true if a name was removed.
   */
  unregister(name: string, pid?: Pid): boolean {
    const len = this.encode(name);
    const hash = fnv(this.key, len);
    this.lock();
    try {
      const s = this.find(hash, len);
      if (s < 0) return false;
      if (pid !== undefined && !this.pidAt(s).equals(pid)) return false;
      this.clearSlot(s);
      return true;
    } finally {
      this.unlock();
    }
  }

  /**
   * `pid`'s thread has put `name` on its list of names: it is freed with it
   * from now on. False when the name is no longer `pid`'s (freed, or
   * registered to another process since).
   */
  noted(name: string, pid: Pid): boolean {
    const len = this.encode(name);
    const hash = fnv(this.key, len);
    this.lock();
    try {
      const s = this.find(hash, len);
      if (s < 0 || !this.pidAt(s).equals(pid)) return false;
      const base = this.base(s);
      if (this.i32[base + STATE] === UNNOTED) {
        // Live either way: a reader's result, and its cached version, stay good.
        Atomics.store(this.i32, base + STATE, LIVE);
        Atomics.sub(this.i32, this.unnotedAt + this.i32[base + PID_SHARD]!, 1);
      }
      return true;
    } finally {
      this.unlock();
    }
  }

  /**
   * Frees the names registered for `pid` that its thread has not noted (see
   * `noted`): for its exit, beside the names on its list. One read while no
   * name held on its thread is unnoted; a scan of the table otherwise.
   */
  freeUnnoted(pid: Pid): string[] {
    if (pid.shard < 0 || pid.shard >= this.threads || Atomics.load(this.i32, this.unnotedAt + pid.shard) === 0) return [];
    const freed: string[] = [];
    this.lock();
    try {
      for (let s = 0; s < this.slots; s++) {
        const base = this.base(s);
        if (this.i32[base + STATE] !== UNNOTED || !this.pidAt(s).equals(pid)) continue;
        freed.push(this.nameAt(base));
        this.clearSlot(s);
      }
    } finally {
      this.unlock();
    }
    return freed;
  }

  /** The pid registered as `name`, or undefined. Lock-free. */
  whereis(name: string): Pid | undefined {
    const hit = this.cache.get(name);
    if (hit !== undefined) {
      const base = this.base(hit.slot);
      if (Atomics.load(this.i32, base + VERSION) === hit.version && (Atomics.load(this.i32, base + STATE) & LIVE) !== 0) return hit.pid;
      this.cache.delete(name);
    }
    const len = this.encode(name);
    const hash = fnv(this.key, len);
    for (let attempt = 0; attempt < 100; attempt++) {
      const r = this.readOnce(hash, len);
      if (r === RETRY) continue;
      if (r === undefined) return undefined;
      if (this.cache.size > 4096) this.cache.clear();
      this.cache.set(name, r);
      return r.pid;
    }
    // A writer kept the slot busy; fall back to reading under the lock.
    this.lock();
    try {
      const s = this.find(hash, len);
      return s < 0 ? undefined : this.pidAt(s);
    } finally {
      this.unlock();
    }
  }

  /** Every registered name and its pid (a snapshot). */
  entries(): Array<[string, Pid]> {
    const out: Array<[string, Pid]> = [];
    this.lock();
    try {
      for (let s = 0; s < this.slots; s++) {
        const base = this.base(s);
        if ((this.i32[base + STATE]! & LIVE) === 0) continue;
        out.push([this.nameAt(base), this.pidAt(s)]);
      }
    } finally {
      this.unlock();
    }
    return out;
  }

  /** Removes every name held by a process on `shard` (that shard died). */
  removeShard(shard: number): number {
    let n = 0;
    this.lock();
    try {
      for (let s = 0; s < this.slots; s++) {
        const base = this.base(s);
        if ((this.i32[base + STATE]! & LIVE) !== 0 && this.i32[base + PID_SHARD] === shard) {
          this.clearSlot(s);
          n++;
        }
      }
    } finally {
      this.unlock();
    }
    return n;
  }

  /**
   * Called on the main thread when shard `thread` died: if it died holding the
   * lock, repair any half-written slot and release the lock.
   */
  recoverLock(thread: number): void {
    if (Atomics.load(this.i32, LOCK) !== thread + 1) return;
    // The counts too are counted again: the writer may have died between a slot's change and its count's.
    let live = 0;
    const unnoted = new Int32Array(this.threads);
    for (let s = 0; s < this.slots; s++) {
      const base = this.base(s);
      if ((this.i32[base + VERSION]! & 1) === 1) {
        this.i32[base + STATE] = TOMBSTONE;
        Atomics.add(this.i32, base + VERSION, 1);
      }
      const state = this.i32[base + STATE]!;
      if ((state & LIVE) !== 0) live++;
      if (state === UNNOTED) unnoted[this.i32[base + PID_SHARD]!]!++;
    }
    this.i32[LIVE_COUNT] = live;
    for (let t = 0; t < this.threads; t++) Atomics.store(this.i32, this.unnotedAt + t, unnoted[t]!);
    Atomics.compareExchange(this.i32, LOCK, thread + 1, 0);
    Atomics.notify(this.i32, LOCK);
  }

  private readOnce(hash: number, len: number): Cached | undefined | typeof RETRY {
    for (let i = 0, s = hash & this.mask; i < this.slots; i++, s = (s + 1) & this.mask) {
      const base = this.base(s);
      const v1 = Atomics.load(this.i32, base + VERSION);
      if ((v1 & 1) === 1) return RETRY;
      const state = Atomics.load(this.i32, base + STATE);
      if (state === EMPTY) return undefined;
      if (state === TOMBSTONE) continue;
      if (this.i32[base + HASH] !== hash || !this.sameName(base, len)) continue;
      const pid = this.pidAt(s);
      if (Atomics.load(this.i32, base + VERSION) !== v1) return RETRY;
      return { slot: s, version: v1, pid };
    }
    return undefined;
  }

  private find(hash: number, len: number): number {
    for (let i = 0, s = hash & this.mask; i < this.slots; i++, s = (s + 1) & this.mask) {
      const base = this.base(s);
      const state = this.i32[base + STATE];
      if (state === EMPTY) return -1;
      if ((state! & LIVE) !== 0 && this.i32[base + HASH] === hash && this.sameName(base, len)) return s;
    }
    return -1;
  }

  private clearSlot(s: number): void {
    const base = this.base(s);
    const unnoted = this.i32[base + STATE] === UNNOTED;
    Atomics.add(this.i32, base + VERSION, 1);
    // If the next slot is empty no probe sequence runs through this one, so
    // it can become empty instead of a tombstone (keeps probes short).
    const next = this.base((s + 1) & this.mask);
    Atomics.store(this.i32, base + STATE, this.i32[next + STATE] === EMPTY ? EMPTY : TOMBSTONE);
    Atomics.add(this.i32, base + VERSION, 1);
    this.i32[LIVE_COUNT]!--;
    if (unnoted) Atomics.sub(this.i32, this.unnotedAt + this.i32[base + PID_SHARD]!, 1);
  }

  private pidAt(s: number): Pid {
    const base = this.base(s);
    return new Pid(this.i32[base + PID_NODE]!, this.i32[base + PID_SHARD]!, this.f64[(base >> 1) + PID_SERIAL_F64]!);
  }

  private nameAt(base: number): string {
    const off = base * 4 + NAME_OFFSET;
    return decoder.decode(this.u8.slice(off, off + this.i32[base + NAME_LEN]!));
  }

  private sameName(base: number, len: number): boolean {
    if (this.i32[base + NAME_LEN] !== len) return false;
    const off = base * 4 + NAME_OFFSET;
    for (let i = 0; i < len; i++) if (this.u8[off + i] !== this.key[i]) return false;
    return true;
  }

  private base(slot: number): number {
    return (HEADER_BYTES + slot * SLOT_BYTES) >> 2;
  }

  private encode(name: string): number {
    if (typeof name !== 'string') throw new InvalidArgumentError(`a registered name must be a non-empty string, got ${typeof name}`);
    if (name.length === 0) throw new InvalidArgumentError(nameProblem(name)!);
    // (UTF-8 has no lone surrogate: encoded as U+FFFD, 'a\uD800' and 'a\uDFFF' would be one name.)
    if (!(name as WellFormed).isWellFormed()) throw new InvalidArgumentError(nameProblem(name)!);
    const { read, written } = encoder.encodeInto(name, this.key);
    if (read !== name.length) throw new InvalidArgumentError(nameProblem(name)!);
    return written;
  }

  private lock(): void {
    for (let spins = 0; ; spins++) {
      // Acquire: compareExchange is seq_cst, so the holder's slot writes are visible once we own the lock.
      if (Atomics.compareExchange(this.i32, LOCK, 0, this.owner) === 0) return;
      if (spins > 200) Atomics.wait(this.i32, LOCK, Atomics.load(this.i32, LOCK), 1);
    }
  }

  private unlock(): void {
    Atomics.store(this.i32, LOCK, 0);
    Atomics.notify(this.i32, LOCK, 1);
  }
}

const RETRY = Symbol('retry');

function fnv(bytes: Uint8Array, len: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < len; i++) {
    h ^= bytes[i]!;
    h = Math.imul(h, 0x01000193);
  }
  return h | 0;
}
