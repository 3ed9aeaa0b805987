// The system's one HTTP endpoint (/metrics, and the health probes mounted on it): started once, asked again, returned or refused.

import type { EndpointOptions, TelemetryServer } from '@joerl/telemetry';
import { InvalidOptionError, ServerRunningError, SystemStoppedError } from '../errors.js';

type Registry = Parameters<typeof TelemetryServer.listen>[0];

export class MetricsEndpoint {
  /** The last server whose listen succeeded. */
  private current: TelemetryServer | null = null;
  private serving: Promise<TelemetryServer> | null = null;
  private host = '';
  /** The running server's allowedHosts, as a key (a later serve that names others is refused, not ignored). */
  private hosts = '';
  /** close() was called: no server starts any more (a serve still importing the package when it was must not listen after). */
  private closed = false;

  constructor(private readonly registry: Registry) {}

  /** The running server: null until its listen succeeded, and again once it is closed (by its owner or the shutdown). */
  get server(): TelemetryServer | null {
    return this.current === null || this.current.closed ? null : this.current;
  }

  /**
   * Starts the endpoint, or returns the running one when `options` fit it (no
   * port, port 0 or its port; its host). Another port or host throws
   * ERR_SERVER_RUNNING: one system, one endpoint.
   */
  async serve(options: EndpointOptions | undefined): Promise<TelemetryServer> {
    // Loaded on first use, not at the top: every shard loads this file (actor modules import the package's entry),
    // and the server with node:http cost each of them heap only the main thread needs.
    const { TelemetryServer, checkEndpoint } = await import('@joerl/telemetry');
    let endpoint: { port: number; host: string; allowedHosts: readonly string[] };
    try {
      endpoint = checkEndpoint(options);
    } catch (err) {
      throw new InvalidOptionError((err as Error).message);
    }
    for (;;) {
      if (this.closed) throw new SystemStoppedError();
      if (this.serving === null) {
        const serving = (this.serving = TelemetryServer.listen(this.registry, endpoint).then((server) => {
          this.current = server;
          this.host = endpoint.host;
          this.hosts = [...endpoint.allowedHosts].sort().join(' ');
          return server;
        }));
        // A failed listen (the port is taken) leaves room for another try.
        serving.catch(() => {
          if (this.serving === serving) this.serving = null;
        });
        return serving;
      }
      const serving = this.serving;
      const server = await serving;
      // Its owner closed it (server.close()): it serves nothing, so it is forgotten and the next serve starts anew.
      if (server.closed) {
        if (this.serving === serving) this.serving = null;
        continue;
      }
      const samePort = options?.port === undefined || endpoint.port === 0 || endpoint.port === server.port;
      const sameHosts = options?.allowedHosts === undefined || [...endpoint.allowedHosts].sort().join(' ') === this.hosts;
      if (samePort && sameHosts && (options?.host === undefined || endpoint.host === this.host)) return server;
      throw new ServerRunningError(server.url, `${endpoint.host}:${endpoint.port}`);
    }
  }

  /** Closes it, if it was started (a listen still under way is awaited first). */
  async close(): Promise<void> {
    this.closed = true;
    if (this.serving !== null) await this.serving.then((s) => s.close(), () => {});
  }
}
