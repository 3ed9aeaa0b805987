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
export function pi(w: { k: number; count: number; digits: number }): string {
  if (w.digits !== scaleDigits) {
    scale = piScale(w.digits);
    scaleDigits = w.digits;
  }
  return piTermRun(w.k, w.count, scale).toString(16);
}
