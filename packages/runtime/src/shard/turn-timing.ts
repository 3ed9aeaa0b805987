// Timing of observed turns: handler time in adaptive blocks, and runs of equal queue waits.

import type { MetricsWriter } from '@joerl/telemetry/internal';
import type { SliceClock } from './slice-clock.js';
import { NO_STAMP, type OldStamp } from '../actor/stamped-ring.js';
import { tickOf } from '../actor/ticks.js';

/** MetricsWriter.now()'s origin: its clock is timeOrigin + performance.now(). */
const ORIGIN = performance.timeOrigin;

/** Most messages in a timing block: a clock read (~80 ns here) per 4,096 of the fastest handlers. */
const MAX_BLOCK = 4096;
/**
 * A timing block of fast handlers that lasted less than this (ms) makes the
 * next one twice as long, one that lasted over twice this half as long:
 * blocks that fill last 0.1 to 0.2 ms (see TurnTiming).
 */
const BLOCK_MS = 0.1;
/** Most calls one clock read serves outside turns (see tickOutside). */
const MAX_OUTSIDE = 64;

/**
 * A clock read costs 40-90 ns here, more than a fast handler, so messages
 * are timed in blocks of `size` handled back to back, each recorded at the
 * block's mean; at 100% sum and count are exact. Below 100% the blocks are
 * the same and the writer records the sampled share of each (by sequence,
 * see the telemetry package's sampling.ts): timing each sampled message on
 * its own cost more than 100% did. (A rate of 0 times nothing.) The block
 * shrinks to one message as soon as handlers average over 10 us (then
 * every message is timed exactly); otherwise its size follows its length
 * in time, 0.1 to 0.2 ms (BLOCK_MS),
 * which is also how far apart the clocks of queue-wait stamps are (a
 * message's wait runs from its sender's block start to its receiver's).
 * It was 256 messages at most before: 2.5 ms for handlers of ~10 us, and
 * for Savina's Big (~150 ns a message here) a new stamp every 38 us, every
 * other message of each of its 120 mailboxes; at ~1,000 messages a block
 * it ran ~7% faster with telemetry on (544 vs 584 ms a run, medians of six
 * processes). The processing histogram has no
 * labels, so a block may span several actors' turns: it stays open until it
 * is full or the transport flushes something (what follows a flush is not
 * handler time), and at the latest until the end of the slice.
 */
export class TurnTiming {
  private readonly m: MetricsWriter;
  /** True while an observed turn runs; `clock` is then the current message's start (abs ms), reused for send stamps. */
  inTurn = false;
  clock = 0;
  /** `clock` as a stamp (actor/ticks.ts): what a send in the turn is stamped with, and what a take compares its stamp to. */
  tick = 0;
  /** The lean turn's current run of messages was stamped: its wait is in the first slot (see runStarts). */
  private runWaited = false;
  /** A timing block is open. */
  blockLive = false;
  blockStart = 0;
  /** Messages handled in the open block (counted with countInBlock; the lone turn writes it out, see turn-lone.ts). */
  blockCount = 0;
  /** Messages per timing block (adaptive, 1..MAX_BLOCK): the block ends when `blockCount` reaches it (endBlock). */
  size = 1;
  /**
   * Messages that waited 0 ms, counted by the lone turn (turn-lone.ts: a
   * stamp equal to the clock, sent in this timing block), not yet recorded.
   */
  zeroWaits = 0;
  /**
   * The two latest distinct queue waits (ticks: us) and how many messages
   * waited each, not yet recorded (NO_STAMP: none; no tick minus a stamp
   * comes to it, and it stays a small integer, as NaN would not).
   */
  private waitUs = NO_STAMP;
  private waitCount = 0;
  private waitUs2 = NO_STAMP;
  private waitCount2 = 0;
  /** Outside turns: the clock `tickOutside` last read (and as a stamp), how many calls it serves, and how many it has left. */
  outClock = 0;
  outTick = 0;
  private outSize = 1;
  private outLeft = 0;

  private readonly slice: SliceClock;

  constructor(m: MetricsWriter, slice: SliceClock) {
    this.m = m;
    this.slice = slice;
  }

  /**
   * A turn starts (messages sampled): the open block goes on, or a new one
   * starts now (`blockStart`, and `clock` with it: as when a block ends, the
   * next message's start; the lone turn relies on it, see turn-lone.ts).
   */
  openBlock(): void {
    if (!this.blockLive) {
      // The slice's own read when this is its first block (see SliceClock); the same clock as m.now().
      const at = this.slice.take();
      this.blockStart = this.clock = at === at ? ORIGIN + at : this.m.now();
      this.tick = tickOf(this.clock);
      this.blockLive = true;
    }
  }

