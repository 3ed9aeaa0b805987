// The live feed: server-sent events, one snapshot about every intervalMs per open page, until the page or the system goes.

import { performance } from 'node:perf_hooks';
import type { ServerResponse } from 'node:http';
import { COMMON_HEADERS, RequestError, sendError } from './http-json.js';
import type { SnapshotQuery, Snapshots } from './snapshot.js';

/** How long a page that reads slowly may take to get its last event when the server closes with the system. */
const GOODBYE_MS = 500;

/** Resolves once `res` has gone out whole (or is gone), or after GOODBYE_MS for a page that reads slowly. */
function finished(res: ServerResponse): Promise<void> {
  return new Promise<void>((resolve) => {
    if (res.writableFinished || res.destroyed) return resolve();
    const done = (): void => {
      clearTimeout(timer);
      res.off('finish', done);
      res.off('close', done);
      resolve();
    };
    const timer = setTimeout(done, GOODBYE_MS);
    res.on('finish', done);
    res.on('close', done);
  });
}

function event(res: ServerResponse, name: string, data: unknown): void {
  // JSON.stringify never writes a raw newline, so one `data:` line holds the whole event.
  res.write(`event: ${name}\ndata: ${JSON.stringify(data)}\n\n`);
}

/** The open event streams of one observer. */
export class Streams {
  /** Each open (or opening) stream, with what stops it: its timer cleared, its slot given back. */
  readonly #open = new Map<ServerResponse, () => void>();

  constructor(
    private readonly snapshots: Snapshots,
    private readonly intervalMs: number,
    private readonly maxClients: number,
  ) {}

  get size(): number {
    return this.#open.size;
  }

  /**
   * Starts a stream for `q`. The first snapshot is taken before any header is
   * written, so a bad query or a stopped system still gets a plain JSON error.
   * The stream holds its slot from the start (pages opened together cannot pass
   * `maxClients` while their first snapshots are taken), and a page that goes
   * away meanwhile ends it before it starts: 'close' is listened for from the
   * start, as it comes only once.
   */
  async serve(res: ServerResponse, q: SnapshotQuery): Promise<void> {
    if (this.#open.size >= this.maxClients) {
      throw new RequestError(503, 'ERR_TOO_MANY_PAGES', `${this.maxClients} observer pages are open already (options.maxClients); close one`);
    }
    let timer: NodeJS.Timeout | undefined;
    let closed = false;
    const stop = (): void => {
      closed = true;
      clearTimeout(timer);
      this.#open.delete(res);
    };
    this.#open.set(res, stop);
    res.on('close', stop);
    let first: unknown;
    try {
      first = await this.snapshots.take(q);
    } catch (err) {
      stop();
      // (Answered already when the system stopped meanwhile: see goodbye.)
      if (res.headersSent) return;
      throw err;
    }
    if (closed) {
      // The page went (nothing to answer), or the observer closed meanwhile: that one gets an answer (goodbye's, if the system stopped).
      if (!res.destroyed && !res.headersSent) throw new RequestError(503, 'ERR_OBSERVER_CLOSED', 'the observer was closed');
      return;
    }
    res.writeHead(200, { ...COMMON_HEADERS, 'Content-Type': 'text/event-stream; charset=utf-8', Connection: 'keep-alive', 'X-Accel-Buffering': 'no' });
    res.write('retry: 2000\n\n');
    event(res, 'snapshot', first);
    const tick = async (): Promise<void> => {
      const started = performance.now();
      // A page that reads slower than we write skips snapshots instead of piling them up.
      if (!res.writableNeedDrain) {
        try {
          const snap = await this.snapshots.take(q);
          if (closed) return;
          event(res, 'snapshot', snap);
        } catch (err) {
          if (closed) return;
          const code = (err as { code?: string }).code ?? 'ERR_INTERNAL';
          event(res, code === 'ERR_SYSTEM_STOPPED' ? 'stopped' : 'problem', { code, message: (err as Error).message });
          if (code === 'ERR_SYSTEM_STOPPED') {
            stop();
            res.end();
            return;
          }
        }
      }
      if (!closed) timer = setTimeout(() => void tick(), Math.max(0, this.intervalMs - (performance.now() - started)));
    };
    timer = setTimeout(() => void tick(), this.intervalMs);
  }

  /**
   * The system stops and the server closes with it: every page gets its
   * `stopped` event before the connections are cut (at most GOODBYE_MS for
   * one that reads slowly), and a page whose feed is still opening gets a
   * 503 ERR_SYSTEM_STOPPED (it got a hang-up before).
   */
  async goodbye(message: string): Promise<void> {
    const sent: Promise<void>[] = [];
    for (const [res, stop] of [...this.#open]) {
      stop();
      if (res.destroyed) continue;
      if (res.headersSent) {
        event(res, 'stopped', { code: 'ERR_SYSTEM_STOPPED', message });
        res.end();
      } else {
        // Still opening (its first snapshot under way): the plain JSON error a stopped system answers with, not a hang-up.
        sendError(res, 503, 'ERR_SYSTEM_STOPPED', message);
      }
      sent.push(finished(res));
    }
    await Promise.all(sent);
  }

  /**
   * Ends every stream (the observer is being closed). Each is stopped first:
   * a page that reads slowly gets its 'close' only once what is buffered has
   * gone, and a snapshot written after `end` in between would be an error
   * with no listener (an uncaught exception).
   */
  close(): void {
    for (const [res, stop] of [...this.#open]) {
      stop();
      if (res.headersSent) res.end();
    }
  }
}
