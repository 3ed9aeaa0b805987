// The observer: mounts the page, its live feed and its endpoints under /observer on a TelemetryServer, behind the guard.

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ActorSystem } from '@joerl/runtime';
import type { TelemetryServer } from '@joerl/telemetry';
import { ProcessActions } from './actions.js';
import { ASSET_FILES, Assets } from './assets.js';
import { Guard, type Refusal } from './guard.js';
import { sendError, sendFailure, sendJson } from './http-json.js';
import { Journal } from './journal.js';
import { ObserverRunningError } from './errors.js';
import { type ObserverOptions, type ResolvedObserverOptions, checkExposure, optionsDiffer, resolveObserverOptions } from './options.js';
import { Snapshots, parseQuery } from './snapshot.js';
import { Streams } from './stream.js';

/** Where the observer lives on its server. */
export const OBSERVER_PATH = '/observer';

const mounted = new WeakMap<TelemetryServer, Observer>();

/** The methods routed to the observer's handlers, which refuse those a path does not take. */
const ANY_METHOD = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'];

/**
 * A mounted observer page. Its URL is `<server>/observer`; `token` is what
 * the page sends with actions (for scripts: the `x-joerl-observer-token`
 * header). `close()` unmounts it; the system's shutdown closes the server.
 */
export class Observer {
  /** The page's address, e.g. `http://127.0.0.1:9090/observer`. */
  readonly url: string;
  /** This run's action token (random; in the served page only). */
  readonly token: string;
  readonly #server: TelemetryServer;
  readonly #paths: string[] = [];
  readonly #journal: Journal;
  readonly #streams: Streams;
  readonly #options: ResolvedObserverOptions;
  readonly #onClosing: () => Promise<void>;

