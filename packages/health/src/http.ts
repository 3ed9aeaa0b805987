// /health, /ready and /live on the same server as /metrics (the system's built-in endpoint).

import type { ActorSystem } from '@joerl/runtime';
import type { EndpointOptions, TelemetryServer } from '@joerl/telemetry';
import { type HealthConfig, HealthConfigError } from './config.js';
import { PROBE_PATHS, answerProbe } from './probes.js';
import { SystemHealth } from './system-health.js';

/**
 * Adds /health, /ready and /live to a running endpoint (the server of
 * `system.serveMetrics()`). For another HTTP framework, see
 * {@link createHealthHandler} and {@link createHealthFetchHandler}.
 */
export function mountHealth(server: TelemetryServer, health: SystemHealth): void {
  for (const [path, probe] of Object.entries(PROBE_PATHS)) {
    server.route(path, (_req, res) => {
      const a = answerProbe(health, probe);
      res.writeHead(a.statusCode, a.headers);
      res.end(JSON.stringify(a.body));
    });
  }
}

/**
 * Serves /metrics, /health, /ready and /live for `system` on one HTTP server
 * (127.0.0.1:9090 by default). Returns the health model and the server. A
 * system has one endpoint: if it already serves one, the probes are mounted
 * there when the options fit it (no port, port 0 or its port), and a
 * different port or host rejects with `ERR_SERVER_RUNNING`.
 */
export async function serveHealth(
  system: ActorSystem,
  options: EndpointOptions & { health?: Partial<HealthConfig> } = {},
): Promise<{ health: SystemHealth; server: TelemetryServer }> {
  // A bare port (`serveHealth(system, 9091)`) spreads to no options at all: it would listen on 9090 without a word.
  if (typeof options !== 'object' || options === null) {
    throw new HealthConfigError(`serveHealth takes options like { port: 9091, health: { maxActors: 50_000 } } (or none), got ${typeof options === 'string' ? JSON.stringify(options) : String(options)}`);
  }
  const { health: config, ...endpoint } = options;
  const health = new SystemHealth(system, config);
  let server: TelemetryServer;
  try {
    server = await system.serveMetrics(endpoint);
  } catch (err) {
    // No server, no health to hand back: its sampling stops here rather than run for the process's life.
    health.stop();
    throw err;
  }
  mountHealth(server, health);
  return { health, server };
}
