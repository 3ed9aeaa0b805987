// The observer's options, checked at the door: a typed error that says what to fix.

import { InvalidOptionError } from '@joerl/runtime';
import type { EndpointOptions } from '@joerl/telemetry';

/** How the observer page is served. */
export interface ObserverOptions extends EndpointOptions {
  /** How often an open page gets a snapshot, in ms (default 1000, at least 100). */
  intervalMs?: number;
  /** Rows of the process table a page gets unless it asks for another number (default 100; a page may ask for up to 1000). */
  limit?: number;
  /** The Kill and Send-exit buttons and their endpoints (default true); false makes the page read-only. */
  actions?: boolean;
  /**
   * `Host` header values accepted besides the bound address, for a page reached
   * through another name (a reverse proxy, an SSH tunnel's name): `'name:port'`,
   * or `'name'` for any port. `'name:443'` (or `:80`) also matches the bare
   * name, which is what browsers send for a default port. Everything else is
   * refused (DNS rebinding).
   */
  allowedHosts?: readonly string[];
  /** Pages open at once (default 8); one more gets 503. */
  maxClients?: number;
}

/** The options in effect. */
export interface ResolvedObserverOptions {
  intervalMs: number;
  limit: number;
  actions: boolean;
  allowedHosts: string[];
  maxClients: number;
}

/** The most rows a page may ask for. */
export const MAX_LIMIT = 1000;

function integer(name: string, v: unknown, dflt: number, min: number, max: number): number {
  if (v === undefined) return dflt;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    throw new InvalidOptionError(`options.${name} must be an integer from ${min} to ${max}, got ${String(v)}`);
  }
  return v;
}

/** Fills in defaults and refuses bad values (ERR_INVALID_OPTION). */
export function resolveObserverOptions(o: ObserverOptions = {}): ResolvedObserverOptions {
  if (typeof o !== 'object' || o === null) throw new InvalidOptionError(`the observer's options must be an object, got ${String(o)}`);
  if (o.actions !== undefined && typeof o.actions !== 'boolean') throw new InvalidOptionError(`options.actions must be true or false, got ${String(o.actions)}`);
  const hosts = o.allowedHosts ?? [];
  if (!Array.isArray(hosts) || hosts.some((h) => typeof h !== 'string' || !/^[a-z0-9.\-[\]:]+$/i.test(h))) {
    throw new InvalidOptionError(`options.allowedHosts must be a list of host names (optionally with :port), got ${JSON.stringify(hosts)}`);
  }
  return {
    intervalMs: integer('intervalMs', o.intervalMs, 1000, 100, 3_600_000),
    limit: integer('limit', o.limit, 100, 1, MAX_LIMIT),
    actions: o.actions ?? true,
    allowedHosts: hosts.map((h) => h.toLowerCase()),
    maxClients: integer('maxClients', o.maxClients, 8, 1, 1000),
  };
}

/**
 * Refuses to serve the observer on a server that listens beyond this machine
 * (another address than a loopback one) unless `host` was asked for: the
 * metrics server may have been started on 0.0.0.0 for Prometheus, and the
 * page shows process state and carries the token its actions need.
 */
export function checkExposure(serverUrl: string, options: ObserverOptions): void {
  if (options.host !== undefined) return;
  const bound = new URL(serverUrl).hostname.toLowerCase();
  if (bound.startsWith('127.') || bound === '[::1]' || bound === 'localhost') return;
  throw new InvalidOptionError(
    `the metrics server is already listening on ${bound}, beyond this machine, and the observer shows process state and can kill processes: ` +
      `pass host: '${bound.replace(/^\[|\]$/g, '')}' to serve it there on purpose (with actions: false for a read-only page), or start the metrics server on 127.0.0.1`,
  );
}

/**
 * The options `asked` sets (leaving one out takes what runs) whose values
 * differ from those of a running observer, each as `name: running (asked
 * asked)`. `port` and `host` are the metrics server's, checked by it.
 */
export function optionsDiffer(running: ResolvedObserverOptions, asked: ObserverOptions = {}): string[] {
  const wanted = resolveObserverOptions(asked);
  const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
  const out: string[] = [];
  for (const key of ['intervalMs', 'limit', 'actions', 'allowedHosts', 'maxClients'] as const) {
    if (asked[key] === undefined) continue;
    const [r, w] = key === 'allowedHosts' ? [[...running[key]].sort(), [...wanted[key]].sort()] : [running[key], wanted[key]];
    if (!same(r, w)) out.push(`${key}: ${JSON.stringify(r)} (asked ${JSON.stringify(w)})`);
  }
  return out;
}
