// Per-thread timers: a binary min-heap on (deadline, sequence) driven by a single Node timer.

import { performance } from 'node:perf_hooks';

/** The longest delay `setTimeout` takes as given (2^31 - 1 ms, about 24.8 days). */
export const MAX_DELAY = 2 ** 31 - 1;

interface Entry {
  id: number;
  deadline: number;
  seq: number;
  fire: () => void;
  /** Whoever the caller says the timer belongs to (see `ownerOf`); null: nobody. */
  owner: unknown;
  /** Index in the heap array; -1 once fired or cancelled. */
  index: number;
}

/**
 * Timers fire in deadline order, and timers with equal deadlines in the order
 * they were created. One `setTimeout` is armed for the earliest deadline; it
 * is unref'd, so pending timers never keep a finished process alive.
 */
export class TimerHeap {
  private readonly heap: Entry[] = [];
  private readonly byId = new Map<number, Entry>();
  private seq = 0;
  private handle: NodeJS.Timeout | null = null;
  private armedFor = Infinity;
  private readonly onFired: () => void;

  /** `onFired` runs after each batch of due timers (the scheduler kicks itself there). */
  constructor(onFired: () => void) {
    this.onFired = onFired;
  }

  /** Number of pending timers. */
  get size(): number {
    return this.heap.length;
  }

  /** Schedules `fire` after `delayMs`; `id` is the caller's reference, `owner` whoever it belongs to (see `ownerOf`). */
  add(id: number, delayMs: number, fire: () => void, owner: unknown = null): void {
    const e: Entry = { id, deadline: performance.now() + delayMs, seq: this.seq++, fire, owner, index: this.heap.length };
    this.heap.push(e);
    this.up(e.index);
    this.byId.set(id, e);
    this.arm();
  }

  /** Cancels timer `id`; true only if it had not fired yet. */
  cancel(id: number): boolean {
    const e = this.byId.get(id);
    if (e === undefined) return false;
    this.byId.delete(id);
    this.removeAt(e.index);
    this.arm();
    return true;
  }

  /** The owner timer `id` was added with, while it is pending (null: none, or not pending). */
  ownerOf(id: number): unknown {
    return this.byId.get(id)?.owner ?? null;
  }

  /** Cancels everything (shutdown). */
  clear(): void {
    this.heap.length = 0;
    this.byId.clear();
    if (this.handle !== null) clearTimeout(this.handle);
    this.handle = null;
    this.armedFor = Infinity;
  }

  private run = (): void => {
    this.handle = null;
    this.armedFor = Infinity;
    const now = performance.now();
    let fired = 0;
    while (this.heap.length > 0 && this.heap[0]!.deadline <= now) {
      const e = this.heap[0]!;
      this.removeAt(0);
      this.byId.delete(e.id);
      fired++;
      e.fire();
    }
    this.arm();
    if (fired > 0) this.onFired();
  };

  private arm(): void {
    const top = this.heap[0];
    if (top === undefined) {
      if (this.handle !== null) clearTimeout(this.handle);
      this.handle = null;
      this.armedFor = Infinity;
      return;
    }
    if (this.handle !== null && this.armedFor <= top.deadline) return;
    if (this.handle !== null) clearTimeout(this.handle);
    // Node timers have millisecond resolution and never fire early by their own
    // clock; rounding up keeps "fires after at least its delay" true for ours.
    const now = performance.now();
    const delay = Math.max(0, Math.ceil(top.deadline - now));
    // Node takes a delay past MAX_DELAY as 1 ms (with a warning each time): a farther deadline gets
    // MAX_DELAY, and `run`, finding nothing due, arms again for the rest.
    const armed = Math.min(delay, MAX_DELAY);
    this.handle = setTimeout(this.run, armed);
    this.handle.unref();
    this.armedFor = armed === delay ? top.deadline : now + armed;
  }

  private less(a: Entry, b: Entry): boolean {
    return a.deadline < b.deadline || (a.deadline === b.deadline && a.seq < b.seq);
  }

  private removeAt(i: number): void {
    const last = this.heap.pop()!;
    const removed = this.heap[i];
    if (removed !== undefined) removed.index = -1;
    if (i < this.heap.length) {
      this.heap[i] = last;
      last.index = i;
      this.up(i);
      this.down(last.index);
    } else {
      last.index = -1;
    }
  }

  private up(i: number): void {
    const h = this.heap;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.less(h[i]!, h[p]!)) break;
      this.swap(i, p);
      i = p;
    }
  }

  private down(i: number): void {
    const h = this.heap;
    for (;;) {
      const l = i * 2 + 1;
      const r = l + 1;
      let m = i;
      if (l < h.length && this.less(h[l]!, h[m]!)) m = l;
      if (r < h.length && this.less(h[r]!, h[m]!)) m = r;
      if (m === i) return;
      this.swap(i, m);
      i = m;
    }
  }

  private swap(a: number, b: number): void {
    const h = this.heap;
    const x = h[a]!;
    h[a] = h[b]!;
    h[b] = x;
    h[a]!.index = a;
    h[b]!.index = b;
  }
}
