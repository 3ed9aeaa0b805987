// Introspection of one thread's processes, computed on request (nothing is collected while nobody asks).

import { performance } from 'node:perf_hooks';
import { getHeapStatistics } from 'node:v8';
import { ESTIMATED_BYTES_PER_QUEUED_MESSAGE } from '@joerl/telemetry/internal';
import { BEHAVIOUR } from '../actor/brand.js';
import { MAX_REPORTED_RELATIONS, type ProcessDetail, type ProcessQuery, type ProcessRow, type ProcessSortKey, type ProcessStatus, type ShardFigures, type SupervisorNode } from '../actor/introspection.js';
import { type Proc, S_EXITING, S_IDLE, S_INBOX, S_INIT, S_WAITING } from '../actor/proc.js';
import { InvalidArgumentError } from '../errors.js';
import { describe, notOptions } from '../validate.js';
import { LAG_US, THREAD_STRIDE_I32 } from '../ring/control-block.js';
import { MAX_DELAY } from '../timer/timer-heap.js';
import { renderState, renderValue } from './render.js';
import type { ShardState } from './shard-state.js';

/** Rates are computed over at least this interval: every viewer within it sees the same figures. */
const SAMPLE_MS = 1000;
const SORT_KEYS: readonly ProcessSortKey[] = ['reductions', 'mailbox', 'memory', 'links', 'monitors'];
const MAX_MATCH = 200;

/** Validates a query at the door: a typed error that says what to fix. */
export function checkQuery(q: ProcessQuery | undefined): Required<Pick<ProcessQuery, 'sortBy' | 'limit'>> & ProcessQuery {
  const o = q ?? {};
  if (typeof o !== 'object' || o === null) throw new InvalidArgumentError(`processes() takes an options object, got ${String(o)}`);
  const sortBy = o.sortBy ?? 'reductions';
  if (!SORT_KEYS.includes(sortBy)) throw new InvalidArgumentError(`sortBy must be one of ${SORT_KEYS.join(', ')}, got ${String(sortBy)}`);
  const limit = o.limit ?? 100;
  if (!Number.isInteger(limit) || limit < 1) throw new InvalidArgumentError(`limit must be a positive integer, got ${String(limit)}`);
  if (o.shard !== undefined && (!Number.isInteger(o.shard) || o.shard < 0)) throw new InvalidArgumentError(`shard must be a shard number, got ${String(o.shard)}`);
  if (o.node !== undefined && !Number.isInteger(o.node)) throw new InvalidArgumentError(`node must be a node number, got ${String(o.node)}`);
  if (o.match !== undefined && (typeof o.match !== 'string' || o.match.length > MAX_MATCH)) throw new InvalidArgumentError(`match must be a string of at most ${MAX_MATCH} characters, got ${String(o.match).slice(0, 40)}`);
  checkTimeout(o.timeoutMs);
  checkOnSilent(o.onSilent);
  // (onSilent stays on this thread: the query is what each shard is sent.)
  const { onSilent: _, ...rest } = o;
  return { ...rest, sortBy, limit };
}

/** An AnswerOptions `onSilent`: absent or a function. */
export function checkOnSilent(f: unknown): void {
  if (f !== undefined && typeof f !== 'function') throw new InvalidArgumentError(`onSilent must be a function (shard) => void, got ${describe(f)}`);
}

/**
 * The options argument of an introspection call: absent or an object (a bare
 * `500` for `{ timeoutMs: 500 }` would be ignored, and `null` read as one).
 * ERR_INVALID_ARGUMENT, as every other bad query here.
 */
export function checkOptionsArg(o: unknown, op: string, example = '{ timeoutMs: 500 }'): void {
  if (notOptions(o)) throw new InvalidArgumentError(`${op}() takes an options object like ${example} (or none), got ${describe(o)}`);
}

/**
 * The longest answer deadline: main waits for it with a setTimeout, and Node
 * takes a delay past 2^31-1 ms as 1 ms (every shard left out at once). A
 * second less, for main's own margin over a shard's wait for a busy process.
 */
export const MAX_ANSWER_MS = MAX_DELAY - 1000;

