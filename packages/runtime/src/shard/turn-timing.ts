// Timing of observed turns: handler time in adaptive blocks at 100% sampling, and runs of equal queue waits.

import type { MetricsWriter } from '@joerl/telemetry/internal';

/**
 * A clock read costs 40-80 ns here, as much as a fast handler, so: below 100%
 * sampling each sampled message is timed on its own (chained: a timed
 * message's end is the next one's start). At 100%, messages are timed in
 * blocks of `size` handled back to back, each recorded at the block's mean;
 * sum and count are exact. The block shrinks to one message as soon as
 * handlers average over 10 us (then every message is timed exactly) and grows
 * back to 64 while they stay fast. The processing histogram has no labels, so
 * a block may span several actors' turns: it stays open until it is full or
 * the transport flushes (what follows a flush is not handler time).
 */
export class TurnTiming {
  private readonly m: MetricsWriter;
  /** True while an observed turn runs; `clock` is then the current message's start (abs ms), reused for send stamps. */
  inTurn = false;
  clock = 0;
  /** A timing block is open. */
  blockLive = false;
  blockStart = 0;
  private blockCount = 0;
  /** Messages per timing block (adaptive, 1..64). */
  private size = 1;
  /** A run of equal queue waits not yet recorded (NaN: none). */
  private waitMs = NaN;
  private waitCount = 0;

  constructor(m: MetricsWriter) {
    this.m = m;
  }

  /** The start of a turn's first message at 100% sampling: the open block's start, or a new block now. */
  openBlock(): number {
    if (!this.blockLive) {
      this.blockStart = this.m.now();
      this.blockLive = true;
    }
    return this.blockStart;
  }

  /** One more message handled in the open block; records the block when it is full. */
  countInBlock(): void {
    if (++this.blockCount >= this.size) this.endBlock();
  }

  /**
   * A stamped message waited `now - stamp`. Messages from one sending handler
   * share a stamp, and a timing block shares `now`: equal waits are recorded
   * together.
   */
  wait(now: number, stamp: number): void {
    const wait = now > stamp ? now - stamp : 0; // a block's start can predate a stamp from another thread
    if (wait !== this.waitMs) {
      if (this.waitCount > 0) this.m.queueWait(this.waitMs, this.waitCount);
      this.waitMs = wait;
      this.waitCount = 0;
    }
    this.waitCount++;
  }

  /** Records the pending run of queue waits (at the end of a turn). */
  flushWaits(): void {
    if (this.waitCount > 0) this.m.queueWait(this.waitMs, this.waitCount);
    this.waitCount = 0;
    this.waitMs = NaN;
  }

  /** Ends the open timing block before a flush. Mid-turn (a span start shipped before a handler), the block goes on from here. */
  closeBlock(): void {
    this.endBlock();
    if (!this.inTurn) this.blockLive = false;
  }

  /** Records the current timing block and adapts the block size. */
  private endBlock(): void {
    if (this.blockCount === 0) return;
    const end = this.m.now();
    const ms = end - this.blockStart;
    this.m.processedBlock(ms, this.blockCount);
    this.size = ms / this.blockCount > 0.01 ? 1 : Math.min(64, this.size * 2);
    this.blockStart = end;
    this.blockCount = 0;
  }
}
