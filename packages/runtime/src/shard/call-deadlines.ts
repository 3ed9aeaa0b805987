// Call timeouts: one timer per distinct timeout value, not one timer (and a setTimeout) per call.

import { performance } from 'node:perf_hooks';
import type { PendingCall, Proc } from '../actor/proc.js';
import type { ShardState } from './shard-state.js';

/**
 * The calls waiting with one timeout value, oldest first: their deadlines
 * come in the order they were made, so the head is always the first to
 * expire, and one timer armed for the head serves the lot. A call that ends
 * is only marked; ended calls are dropped from the head as they reach it
 * (sequential calls keep the queue at one entry).
 *
 *   items: [proc, ref, call,  proc, ref, call,  ...]   from `head`
 */
class Queue {
  /** Entries in [head, tail); the array is reused, never shrunk (no reallocation per call). */
  readonly items: unknown[] = [];
  head = 0;
  tail = 0;
  armed = false;
  /** The deadline the armed timer is for (performance.now() ms). */
  armedFor = Infinity;
  readonly timerId: number;
  readonly fire: () => void;

  constructor(timerId: number, fire: (q: Queue) => void) {
    this.timerId = timerId;
    this.fire = () => fire(this);
  }

  /** Drops ended calls from the head; an empty queue starts over at 0. */
  trim(): void {
    const items = this.items;
    while (this.head < this.tail && (items[this.head + 2] as PendingCall).ended) {
      items[this.head] = items[this.head + 2] = undefined;
      this.head += 3;
    }
    if (this.head === this.tail) {
      this.head = this.tail = 0;
    } else if (this.head > 3 * 1024 && this.head * 2 > this.tail) {
      items.copyWithin(0, this.head, this.tail);
      this.tail -= this.head;
      this.head = 0;
    }
  }

  /**
   * Queues `pc` in deadline order. Calls join in the order they were made,
   * except one whose server answered at once (Calls.call) when it did not
   * answer after all: it joins after its server's turn, and a call that turn
   * made with the same timeout is then ahead of it with a later deadline. It
   * goes before such entries (found from the tail: rare, and few).
   */
  push(p: Proc, ref: number, pc: PendingCall): void {
    const items = this.items;
    let t = this.tail;
    while (t > this.head && (items[t - 1] as PendingCall).deadline > pc.deadline) {
      items[t] = items[t - 3];
      items[t + 1] = items[t - 2];
      items[t + 2] = items[t - 1];
      t -= 3;
    }
    items[t] = p;
    items[t + 1] = ref;
    items[t + 2] = pc;
    this.tail += 3;
  }
}

/** Distinct timeout values kept before empty queues are swept (see CallDeadlines.sweep). */
const SWEEP_AT = 64;

export class CallDeadlines {
  private readonly s: ShardState;
  private readonly queues = new Map<number, Queue>();
  /**
   * The queue last used, and its timeout: most calls of a thread use one
   * timeout (the default), and a call looks its queue up twice (add, ended).
   * Empty queues are dropped only when many have piled up (see sweep), and
   * this one with them (then forgotten here).
   */
  private lastMs = NaN;
  private lastQueue: Queue | undefined = undefined;
  /** Queues in the map past which empty ones are dropped (doubles while most are in use). */
  private sweepAt = SWEEP_AT;
  private readonly expire: (p: Proc, ref: number, pc: PendingCall) => void;

  /** `expire` fails a call whose deadline passed (it is still in p.calls under `ref` if it has not ended). */
  constructor(state: ShardState, expire: (p: Proc, ref: number, pc: PendingCall) => void) {
    this.s = state;
    this.expire = expire;
  }

  /**
   * Call `ref` of `p` fails with a timeout at `pc.deadline` (set by the
   * caller from the clock it read for the call: performance.now() ms) unless
   * it ends first; `pc.timeoutMs` says which queue it joins.
   */
  add(p: Proc, ref: number, pc: PendingCall): void {
    const timeoutMs = pc.timeoutMs;
    let q = timeoutMs === this.lastMs ? this.lastQueue : this.queues.get(timeoutMs);
    if (q === undefined) {
      if (this.queues.size >= this.sweepAt) this.sweep();
      this.queues.set(timeoutMs, (q = new Queue(this.s.newRef(), (x) => this.fire(x))));
    }
    this.lastMs = timeoutMs;
    this.lastQueue = q;
    q.push(p, ref, pc);
    // Armed for the call's deadline, not its timeout from now: a call that joined after its server's
    // turn is that turn older than its clock. The timer of a queue (empty or not) armed for a later
    // deadline than such a call's is set again.
    if (!q.armed) this.arm(q, pc.deadline);
    else if (pc.deadline < q.armedFor) {
      this.s.timers.cancel(q.timerId);
      this.arm(q, pc.deadline);
    }
  }

  /** `pc` ended (answered, failed, or its caller exited): nothing to time out. */
  ended(pc: PendingCall): void {
    pc.ended = true;
    const q = pc.timeoutMs === this.lastMs ? this.lastQueue : this.queues.get(pc.timeoutMs);
    if (q !== undefined && q.items[q.head + 2] === pc) q.trim();
  }

  /**
   * Drops the queues that hold no call and wait on no timer: timeouts that
   * vary call by call (a deadline passed down, `deadline - now`) would
   * otherwise leave one queue per call for good. Amortised: the threshold
   * doubles while most queues are in use.
   */
  private sweep(): void {
    for (const [ms, q] of this.queues) {
      if (q.head !== q.tail || q.armed) continue;
      this.queues.delete(ms);
      if (q === this.lastQueue) {
        this.lastQueue = undefined;
        this.lastMs = NaN;
      }
    }
    this.sweepAt = Math.max(SWEEP_AT, 2 * this.queues.size);
  }

  /** Sets `q`'s timer for `deadline` (performance.now() ms). */
  private arm(q: Queue, deadline: number): void {
    q.armed = true;
    q.armedFor = deadline;
    this.s.timers.add(q.timerId, Math.max(0, deadline - performance.now()), q.fire);
  }

  /** The head's deadline came (or a later one, if the head ended meanwhile): expire what is due, re-arm for the rest. */
  private fire(q: Queue): void {
    q.armed = false;
    const now = performance.now();
    const items = q.items;
    while (q.head < q.tail) {
      const pc = items[q.head + 2] as PendingCall;
      if (!pc.ended) {
        if (pc.deadline > now) {
          this.arm(q, pc.deadline);
          return;
        }
        const p = items[q.head] as Proc;
        const ref = items[q.head + 1] as number;
        // (Cleared as trim clears: a queue keeps no process or call past its expiry.)
        items[q.head] = items[q.head + 2] = undefined;
        q.head += 3;
        this.expire(p, ref, pc);
        continue;
      }
      items[q.head] = items[q.head + 2] = undefined;
      q.head += 3;
    }
    q.trim();
  }
}
