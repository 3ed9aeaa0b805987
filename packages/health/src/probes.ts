// The answers of /health, /ready and /live, computed once for every way of serving them.

import { InvalidArgumentError } from '@joerl/runtime';
import type { HealthSnapshot, SystemHealth } from './system-health.js';

/** The media type of the IETF health-check draft. */
export const HEALTH_JSON = 'application/health+json';

/** A probe: `health` (overall status), `ready` (take traffic?), `live` (restart the process?). */
export type Probe = 'health' | 'ready' | 'live';

/** The probes, each by the path it is served on. */
export const PROBE_PATHS: Readonly<Record<string, Probe>> = Object.freeze({ '/health': 'health', '/ready': 'ready', '/live': 'live' });

/** A check's (and a whole answer's) verdict in application/health+json. */
export type ProbeStatus = 'pass' | 'warn' | 'fail';

/** One probe's answer, ready for any HTTP stack. */
export interface ProbeAnswer {
  /** 200 for pass and warn; 503 for fail (the draft says 4xx-5xx; Kubernetes probes read it as failing). */
  statusCode: 200 | 503;
  /** The response headers: application/health+json, never cached. */
  headers: { 'Content-Type': typeof HEALTH_JSON; 'Cache-Control': 'no-store' };
  /** The application/health+json document. */
  body: object;
}

interface Check {
  componentId?: string;
  componentType: 'system' | 'component';
  observedValue: number;
  observedUnit: string;
  status: ProbeStatus;
  time: string;
  output?: string;
}

/** Builds the application/health+json body: `checks` has one entry per measurement, keyed "component:measurement". */
export function healthBody(snapshot: HealthSnapshot, status: ProbeStatus, description: string): object {
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

function answer(status: ProbeStatus, body: object): ProbeAnswer {
  return { statusCode: status === 'fail' ? 503 : 200, headers: { 'Content-Type': HEALTH_JSON, 'Cache-Control': 'no-store' }, body };
}

/**
 * Evaluates one probe now. Every way of serving the probes (the built-in
 * endpoint, {@link createHealthHandler}, {@link createHealthFetchHandler})
 * answers with this, so they all agree; use it directly to serve a probe
 * from any other HTTP stack, or on another path:
 *
 * ```ts
 * const { statusCode, headers, body } = answerProbe(health, 'ready');
 * ```
 */
export function answerProbe(health: SystemHealth, probe: Probe): ProbeAnswer {
  const s = health.evaluate();
  switch (probe) {
    case 'health': {
      const status: ProbeStatus = s.status === 'Healthy' ? 'pass' : s.status === 'Degraded' ? 'warn' : 'fail';
      return answer(status, healthBody(s, status, 'joerl actor system health'));
    }
    case 'ready': {
      // Ready while Degraded is a warn, in the body as in /health's.
      const status: ProbeStatus = !health.isReady() ? 'fail' : s.status === 'Healthy' ? 'pass' : 'warn';
      return answer(status, healthBody(s, status, 'ready to take traffic'));
    }
    case 'live': {
      const live = health.isLive();
      return answer(live ? 'pass' : 'fail', healthBody(s, live ? 'pass' : 'fail', 'alive (fails only when the process should be restarted)'));
    }
    default:
      throw new InvalidArgumentError(`unknown probe ${JSON.stringify(probe) ?? String(probe)}: expected 'health', 'ready' or 'live'`);
  }
}