  /**
   * One more message handled in the open block; records the block when it
   * is full. A block that ends (here, or in a flush a handler caused) moves
   * `clock` with `blockStart`: the next message's start, in a turn timed in blocks.
   */
  countInBlock(): void {
    if (++this.blockCount >= this.size) this.endBlock();
  }

  /** Messages the open timing block still takes before it ends (at least 1). */
  room(): number {
    return this.size - this.blockCount;
  }

  /**
   * A run of the lean turn starts: its messages (all with `mb.lastStamp`,
   * see turn-observed.ts, lean) start at `clock`, the open block's, so they all
   * waited as long. That wait goes in the first slot (as in `waited`), and
   * `ranInBlock` adds how many took it. Taken before any handler of the run
   * runs: a flush one of them causes ends the block and moves the clock,
   * not this run's wait.
   */
  runStarts(mb: { readonly lastStamp: number | OldStamp }): void {
    const stamp = mb.lastStamp;
    this.runWaited = typeof stamp === 'number' && stamp !== NO_STAMP;
    if (!this.runWaited) {
      // (An OldStamp is its message's alone, no other stamp being the same object: a run of one.)
      if (stamp !== NO_STAMP) this.waitedOld(stamp as OldStamp);
      return;
    }
    const wait = this.waitOf(stamp as number);
    if (wait === this.waitUs) return;
    const count = this.waitCount;
    if (wait === this.waitUs2) {
      this.waitCount = this.waitCount2;
      this.waitCount2 = count;
    } else {
      // The older value makes room.
      if (this.waitCount2 > 0) this.m.queueWait(this.waitUs2 / 1000, this.waitCount2);
      this.waitCount2 = count;
      this.waitCount = 0;
    }
    this.waitUs2 = this.waitUs;
    this.waitUs = wait;
  }

  /**
   * The run `runStarts` began ends: `taken` messages came out of the
   * mailbox, and `handled` of them count in the open block (a handler that
   * threw does not, as in countInBlock). Records the block when it is full.
   * Per run, not per message: this and `waited` give the same figures.
   */
  ranInBlock(taken: number, handled: number): void {
    if (this.runWaited) this.waitCount += taken;
    if ((this.blockCount += handled) >= this.size) this.endBlock();
  }

  /**
   * `waited` for messages 2 to 4 of a lone turn (`more` in turn-lone.ts):
   * the message just taken from `mb` waited 0 ms when its stamp is the
   * clock (sent in this timing
   * block), or as long as the first kept value; each is counted without a
   * branch on which it was. In Savina's Big a mailbox holds messages sent in
   * this block and in the one before, in no order a branch predictor learns:
   * `if (stamp === clock)` missed about every other message. Anything else
   * goes to `waited` (a branch taken rarely: predicted). The same figures as
   * `waited` with the zero test before it: a stamp after the clock (another
   * thread's) gives a negative difference, NO_STAMP one past any wait and an
   * OldStamp NaN, equal to no kept value, so all go to `waited`, which
   * records them as before.
   */
  took(mb: { readonly lastStamp: number | OldStamp }): void {
    const stamp = mb.lastStamp;
    const now = this.tick;
    // (0 or 1, from a compare's flag: `+` of a boolean is not a branch. An OldStamp gives NaN: waited's.)
    const zero = +(stamp === now);
    const same = (zero ^ 1) & +(now - (stamp as number) === this.waitUs);
    this.zeroWaits += zero;
    this.waitCount += same;
    if ((zero | same) === 0) this.waited(mb);
  }

  /**
   * The message just taken from `mb` (its `lastStamp`, a tick; NO_STAMP: not
   * stamped) waited until `tick`, the current message's start. Messages from one
   * sending handler share a stamp, and a timing block shares its clock: equal
   * waits are recorded together. Two values are kept, not one: when a block
   * rolls over, the messages sent in the old block (one wait) interleave with
   * those sent in the new one (zero), and recording at every change cost a
   * histogram observation per message.
   *
   * Both times are read from fields, not passed (when they were doubles, a
   * double passed to a call that is not inlined was boxed, a heap allocation
   * per message: half the cost of telemetry in an in-shard turn).
   */
  waited(mb: { readonly lastStamp: number | OldStamp }): void {
    const stamp = mb.lastStamp;
    if (stamp === NO_STAMP) return;
    if (typeof stamp !== 'number') return this.waitedOld(stamp);
    const wait = this.waitOf(stamp);
    if (wait === this.waitUs) this.waitCount++;
    else if (wait === this.waitUs2) this.waitCount2++;
    else {
      // The older value makes room.
      if (this.waitCount2 > 0) this.m.queueWait(this.waitUs2 / 1000, this.waitCount2);
      this.waitUs2 = this.waitUs;
      this.waitCount2 = this.waitCount;
      this.waitUs = wait;
      this.waitCount = 1;
    }
  }

