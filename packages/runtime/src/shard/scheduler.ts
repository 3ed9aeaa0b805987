// The thread's run loop: poll rings, run actors with a message budget each, flush, then yield, spin or park.

import { performance } from 'node:perf_hooks';
import type { Proc } from '../actor/proc.js';
import { S_QUEUED } from '../actor/proc.js';
import { settleIdleRings } from '../actor/stamped-ring.js';
import { BUSY, SLICING, THREAD_STRIDE_I32 } from '../ring/control-block.js';
import { parkThread, wakeThread } from '../ring/wait.js';
import { SliceClock } from './slice-clock.js';
import type { Transport } from './transport.js';
import type { TransportInput } from './transport-input.js';

/** Runs up to `budget` messages of one process; returns how many it ran. */
export type TurnRunner = (p: Proc, budget: number) => number;

const RESOLVED = Promise.resolve();
const immediate = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** A slice yields to the event loop after about this long, whatever its message budget. */
const SLICE_MS = 10;
/** Within a slice, rings are flushed and read at least this often (ms). */
const IO_MS = 0.1;
/**
 * A turn of an actor whose handlers are slow lasts about this long (ms):
 * fewer messages than `actorBudget`, so the actors queued behind it (a
 * master feeding other shards, say) get their turn soon. It is what BEAM's
 * reduction count does; handlers cannot be preempted, so one message is the
 * shortest turn.
 */
const TURN_MS = 0.1;
/** Most budgets (actorBudget each) a catch-up turn runs: a long mailbox's turn is a quarter of its backlog up to this. */
const CATCH_UP = 16;
/** Turns `runNow` may run between two slices (a caller's loop of in-shard calls; see runNow). */
const NOW_TURNS = 64;
/** How often, at most, a thread about to park looks for idle grown mailboxes (settleIdleRings). */
const RINGS_SETTLE_MS = 1000;

/**
 * One per thread. A slice drains the inbound rings into mailboxes, then
 * gives queued processes a turn each (at most `actorBudget` messages, the
 * Akka "throughput" knob: batching is the biggest lever), up to
 * `sliceBudget` messages in all, and flushes outbound batches.
 *
 * Between slices the loop yields to the event loop (so timers, control
 * messages and promise continuations run). With nothing to do it spins for
 * `spinMicros` (cross-thread latency: a parked thread takes 15-100 us to
 * wake on this kind of VM) and then parks on its doorbell.
 */
export class Scheduler {
  private queue: (Proc | undefined)[] = new Array(1024);
  private head = 0;
  private count = 0;
  private parked = false;
  /** When the thread last looked for idle grown mailboxes (see settleIdleRings). */
  private ringsSettledAt = 0;
  private stopped = false;
  /** Handlers (and inits) that returned a promise and have not settled: their continuations are microtasks. */
  asyncPending = 0;
  /**
   * Offload jobs this thread asked of the pool and awaits. While there are
   * some the thread parks instead of spinning: their answers come from pool
   * threads that need the core a spin would burn (on a machine with fewer
   * cores than threads, offload throughput fell by a quarter), and a job
   * lasts far longer than a wake-up.
   */
  offloadsPending = 0;
  /**
   * Current spin, in microseconds: halved after every spin that found
   * nothing, back to `spinMicros` when a park ends soon enough that spinning
   * would have caught the work. Busy-waiting only pays while messages keep
   * coming; on a loaded box it steals the core from threads doing real work.
   */
  private spinNow: number;
  private emptySpins = 0;
  /** Turns are being timed one by one (slow handlers were seen; see TURN_MS). */
  private timing = false;
  /** Timed turns in a row that were fast. */
  private fastTurns = 0;
  private running: Promise<void> | null = null;
  private readonly busyIndex: number;
  private readonly slicingIndex: number;
  /** A slice, or a turn run by runNow, is on the stack (a turn may be): runNow must not nest. */
  private inTurns = false;
  /** Turns runNow may still run before the next slice, and how many it ran (the loop watches for progress). */
  private nowLeft = 0;
  private nowRuns = 0;
  /** When the last slice started: runNow stops once 4 TURN_MS have passed since (see runNow), and the loop yields once SLICE_MS have. */
  private nowMark = 0;
  /** The hops `continuations` may still take with no runNow turn, the runNow count last seen, and what ends its wait. */
  private hopsLeft = 0;
  private hopRuns = 0;
  private hopsDone: (() => void) | null = null;
  /** The transport's input side, polled here (held directly: a delegating call would cost the slice inlining budget). */
  private readonly input: TransportInput;

