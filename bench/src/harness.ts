// Bench harness: repeated runs, medians with spread, ratio checks, and a readable table.

export interface Sample {
  median: number;
  min: number;
  max: number;
  runs: number[];
}

export function sample(runs: number[]): Sample {
  const sorted = [...runs].sort((a, b) => a - b);
  return { median: median(sorted), min: sorted[0]!, max: sorted[sorted.length - 1]!, runs };
}

/** The median of an ascending array: its middle value, or the mean of its two middle values for an even count. */
export function median(sorted: ArrayLike<number>): number {
  const n = sorted.length;
  if (n === 0) return NaN;
  const h = n >> 1;
  return n % 2 === 1 ? sorted[h]! : (sorted[h - 1]! + sorted[h]!) / 2;
}

/** Percentile of an ascending array (nearest rank). */
export function percentile(sorted: ArrayLike<number>, q: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

/**
 * A full collection of this thread's heap now (with --expose-gc, as `npm run
 * bench` runs), so garbage left by an earlier benchmark (nact's millions of
 * objects, say) is not collected by V8's helper threads during a measurement,
 * on the cores the shards are using.
 */
export function settle(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

/** At least `w.runs` runs of `fn`, and more until `w.ms` have passed (at most 200). */
async function warmUp(fn: () => Promise<number> | number, w: { runs: number; ms: number }): Promise<void> {
  const start = performance.now();
  for (let i = 0; i < 200 && (i < w.runs || performance.now() - start < w.ms); i++) await fn();
}

/** Runs `fn` after a warm-up (a count, or a count and a minimum time), keeping the measured `runs` results. */
export async function repeat(runs: number, warmup: number | { runs: number; ms: number }, fn: () => Promise<number> | number): Promise<Sample> {
  await warmUp(fn, typeof warmup === 'number' ? { runs: warmup, ms: 0 } : warmup);
  settle();
  const out: number[] = [];
  for (let i = 0; i < runs; i++) out.push(await fn());
  return sample(out);
}

/**
 * Runs every one of `fns` `runs` times, in rounds that take each once (the
 * order rotating round by round), after warming each up in turn as
 * {@link repeat} does, with a full collection of this thread's heap
 * (`settle`) before each round, not once. A figure and its baseline then come from the same
 * minutes: on a box whose CPUs change speed between phases (one kernel at 7
 * and at 10 ms on the same CPU minutes apart), timed phase after phase they
 * gave Trapezoid against piscina 0.88x in a full run and 1.04x alone.
 */
export async function interleave(runs: number, warmup: { runs: number; ms: number }, fns: readonly (() => Promise<number>)[]): Promise<Sample[]> {
  for (const fn of fns) await warmUp(fn, warmup);
  const out: number[][] = fns.map(() => []);
  for (let r = 0; r < runs; r++) {
    settle();
    for (let i = 0; i < fns.length; i++) {
      const k = (i + r) % fns.length;
      out[k]!.push(await fns[k]!());
    }
  }
  return out.map(sample);
}

/** One line of the results: a measured figure beside its baseline and the target ratio. */
export interface Row {
  group: string;
  name: string;
  unit: string;
  joerl: Sample;
  baseline?: { name: string; sample: Sample };
  /** joerl / baseline when higher is better, baseline / joerl when lower is better. */
  ratio?: number;
  /** The ratio the issue asks for (>=), if any. */
  target?: number;
  /** Any other target, as text (e.g. "<= 1024 B"), with its verdict. */
  check?: { text: string; pass: boolean };
  notes?: string;
  /** Why the row has no figure (e.g. Erlang/OTP is not installed): shown, never counted as a miss. */
  skipped?: string;
  /** The process that produced the row (every unit runs in a fresh one; see isolate.ts). */
  process?: ProcessTag;
}

/** Which process produced a row: its sequence number in the run, OS pid, unit and repeat. */
export interface ProcessTag {
  seq: number;
  pid: number;
  unit: string;
  repeat: number;
}

export function compare(row: Omit<Row, 'ratio'>, higherIsBetter: boolean): Row {
  if (row.baseline === undefined) return row;
  const ratio = higherIsBetter ? row.joerl.median / row.baseline.sample.median : row.baseline.sample.median / row.joerl.median;
  return { ...row, ratio };
}

export function fmt(v: number, unit: string): string {
  if (!Number.isFinite(v)) return String(v);
  if (unit === 'msg/s' || unit === 'spawn/s' || unit === 'op/s') {
    if (v >= 1e6) return `${(v / 1e6).toFixed(2)}M`;
    if (v >= 1e3) return `${(v / 1e3).toFixed(1)}k`;
    return v.toFixed(0);
  }
  if (unit === 'us') return v >= 100 ? v.toFixed(0) : v.toFixed(1);
  if (unit === 'B') return v.toFixed(0);
  if (unit === 'ms') return v.toFixed(1);
  return v.toPrecision(3);
}

const spread = (s: Sample, unit: string) => `${fmt(s.median, unit)} (${fmt(s.min, unit)}-${fmt(s.max, unit)})`;

export function table(rows: Row[]): string {
  const head = ['benchmark', 'joerl (median, range)', 'baseline', 'ratio', 'target', ''];
  const body = rows.map((r) => {
    if (r.skipped !== undefined) return [`${r.group}/${r.name}`, `skipped: ${r.skipped}`, '', '', r.target === undefined ? '' : `>= ${r.target}x`, ''];
    const pass = r.check?.pass ?? (r.target === undefined || r.ratio === undefined ? undefined : r.ratio >= r.target);
    return [
      `${r.group}/${r.name}`,
      `${spread(r.joerl, r.unit)} ${r.unit}`,
      r.baseline ? `${r.baseline.name}: ${spread(r.baseline.sample, r.unit)}` : '',
      r.ratio === undefined ? '' : `${r.ratio.toFixed(2)}x`,
      r.check?.text ?? (r.target === undefined ? '' : `>= ${r.target}x`),
      pass === undefined ? '' : pass ? 'ok' : 'MISS',
    ];
  });
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
  return [line(head), line(widths.map((w) => '-'.repeat(w))), ...body.map(line)].join('\n');
}

/** The rows held to a target, in one block: each figure, its target and the verdict (the issue's table, in one place). */
export function targetSummary(rows: Row[]): string {
  const held = rows.filter((r) => r.target !== undefined || r.check !== undefined);
  const lines = held.map((r) => {
    const name = `${r.group}/${r.name}`;
    if (r.skipped !== undefined) return `  skip  ${name}: ${r.skipped}`;
    const pass = r.check?.pass ?? (r.ratio !== undefined && r.ratio >= r.target!);
    const figure = r.check !== undefined ? `${fmt(r.joerl.median, r.unit)} ${r.unit}` : r.ratio === undefined ? '-' : `${r.ratio.toFixed(2)}x`;
    return `  ${pass ? 'ok  ' : 'MISS'}  ${name}: ${figure} (target ${r.check?.text ?? `>= ${r.target}x`})`;
  });
  const missed = lines.filter((l) => l.startsWith('  MISS')).length;
  return [`targets: ${held.length - missed} of ${held.length} met`, ...lines].join('\n');
}
