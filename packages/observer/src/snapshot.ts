// One snapshot of the running system for the page: shard figures, the top processes, the supervision trees, recent events.

import { type ActorSystem, InvalidArgumentError, type ProcessRow, type ProcessSortKey, type ShardSnapshot, type SupervisorNode, type SystemView, SystemStoppedError } from '@joerl/runtime';
import { type Journal, type ObserverEvent, STALL_MS } from './journal.js';
import { MAX_LIMIT } from './options.js';

/** What a page asks for: the process table's sort, size and filters. */
export interface SnapshotQuery {
  sortBy: ProcessSortKey;
  limit: number;
  shard?: number;
  /** Name, type or pid contains this (case-insensitive). */
  match?: string;
}

/** A shard's figures with how long its event loop has stood still. */
export interface ShardRow extends ShardSnapshot {
  /** ms since its event loop last turned, as the main thread sees it. */
  stalledMs: number;
  /** Stalled: its loop has stood still for STALL_MS or more and it did not answer this snapshot. */
  stalled: boolean;
}

/** What a page receives about once a second. Pids are written as `<node.shard.serial>`. */
export interface Snapshot {
  /** Epoch ms. */
  at: number;
  state: SystemView['state'];
  totals: { actors: number; msgsPerSec: number; queued: number; restarts: number; panics: number };
  shards: ShardRow[];
  processes: ProcessRow[];
  /** Shards that did not answer one of the snapshot's questions in time (stalled, restarting, or still busy with an earlier one): some of their processes or supervisors are missing. */
  silent: number[];
  tree: SupervisorNode[];
  events: ObserverEvent[];
  /** Whether Kill and Send-exit are on. */
  actions: boolean;
}

const SORT_KEYS: readonly ProcessSortKey[] = ['reductions', 'mailbox', 'memory', 'links', 'monitors'];
const QUERY_KEYS = new Set(['sortBy', 'limit', 'shard', 'q']);

/** Reads a page's query string; anything malformed is ERR_INVALID_ARGUMENT (a 400) that says what to fix. */
export function parseQuery(params: URLSearchParams, defaultLimit: number, shards: number): SnapshotQuery {
  for (const key of params.keys()) {
    if (!QUERY_KEYS.has(key)) throw new InvalidArgumentError(`unknown query parameter ${JSON.stringify(key)} (use sortBy, limit, shard, q)`);
  }
  const sortBy = (params.get('sortBy') ?? 'reductions') as ProcessSortKey;
  if (!SORT_KEYS.includes(sortBy)) throw new InvalidArgumentError(`sortBy must be one of ${SORT_KEYS.join(', ')}, got ${JSON.stringify(sortBy)}`);
  const q: SnapshotQuery = { sortBy, limit: defaultLimit };
  const limit = params.get('limit');
  if (limit !== null) {
    if (!/^\d{1,4}$/.test(limit) || Number(limit) < 1 || Number(limit) > MAX_LIMIT) throw new InvalidArgumentError(`limit must be an integer from 1 to ${MAX_LIMIT}, got ${JSON.stringify(limit)}`);
    q.limit = Number(limit);
  }
  const shard = params.get('shard');
  if (shard !== null && shard !== '') {
    if (!/^\d{1,4}$/.test(shard) || Number(shard) < 1 || Number(shard) > shards) throw new InvalidArgumentError(`shard must be a shard number from 1 to ${shards}, got ${JSON.stringify(shard)}`);
    q.shard = Number(shard);
  }
  const match = params.get('q');
  if (match !== null && match.trim() !== '') {
    if (match.length > 200) throw new InvalidArgumentError(`q must be at most 200 characters, got ${match.length}`);
    q.match = match.trim();
  }
  return q;
}

/** Takes snapshots of one system; each shard gets `answerMs` to answer, so a stalled one cannot hold up the page. */
export class Snapshots {
  constructor(
    private readonly system: ActorSystem,
    private readonly journal: Journal,
    private readonly answerMs: number,
    private readonly actions: boolean,
  ) {}

  async take(q: SnapshotQuery): Promise<Snapshot> {
    const system = this.system;
    if (!system.running) throw new SystemStoppedError();
    const timeoutMs = this.answerMs;
    // A shard missing from any of the three answers is silent: its rows or its trees are not there.
    const silent = new Set<number>();
    const onSilent = (shard: number): void => void silent.add(shard);
    const query = { sortBy: q.sortBy, limit: q.limit, timeoutMs, onSilent, ...(q.shard === undefined ? {} : { shard: q.shard }), ...(q.match === undefined ? {} : { match: q.match }) };
    const [figures, processes, tree] = await Promise.all([system.shardFigures({ timeoutMs, onSilent }), system.processes(query), system.supervisionTree({ timeoutMs, onSilent })]);
    const view = system.inspect();
    const shards = figures.map((f, i) => {
      const stalledMs = Math.round(view.shards[i]?.stalledMs ?? 0);
      // A shard that answered is turning its event loop, whatever the last tick says (a new incarnation's first ticks).
      return { ...f, stalledMs, stalled: f.up && !f.answered && stalledMs >= STALL_MS };
    });
    this.journal.noteStalls(shards);
    let actors = 0;
    let msgsPerSec = 0;
    let queued = 0;
    for (const s of shards) {
      actors += s.actors;
      msgsPerSec += s.msgsPerSec;
      queued += s.queued;
    }
    return {
      at: Date.now(),
      state: view.state,
      totals: { actors, msgsPerSec, queued, restarts: system.metricTotal('joerl_supervisor_restarts_total'), panics: system.metricTotal('joerl_actors_panicked_total') },
      shards,
      processes,
      silent: [...silent].sort((a, b) => a - b),
      tree,
      events: this.journal.recent(),
      actions: this.actions,
    };
  }
}
