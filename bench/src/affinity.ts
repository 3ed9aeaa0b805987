// CPU placement: how fast each CPU runs the same kernel now, and running a phase with every thread of this process on one CPU.
import { execFileSync } from 'node:child_process';
import { cpus } from 'node:os';
import { trapezoidArea } from './savina/kernels.js';

/*
 * On a shared host the CPUs of one machine need not run at one speed: on the
 * 2-core box the same kernel pinned to each CPU in turn (taskset) took
 * 349-386 ms on cpu 0 and 244-267 ms on cpu 1, and minutes later both ran
 * slow. A ratio between two actor systems whose busy shards sat on
 * different CPUs measured the CPUs, not telemetry: one full run's in-shard
 * telemetry pairs read 0.55x to 1.8x. So the phases that compare one busy
 * thread with another (the on/off pairs, nact, Erlang with one scheduler)
 * run with every thread of the process on one CPU, where Linux's taskset is
 * there (util-linux); without it nothing is pinned and the notes say so.
 */

/** Runs `taskset` with `args`; false when it is missing or refuses (not Linux, no permission). */
function taskset(args: string[]): boolean {
  try {
    execFileSync('taskset', args, { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

const ALL = `0-${cpus().length - 1}`;

/** One timing of the calibration kernel (ms): 300,000 trapezoids of Savina's integrand, ~10 ms. */
function kernelMs(): number {
  const t0 = performance.now();
  const area = trapezoidArea(1, 300_000, 4 / 300_000);
  const ms = performance.now() - t0;
  if (!(area > 0)) throw new Error('calibration kernel: no area');
  return ms;
}

/**
 * How long the calibration kernel takes on each CPU now (ms, best of five),
 * this thread pinned to each in turn and then set free; null without taskset.
 */
export function cpuSpeeds(): number[] | null {
  for (let i = 0; i < 20; i++) kernelMs(); // compiled before any CPU is timed
  const pid = String(process.pid);
  const ms: number[] = [];
  try {
    for (let c = 0; c < cpus().length; c++) {
      if (!taskset(['-p', '-c', String(c), pid])) return null;
      let best = Infinity;
      for (let i = 0; i < 5; i++) best = Math.min(best, kernelMs());
      ms.push(best);
    }
  } finally {
    taskset(['-p', '-c', ALL, pid]);
  }
  return ms;
}

/** `cpu0 12.1 ms, cpu1 8.4 ms`: what cpuSpeeds found, for a row's notes. */
export function describeSpeeds(ms: number[] | null): string {
  return ms === null ? 'CPU speeds not measured (no taskset)' : ms.map((x, c) => `cpu${c} ${x.toFixed(1)} ms`).join(', ');
}

/**
 * Runs `fn` with every thread of this process (and any thread or child
 * process they start) on CPU `cpu`, then sets them all free again; `fn`
 * runs unpinned when taskset is missing. Returns what `fn` returned and
 * whether it ran pinned.
 */
export async function onOneCpu<T>(cpu: number, fn: () => Promise<T>): Promise<{ value: T; pinned: boolean }> {
  const pid = String(process.pid);
  const pinned = taskset(['-a', '-p', '-c', String(cpu), pid]);
  try {
    return { value: await fn(), pinned };
  } finally {
    if (pinned) taskset(['-a', '-p', '-c', ALL, pid]);
  }
}

/** The CPU that ran the calibration kernel fastest (0 without figures). */
export function fastest(ms: number[] | null): number {
  if (ms === null) return 0;
  let best = 0;
  for (let c = 1; c < ms.length; c++) if (ms[c]! < ms[best]!) best = c;
  return best;
}

/**
 * CPUs whose calibration times lie within this factor of the fastest count
 * as equal. On the 2-core box one CPU at a time runs the kernel at 9-10 ms
 * instead of 7 for minutes on end (the host's other guests; 25 of 107 checks
 * over four idle minutes, one episode still going after 70 s), while a
 * thread pinned to the other reads 7.0-7.2 ms.
 */
export const EQUAL_WITHIN = 1.15;

/** Whether `ms` (cpuSpeeds' figures) are within EQUAL_WITHIN of each other; true without figures (nothing to wait for). */
export function isEqual(ms: number[] | null): boolean {
  return ms === null || Math.max(...ms) <= EQUAL_WITHIN * Math.min(...ms);
}