  constructor(
    private readonly thread: number,
    private readonly ctl: Int32Array,
    private readonly transport: Transport,
    private readonly runTurn: TurnRunner,
    private readonly actorBudget: number,
    private readonly sliceBudget: number,
    private readonly spinMicros: number,
    /** Lends the slice's clock read to its first timing block (telemetry; see slice-clock.ts). */
    private readonly sliceClock: SliceClock = new SliceClock(),
  ) {
    this.busyIndex = thread * THREAD_STRIDE_I32 + BUSY;
    this.slicingIndex = thread * THREAD_STRIDE_I32 + SLICING;
    this.spinNow = spinMicros;
    this.input = transport.input;
    transport.onDirty = () => this.kick();
  }

  /** Processes waiting for a turn. */
  get queued(): number {
    return this.count;
  }

  /** Starts the loop (idempotent). */
  start(): void {
    if (this.running === null) this.running = this.loop();
  }

  /** Stops the loop after the current slice; resolves when it has. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.kick();
    await this.running;
  }

  /** Puts a process at the back of the run queue. */
  enqueue(p: Proc): void {
    if (this.count === this.queue.length) this.grow();
    this.queue[(this.head + this.count) & (this.queue.length - 1)] = p;
    this.count++;
    if (this.parked) this.kick();
  }

  /** Makes sure the loop runs soon (wakes it if parked). Safe from any callback. */
  kick(): void {
    if (this.parked) wakeThread(this.ctl, this.thread);
  }

  /**
   * Runs the turn of `p`, just scheduled by a send from outside any turn
   * (an async handler's continuation calling a server on this thread), now
   * instead of in the next slice: the call's round trip then costs no slice
   * and no pass of the loop. Only when nothing that runs turns is on the
   * stack, `p` is the last process queued (it is taken back out of the
   * queue) and the call is its only message; up to NOW_TURNS between two
   * slices. The clock is looked at before every such turn: the call's own
   * read (`clock`: performance.now() as the call read it for its deadline or
   * its telemetry) when it made one, else a read before every fourth turn
   * (every one while slow turns are being timed; a read costs 50-110 ns on
   * this kind of VM, a tenth of an in-shard call). Once the turns, with the
   * code between them, took over 4 TURN_MS, they stop until the next slice,
   * which polls the rings, times turns and yields to the event loop as usual.
   */
  runNow(p: Proc, clock = NaN): void {
    // Only the call just sent: a backlog (maybe of slow messages) waits for a slice, which times turns.
    if (this.inTurns || this.nowLeft <= 0 || p.status !== S_QUEUED || p.mailbox.length !== 1) return;
    const last = (this.head + this.count - 1) & (this.queue.length - 1);
    if (this.count === 0 || this.queue[last] !== p || this.transport.backlogged()) return;
    if (clock === clock || this.timing || p.turnBudget > 0 || (this.nowRuns & 3) === 3) {
      const t = clock === clock ? clock : performance.now();
      if (t - this.nowMark > 4 * TURN_MS) {
        this.nowLeft = 0;
        return;
      }
    }
    this.queue[last] = undefined;
    this.count--;
    this.nowLeft--;
    // Wrapping (| 0): a counter past 2^31 would turn into a double, and the scheduler's map with it (ARCHITECTURE.md, "Numbers that keep one representation").
    this.nowRuns = (this.nowRuns + 1) | 0;
    this.inTurns = true;
    try {
      p.handled += this.runTurn(p, p.turnBudget > 0 ? p.turnBudget : this.actorBudget);
    } finally {
      this.inTurns = false;
    }
  }

