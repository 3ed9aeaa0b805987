// @joerl/health: the health model, and the /health, /ready and /live probes.

export { DEFAULT_HEALTH, HealthConfigError, resolveHealthConfig } from './config.js';
export type { HealthConfig } from './config.js';
export { SystemHealth } from './system-health.js';
export type { HealthIssue, HealthSnapshot, HealthStatus, Measurement, Severity } from './system-health.js';
export { HEALTH_JSON, PROBE_PATHS, answerProbe, healthBody } from './probes.js';
export type { Probe, ProbeAnswer, ProbeStatus } from './probes.js';
export { createHealthFetchHandler, createHealthHandler } from './handlers.js';
export type { FetchHealthHandler, NodeHealthHandler } from './handlers.js';
export { mountHealth, serveHealth } from './http.js';