  /** @internal use {@link mountObserver} or {@link serveObserver}. */
  constructor(server: TelemetryServer, system: ActorSystem, options?: ObserverOptions) {
    const o = resolveObserverOptions(options);
    this.#options = o;
    const guard = new Guard(server.url, o.allowedHosts);
    this.#server = server;
    this.url = `${server.url}${OBSERVER_PATH}`;
    this.token = guard.token;
    this.#journal = new Journal(system);
    // Each shard gets at most half an interval to answer: a stalled one is left out, not waited for.
    const answerMs = Math.min(500, Math.max(50, Math.floor(o.intervalMs / 2)));
    const snapshots = new Snapshots(system, this.#journal, answerMs, o.actions);
    this.#streams = new Streams(snapshots, o.intervalMs, o.maxClients);
    // The server closes with the system (serveObserver's endpoint): the pages hear why before their connections go.
    this.#onClosing = async () => {
      if (system.inspect().state !== 'running') await this.#streams.goodbye('the actor system stopped');
    };
    server.onClosing(this.#onClosing);
    const processes = new ProcessActions(system, answerMs);
    const assets = new Assets(guard.token, OBSERVER_PATH, o.limit);

    type Handler = (req: IncomingMessage, res: ServerResponse, params: URLSearchParams) => void | Promise<void>;
    const methodsOf = new Map<string, readonly string[]>();
    const add = (path: string, handler: Handler, check: (req: IncomingMessage) => Refusal | undefined, methods: readonly string[]) => {
      const full = `${OBSERVER_PATH}${path}`;
      this.#paths.push(full);
      methodsOf.set(full, methods);
      server.route(
        full,
        async (req, res) => {
          if (!methods.includes(req.method ?? '')) return refuseMethod(req, res, full, methods);
          const refusal = check(req);
          if (refusal !== undefined) return sendError(res, refusal.status, refusal.code, refusal.message);
          try {
            await handler(req, res, new URL(req.url ?? '/', 'http://x').searchParams);
          } catch (err) {
            sendFailure(res, err);
          }
        },
        // Every common method reaches us, so that a wrong one gets our JSON 405 (the server's own has no body).
        { methods: ANY_METHOD, checksHost: true },
      );
    };
    const refuseMethod = (req: IncomingMessage, res: ServerResponse, path: string, methods: readonly string[]) => {
      const refusal = guard.check(req); // the Host and Origin checks come first, as for every answer
      if (refusal !== undefined) return sendError(res, refusal.status, refusal.code, refusal.message);
      res.setHeader('Allow', methods.join(', '));
      sendError(res, 405, 'ERR_METHOD_NOT_ALLOWED', `${req.method ?? ''} is not allowed on ${path}: use ${methods.join(' or ')}`);
    };
    const read = (req: IncomingMessage) => guard.check(req);
    const data = (req: IncomingMessage) => guard.checkData(req);
    // The checks first: a foreign caller does not learn whether actions are on.
    const act = (req: IncomingMessage) =>
      guard.checkAction(req) ?? (o.actions ? undefined : { status: 403, code: 'ERR_ACTIONS_OFF', message: 'actions are off for this observer (options.actions: false)' });
    const GET = ['GET', 'HEAD'];
    add('', (_req, res) => assets.page(res), read, GET);
    add('/', (_req, res) => assets.page(res), read, GET);
    for (const f of ASSET_FILES) add(`/assets/${f}`, (_req, res) => assets.file(f, res), read, GET);
    add('/api/snapshot', async (_req, res, p) => sendJson(res, 200, await snapshots.take(parseQuery(p, o.limit, system.shards))), data, GET);
    add('/api/process', (_req, res, p) => processes.detail(p, res), data, GET);
    add('/events', (_req, res, p) => this.#streams.serve(res, parseQuery(p, o.limit, system.shards)), data, ['GET']);
    add('/api/kill', (req, res) => processes.kill(req, res), act, ['POST']);
    add('/api/exit', (req, res) => processes.exit(req, res), act, ['POST']);
    // Any other path under /observer/ is ours to answer too: JSON, and after the Host and Origin checks
    // (the server's own 404 is plain text, lists every route, and comes before any check).
    server.fallback(`${OBSERVER_PATH}/`, (req, res, miss) => {
      const refusal = guard.check(req);
      if (refusal !== undefined) return sendError(res, refusal.status, refusal.code, refusal.message);
      // An endpoint of ours, asked with a method no route of the server takes (TRACE...): its JSON 405.
      const methods = miss.status === 405 ? methodsOf.get(miss.path) : undefined;
      if (methods !== undefined) return refuseMethod(req, res, miss.path, methods);
      sendError(res, 404, 'ERR_NOT_FOUND', `no observer endpoint at ${miss.path}: see the observer README for its endpoints`);
    }, { checksHost: true });
  }

  /** Pages connected to the live feed right now. */
  get pages(): number {
    return this.#streams.size;
  }

  /** Unmounts the page and its endpoints and ends open feeds; the server itself keeps running. */
  close(): void {
    if (mounted.get(this.#server) !== this) return;
    mounted.delete(this.#server);
    for (const p of this.#paths) this.#server.unroute(p);
    this.#server.unfallback(`${OBSERVER_PATH}/`);
    this.#server.offClosing(this.#onClosing);
    this.#streams.close();
    this.#journal.close();
  }

  /** @internal */
  static mount(server: TelemetryServer, system: ActorSystem, options?: ObserverOptions): Observer {
    const existing = mounted.get(server);
    if (existing !== undefined) {
      // Returning it as it is would ignore what was asked (actions: false, say, and the buttons stay on).
      const differences = optionsDiffer(existing.#options, options);
      if (differences.length > 0) throw new ObserverRunningError(existing.url, differences);
      return existing;
    }
    const o = new Observer(server, system, options);
    mounted.set(server, o);
    return o;
  }
}

/**
 * Mounts the observer page at `/observer` on a running TelemetryServer (the
 * one `system.serveMetrics()` returns, or your own). One observer per server:
 * a second call returns the first, unless it sets an option to another value
 * than the first has (ERR_OBSERVER_RUNNING: close the first to change them).
 */
export function mountObserver(server: TelemetryServer, system: ActorSystem, options?: ObserverOptions): Observer {
  return Observer.mount(server, system, options);
}

/**
 * Serves the observer at `/observer` on the system's metrics server (the one
 * with /metrics and /health; started on `options.port`/`host`, 127.0.0.1:9090
 * by default, if it is not running yet). Off until you call this: the page
 * shows process state and can kill processes. A running server bound beyond
 * this machine (0.0.0.0, say, for Prometheus) is used only when `host` names
 * it: otherwise ERR_INVALID_OPTION. A second call returns the running
 * observer; one that sets an option to another value than it has is
 * ERR_OBSERVER_RUNNING.
 *
 * ```ts
 * const observer = await serveObserver(system);
 * console.log(`observer: ${observer.url}`);
 * ```
 */
export async function serveObserver(system: ActorSystem, options: ObserverOptions = {}): Promise<Observer> {
  resolveObserverOptions(options); // bad options fail before a server starts
  const endpoint = { ...(options.port === undefined ? {} : { port: options.port }), ...(options.host === undefined ? {} : { host: options.host }) };
  const server = await system.serveMetrics(endpoint);
  checkExposure(server.url, options);
  return mountObserver(server, system, options);
}
