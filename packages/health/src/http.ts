// /health, /ready and /live as application/health+json, on the same server as /metrics.

import type { ServerResponse } from 'node:http';
import type { ActorSystem } from '@joerl/runtime';
import type { EndpointOptions, TelemetryServer } from '@joerl/telemetry';
import type { HealthConfig } from './config.js';
import { type HealthSnapshot, SystemHealth } from './system-health.js';

/** The media type of the IETF health-check draft. */
export const HEALTH_JSON = 'application/health+json';

type Status = 'pass' | 'warn' | 'fail';

interface Check {
  componentId?: string;
  componentType: 'system' | 'component';
  observedValue: number;
  observedUnit: string;
  status: Status;
  time: string;
  output?: string;
}

/** Builds the application/health+json body: `checks` has one entry per measurement, keyed "component:measurement". */
export function healthBody(snapshot: HealthSnapshot, status: Status, description: string): object {
  const time = new Date().toISOString();
  const checks: Record<string, Check[]> = {};
  for (const m of snapshot.measurements) {
    const c: Check = { componentType: m.componentId === undefined ? 'system' : 'component', observedValue: m.observedValue, observedUnit: m.observedUnit, status: m.status, time };
    if (m.componentId !== undefined) c.componentId = m.componentId;
    (checks[m.check] ??= []).push(c);
  }
  return {
    status,
    version: '1',
    description,
    output: snapshot.issues.map((i) => `${i.title}: ${i.message}`).join('; ') || undefined,
    notes: [`joerl health: ${snapshot.status}`, `system ${snapshot.view.state}`],
    checks,
  };
}

function send(res: ServerResponse, status: Status, body: object): void {
  // pass and warn answer 2xx; fail answers 503 (the draft: 4xx-5xx), which Kubernetes probes read as failing.
  res.writeHead(status === 'fail' ? 503 : 200, { 'Content-Type': HEALTH_JSON, 'Cache-Control': 'no-store' });
  res.end(JSON.stringify(body));
}

/** Adds /health, /ready and /live to a running endpoint. */
export function mountHealth(server: TelemetryServer, health: SystemHealth): void {
  server.route('/health', (_req, res) => {
    const s = health.evaluate();
    const status: Status = s.status === 'Healthy' ? 'pass' : s.status === 'Degraded' ? 'warn' : 'fail';
    send(res, status, healthBody(s, status, 'joerl actor system health'));
  });
  server.route('/ready', (_req, res) => {
    const s = health.evaluate();
    const ready = health.isReady();
    send(res, ready ? (s.status === 'Healthy' ? 'pass' : 'warn') : 'fail', healthBody(s, ready ? 'pass' : 'fail', 'ready to take traffic'));
  });
  server.route('/live', (_req, res) => {
    const live = health.isLive();
    const s = health.evaluate();
    send(res, live ? 'pass' : 'fail', healthBody(s, live ? 'pass' : 'fail', 'alive (fails only when the process should be restarted)'));
  });
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
  const { health: config, ...endpoint } = options;
  const health = new SystemHealth(system, config);
  const server = await system.serveMetrics(endpoint);
  mountHealth(server, health);
  return { health, server };
}
