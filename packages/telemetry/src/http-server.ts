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
  /**
   * Bound to a loopback address, the endpoint answers only requests whose
   * `Host` is a loopback name (`localhost`, `127.x.x.x`, `[::1]`, any
   * port), so that a web page cannot read it through DNS rebinding (a name
   * of theirs that resolves to 127.0.0.1). Names it is also reached by (a
   * proxy in front of it): `'metrics.internal'` (any port) or
   * `'metrics.internal:8080'`. Bound to another address, any Host is
   * answered (scrapers use whatever name reaches it).
   */
  allowedHosts?: readonly string[];
}

/** Handles one request for its path (a GET or HEAD unless the route says otherwise). */
export type RouteHandler = (req: IncomingMessage, res: ServerResponse) => void | Promise<void>;

/** How a route is served. */
export interface RouteOptions {
  /** The methods it answers (default GET and HEAD); any other gets 405 with an `Allow` header. */
  methods?: readonly string[];
  /** The handler checks the request's Host itself (the observer's, with its own allowedHosts): the server's check is skipped. */
  checksHost?: boolean;
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

export function checkEndpoint(o: EndpointOptions | undefined): { port: number; host: string; allowedHosts: readonly string[] } {
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
  const allowedHosts = o?.allowedHosts ?? [];
  if (!Array.isArray(allowedHosts) || allowedHosts.some((h) => typeof h !== 'string' || h.length === 0 || /[\s/]/.test(h))) {
    throw new TelemetryOptionError(`the metrics allowedHosts must be a list of host names, with or without a port (['metrics.internal', 'proxy:8080']), got ${JSON.stringify(allowedHosts)}`);
  }
  return { port, host, allowedHosts: allowedHosts.map((h) => h.toLowerCase()) };
}

/** The host name of a Host value `host[:port]`, lower case (an IPv6 address keeps its brackets). */
function hostName(h: string): string {
  return h.startsWith('[') ? h.slice(0, h.indexOf(']') + 1) : h.split(':')[0]!;
}

/** A loopback name or address: `localhost`, 127.0.0.0/8, `[::1]` (or `::1`, as a bound address reads). */
function isLoopback(name: string): boolean {
  return name === 'localhost' || name === '[::1]' || name === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(name);
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
  private readonly routes = new Map<string, { handler: RouteHandler; methods: readonly string[]; checksHost: boolean }>();
  private readonly fallbacks = new Map<string, { handler: FallbackHandler; checksHost: boolean }>();
  /** Bound to a loopback address: only loopback names (and allowedHosts) may be its Host (see EndpointOptions.allowedHosts). */
  private loopbackOnly = false;
  private allowedHosts: ReadonlySet<string> = new Set();
  /** Where it listens, read once listening: a closed node server's address() is null, and url and port must still answer. */
  private bound!: AddressInfo;
  private isClosed = false;
  private readonly closingHooks = new Set<() => Promise<void>>();
  private closing: Promise<void> | null = null;
  private constructor(private readonly server: Server) {}

  /** Starts listening; `/metrics` serves `registry` as Prometheus text 0.0.4. */
  static async listen(registry: Registry, options?: EndpointOptions): Promise<TelemetryServer> {
    const { port, host, allowedHosts } = checkEndpoint(options);
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
    self.loopbackOnly = isLoopback(self.bound.address);
    self.allowedHosts = new Set(allowedHosts);
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
    this.routes.set(path, { handler, methods: [...methods], checksHost: options?.checksHost === true });
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
  fallback(prefix: string, handler: FallbackHandler, options?: { checksHost?: boolean }): void {
    if (typeof prefix !== 'string' || !prefix.startsWith('/') || !prefix.endsWith('/')) {
      throw new TelemetryOptionError(`a fallback prefix must start and end with '/', got ${JSON.stringify(prefix)}`);
    }
    this.fallbacks.set(prefix, { handler, checksHost: options?.checksHost === true });
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

  /**
   * `hook` runs when `close()` is called, before the connections are cut, and is awaited: a route that
   * streams (the observer's feed) says goodbye there. `offClosing` takes it back.
   */
  onClosing(hook: () => Promise<void>): void {
    this.closingHooks.add(hook);
  }

  offClosing(hook: () => Promise<void>): void {
    this.closingHooks.delete(hook);
  }

  /** Stops taking connections, runs the closing hooks, then cuts what is still open. Called again: the first call's promise. */
  close(): Promise<void> {
    if (this.closing !== null) return this.closing;
    this.isClosed = true;
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    const hooks = [...this.closingHooks].map((h) => Promise.resolve().then(h).catch(() => {}));
    this.closingHooks.clear();
    this.closing = Promise.all(hooks).then(() => {
      this.server.closeAllConnections();
      return closed;
    });
    return this.closing;
  }

  private async dispatch(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = pathOf(req.url ?? '/');
    const route = this.routes.get(path);
    const takes = route !== undefined && route.methods.includes(req.method ?? '');
    const fallback = takes ? undefined : this.fallbackOf(path);
    if (!(takes ? route!.checksHost : fallback?.checksHost === true) && !this.hostAllowed(req.headers.host)) {
      res.writeHead(403, { 'Content-Type': 'text/plain; charset=utf-8', 'X-Content-Type-Options': 'nosniff' });
      res.end(`Host ${JSON.stringify(req.headers.host)} is not a loopback name, and this endpoint is bound to ${this.bound.address}: reach it as localhost or 127.0.0.1, or list the name in the endpoint's allowedHosts\n`);
      return;
    }
    if (takes) return this.run(res, () => route!.handler(req, res));
    const miss: RouteMiss = route === undefined ? { status: 404, path, allow: [] } : { status: 405, path, allow: route.methods };
    if (fallback !== undefined) return this.run(res, () => fallback.handler(req, res, miss));
    if (route === undefined) {
      // (The path is echoed as plain text, which no browser may take for HTML: nosniff.)
      res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8', 'X-Content-Type-Options': 'nosniff' });
      res.end(`not found: ${path} (try ${[...this.routes.keys()].join(', ')})\n`);
      return;
    }
    res.writeHead(405, { Allow: route.methods.join(', ') });
    res.end();
  }

  /**
   * May a request with this Host be answered? Always, unless bound to a
   * loopback address; then a loopback name (any port: a tunnel changes it)
   * or one of allowedHosts. A request without Host (HTTP/1.0) is no
   * browser's.
   */
  private hostAllowed(host: string | undefined): boolean {
    if (!this.loopbackOnly || host === undefined) return true;
    const h = host.toLowerCase();
    const name = hostName(h);
    return isLoopback(name) || this.allowedHosts.has(name) || this.allowedHosts.has(h);
  }

  /** The longest fallback prefix `path` is under, with its handler. */
  private fallbackOf(path: string): { handler: FallbackHandler; checksHost: boolean } | undefined {
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
