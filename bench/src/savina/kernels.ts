// The computations of Savina's parallel benchmarks, shared by the joerl actors, the piscina tasks and the single-thread baselines.

// --- Trapezoid: the integral of Savina's fx over [1, 5] -----------------------------

/** Savina's integrand. */
export function fx(x: number): number {
  const a = Math.sin(x * x * x - 1);
  const b = x + 1;
  const c = a / b;
  const d = Math.sqrt(1 + Math.exp(Math.sqrt(2 * x)));
  return c * d;
}

/** Area of `pieces` trapezoids of width `h` from `left`. */
export function trapezoidArea(left: number, pieces: number, h: number): number {
  let area = 0;
  let y0 = fx(left);
  for (let i = 1; i <= pieces; i++) {
    const y1 = fx(left + i * h);
    area += 0.5 * (y0 + y1) * h;
    y0 = y1;
  }
  return area;
}

/*
 * Primed as this module loads, in every thread that loads it (the main thread, each shard, each
 * piscina worker): short calls first, so the call before the loop has type feedback when V8 first
 * compiles the whole function. Called long from cold, the first call's loop is compiled on stack
 * replacement (OSR) and the whole function right after, while that call site had none yet (it ran
 * before the function had a feedback vector). That code deopts at its first call ("insufficient
 * type feedback for call") and V8 did not compile the function again: every later call ran its loop
 * in the OSR code, which runs it at half speed. In 5 of 20 fresh processes (Node 20, 2026-12-04) the
 * single-thread Trapezoid took 420-475 ms a run instead of 212-245; primed, 0 of 30. A thread of a
 * phase that drew the slow code made Trapezoid's speed-up read 0.95-0.99x or 3.9x in one process.
 */
function primeTrapezoid(): void {
  for (let i = 0; i < 300; i++) trapezoidArea(1, 8, 0.5);
}
primeTrapezoid();

/** The work of worker `i` of `workers` for `pieces` trapezoids over [1, 5]. */
export function trapezoidSlice(i: number, workers: number, pieces: number): { left: number; pieces: number; h: number } {
  const h = 4 / pieces;
  const from = Math.floor((i * pieces) / workers);
  const to = Math.floor(((i + 1) * pieces) / workers);
  return { left: 1 + from * h, pieces: to - from, h };
}

// --- NQueens: count the placements of `size` queens ---------------------------------

/** Counts the completions of a partial board (`board[row] = column` for the first rows). */
export function nqueensCount(size: number, board: readonly number[]): number {
  let cols = 0;
  let d1 = 0;
  let d2 = 0;
  for (let r = 0; r < board.length; r++) {
    const c = board[r]!;
    cols |= 1 << c;
    d1 |= 1 << (r + c);
    d2 |= 1 << (r - c + size - 1);
  }
  return solve(size, board.length, cols, d1, d2);
}

function solve(size: number, row: number, cols: number, d1: number, d2: number): number {
  if (row === size) return 1;
  let n = 0;
  for (let c = 0; c < size; c++) {
    const a = 1 << c;
    const b = 1 << (row + c);
    const e = 1 << (row - c + size - 1);
    if ((cols & a) === 0 && (d1 & b) === 0 && (d2 & e) === 0) n += solve(size, row + 1, cols | a, d1 | b, d2 | e);
  }
  return n;
}

/** The boards one row longer than `board` that are still valid. */
export function nqueensExpand(size: number, board: readonly number[]): number[][] {
  const out: number[][] = [];
  const row = board.length;
  for (let c = 0; c < size; c++) {
    let ok = true;
    for (let r = 0; r < row && ok; r++) {
      const q = board[r]!;
      ok = q !== c && Math.abs(q - c) !== row - r;
    }
    if (ok) out.push([...board, c]);
  }
  return out;
}

/** Every valid board of `depth` rows: the work items below the threshold. */
export function nqueensPrefixes(size: number, depth: number): number[][] {
  let level: number[][] = [[]];
  for (let d = 0; d < depth; d++) level = level.flatMap((b) => nqueensExpand(size, b));
  return level;
}

/** Solutions of the n-queens problem, for checking results. */
export const NQUEENS_SOLUTIONS: Record<number, number> = { 8: 92, 9: 352, 10: 724, 11: 2680, 12: 14200, 13: 73712 };

// --- PiPrecision: pi to `digits` digits by the BBP formula, a run of terms per message ----------

/** Fixed-point scale for `digits` digits (plus guard digits). */
export function piScale(digits: number): bigint {
  return 10n ** BigInt(digits + 10);
}

/** How many BBP terms `digits` digits need (each term adds log10(16) digits). */
export function piTerms(digits: number): number {
  return Math.ceil((digits + 10) / Math.log10(16)) + 1;
}

/**
 * BBP term k, scaled: 16^-k (4/(8k+1) - 2/(8k+4) - 1/(8k+5) - 1/(8k+6)) * scale.
 * Divides by 16^k as a big number, as Savina's BigDecimal version does.
 */
export function piTerm(k: number, scale: bigint): bigint {
  const e = BigInt(8 * k);
  const sum = (4n * scale) / (e + 1n) - (2n * scale) / (e + 4n) - scale / (e + 5n) - scale / (e + 6n);
  return sum / 16n ** BigInt(k);
}

/** The sum of BBP terms k .. k+count-1, scaled: one work unit. */
export function piTermRun(k: number, count: number, scale: bigint): bigint {
  let sum = 0n;
  for (let i = k; i < k + count; i++) sum += piTerm(i, scale);
  return sum;
}

/** Pi's digits (as "31415..."), from the sum of the scaled terms. */
export function piDigits(sum: bigint, digits: number): string {
  return (sum / 10n ** 10n).toString().slice(0, digits);
}

export const PI_PREFIX = '314159265358979323846264338327950288419716939937510582097494459230781640628620899862803482534211706798214808651328230664709384460955058223172535940812848111745028410270193852110555964462294895493038196';
