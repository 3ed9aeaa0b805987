// A thread's processes by serial: an open-addressing table, since every in-shard send looks one up.

import type { Proc } from '../actor/proc.js';

/** A slot never used since the last rebuild: a lookup stops here. */
const EMPTY = -1;
/** A slot whose process left: a lookup goes on past it, an insert may reuse it. */
const GONE = -2;
const MIN_SLOTS = 64;

/**
 * The processes of one thread, keyed by serial (`Map<number, Proc>`'s
 * `get`, `set`, `delete` and `size`). A thread's serials come from its own
 * counter, one after another, so `serial & mask` spreads them with hardly a
 * collision, and a lookup is a compare or two (linear probing over a
 * Float64Array of keys: no hashing, no chain, no boxed number for a serial
 * past 2^30). With a `Map`, `FindOrderedHashMapEntry` (one lookup per send)
 * was ~15% of Savina's Big on the shard's thread, and `Map` set, delete,
 * lookups and rehashes ~13% of Fork-join create's, where thousands of
 * processes come and go per run (perf, telemetry off). Here a deleted slot
 * is marked GONE and reused; the table is rebuilt only when used slots pass
 * half of it (twice as big when the live processes alone fill a quarter),
 * or shrunk when they drop under a sixteenth.
 *
 * Iteration (rare: introspection, shutdown, a peer going down) walks the
 * slots; `ordered` gives serial order, the order the thread handed the pids
 * out in, for whatever needs "newest first".
 */
export class ProcTable {
  private keys: Float64Array;
  private vals: (Proc | undefined)[];
  private mask: number;
  /** Live processes. */
  size = 0;
  /** Slots not EMPTY: live ones and GONE ones. */
  private used = 0;

  constructor(slots = MIN_SLOTS) {
    this.keys = new Float64Array(slots).fill(EMPTY);
    this.vals = new Array<Proc | undefined>(slots).fill(undefined);
    this.mask = slots - 1;
  }

  /**
   * Small enough to inline into a send without crowding out what the send
   * inlines besides (TurboFan's budget is in bytecode): the first slot here,
   * the probe past it (rare) out of line. With the probe loop inline, Big's
   * observed send no longer inlined `enqueue` (a call per message).
   */
  get(serial: number): Proc | undefined {
    const i = serial & this.mask;
    return this.keys[i] === serial ? this.vals[i] : this.probe(serial, i);
  }

  private probe(serial: number, i: number): Proc | undefined {
    const at = this.slotOf(serial, i);
    return at < 0 ? undefined : this.vals[at];
  }

  /** The slot holding `serial`, looked for from slot `i` on; -1 if it is not there. */
  private slotOf(serial: number, i: number): number {
    const keys = this.keys;
    const mask = this.mask;
    for (;;) {
      const k = keys[i]!;
      if (k === serial) return i;
      if (k === EMPTY) return -1;
      i = (i + 1) & mask;
    }
  }

  set(serial: number, p: Proc): this {
    const keys = this.keys;
    const mask = this.mask;
    let i = serial & mask;
    let free = -1;
    for (;;) {
      const k = keys[i]!;
      if (k === serial) {
        this.vals[i] = p;
        return this;
      }
      if (k === EMPTY) break;
      if (k === GONE && free < 0) free = i;
      i = (i + 1) & mask;
    }
    if (free < 0) {
      free = i;
      this.used++;
    }
    keys[free] = serial;
    this.vals[free] = p;
    this.size++;
    if (this.used * 2 > keys.length) this.rebuild(this.size * 4 > keys.length ? keys.length * 2 : keys.length);
    return this;
  }

  delete(serial: number): boolean {
    const i = this.slotOf(serial, serial & this.mask);
    if (i < 0) return false;
    const keys = this.keys;
    keys[i] = GONE;
    this.vals[i] = undefined;
    this.size--;
    if (keys.length > MIN_SLOTS && this.size * 16 < keys.length) this.rebuild(keys.length >> 2);
    return true;
  }

  /** The live processes, in no particular order. */
  values(): Proc[] {
    const out: Proc[] = [];
    const vals = this.vals;
    for (let i = 0; i < vals.length; i++) {
      const p = vals[i];
      if (p !== undefined) out.push(p);
    }
    return out;
  }

  /** The live processes by serial, oldest first. */
  ordered(): Proc[] {
    return this.values().sort((a, b) => a.pid.serial - b.pid.serial);
  }

  private rebuild(slots: number): void {
    const keys = this.keys;
    const vals = this.vals;
    this.keys = new Float64Array(Math.max(MIN_SLOTS, slots)).fill(EMPTY);
    this.vals = new Array<Proc | undefined>(this.keys.length).fill(undefined);
    this.mask = this.keys.length - 1;
    this.size = 0;
    this.used = 0;
    for (let i = 0; i < keys.length; i++) {
      const k = keys[i]!;
      if (k >= 0) this.set(k, vals[i]!);
    }
  }
}
