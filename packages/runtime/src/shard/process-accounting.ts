// A process's telemetry from its type to its exit: spawn counts and depth cell, lifetime, the calls it serves, what it leaves behind.

// (Imported: on Node 20 the global `performance` is an accessor, a getter call on every use; `replied` reads the clock per call.)
import { performance } from 'node:perf_hooks';
import type { MetricsWriter, ReasonLabel, TypeMetrics } from '@joerl/telemetry/internal';
import { BEHAVIOUR } from '../actor/brand.js';
import { UNBOUNDED } from '../actor/mailbox.js';
import { type Proc, Serving } from '../actor/proc.js';
import { StartClocks } from './start-clocks.js';
import type { DepthCell, TelemetryLedger } from './telemetry-ledger.js';
import type { CallEnvelope } from './observer.js';
import type { TurnTiming } from './turn-timing.js';

/** MetricsWriter.now()'s origin: its clock is timeOrigin + performance.now(). */
const ORIGIN = performance.timeOrigin;

/**
 * The per-process half of TelemetryObserver: what a process's type becoming
 * known, the calls it serves and its exit write. The observer calls `typed`
 * only with metrics on and `exited` only for a process that was typed;
 * `serve` and `replied` come with every call a GenServer or a supervisor
 * takes (with metrics off the writer is the no-op one).
 */
export class ProcessAccounting {
  /** When each typed actor of this thread started (abs ms), for the lifetime histogram: one slot per distinct start clock, not a double field on each Proc (see start-clocks.ts). */
  readonly lifetimes = new StartClocks(64);
  /** The lifetime being recorded, handed to the writer in a slot (a double passed to a call that is not inlined is boxed). */
  private readonly lifetime = new Float64Array(1);
  /** What `typed` found for the last type it saw (null: none yet). */
  private lastType: string | null = null;
  private lastBounded = false;
  private lastPlain = false;
  private lastTm: TypeMetrics | null = null;
  private lastCell: DepthCell | null = null;
  /**
   * Spawns and exits not yet written: a run of spawns of one type and capacity, and a run of exits of one
   * type, reason, capacity and lifetime (in `lifetime[0]`), each written as one (see `flush`). A spawn storm
   * or a turn's exits share their clocks (a turn's block clock, TurnTiming.tickOutside's read), so their
   * lifetimes come in runs: Savina's Fork-join create wrote a lifetime histogram observation per actor.
   */
  private spawnTm: TypeMetrics | null = null;
  private spawnCap = 0;
  private spawns = 0;
  private exitTm: TypeMetrics | null = null;
  private exitKind: ReasonLabel = 'normal';
  private exitCap = 0;
  private exits = 0;

  constructor(
    private readonly metrics: MetricsWriter,
    private readonly timing: TurnTiming,
    private readonly ledger: TelemetryLedger,
  ) {}

  /** `p`'s type is known (its module loaded): counted as spawned, its start clock held, its mailbox in its type's depth. */
  typed(p: Proc): void {
    const cap = p.mailbox.capacity;
    const bounded = cap !== UNBOUNDED;
    const plain = (p.behaviour as unknown as Record<symbol, unknown> | null)?.[BEHAVIOUR] === 'actor';
    // The type and depth cell of the last spawn serve the next one of the same type (a spawn tree, a pool): no lookups.
    if (p.typeName !== this.lastType || bounded !== this.lastBounded || plain !== this.lastPlain) {
      this.lastType = p.typeName;
      this.lastBounded = bounded;
      this.lastPlain = plain;
      this.lastTm = this.metrics.type(p.typeName);
      this.lastCell = this.ledger.cell(this.lastTm, bounded, plain);
    }
    const tm = (p.tm = this.lastTm!);
    // The clock read in place (a double returned by a call that is not inlined is boxed: a heap number per actor).
    const t = this.timing;
    if (!t.inTurn) t.tickOutside();
    p.lifeSlot = this.lifetimes.hold(t);
    const capacity = bounded ? cap : 0;
    if (tm === this.spawnTm && capacity === this.spawnCap) this.spawns++;
    else {
      this.flushSpawns();
      this.spawnTm = tm;
      this.spawnCap = capacity;
      this.spawns = 1;
    }
    // From now on its mailbox counts in its type's depth, starting with what arrived while its module loaded.
    const c = (p.depthCell = this.lastCell!);
    c.n += p.mailbox.length;
  }

  /**
   * Server `p` took the call `env` carries, sent at `env.t` (abs ms; none: unknown) with the caller's deadline
   * `env.d`: timed until `replied`. The times go from the envelope to their fields, not through arguments
   * (a double passed to a call that is not inlined is boxed).
   */
  serve(p: Proc, env: CallEnvelope): void {
    const sv = (p.serving ??= new Serving());
    const ref = env.from.ref;
    const at = typeof env.t === 'number' ? env.t : NaN;
    const deadline = typeof env.d === 'number' ? env.d : Infinity;
    if (!sv.one) {
      sv.one = true;
      sv.ref = ref;
      sv.at = at;
      sv.deadline = deadline;
    } else {
      (sv.more ??= new Map()).set(ref, [at, deadline]);
    }
  }