  /**
   * Sets `outClock` to now, for the clocks telemetry needs outside a turn:
   * a spawn's start and an exit (lifetimes), a send's stamp, from an init or
   * a timer. A spawn tree built in one init (Savina's Fibonacci) does
   * thousands back to back, so as for timing blocks one read serves several
   * calls: up to MAX_OUTSIDE while they come faster than one per 10 us on
   * average since the last read, one (an exact clock) otherwise. A flush
   * starts over (see resetOutside): the first call after one reads the clock.
   */
  tickOutside(): void {
    if (this.outLeft > 0) {
      this.outLeft--;
      return;
    }
    const now = this.m.now();
    this.outSize = (now - this.outClock) / this.outSize > 0.01 ? 1 : Math.min(MAX_OUTSIDE, this.outSize * 2);
    this.outLeft = this.outSize - 1;
    this.outClock = now;
    this.outTick = tickOf(now);
  }

  /** A clock read just made outside a turn (abs ms, a call's): it serves the next tickOutside too. */
  seedOutside(now: number): void {
    this.outClock = now;
    this.outTick = tickOf(now);
    if (this.outLeft === 0) this.outLeft = 1;
  }

  /** The next tickOutside reads the clock (before every flush: the thread may go idle). */
  resetOutside(): void {
    this.outLeft = 0;
  }

  /** Sets `clock` (abs ms) and `tick` with it: the lean turn's message starts, a traced handler's span start. */
  setClock(ms: number): void {
    this.clock = ms;
    this.tick = tickOf(ms);
  }

  /** A message's wait until `tick`, in ticks (us): 0 for a stamp after it (another thread's clock may run ahead of a block's start). */
  private waitOf(stamp: number): number {
    const now = this.tick;
    return now > stamp ? now - stamp : 0;
  }

  /** A message queued before the ticks' range (see StampedRing.rebase): its wait, from its clock, recorded on its own. */
  private waitedOld(stamp: OldStamp): void {
    this.m.queueWait(Math.max(0, this.clock - stamp.ms), 1);
  }

  /** The thread's tick clock moved on `by` ticks (actor/ticks.ts; the thread runtime passes it on): so do the ticks kept here. */
  ticksMoved(by: number): void {
    this.tick -= by;
    this.outTick -= by;
  }

  /**
   * Records the pending queue waits (before every flush: runs go on across
   * turns). The two values stay, with nothing counted: a run of the lean
   * turn that a handler's flush cut adds to its slot when it ends.
   */
  flushWaits(): void {
    if (this.zeroWaits > 0) {
      this.m.queueWait(0, this.zeroWaits);
      this.zeroWaits = 0;
    }
    if (this.waitCount > 0) this.m.queueWait(this.waitUs / 1000, this.waitCount);
    if (this.waitCount2 > 0) this.m.queueWait(this.waitUs2 / 1000, this.waitCount2);
    this.waitCount = this.waitCount2 = 0;
  }

  /** Ends the open timing block before a flush. Mid-turn (a span start shipped before a handler), the block goes on from here. */
  closeBlock(): void {
    this.endBlock();
    if (!this.inTurn) this.blockLive = false;
  }

  /** Records the current timing block and adapts the block size (countInBlock's, when the block is full). */
  endBlock(): void {
    if (this.blockCount === 0) return;
    const end = this.m.now();
    this.slice.saw(end - ORIGIN);
    const ms = end - this.blockStart;
    this.m.processedBlock(ms, this.blockCount);
    if (ms / this.blockCount > 0.01) this.size = 1;
    else if (ms < BLOCK_MS) this.size = Math.min(MAX_BLOCK, this.size * 2);
    else if (ms > 2 * BLOCK_MS && this.size > 1) this.size >>= 1;
    this.blockStart = this.clock = end;
    this.tick = tickOf(end);
    this.blockCount = 0;
  }
}