/** Validates a per-shard answer deadline (undefined: wait). */
export function checkTimeout(ms: unknown, name = 'timeoutMs'): void {
  if (ms !== undefined && (typeof ms !== 'number' || !(ms >= 0) || !(ms <= MAX_ANSWER_MS))) {
    throw new InvalidArgumentError(`${name} must be a number of ms from 0 to ${MAX_ANSWER_MS} (about 24.8 days), got ${String(ms)}`);
  }
}

export class Introspector {
  private readonly s: ShardState;
  private sampledAt = -Infinity;
  private deliveredAtSample = 0;
  private msgsPerSec = 0;

  constructor(state: ShardState) {
    this.s = state;
  }

  /** The top `limit` processes of this thread by `sortBy` (descending). */
  processes(query: ProcessQuery | undefined): ProcessRow[] {
    const q = checkQuery(query);
    this.sample();
    const needle = q.match?.toLowerCase();
    const procs = this.s.procs.values().filter((p) => p.status !== S_INBOX && (needle === undefined || matches(p, needle)));
    const keys = new Float64Array(procs.length);
    for (let i = 0; i < procs.length; i++) keys[i] = sortKey(procs[i]!, q.sortBy);
    const order = Array.from(procs.keys()).sort((a, b) => keys[b]! - keys[a]! || procs[a]!.pid.serial - procs[b]!.pid.serial);
    return order.slice(0, q.limit).map((i) => this.row(procs[i]!));
  }

  /** One process in detail, with its first `messages` queued messages rendered; undefined if it is not here. */
  processInfo(serial: number, messages = 10): ProcessDetail | undefined {
    const p = this.s.procs.get(serial);
    if (p === undefined) return undefined;
    this.sample();
    const queue: string[] = [];
    for (let i = 0; i < Math.min(messages, p.mailbox.length); i++) queue.push(renderValue(p.mailbox.at(i)));
    const monitoredBy = first(p.monitoredBy?.entries(), p.callWatcher === null ? [] : [{ ref: p.callWatcherRef, pid: p.callWatcher }], ([ref, pid]) => ({ ref, pid }));
    const linkedTo = first(p.links?.values(), [], (pid) => pid);
    const monitorsHeld = first(p.monitors?.entries(), [], ([ref, pid]) => ({ ref, pid }));
    const timers = first(p.timers?.values(), [], (t) => t);
    const callWatched = p.callWatcher === null ? 0 : 1;
    return {
      ...this.row(p),
      linkedTo,
      monitorsHeld,
      monitoredBy,
      trapExit: p.trapExit,
      timers,
      more: {
        linkedTo: (p.links?.size ?? 0) - linkedTo.length,
        monitorsHeld: (p.monitors?.size ?? 0) - monitorsHeld.length,
        monitoredBy: (p.monitoredBy?.size ?? 0) + callWatched - monitoredBy.length,
        timers: (p.timers?.size ?? 0) - timers.length,
      },
      queue,
      handled: p.handled,
    };
  }