  /** One slice, synchronously. Exposed for the shutdown path. */
  slice(): void {
    this.inTurns = true;
    // For the drain (a frame read and not yet delivered is in a slice): on this thread's own line.
    this.ctl[this.slicingIndex] = 1;
    // About a slice's worth of messages: decode no more than we can run.
    this.input.poll(this.sliceBudget);
    // BUSY is a hint: peers publish early to a thread that is not busy, and batch for one that is.
    // Plain writes, and only for a slice of more than one turn or message. Peers read it on every
    // send to us: each write took the line from their caches, and their next read waited for it to
    // come back, once on every hop of a cross-shard round trip, whose slices are one message long
    // (ping-pong p50, ten alternating pairs without BUSY writes: 0.930 of it). Written after the
    // poll, too: the poll's own atomic store (the ring's read counter) would wait for it.
    let busy = this.count > 1 || (this.count === 1 && this.queue[this.head]!.mailbox.length > 1);
    if (busy) this.ctl[this.busyIndex] = 1;
    let budget = this.transport.backlogged() ? 0 : this.sliceBudget;
    let turns = 0;
    // (Read before the first turn even for a slice of one turn: a slow turn's time must
    // count towards SLICE_MS and IO_MS, or actors queued behind slow ones wait longer.)
    const started = performance.now();
    this.sliceClock.lend(started);
    let io = started;
    // Turns are timed one by one only once four in a row took over TURN_MS each
    // on average, until 256 timed turns in a row were fast: fast actors cost
    // no clock read per turn.
    let mark = started;
    const full = this.actorBudget;
    while (this.count > 0 && budget > 0) {
      const p = this.queue[this.head]!;
      this.queue[this.head] = undefined;
      this.head = (this.head + 1) & (this.queue.length - 1);
      this.count--;
      if (p.status !== S_QUEUED) continue;
      if (!busy && turns > 0) {
        busy = true;
        this.ctl[this.busyIndex] = 1;
      }
      // A slow handler's actor gets the messages that fit in TURN_MS. Otherwise
      // a long mailbox gets a longer turn (a quarter of its backlog): a consumer
      // fed faster than `actorBudget` per turn catches up instead of letting its
      // queue, and the heap, grow without bound.
      const backlog = p.mailbox.length;
      const tb = p.turnBudget;
      // The catch-up turn only for an actor a timed turn found fast (turnBudget -1): a new actor
      // handed a long backlog with slow handlers ran a quarter of it untimed (50,000 messages of
      // 1 ms: the shard without its event loop for 50 s, then killed by the watchdog).
      const catchUp = backlog > full * 4;
      // An actor that was slow is timed until it is fast again, timing on or off; so is a catch-up turn.
      const timed = this.timing || tb > 0 || catchUp;
      const t0 = timed ? (this.timing ? mark : performance.now()) : 0;
      // At most CATCH_UP budgets: a turn is timed only after it ran, and an actor found fast once may be
      // handed slow messages later (cheap casts, then costly calls): its catch-up turn stays bounded.
      const n = this.runTurn(p, tb > 0 ? tb : catchUp && tb < 0 ? Math.min(backlog >> 2, full * CATCH_UP) : full);
      // The slice's start serves only its first turn's timing block, and a block end's read only after the last turn (see slice-clock.ts).
      this.sliceClock.expire();
      p.handled += n; // once per turn: the observer's "reductions"
      budget -= Math.max(1, n);
      ++turns; // counted before any break, so the check after the loop sees every turn
      if (this.transport.backlogged()) break; // back off: peers are behind
      // The turn's end is read before the flush below: a flush is nobody's turn. Timed with the
      // turn, a cross-shard ping-pong's flush (~1 us) made every ~0.3 us turn look slow (over
      // TURN_MS / actorBudget a message), and a thread that had once started timing turns (after
      // a big frame, say) timed every turn from then on: a clock read and a budget per turn.
      const check = timed || (turns & 3) === 0 || n >= 16;
      const t = check ? performance.now() : 0;
      // Work for a thread that is waiting goes out now, not at the end of the slice.
      let flushed = false;
      if (this.transport.hasUnflushed() && this.transport.idlePeerWaiting()) {
        this.transport.flush(false);
        flushed = true;
      }
      // Every IO_MS (looked at every 4 turns) or 64 turns: what we sent goes
      // out and what peers sent comes in, so a slice busy with local work
      // does not leave other threads waiting on us; a slice that has run
      // SLICE_MS gives the event loop (timers, control messages) its turn.
      // A turn of many messages is looked at at once (one clock read per turn of 16 or more is
      // well under a nanosecond a message): a new actor's first turn is untimed, and four of
      // them in a row, with slow handlers, kept a shard from its event loop (and a stop) for seconds.
      if (check) {
        if (timed) {
          const per = (t - t0) / Math.max(1, n);
          const fits = per * full <= TURN_MS ? full : Math.max(1, Math.floor(TURN_MS / per));
          // A budget shrinks at once but at most doubles per turn: one fast
          // message (a new job for a hash worker) says nothing about the slow
          // ones queued behind it, and a budget of 50 would run them all.
          const next = p.turnBudget > 0 ? Math.min(fits, p.turnBudget * 2) : fits;
          if (next >= full) {
            p.turnBudget = -1; // found fast: catch-up turns allowed
            if (++this.fastTurns >= 256) this.timing = false;
          } else {
            p.turnBudget = next;
            this.fastTurns = 0;
          }
        } else if (t - mark > 4 * TURN_MS) {
          this.timing = true;
          this.fastTurns = 0;
        }
        // (The next timed turn starts after the flush, if there was one.)
        mark = flushed && this.timing ? performance.now() : t;
        if (t - io >= IO_MS || (turns & 63) === 0) {
          io = t;
          this.transport.flush(false);
          if (this.transport.backlogged() || t - started > SLICE_MS) break;
          this.input.poll(this.sliceBudget);
          if (this.timing) mark = performance.now(); // IO is nobody's turn
        }
      }
    }
    // Untimed turns are looked at every fourth turn; the last few of a slice
    // are looked at here, or a shard with one or two busy actors (a slice of
    // one or two turns) would never time them, however long their turns
    // (issue 17: "Shard 2 lags"). One clock read per slice, at most: none when the flush after
    // the last turn (a peer waiting) ended a timing block, whose read serves (see slice-clock.ts).
    const unchecked = turns & 3;
    if (!this.timing && unchecked !== 0 && this.clockAfterTurns() - mark > unchecked * TURN_MS) {
      this.timing = true;
      this.fastTurns = 0;
    }
    // What the slice sent goes out; telemetry is written here only if something is published
    // (see the loop: before the thread yields to the event loop or goes idle, it is written anyway).
    this.transport.flush(false);
    this.sliceClock.expire();
    if (busy) this.ctl[this.busyIndex] = 0;
    this.ctl[this.slicingIndex] = 0;
    this.nowLeft = NOW_TURNS;
    this.nowMark = started;
    this.inTurns = false;
  }

