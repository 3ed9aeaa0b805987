// Test helpers for the observer: raw HTTP requests (any Host, Origin or method), and a reader of server-sent events.
import { request as httpRequest } from 'node:http';

export const PROBE = new URL('../../runtime/test/fixtures/probe.actor.ts', import.meta.url);
export const TREE = new URL('../../runtime/test/fixtures/tree.sup.ts', import.meta.url);

export interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  /** The body parsed as JSON (undefined if it is not JSON). */
  json: any;
}

export interface RequestInit {
  method?: string;
  headers?: Record<string, string>;
  body?: string;
}

/** One request with exactly the headers given (fetch would set Host and Origin itself); `host: ''` sends no Host at all. */
export function request(url: string, init: RequestInit = {}): Promise<Answer> {
  const headers = { ...init.headers };
  const setHost = headers.host !== '';
  if (!setHost) delete headers.host;
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: init.method ?? 'GET', headers, setHost }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (text += d));
      res.on('end', () => {
        let json: unknown;
        try {
          json = JSON.parse(text);
        } catch {
          json = undefined;
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
      });
    });
    req.on('error', reject);
    req.end(init.body);
  });
}

/** A POST of a JSON action, as the page sends it (own Host and Origin, the token), with `override` on top. */
export function action(base: string, path: string, body: unknown, token: string, override: Record<string, string> = {}): Promise<Answer> {
  const host = new URL(base).host;
  const headers: Record<string, string> = { 'content-type': 'application/json', origin: `http://${host}`, 'x-joerl-observer-token': token, ...override };
  for (const [k, v] of Object.entries(headers)) if (v === '') delete headers[k];
  return request(`${base}${path}`, { method: 'POST', headers, body: JSON.stringify(body) });
}

export interface SseEvent {
  event: string;
  data: any;
}

/**
 * Opens an event stream and resolves with its status and the first `count`
 * events (or fewer, if the server ends the stream first); then hangs up.
 */
export function readEvents(
  url: string,
  count: number,
  headers: Record<string, string> = {},
  onEvent?: (e: SseEvent) => void,
): Promise<{ status: number; type: string; events: SseEvent[]; ended: boolean }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { headers }, (res) => {
      const events: SseEvent[] = [];
      let buf = '';
      let done = false;
      const finish = (ended: boolean) => {
        if (done) return;
        done = true;
        req.destroy();
        resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type']), events, ended });
      };
      res.setEncoding('utf8');
      res.on('data', (d: string) => {
        buf += d;
        let at: number;
        while ((at = buf.indexOf('\n\n')) >= 0) {
          const block = buf.slice(0, at);
          buf = buf.slice(at + 2);
          const name = /^event: (.*)$/m.exec(block)?.[1];
          const data = /^data: (.*)$/m.exec(block)?.[1];
          if (name !== undefined && data !== undefined) {
            const e = { event: name, data: JSON.parse(data) };
            events.push(e);
            onEvent?.(e);
          }
          if (events.length >= count) return finish(false);
        }
      });
      res.on('end', () => finish(true));
      res.on('close', () => finish(true));
    });
    req.on('error', reject);
    req.end();
  });
}