  /**
   * The state of process `serial`, rendered, as its behaviour shows it
   * (`inspect`), taken between messages: while an async handler is pending
   * the answer waits for it, up to `timeoutMs` (then undefined: timed out).
   * A handler that never returns blocks this thread, so main times out too.
   */
  async getState(serial: number, timeoutMs: number): Promise<{ found: boolean; state?: string }> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const p = this.s.procs.get(serial);
      if (p === undefined || p.status === S_INBOX) return { found: false };
      if (p.status !== S_WAITING && p.status !== S_INIT) {
        const b = p.behaviour;
        return { found: true, state: renderState(b?.inspect?.bind(b), p.state) };
      }
      if (performance.now() >= deadline) return { found: true };
      await new Promise((r) => setTimeout(r, 2));
    }
  }

  /** The supervisors of this thread, each with its children as it reports them. */
  supervisors(): SupervisorNode[] {
    const out: SupervisorNode[] = [];
    for (const p of this.s.procs.ordered()) {
      if (p.behaviour === null || p.behaviour[BEHAVIOUR] !== 'supervisor' || p.status >= S_EXITING || !p.initialized) continue;
      const d = p.behaviour.inspect?.(p.state) as Omit<SupervisorNode, 'pid' | 'name' | 'type' | 'shard' | 'parent'> | undefined;
      if (d === undefined) continue;
      const { strategy, intensity, children, moreChildren } = d;
      out.push({ pid: p.pid, name: p.names?.[0], type: p.typeName, shard: this.s.thread, parent: p.parent, strategy, intensity, children, moreChildren });
    }
    return out;
  }

  /** This thread's live figures. */
  figures(): ShardFigures {
    this.sample();
    const s = this.s;
    let queued = 0;
    for (const p of s.procs.values()) queued += p.mailbox.length;
    const heap = getHeapStatistics();
    return {
      shard: s.thread,
      actors: s.procs.size,
      runQueue: s.scheduler.queued,
      msgsPerSec: this.msgsPerSec,
      queued,
      heapUsed: heap.used_heap_size,
      heapTotal: heap.total_heap_size,
      lagMs: Atomics.load(s.ctl.i32, s.thread * THREAD_STRIDE_I32 + LAG_US) / 1000,
      ringFill: 0, // the main thread fills this in from the rings
    };
  }

  /** Takes a new sample of handled counts when the last one is older than SAMPLE_MS. */
  private sample(): void {
    const now = performance.now();
    const since = now - this.sampledAt;
    if (since < SAMPLE_MS) return;
    const first = this.sampledAt === -Infinity;
    for (const p of this.s.procs.values()) {
      // Over the interval (the first sample: over the thread's life so far). Processes keep no start
      // time of their own; the one telemetry kept was on another clock, which made every rate 0.
      const dt = first ? now : since;
      p.rate10 = dt > 0 ? Math.round(((p.handled - p.handledAtSample) * 10_000) / dt) : 0;
      p.handledAtSample = p.handled;
    }
    const delivered = this.s.counters.delivered;
    this.msgsPerSec = first ? 0 : ((delivered - this.deliveredAtSample) * 1000) / since;
    this.deliveredAtSample = delivered;
    this.sampledAt = now;
  }

  private row(p: Proc): ProcessRow {
    return {
      pid: p.pid,
      name: p.names?.[0],
      type: p.typeName,
      behaviour: p.behaviour === null ? 'unknown' : p.behaviour[BEHAVIOUR],
      shard: p.pid.shard,
      node: p.pid.node,
      status: statusOf(p),
      mailbox: p.mailbox.length,
      reductions: p.rate10 / 10,
      memory: p.mailbox.length * ESTIMATED_BYTES_PER_QUEUED_MESSAGE,
      links: p.links?.size ?? 0,
      monitors: p.monitors?.size ?? 0,
      parent: p.parent,
    };
  }
}

function statusOf(p: Proc): ProcessStatus {
  switch (p.status) {
    case S_INIT:
      return 'starting';
    case S_IDLE:
      return 'idle';
    case S_WAITING:
    case S_INBOX:
      return 'waiting';
    default:
      return p.status >= S_EXITING ? 'exiting' : 'running';
  }
}

/** Does `needle` (lower case) occur in the process's type, one of its names, or its pid text? */
function matches(p: Proc, needle: string): boolean {
  if (p.typeName.toLowerCase().includes(needle) || p.pid.toString().includes(needle)) return true;
  return p.names?.some((n) => n.toLowerCase().includes(needle)) ?? false;
}

function sortKey(p: Proc, by: ProcessSortKey): number {
  switch (by) {
    case 'reductions':
      return p.rate10;
    case 'mailbox':
    case 'memory':
      return p.mailbox.length;
    case 'links':
      return p.links?.size ?? 0;
    case 'monitors':
      return p.monitors?.size ?? 0;
  }
}

/** `head` and then the first items of `it`, mapped, up to MAX_REPORTED_RELATIONS in all. */
function first<T, R>(it: Iterator<T> | undefined, head: R[], map: (v: T) => R): R[] {
  const out = head;
  if (it === undefined) return out;
  for (let r = it.next(); !r.done && out.length < MAX_REPORTED_RELATIONS; r = it.next()) out.push(map(r.value));
  return out;
}
