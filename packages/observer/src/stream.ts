// The live feed: server-sent events, one snapshot about every intervalMs per open page, until the page or the system goes.

import { performance } from 'node:perf_hooks';
import type { ServerResponse } from 'node:http';
import { COMMON_HEADERS, RequestError } from './http-json.js';
import type { SnapshotQuery, Snapshots } from './snapshot.js';

/** How long a page that reads slowly may take to get its last event when the server closes with the system. */
const GOODBYE_MS = 500;

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
      throw err;
    }
    if (closed) {
      // The page went (nothing to answer), or the observer closed meanwhile: that one gets an answer.
      if (!res.destroyed) throw new RequestError(503, 'ERR_OBSERVER_CLOSED', 'the observer was closed');
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
   * one that reads slowly).
   */
  async goodbye(message: string): Promise<void> {
    const sent: Promise<void>[] = [];
    for (const [res, stop] of [...this.#open]) {
      stop();
      if (!res.headersSent || res.destroyed) continue;
      event(res, 'stopped', { code: 'ERR_SYSTEM_STOPPED', message });
      sent.push(new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, GOODBYE_MS);
        res.end(() => {
          clearTimeout(timer);
          resolve();
        });
      }));
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
