// The live feed: server-sent events, one snapshot about every intervalMs per open page, until the page or the system goes.

import { performance } from 'node:perf_hooks';
import type { ServerResponse } from 'node:http';
import { COMMON_HEADERS, RequestError } from './http-json.js';
import type { SnapshotQuery, Snapshots } from './snapshot.js';

function event(res: ServerResponse, name: string, data: unknown): void {
  // JSON.stringify never writes a raw newline, so one `data:` line holds the whole event.
  res.write(`event: ${name}\ndata: ${JSON.stringify(data)}\n\n`);
}

/** The open event streams of one observer. */
export class Streams {
  readonly #open = new Set<ServerResponse>();

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
   */
  async serve(res: ServerResponse, q: SnapshotQuery): Promise<void> {
    if (this.#open.size >= this.maxClients) {
      throw new RequestError(503, 'ERR_TOO_MANY_PAGES', `${this.maxClients} observer pages are open already (options.maxClients); close one`);
    }
    const first = await this.snapshots.take(q);
    res.writeHead(200, { ...COMMON_HEADERS, 'Content-Type': 'text/event-stream; charset=utf-8', Connection: 'keep-alive', 'X-Accel-Buffering': 'no' });
    res.write('retry: 2000\n\n');
    event(res, 'snapshot', first);
    this.#open.add(res);
    let timer: NodeJS.Timeout | undefined;
    let closed = false;
    res.on('close', () => {
      closed = true;
      clearTimeout(timer);
      this.#open.delete(res);
    });
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
            res.end();
            return;
          }
        }
      }
      if (!closed) timer = setTimeout(() => void tick(), Math.max(0, this.intervalMs - (performance.now() - started)));
    };
    timer = setTimeout(() => void tick(), this.intervalMs);
  }

  /** Ends every stream (the observer is being closed). */
  close(): void {
    for (const res of this.#open) res.end();
    this.#open.clear();
  }
}