  /** The clock now: a block end's read since the last turn when there is one (telemetry), else a read. */
  private clockAfterTurns(): number {
    const seen = this.sliceClock.seen();
    return seen === seen ? seen : performance.now();
  }

  private hasWork = (): boolean =>
    (this.count > 0 && !this.transport.backlogged()) ||
    this.transport.hasUnflushed() ||
    this.input.hasInbound() ||
    this.transport.canDrainOverflow();

  private async loop(): Promise<void> {
    let yielded = performance.now();
    while (!this.stopped) {
      // Work found by spinning, or made by async handlers' continuations, goes
      // straight to the next slice; the event loop (timers, the watchdog's
      // tick, control messages) still gets its turn every SLICE_MS.
      // Before yielding to the event loop or going idle, a final flush: the telemetry counted in
      // plain fields reaches the shared region at least every SLICE_MS while the thread is busy,
      // and as soon as it has nothing to do (a slice that continues an async handler's call, say,
      // does not pay for it).
      // (No clock read between a spin that found work and the slice that runs it: the last slice's
      // start serves, at most a slice and a spin old.)
      if (this.nowMark - yielded > SLICE_MS) {
        this.transport.flush();
        await immediate();
        yielded = performance.now();
      }
      this.slice();
      if (this.stopped) break;
      if (this.hasWork()) {
        this.transport.flush();
        await immediate();
        yielded = performance.now();
        continue;
      }
      // Async handlers continue in microtasks (a call's reply, a receive's
      // match resolved during the slice). They cannot run while we spin, so
      // give them a few turns before deciding the thread is idle.
      // A continuation whose call ran its server's turn at once (runNow) goes on here, up to NOW_TURNS
      // such turns between slices: while they come, the loop keeps yielding to them.
      if (this.asyncPending > 0) {
        // The first yield: continuations queued in the slice run (a reply's caller, which usually
        // makes work at once: a cross-shard call). Then hops while they keep going (see continuations).
        const runs = this.nowRuns;
        await null;
        if (!this.hasWork()) await this.continuations(this.nowRuns !== runs ? 8 : 7);
        if (this.hasWork()) {
          // What the continuations sent another thread (a call) goes out now, not after the next
          // slice's poll and clock read: the peer starts on it that much sooner.
          if (this.transport.hasUnflushed()) this.transport.flush(false);
          continue;
        }
      }
      this.transport.flush();
      if (this.spinNow >= 1 && this.offloadsPending === 0) {
        if (this.spin(this.spinNow)) {
          this.emptySpins = 0;
          continue;
        }
        // One slow round trip is noise; four in a row mean nobody is talking.
        if (++this.emptySpins >= 4) this.spinNow = this.spinNow / 2;
      }
      this.parked = true;
      const parkedAt = performance.now();
      // About to idle: mailboxes that grew for a burst and stayed empty since the last look give their arrays back.
      if (parkedAt - this.ringsSettledAt >= RINGS_SETTLE_MS) {
        this.ringsSettledAt = parkedAt;
        settleIdleRings();
      }
      // While a full ring holds back our output, its consumer wakes us when it
      // frees space (NEED_SPACE); the 10 ms timeout is only a safety net.
      await parkThread(this.ctl, this.thread, this.hasWork, this.transport.hasOverflow() ? 10 : Infinity);
      this.parked = false;
      yielded = performance.now();
      if (this.spinMicros > 0 && (performance.now() - parkedAt) * 1000 < this.spinMicros * 2) {
        this.spinNow = this.spinMicros;
        this.emptySpins = 0;
      }
    }
  }

