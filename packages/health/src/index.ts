// @joerl/health: the health model, probes and HTTP endpoint (in progress).

/** Package version. */
export const VERSION = '0.1.0';
