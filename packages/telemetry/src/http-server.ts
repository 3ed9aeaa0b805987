// The scrape endpoint: a small node:http server with /metrics, and room for other routes (health and the observer add their own).

import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import { TelemetryOptionError } from './config.js';

/** Where to listen. */
export interface EndpointOptions {
  /** Default 9090; 0 picks a free port. */
  port?: number;
  /** Default '127.0.0.1'. */
  host?: string;
}

/** Handles one request for its path (a GET or HEAD unless the route says otherwise). */
export type RouteHandler = (req: IncomingMessage, res: ServerResponse) => void | Promise<void>;

/** How a route is served. */
export interface RouteOptions {
  /** The methods it answers (default GET and HEAD); any other gets 405 with an `Allow` header. */
  methods?: readonly string[];
}

/** Why no route took a request: no route for its path (404), or its route does not answer its method (405, `allow` lists those it does). */
export interface RouteMiss {
  status: 404 | 405;
  path: string;
  allow: readonly string[];
}

/** Answers the requests under a prefix that no route takes (see {@link TelemetryServer.fallback}). */
export type FallbackHandler = (req: IncomingMessage, res: ServerResponse, miss: RouteMiss) => void | Promise<void>;

const GET_HEAD: readonly string[] = ['GET', 'HEAD'];

export function checkEndpoint(o: EndpointOptions | undefined): { port: number; host: string } {
  // A bare port (`serveMetrics(9091)`) has no `.port`: it would listen on 9090 without a word.
  if (o !== undefined && (typeof o !== 'object' || o === null)) {
    throw new TelemetryOptionError(`the metrics endpoint takes options like { port: 9091, host: '127.0.0.1' } (or none), got ${typeof o === 'string' ? JSON.stringify(o) : String(o)}`);
  }
  const port = o?.port ?? 9090;
  const host = o?.host ?? '127.0.0.1';
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 0 || port > 65535) {
    throw new TelemetryOptionError(`the metrics port must be an integer from 0 to 65535 (0: any free port), got ${String(port)}`);
  }
  if (typeof host !== 'string' || host.length === 0) throw new TelemetryOptionError(`the metrics host must be a non-empty string, got ${String(host)}`);
  return { port, host };
}

/**
 * The path of a request target: origin-form (`/metrics?x`, taken as sent), or
 * absolute-form (`http://127.0.0.1:9090/metrics`, RFC 7230 5.3.2, which a
 * client sends through a proxy and a server must accept). Only the latter is
 * parsed as a URL: parsed, an origin-form `//metrics` would become a host.
 */
function pathOf(target: string): string {
  if (!target.startsWith('/') && URL.canParse(target)) return new URL(target).pathname;
  return target.split('?')[0]!;
}

/** A running endpoint. `close()` it (the system does on shutdown). */
export class TelemetryServer {
  private readonly routes = new Map<string, { handler: RouteHandler; methods: readonly string[] }>();
  private readonly fallbacks = new Map<string, FallbackHandler>();
  /** Where it listens, read once listening: a closed node server's address() is null, and url and port must still answer. */
  private bound!: AddressInfo;
  private isClosed = false;
  private constructor(private readonly server: Server) {}