  /**
   * Lets async handlers' continuations run: resolves once work turns up, or
   * after `hops` microtask hops in a row in which no runNow turn ran (8 once one has). A hop is
   * one function given to `then` of a settled promise (a promise, a reaction
   * and a job), not an `await` of the loop (those, and the await's two
   * closures with their context: ~250 bytes) nor Node's queueMicrotask (an
   * async resource and a bound function): a caller's loop of in-shard calls
   * takes one hop per call.
   */
  private continuations(hops: number): Promise<void> {
    return new Promise((resolve) => {
      this.hopsDone = resolve;
      this.hopsLeft = hops;
      this.hopRuns = this.nowRuns;
      void RESOLVED.then(this.hop);
    });
  }

  private readonly hop = (): void => {
    // A runNow turn ran since the last hop: continuations are making calls, so the loop waits on
    // without looking for work (its rings and queue: ~10 ns a hop, a call's). It looks again once they
    // pause, and runNow itself hands over to a slice after NOW_TURNS turns (or 4 TURN_MS).
    if (this.nowRuns !== this.hopRuns) {
      this.hopRuns = this.nowRuns;
      this.hopsLeft = 8;
      void RESOLVED.then(this.hop);
      return;
    }
    if (--this.hopsLeft > 0 && !this.hasWork()) {
      void RESOLVED.then(this.hop);
      return;
    }
    const done = this.hopsDone!;
    this.hopsDone = null;
    done();
  };

  private spin(micros: number): boolean {
    const end = performance.now() + micros / 1000;
    do {
      for (let i = 0; i < 64; i++) if (this.input.hasInbound() || this.transport.canDrainOverflow()) return true;
    } while (performance.now() < end);
    return false;
  }

  private grow(): void {
    const next = new Array<Proc | undefined>(this.queue.length * 2);
    for (let i = 0; i < this.count; i++) next[i] = this.queue[(this.head + i) & (this.queue.length - 1)];
    this.queue = next;
    this.head = 0;
  }
}
