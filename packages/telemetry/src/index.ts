// @joerl/telemetry: metric catalogue, per-thread metric shards, aggregation, exposition and traces (in progress).

/** Package version. */
export const VERSION = '0.1.0';
