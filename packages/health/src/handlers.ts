// /health, /ready and /live for any HTTP framework: a Node (req, res) handler and a fetch-style one.

import type { IncomingMessage, ServerResponse } from 'node:http';
import { PROBE_PATHS, type Probe, answerProbe } from './probes.js';
import type { SystemHealth } from './system-health.js';

/**
 * A Node request handler that also fits Express and Connect as middleware:
 * requests for other paths go to `next` when there is one.
 */
export type NodeHealthHandler = (req: IncomingMessage, res: ServerResponse, next?: (err?: unknown) => void) => void;

/** A fetch-style handler (Hono, Bun, Deno, Next.js route handlers, undici). */
export type FetchHealthHandler = (request: Request) => Promise<Response>;

/**
 * The path of a request URL (`/live?x=1` -> `/live`); a full URL is fine too.
 * Undefined for a target the HTTP parser lets through but URL refuses
 * (`//x:99999/health`): a throw here would be an uncaught exception in a
 * plain node:http listener, and the process would die of one request.
 */
function pathOf(url: string): string | undefined {
  try {
    return new URL(url, 'http://localhost').pathname;
  } catch {
    return undefined;
  }
}

/**
 * Serves /health, /ready and /live from any Node HTTP stack, with the same
 * answers as {@link serveHealth}'s endpoint (application/health+json, 503 on
 * `fail`). Other paths go to `next` when given (Express, Connect), else get a
 * 404; methods other than GET and HEAD get a 405.
 *
 * ```ts
 * const health = new SystemHealth(system);
 * http.createServer(createHealthHandler(health)).listen(8080);   // plain node:http
 * app.use(createHealthHandler(health));                          // Express: /health, /ready, /live
 * app.use('/probes', createHealthHandler(health));               // Express: /probes/health, ...
 * ```
 *
 * Express strips a mount path before the handler sees the URL. Elsewhere,
 * route each probe's path to the handler with the request's own URL intact, or
 * serve {@link answerProbe} on paths of your choosing.
 */
export function createHealthHandler(health: SystemHealth): NodeHealthHandler {
  return (req, res, next) => {
    const path = pathOf(req.url ?? '/');
    if (path === undefined && !next) {
      res.writeHead(400, { 'Content-Type': 'text/plain; charset=utf-8' });
      res.end('bad request target\n');
      return;
    }
    const probe: Probe | undefined = path === undefined ? undefined : PROBE_PATHS[path];
    if (probe === undefined) {
      if (next) return next();
      res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' });
      res.end('not found (try /health, /ready, /live)\n');
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { Allow: 'GET, HEAD' });
      res.end();
      return;
    }
    const a = answerProbe(health, probe);
    // For HEAD, Node's ServerResponse drops the body itself and keeps the headers.
    res.writeHead(a.statusCode, a.headers);
    res.end(JSON.stringify(a.body));
  };
}

/**
 * Serves /health, /ready and /live as a fetch-style handler: a `Request` in,
 * a `Response` out, with the same answers as {@link createHealthHandler}
 * (other paths: 404; other methods: 405).
 *
 * ```ts
 * const probes = createHealthFetchHandler(health);
 * app.get('/live', (c) => probes(c.req.raw));   // Hono
 * ```
 */
export function createHealthFetchHandler(health: SystemHealth): FetchHealthHandler {
  return async (request) => {
    const path = pathOf(request.url);
    const probe: Probe | undefined = path === undefined ? undefined : PROBE_PATHS[path];
    if (probe === undefined) return new Response('not found (try /health, /ready, /live)\n', { status: 404, headers: { 'Content-Type': 'text/plain; charset=utf-8' } });
    if (request.method !== 'GET' && request.method !== 'HEAD') return new Response(null, { status: 405, headers: { Allow: 'GET, HEAD' } });
    const a = answerProbe(health, probe);
    return new Response(request.method === 'HEAD' ? null : JSON.stringify(a.body), { status: a.statusCode, headers: a.headers });
  };
}
