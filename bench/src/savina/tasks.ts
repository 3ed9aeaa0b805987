// Piscina tasks: the same work units as the joerl parallel benchmarks, one task per message.
import { nqueensCount, piScale, piTermRun, trapezoidArea } from './kernels.js';

export function trapezoid(w: { left: number; pieces: number; h: number }): number {
  return trapezoidArea(w.left, w.pieces, w.h);
}

export function nqueens(w: { size: number; board: number[] }): number {
  return nqueensCount(w.size, w.board);
}

let scale = 0n;
let scaleDigits = -1;
/**
 * One unit's sum, as a bigint: postMessage clones bigints, so the main
 * thread only adds them up. (As hex text, the main thread parsed all ~1,000
 * of them inside the timed run, serial work the joerl side, whose workers
 * keep running sums and send 20 at the end, did not have.)
 */
export function pi(w: { k: number; count: number; digits: number }): bigint {
  if (w.digits !== scaleDigits) {
    scale = piScale(w.digits);
    scaleDigits = w.digits;
  }
  return piTermRun(w.k, w.count, scale);
}
