// The observer's requests about one process: its detail (GET), and the two actions, kill and send-exit (POST, with the token).

import type { IncomingMessage, ServerResponse } from 'node:http';
import { type ActorSystem, InvalidArgumentError, Pid, type ProcessInfo } from '@joerl/runtime';
import { RequestError, readJsonBody, sendJson } from './http-json.js';

const MAX_BODY = 4096;
const MAX_REASON = 200;
/** Queued messages shown in a process's detail. */
const DETAIL_MESSAGES = 10;

/** Reads a pid written as `<node.shard.serial>` (or without the brackets). */
export function parsePid(text: unknown): Pid {
  if (typeof text !== 'string' || text.length > 64) throw new InvalidArgumentError(`pid must be a string like <0.1.42>, got ${typeof text === 'string' ? JSON.stringify(text.slice(0, 64)) : typeof text}`);
  const t = text.trim();
  try {
    return Pid.parse(t.startsWith('<') ? t : `<${t}>`);
  } catch {
    throw new InvalidArgumentError(`pid must look like <node.shard.serial> (e.g. <0.1.42>), got ${JSON.stringify(t)}`);
  }
}

/** Reads an exit reason: 'normal', 'shutdown', 'kill', or any other text (a custom reason). */
function parseReason(v: unknown): string {
  if (typeof v !== 'string' || v.trim() === '' || v.length > MAX_REASON) {
    throw new InvalidArgumentError(`reason must be non-empty text of at most ${MAX_REASON} characters ('normal', 'shutdown', 'kill' or your own), got ${JSON.stringify(v)}`);
  }
  return v.trim();
}

/** The 504 for a process whose shard did not answer within `ms` (a shard stalled in a handler answers nothing). */
function silent(pid: Pid, ms: number): RequestError {
  return new RequestError(504, 'ERR_SHARD_SILENT', `shard ${pid.shard} did not answer within ${ms} ms (stalled in a handler?); its watchdog restarts a shard that stays stuck`);
}

/** `p`, or a 504 when its shard does not answer within `ms`. */
async function inTime<T>(p: Promise<T>, ms: number, pid: Pid): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(silent(pid, ms)), ms);
  });
  try {
    return await Promise.race([p, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** Answers the observer's process requests for one system. */
export class ProcessActions {
  constructor(
    private readonly system: ActorSystem,
    private readonly answerMs: number,
  ) {}

  /** GET ?pid=: links, monitors, the head of its mailbox and its state. */
  async detail(params: URLSearchParams, res: ServerResponse): Promise<void> {
    const pid = parsePid(params.get('pid') ?? undefined);
    const asked = this.system.processInfo(pid, { messages: DETAIL_MESSAGES, stateTimeoutMs: this.answerMs }).catch((err: unknown) => {
      // processInfo's own bound on a shard that does not answer (a state that is slow to come is not an error).
      throw (err as { code?: unknown }).code === 'ERR_CALL_TIMEOUT' ? silent(pid, this.answerMs) : err;
    });
    const info: ProcessInfo = await inTime(asked, this.answerMs * 2 + 500, pid);
    sendJson(res, 200, info);
  }

  /** POST { pid }: an untrappable kill. */
  async kill(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readJsonBody(req, MAX_BODY);
    await this.#exit(parsePid(body.pid), 'kill', res);
  }

  /** POST { pid, reason }: an exit signal from the main thread (a trapping process gets it as a message). */
  async exit(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readJsonBody(req, MAX_BODY);
    await this.#exit(parsePid(body.pid), parseReason(body.reason), res);
  }

  async #exit(pid: Pid, reason: string, res: ServerResponse): Promise<void> {
    // Refuse what is not there (a 404) rather than sending a signal into nothing. Without its state:
    // rendering it is work a kill does not need, and a state that cannot be rendered must not save it.
    await inTime(this.system.processInfo(pid, { messages: 0, state: false }), this.answerMs + 500, pid);
    this.system.exit(pid, reason);
    sendJson(res, 200, { ok: true, pid: pid.toString(), reason });
  }
}
