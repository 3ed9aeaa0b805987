// Bucketed histogram deltas as weighted points: what a DogStatsD distribution can be fed when only bucket counts and a sum are known.
//
// The merged registry keeps no raw observations, only per-bucket counts and a
// sum. Each bucket's new observations become one point at the bucket's
// midpoint, weighted by their count: the mean of a uniform spread over the
// bucket, the same assumption Prometheus's histogram_quantile makes when it
// interpolates. So Datadog's percentiles land within a bucket of the truth and
// its counts are exact. The +Inf bucket has no upper edge: its point is the
// mean its observations must have for the sum to come out right (never below
// the last finite bound), since the sum is the one exact thing known about them.

/** One representative value standing for `count` observations. */
export interface WeightedPoint {
  value: number;
  count: number;
}

/**
 * Points for one histogram series' new observations.
 *
 * @param bounds - The buckets' upper bounds, ascending; the last is Infinity (+Inf).
 * @param counts - New observations per bucket (not cumulative), same length as `bounds`.
 * @param sum - The sum of those new observations.
 */
export function bucketPoints(bounds: readonly number[], counts: readonly number[], sum: number): WeightedPoint[] {
  const out: WeightedPoint[] = [];
  let lower = 0;
  let finiteSum = 0;
  let lastFinite: number | undefined;
  for (let i = 0; i < bounds.length; i++) {
    const upper = bounds[i]!;
    const count = counts[i] ?? 0;
    if (upper === Infinity) {
      if (count > 0) out.push({ value: overflowValue(sum - finiteSum, count, lastFinite), count });
      break;
    }
    // Durations start at 0; a histogram whose first bound is not above 0 has no known lower edge, so its first point is the bound.
    const value = i === 0 && upper <= 0 ? upper : (lower + upper) / 2;
    if (count > 0) {
      out.push({ value, count });
      finiteSum += value * count;
    }
    lower = upper;
    lastFinite = upper;
  }
  return out;
}

function overflowValue(residual: number, count: number, lastFinite: number | undefined): number {
  const mean = residual / count;
  if (lastFinite === undefined) return Number.isFinite(mean) ? mean : 0;
  return Number.isFinite(mean) && mean > lastFinite ? mean : lastFinite;
}
