// JSON answers and errors for the observer's endpoints: one shape, a status that fits the cause, and bounded request bodies.

import type { IncomingMessage, ServerResponse } from 'node:http';

/** A request the observer refuses: its HTTP status and a stable code. */
export class RequestError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'RequestError';
  }
}

/** Headers every observer answer carries: never cached, never sniffed, never framed. */
export const COMMON_HEADERS: Readonly<Record<string, string>> = {
  'Cache-Control': 'no-store',
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
};

/** Sends `body` as JSON. */
export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { ...COMMON_HEADERS, 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

/** Sends `{ error: { code, message } }`. */
export function sendError(res: ServerResponse, status: number, code: string, message: string): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  sendJson(res, status, { error: { code, message } });
}

/** The runtime's error codes, as HTTP statuses. */
const STATUS_OF_CODE: Readonly<Record<string, number>> = {
  ERR_INVALID_ARGUMENT: 400,
  ERR_NO_PROC: 404,
  ERR_CALL_TIMEOUT: 504,
  ERR_SHARD_DOWN: 503,
  ERR_SYSTEM_STOPPED: 503,
};

/** Answers for a thrown error: ours keep their status; the runtime's codes map to one; anything else is a 500. */
export function sendFailure(res: ServerResponse, err: unknown): void {
  if (err instanceof RequestError) return sendError(res, err.status, err.code, err.message);
  const code = (err as { code?: unknown } | null)?.code;
  const message = err instanceof Error ? err.message : String(err);
  if (typeof code === 'string' && STATUS_OF_CODE[code] !== undefined) return sendError(res, STATUS_OF_CODE[code]!, code, message);
  sendError(res, 500, 'ERR_INTERNAL', message);
}

/** Reads a JSON object body of at most `maxBytes`, sent as application/json (so a cross-site form cannot send it without a preflight). */
export async function readJsonBody(req: IncomingMessage, maxBytes: number): Promise<Record<string, unknown>> {
  const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== 'application/json') throw new RequestError(415, 'ERR_CONTENT_TYPE', `send the body as application/json, got ${JSON.stringify(type)}`);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > maxBytes) throw new RequestError(413, 'ERR_BODY_TOO_LARGE', `the body is over ${maxBytes} bytes`);
    chunks.push(chunk as Buffer);
  }
  let body: unknown;
  try {
    body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch (err) {
    throw new RequestError(400, 'ERR_BAD_JSON', `the body is not JSON: ${(err as Error).message}`);
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new RequestError(400, 'ERR_BAD_REQUEST', 'the body must be a JSON object');
  return body as Record<string, unknown>;
}
