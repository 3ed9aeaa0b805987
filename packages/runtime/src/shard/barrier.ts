// The publish barrier: while a new ring or side channel is being set up, frames to other threads wait unpublished.

import type { Outbound } from './outbound.js';

/**
 * Up while a ring this thread made is not yet held by its consumer, or a
 * batch waits for a side channel being set up: both take a trip through
 * another thread's event loop. Meanwhile frames to other threads are written
 * but not published, so nothing sent after such a message can reach a third
 * thread, and come back to the peer through it, before the peer can read
 * that message. (With every ring made at start, publishing in order kept
 * this; a ring or channel made on first use must not lose it.)
 */
export class Barrier {
  /** Rings this thread made whose consumer does not hold them yet. */
  private readonly unattached: Outbound[] = [];
  /** Destinations whose next batch waits for its side channel. */
  private readonly channelWaiters: Outbound[] = [];
  /** Destinations whose written frames are held back. */
  private readonly held: Outbound[] = [];

  /** Cheap: false means certainly down (the hot path asks this first). */
  maybeUp(): boolean {
    return this.unattached.length !== 0 || this.channelWaiters.length !== 0;
  }

  /** A ring this thread made (or inherited) that its consumer may not hold yet. */
  ringMade(o: Outbound): void {
    if (!o.attached()) this.unattached.push(o);
  }

  /** `o`'s next batch waits for its side channel. */
  channelWait(o: Outbound): void {
    if (o.waitingChannel && !this.channelWaiters.includes(o)) this.channelWaiters.push(o);
  }

  /** Looks at the shared flags again; true while something is still being set up. */
  up(): boolean {
    const u = this.unattached;
    for (let i = u.length - 1; i >= 0; i--) if (u[i]!.attached()) u.splice(i, 1);
    const c = this.channelWaiters;
    for (let i = c.length - 1; i >= 0; i--) if (!c[i]!.waitingChannel) c.splice(i, 1);
    return u.length > 0 || c.length > 0;
  }

  /** True when `o` must not publish now (it is not one of the destinations being set up); it is noted as held. */
  holds(o: Outbound): boolean {
    if (!this.up() || this.unattached.includes(o) || this.channelWaiters.includes(o)) return false;
    if (!o.held) {
      o.held = true;
      this.held.push(o);
    }
    return true;
  }

  /** True when frames are held back. */
  holding(): boolean {
    return this.held.length > 0;
  }

  /** True when held frames may go now. */
  canRelease(): boolean {
    return this.held.length > 0 && !this.up();
  }

  /** The destinations to publish now that the barrier is down (empty while it is up). */
  release(): Outbound[] {
    if (!this.canRelease()) return [];
    const out = this.held.splice(0);
    for (const o of out) o.held = false;
    return out;
  }
}