  /** `by` answered call `ref`: its duration, and whether it came after the caller's deadline (a call it never took is not counted). */
  replied(by: Proc | null, ref: number): void {
    if (by === null || by.serving === null) return;
    const sv = by.serving;
    let at: number;
    let deadline: number;
    if (sv.one && sv.ref === ref) {
      sv.one = false;
      at = sv.at;
      deadline = sv.deadline;
    } else {
      const served = sv.more?.get(ref);
      if (served === undefined) return;
      sv.more!.delete(ref);
      [at, deadline] = served;
    }
    // The clock read here, not returned by metrics.now() (a double a call that is not inlined returns is boxed).
    const now = ORIGIN + performance.now();
    this.metrics.callDone(by.tm!, now - at, now > deadline);
  }

  /**
   * The caller of call `ref` gave up on it: its demonitor came (at its
   * timeout, or an abort; an answered call's comes after the answer took
   * the entry off). If `p` took the call, has not answered, and the
   * caller's deadline has passed, that is a timeout, counted now rather than
   * when `p` answers or exits (a server that hangs would never count it);
   * the entry's deadline becomes Infinity, so neither counts it again. Still
   * in flight: the server holds the request until it answers. `gaveUp`: a
   * caller on another node timed out (or aborted) on its own clock, which
   * ours does not share: counted whatever our deadline says (it is the
   * call's arrival plus its timeout, later than the caller's by the trip).
   */
  abandoned(p: Proc, ref: number, gaveUp = false): void {
    const sv = p.serving;
    if (sv === null) return;
    let deadline: number;
    let entry: [number, number] | undefined;
    if (sv.one && sv.ref === ref) deadline = sv.deadline;
    else if ((entry = sv.more?.get(ref)) !== undefined) deadline = entry[1];
    else return;
    if (!gaveUp && !(ORIGIN + performance.now() >= deadline)) return;
    if (entry !== undefined) entry[1] = Infinity;
    else sv.deadline = Infinity;
    this.metrics.callTimedOut(p.tm!);
  }

  /** Typed process `p` exited: lifecycle counters, the mailbox it leaves, calls it never answered, its machine state. */
  exited(p: Proc, kind: ReasonLabel): void {
    const tm = p.tm!;
    const m = this.metrics;
    const cap = p.mailbox.capacity;
    // Now, for lifetimes (histogram buckets from 1 ms), as at the start: in a turn, the turn's clock (its
    // timing block's start, a fraction of a millisecond old), else tickOutside's. The lifetime goes to the
    // writer in a slot, not as an argument (a double passed to a call that is not inlined is boxed).
    const t = this.timing;
    if (!t.inTurn) t.tickOutside();
    const now = t.inTurn ? t.clock : t.outClock;
    const life = now - this.lifetimes.at[p.lifeSlot]!;
    const capacity = cap === UNBOUNDED ? 0 : cap;
    if (this.exits > 0 && tm === this.exitTm && kind === this.exitKind && capacity === this.exitCap && life === this.lifetime[0]) this.exits++;
    else {
      this.flushExits();
      this.exitTm = tm;
      this.exitKind = kind;
      this.exitCap = capacity;
      this.lifetime[0] = life;
      this.exits = 1;
    }
    this.lifetimes.release(p.lifeSlot);
    p.lifeSlot = -1;
    const c = p.depthCell;
    if (c !== null) {
      c.n -= p.mailbox.length;
      p.depthCell = null;
    }
    // Calls it took and never answered: no duration; a timeout each whose caller's deadline has passed.
    const sv = p.serving;
    if (sv !== null) {
      if (sv.one) m.callDone(tm, NaN, now > sv.deadline);
      if (sv.more !== null) for (const [, deadline] of sv.more.values()) m.callDone(tm, NaN, now > deadline);
      p.serving = null;
    }
    if (p.statemState !== null) {
      m.statemEnter(tm, p.statemState, -1);
      p.statemState = null;
    }
  }

  /** Writes the pending runs of spawns and exits (at every record of the thread's telemetry). */
  flush(): void {
    this.flushSpawns();
    this.flushExits();
  }

  private flushSpawns(): void {
    if (this.spawns === 0) return;
    this.metrics.spawned(this.spawnTm!, this.spawnCap, this.spawns);
    this.spawns = 0;
  }

  private flushExits(): void {
    if (this.exits === 0) return;
    this.metrics.stopped(this.exitTm!, this.exitKind, this.exitCap, this.lifetime, 0, this.exits);
    this.exits = 0;
  }
}