  /** Starts listening; `/metrics` serves `registry` as Prometheus text 0.0.4. */
  static async listen(registry: Registry, options?: EndpointOptions): Promise<TelemetryServer> {
    const { port, host } = checkEndpoint(options);
    let self: TelemetryServer;
    const server = createServer((req, res) => void self.dispatch(req, res));
    self = new TelemetryServer(server);
    self.route('/metrics', async (_req, res) => {
      const body = await registry.metrics();
      res.writeHead(200, { 'Content-Type': registry.contentType, 'Cache-Control': 'no-store' });
      res.end(body);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    self.bound = server.address() as AddressInfo;
    // Once listening, an error is a failed accept (EMFILE: out of file descriptors): with no listener it would be an
    // uncaught exception that kills the process, for a scrape. Reported instead, once per code (accept fails again and again).
    const warned = new Set<string>();
    server.on('error', (err: NodeJS.ErrnoException) => {
      const code = err.code ?? err.name;
      if (warned.has(code)) return;
      warned.add(code);
      process.emitWarning(`joerl metrics endpoint ${self.url}: ${err.message}`, { code: 'JOERL_HTTP_SERVER_ERROR' });
    });
    return self;
  }

  /** Adds (or replaces) the handler for `path` (an exact path, without the query). */
  route(path: string, handler: RouteHandler, options?: RouteOptions): void {
    const methods = options?.methods ?? GET_HEAD;
    if (!Array.isArray(methods) || methods.length === 0 || methods.some((m) => typeof m !== 'string' || m !== m.toUpperCase() || m === '')) {
      throw new TelemetryOptionError(`route methods must be a non-empty list of upper-case method names, got ${JSON.stringify(methods)}`);
    }
    this.routes.set(path, { handler, methods: [...methods] });
  }

  /** Removes the handler for `path`; true if there was one. */
  unroute(path: string): boolean {
    return this.routes.delete(path);
  }

  /**
   * Hands the requests under `prefix` (a path that starts and ends with '/')
   * that no route takes, an unknown path or a method its route does not
   * answer, to `handler`: an app mounted there answers its own 404 and 405, in
   * its own format and behind its own checks, instead of the server's plain
   * text (which lists every route). The longest matching prefix wins.
   */
  fallback(prefix: string, handler: FallbackHandler): void {
    if (typeof prefix !== 'string' || !prefix.startsWith('/') || !prefix.endsWith('/')) {
      throw new TelemetryOptionError(`a fallback prefix must start and end with '/', got ${JSON.stringify(prefix)}`);
    }
    this.fallbacks.set(prefix, handler);
  }

  /** Removes the fallback for `prefix`; true if there was one. */
  unfallback(prefix: string): boolean {
    return this.fallbacks.delete(prefix);
  }

  /** The port it listens on (still the one it listened on once closed). */
  get port(): number {
    return this.bound.port;
  }

  /** Its address, e.g. `http://127.0.0.1:9090` (still the one it listened on once closed). */
  get url(): string {
    const a = this.bound;
    return `http://${a.family === 'IPv6' ? `[${a.address}]` : a.address}:${a.port}`;
  }

  /** True once `close()` was called: it takes no more connections. */
  get closed(): boolean {
    return this.isClosed;
  }

  close(): Promise<void> {
    this.isClosed = true;
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  private async dispatch(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = pathOf(req.url ?? '/');
    const route = this.routes.get(path);
    if (route !== undefined && route.methods.includes(req.method ?? '')) return this.run(res, () => route.handler(req, res));
    const miss: RouteMiss = route === undefined ? { status: 404, path, allow: [] } : { status: 405, path, allow: route.methods };
    const fallback = this.fallbackOf(path);
    if (fallback !== undefined) return this.run(res, () => fallback(req, res, miss));
    if (route === undefined) {
      // (The path is echoed as plain text, which no browser may take for HTML: nosniff.)
      res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8', 'X-Content-Type-Options': 'nosniff' });
      res.end(`not found: ${path} (try ${[...this.routes.keys()].join(', ')})\n`);
      return;
    }
    res.writeHead(405, { Allow: route.methods.join(', ') });
    res.end();
  }

  /** The handler of the longest fallback prefix `path` is under. */
  private fallbackOf(path: string): FallbackHandler | undefined {
    let best: string | undefined;
    for (const prefix of this.fallbacks.keys()) if (path.startsWith(prefix) && (best === undefined || prefix.length > best.length)) best = prefix;
    return best === undefined ? undefined : this.fallbacks.get(best);
  }

  private async run(res: ServerResponse, handler: () => void | Promise<void>): Promise<void> {
    try {
      await handler();
    } catch (err) {
      if (!res.headersSent) res.writeHead(500, { 'Content-Type': 'text/plain; charset=utf-8' });
      res.end(`error: ${(err as Error).message}\n`);
    }
  }
}
