// Phases of a benchmark run on equal CPUs where the box allows: wait for them, run again when they changed.
import { cpuSpeeds, isEqual } from './affinity.js';

/**
 * The most one benchmark unit waits in all for equal CPUs: two minutes in a
 * full run, long enough for most of the 2-core box's episodes of one slow
 * CPU to end; on a host that keeps one CPU slow, the seven gated units
 * (cross-shard ping-pong, the gen_server calls, telemetry, tracing, the
 * three parallel benchmarks) add at most 42 minutes to a run of three
 * repeats.
 */
export const WAIT_BUDGET = { quickMs: 5_000, fullMs: 120_000 };

/** A gate with a unit's budget (WAIT_BUDGET) for a full or a `--quick` run. */
export function gateFor(quick: boolean): Gate {
  return new Gate({ budgetMs: quick ? WAIT_BUDGET.quickMs : WAIT_BUDGET.fullMs });
}

/** How many times a phase runs at most: again while the CPUs were unequal when it ended. */
const ATTEMPTS = 3;

/** `7.1/7.3 ms`: calibration times, CPU by CPU. */
const short = (ms: number[] | null): string => (ms === null ? 'not measured (no taskset)' : `${ms.map((x) => x.toFixed(1)).join('/')} ms`);

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

export interface GateOptions {
  /** The most it waits for equal CPUs, over all its phases (ms). */
  budgetMs: number;
  /** The CPU check: each CPU's time for one kernel (ms), null where it cannot be measured. */
  speeds?: () => number[] | null;
  /** How long it waits between two checks that found the CPUs unequal (ms). */
  pollMs?: number;
}

/**
 * Runs a benchmark's phases on equal CPUs: before each, it waits for the
 * CPU check (cpuSpeeds: one kernel on each CPU) to read them within
 * EQUAL_WITHIN of each other, and when they were unequal by the phase's end
 * it runs the phase again (a fresh system or pool), at most ATTEMPTS times,
 * within one budget of waiting for the whole benchmark. Once that is spent
 * a phase runs as it finds the CPUs, and its note says so. A speed-up
 * target of 1.8x presumes two CPUs that run at one speed: a full run
 * measured Trapezoid at 1.47x and 1.44x in two processes whose check read
 * one CPU at 10.5 ms and the other at 7.3 (at 1.90x in the one whose CPUs
 * read 7.4-7.8). Each phase's checks go in the notes of the rows made from it.
 */
export class Gate {
  private left: number;
  private readonly speeds: () => number[] | null;
  private readonly pollMs: number;
  private readonly said = new Map<string, string>();
  private waitedMs = 0;
  private phases = 0;
  private again = 0;
  private unequal = 0;

  constructor(opts: GateOptions) {
    this.left = opts.budgetMs;
    this.speeds = opts.speeds ?? cpuSpeeds;
    this.pollMs = opts.pollMs ?? 2000;
  }

  /** Runs `phase` (labelled `label` in the notes) on equal CPUs where it can; returns what its last attempt returned. */
  async run<T>(label: string, phase: () => Promise<T>): Promise<T> {
    this.phases++;
    for (let attempt = 1; ; attempt++) {
      const t0 = performance.now();
      let before = this.speeds();
      while (!isEqual(before) && performance.now() - t0 < this.left) {
        await new Promise((resolve) => setTimeout(resolve, Math.min(this.pollMs, this.left - (performance.now() - t0))));
        before = this.speeds();
      }
      const waited = performance.now() - t0;
      this.left = Math.max(0, this.left - waited);
      this.waitedMs += waited;
      const value = await phase();
      const after = this.speeds();
      const equal = isEqual(before) && isEqual(after);
      if (equal || attempt === ATTEMPTS || this.left === 0) {
        const wait = waited >= 1000 ? `, after ${(waited / 1000).toFixed(0)} s of waiting` : '';
        const again = attempt > 1 ? `, attempt ${attempt}` : '';
        this.said.set(label, `${label}: CPUs ${short(before)} before, ${short(after)} after${wait}${again}${equal ? '' : ' (unequal)'}`);
        if (!equal) this.unequal++;
        return value;
      }
      this.again++;
    }
  }

  /** What the checks of these phases read, for a row's notes. */
  notes(...labels: string[]): string {
    return labels.map((l) => this.said.get(l) ?? `${l}: not run`).join('; ');
  }

  /** All phases in a line: how many, how many ran again, how many on unequal CPUs, and the waiting. */
  summary(): string {
    return `CPU checks: ${plural(this.phases, 'phase')}, ${this.again} run again, ${this.unequal} on unequal CPUs, ${(this.waitedMs / 1000).toFixed(0)} s of waiting for equal ones`;
  }
}
