// Who may use the observer: a Host that names the bound address (DNS rebinding), our own Origin, and for actions the page's token.

import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { hostname, networkInterfaces } from 'node:os';

/** The header that carries the page's token on actions. */
export const TOKEN_HEADER = 'x-joerl-observer-token';

/** Why a request is refused: the HTTP status and a JSON error. */
export interface Refusal {
  status: number;
  code: string;
  message: string;
}

const refuse = (status: number, code: string, message: string): Refusal => ({ status, code, message });

/** Does `host[:port]` name a port? (`[::1]` alone does not.) */
const hasPort = (h: string): boolean => /:\d+$/.test(h) && !h.endsWith(']');

/** The host name of `host[:port]` (an IPv6 address keeps its brackets). */
const nameOf = (h: string): string => (h.startsWith('[') ? h.slice(0, h.indexOf(']') + 1) : h.split(':')[0]!);

/**
 * The observer's door. A page served on 127.0.0.1 can be reached from a
 * hostile web page through DNS rebinding (a name of theirs that resolves to
 * 127.0.0.1): the browser then sends their name as `Host`, so every request
 * must name the address we are bound to. Actions also need the token
 * embedded in the page, which only a page we served can read.
 */
export class Guard {
  /** Random per run: in the page we serve, and nowhere else. */
  readonly token = randomBytes(24).toString('base64url');
  /** Accepted `host:port` values, lower case: the bound address (and the machine's, when bound to all). */
  readonly #hosts = new Set<string>();
  /** Accepted host names with any port: the loopback names. */
  readonly #names = new Set<string>();
  /** What `allowedHosts` adds: `host:port` values and names with any port. Trusted as origins too. */
  readonly #userHosts = new Set<string>();
  readonly #userNames = new Set<string>();

  constructor(serverUrl: string, allowedHosts: readonly string[]) {
    const url = new URL(serverUrl);
    const port = url.port || '80';
    const bound = url.hostname.toLowerCase();
    const add = (host: string) => {
      this.#hosts.add(`${host}:${port}`);
      if (port === '80') this.#hosts.add(host);
    };
    add(bound);
    const loopback = bound.startsWith('127.') || bound === '[::1]';
    const wildcard = bound === '0.0.0.0' || bound === '[::]';
    // Loopback names with any port: only a browser on this machine sends them, and a tunnel (ssh -L 8080:...) changes the port.
    if (loopback || wildcard) for (const h of ['localhost', '127.0.0.1', '[::1]']) this.#names.add(h);
    if (wildcard) {
      // Bound to every interface: any of this machine's own addresses and its name are ours.
      add(hostname().toLowerCase());
      for (const list of Object.values(networkInterfaces())) {
        for (const a of list ?? []) add(a.family === 'IPv6' ? `[${a.address.split('%')[0]!.toLowerCase()}]` : a.address);
      }
    }
    for (const h of allowedHosts) {
      if (hasPort(h)) this.#userHosts.add(h);
      else this.#userNames.add(h);
    }
  }

  /** Is `host` (a Host header) one of ours? */
  allows(host: string): boolean {
    const h = host.toLowerCase();
    const name = nameOf(h);
    return this.#hosts.has(h) || this.#names.has(name) || this.#userAllows(h);
  }

  /**
   * `h` (lower case) is in allowedHosts. A browser leaves a scheme's default
   * port out of Host and Origin: a bare name matches an entry written with
   * :80 or :443 (an Origin passes its scheme's port instead, `defaultPort`).
   */
  #userAllows(h: string, defaultPort?: string): boolean {
    if (this.#userNames.has(nameOf(h))) return true;
    if (hasPort(h)) return this.#userHosts.has(h);
    if (defaultPort !== undefined) return this.#userHosts.has(`${h}:${defaultPort}`);
    return this.#userHosts.has(`${h}:80`) || this.#userHosts.has(`${h}:443`);
  }

  /** Every observer request: the Host must be ours, and so must the Origin when the browser sends one. */
  check(req: IncomingMessage): Refusal | undefined {
    const host = req.headers.host;
    if (host === undefined || !this.allows(host)) {
      return refuse(403, 'ERR_FORBIDDEN_HOST', `Host ${JSON.stringify(host ?? '')} is not the address the observer is bound to; reach it by that address, or list the name in options.allowedHosts`);
    }
    const origin = req.headers.origin;
    if (origin !== undefined && !this.#ourOrigin(origin, host)) {
      return refuse(403, 'ERR_FORBIDDEN_ORIGIN', `Origin ${JSON.stringify(origin)} is not the observer's own; actions and data are served to its own page only`);
    }
    return undefined;
  }

  /**
   * Data and the live feed: the checks above, and no fetch from another site's page. A `no-cors`
   * GET carries no Origin; the browser's Sec-Fetch-Site still names it (the page itself may be
   * linked from anywhere: it goes by `check` alone).
   */
  checkData(req: IncomingMessage): Refusal | undefined {
    return this.check(req) ?? this.#sameSite(req, 'read the observer\'s data');
  }

  /** An action (kill, exit): the checks above, a same-origin fetch, and the page's token. */
  checkAction(req: IncomingMessage): Refusal | undefined {
    const r = this.check(req) ?? this.#sameSite(req, 'act on processes');
    if (r !== undefined) return r;
    const given = req.headers[TOKEN_HEADER];
    if (typeof given !== 'string' || !this.#tokenMatches(given)) {
      return refuse(403, 'ERR_BAD_TOKEN', `actions need the page's token in the ${TOKEN_HEADER} header (reload the page: a new run has a new token)`);
    }
    return undefined;
  }

  /** A request the browser says came from another page than ours (Sec-Fetch-Site), refused: it cannot `what`. */
  #sameSite(req: IncomingMessage, what: string): Refusal | undefined {
    const site = req.headers['sec-fetch-site'];
    if (site === undefined || site === 'same-origin' || site === 'none') return undefined;
    return refuse(403, 'ERR_FORBIDDEN_ORIGIN', `a ${site} request cannot ${what}; use the observer's own page`);
  }

  /** Same origin: the Origin names the very host the request was sent to (or one the user trusts, behind a proxy). */
  #ourOrigin(origin: string, host: string): boolean {
    let url: URL;
    try {
      url = new URL(origin);
    } catch {
      return false; // 'null' (sandboxed frames, file: pages) and anything else that is not an origin
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return false;
    const h = url.host.toLowerCase();
    return h === host.toLowerCase() || this.#userAllows(h, url.protocol === 'https:' ? '443' : '80');
  }

  #tokenMatches(given: string): boolean {
    const a = Buffer.from(given);
    const b = Buffer.from(this.token);
    return a.length === b.length && timingSafeEqual(a, b);
  }
}
