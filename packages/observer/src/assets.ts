// The page's files (assets/ in this package), read once and served as they are; the page gets this run's token.

import { readFileSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import { COMMON_HEADERS } from './http-json.js';

/** Every file the page loads; nothing else under assets/ is served, so no path is ever built from a request. */
export const ASSET_FILES = ['observer.css', 'app.js', 'format.js', 'charts.js', 'table.js', 'tree.js', 'detail.js'] as const;

const TYPES: Readonly<Record<string, string>> = {
  css: 'text/css; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
};

/** Scripts, styles and requests from our own origin only: a value rendered in the page can never run as code. */
const PAGE_POLICY = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

const ASSETS = new URL('../assets/', import.meta.url);

/** The page and its files, in memory. */
export class Assets {
  readonly #page: string;
  readonly #files = new Map<string, Buffer>();

  /** `limit`: the rows a page asks for first (the observer's option). */
  constructor(token: string, base: string, limit: number) {
    // The token is base64url, the base a fixed path and the limit an integer: none can break out of the attribute it lands in.
    this.#page = readFileSync(new URL('index.html', ASSETS), 'utf8')
      .replaceAll('__OBSERVER_TOKEN__', token)
      .replaceAll('__OBSERVER_BASE__', base)
      .replaceAll('__OBSERVER_LIMIT__', String(Math.trunc(limit)));
    for (const f of ASSET_FILES) this.#files.set(f, readFileSync(new URL(f, ASSETS)));
  }

  page(res: ServerResponse): void {
    res.writeHead(200, { ...COMMON_HEADERS, 'Content-Type': 'text/html; charset=utf-8', 'Content-Security-Policy': PAGE_POLICY });
    res.end(this.#page);
  }

  file(name: (typeof ASSET_FILES)[number], res: ServerResponse): void {
    const body = this.#files.get(name)!;
    res.writeHead(200, { ...COMMON_HEADERS, 'Content-Type': TYPES[name.slice(name.lastIndexOf('.') + 1)]!, 'Content-Length': body.length });
    res.end(body);
  }
}
