// The system's introspection API: asks every shard over its admin channel and merges (top-N per shard, then overall).

import type { AnswerOptions, ProcessDetail, ProcessQuery, ProcessRow, ShardFigures, SupervisorNode } from '../actor/introspection.js';
import { revivePids } from '../actor/pid-json.js';
import type { Pid } from '../actor/pid.js';
import { CallTimeoutError, InvalidArgumentError, NoProcError, SystemStoppedError } from '../errors.js';
import { checkOnSilent, checkOptionsArg, checkQuery, checkTimeout } from '../shard/introspect.js';
import { checkPid } from '../validate.js';
import type { ShardPool } from './shard-pool.js';

/** Options of `processInfo`. */
export interface ProcessInfoOptions {
  /** How many queued messages to render (default 10). */
  messages?: number;
  /** Take its state too (default true); false leaves `state` undefined and renders nothing (a cheap "is it there?"). */
  state?: boolean;
  /** How long to wait for its state while it is busy in a handler (default 1000 ms); past it, `state` is undefined. */
  stateTimeoutMs?: number;
}

/** A process's detail with its state, when it answered in time. */
export interface ProcessInfo extends ProcessDetail {
  /** Its state as its behaviour shows it, rendered (`<inspect threw: ...>` if that threw); undefined when it was busy past `stateTimeoutMs`, or not asked for. */
  state: string | undefined;
}

/** Live figures of one shard, as the main thread sees it. */
export interface ShardSnapshot extends ShardFigures {
  up: boolean;
  incarnation: number;
  /** False when the shard did not answer (down, or stalled past `timeoutMs`): only what shared memory shows is filled in. */
  answered: boolean;
}

/** `p`, or `undefined` once `ms` have passed first (no deadline: `p` itself). */
function within<T>(p: Promise<T>, ms: number | undefined): Promise<T | undefined> {
  if (ms === undefined) return p;
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<undefined>((resolve) => {
    timer = setTimeout(resolve, ms, undefined);
  });
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}

type Host = ShardPool['hosts'][number];
/** The questions asked of every shard, each kind with its own "given up on, not answered yet" set. */
type Kind = 'processes' | 'supervisors' | 'figures';

const DEFAULT_STATE_TIMEOUT_MS = 1000;
/** Main's own margin over a shard's wait for a busy process: a stalled shard never answers at all (within MAX_ANSWER_MS's margin). */
const GRACE_MS = 250;

export class Introspection {
  readonly #pool: ShardPool;
  /** False once the system stops accepting requests (shutdown began): every question rejects with ERR_SYSTEM_STOPPED. */
  readonly #running: () => boolean;
  /** The id this system's pids carry: its node's, 0 without a node. */
  readonly #node: number;
  /** Per kind, per shard: questions with a deadline it let pass and has not answered yet (not asked another with a deadline meanwhile). */
  readonly #overdue: Record<Kind, Map<number, number>> = { processes: new Map(), supervisors: new Map(), figures: new Map() };

  constructor(pool: ShardPool, running: () => boolean, node: number) {
    this.#pool = pool;
    this.#running = running;
    this.#node = node;
  }

  #live(): void {
    if (!this.#running()) throw new SystemStoppedError();
  }

  async processes(query?: ProcessQuery): Promise<ProcessRow[]> {
    this.#live();
    const q = checkQuery(query);
    if (q.node !== undefined && q.node !== this.#node) return [];
    const hosts = this.#pool.hosts.filter((h) => q.shard === undefined || h.shard === q.shard);
    const ask = (h: Host) => this.#ask<ProcessRow[]>(h, 'processes', (a) => a.processes(q), q.timeoutMs, query?.onSilent).then((r) => (r === undefined ? [] : revivePids<ProcessRow[]>(r)));
    const parts = await Promise.all(hosts.map(ask));
    const key = (r: ProcessRow): number => r[q.sortBy];
    return parts.flat().sort((a, b) => key(b) - key(a) || a.shard - b.shard || a.pid.serial - b.pid.serial).slice(0, q.limit);
  }

  async processInfo(pid: Pid<unknown>, opts: ProcessInfoOptions = {}): Promise<ProcessInfo> {
    this.#live();
    checkOptionsArg(opts, 'processInfo', '{ messages: 5 }');
    const host = this.#hostOf(pid, 'processInfo');
    const messages = opts.messages ?? 10;
    if (!Number.isInteger(messages) || messages < 0) throw new InvalidArgumentError(`messages must be an integer >= 0, got ${String(messages)}`);
    checkTimeout(opts.stateTimeoutMs, 'stateTimeoutMs');
    // A stalled shard (a handler stuck in a loop) never answers: bounded as getState is, not left to the watchdog.
    const waitMs = opts.stateTimeoutMs ?? DEFAULT_STATE_TIMEOUT_MS;
    const answer = await within(host.call((a) => a.processInfo(pid.serial, messages)), waitMs + GRACE_MS);
    if (answer === undefined) throw new CallTimeoutError(pid.toString(), waitMs);
    const detail = revivePids<ProcessDetail | null>(answer);
    if (detail === null) throw new NoProcError(pid.toString());
    let state: string | undefined;
    if (opts.state === false) return { ...detail, state };
    try {
      state = await this.getState(pid, { timeoutMs: opts.stateTimeoutMs ?? DEFAULT_STATE_TIMEOUT_MS });
    } catch (err) {
      if (!(err instanceof CallTimeoutError)) throw err;
    }
    return { ...detail, state };
  }

  /**
   * The state of `pid` as its behaviour shows it (rendered as text), taken
   * between messages, like OTP's `sys:get_state`. An actor busy in a handler
   * past `timeoutMs` gives ERR_CALL_TIMEOUT; nothing blocks its shard. A
   * behaviour's `inspect` (or a custom inspect in the state) that throws gives
   * the text `<inspect threw: Error: ...>`, not an error.
   */
  async getState(pid: Pid<unknown>, opts: { timeoutMs?: number } = {}): Promise<string> {
    this.#live();
    checkOptionsArg(opts, 'getState');
    const host = this.#hostOf(pid, 'getState');
    const timeoutMs = opts.timeoutMs ?? DEFAULT_STATE_TIMEOUT_MS;
    checkTimeout(timeoutMs);
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new CallTimeoutError(pid.toString(), timeoutMs)), timeoutMs + GRACE_MS);
    });
    try {
      const r = await Promise.race([host.call((a) => a.getState(pid.serial, timeoutMs)), late]);
      if (!r.found) throw new NoProcError(pid.toString());
      if (r.state === undefined) throw new CallTimeoutError(pid.toString(), timeoutMs);
      return r.state;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Every supervision tree: its root supervisors, each with its children, nested across shards. */
  async supervisionTree(opts: AnswerOptions = {}): Promise<SupervisorNode[]> {
    this.#live();
    checkOptionsArg(opts, 'supervisionTree');
    checkTimeout(opts.timeoutMs);
    checkOnSilent(opts.onSilent);
    const ask = (h: Host) => this.#ask<SupervisorNode[]>(h, 'supervisors', (a) => a.supervisors(), opts.timeoutMs, opts.onSilent).then((r) => (r === undefined ? [] : revivePids<SupervisorNode[]>(r)));
    const parts = await Promise.all(this.#pool.hosts.map(ask));
    const all = parts.flat();
    const byKey = new Map(all.map((s) => [s.pid.key, s]));
    const nested = new Set<number>();
    for (const s of all) {
      for (const c of s.children) {
        const sub = c.pid === undefined ? undefined : byKey.get(c.pid.key);
        if (sub === undefined) continue;
        c.supervisor = sub;
        nested.add(sub.pid.key);
      }
    }
    // A supervisor among the children its parent left out (moreChildren) is no root either: it is in that count.
    const leftOut = (s: SupervisorNode) => s.parent !== undefined && (byKey.get(s.parent.key)?.moreChildren ?? 0) > 0;
    const root = (s: SupervisorNode) => !nested.has(s.pid.key) && !leftOut(s);
    return all.filter(root).sort((a, b) => a.shard - b.shard || a.pid.serial - b.pid.serial);
  }

  /** Per shard: actors, run queue, msgs/s, queued messages, heap, event-loop lag, ring fill. */
  async shards(opts: AnswerOptions = {}): Promise<ShardSnapshot[]> {
    this.#live();
    checkOptionsArg(opts, 'shardFigures');
    checkTimeout(opts.timeoutMs);
    checkOnSilent(opts.onSilent);
    const views = this.#pool.inspect();
    return Promise.all(
      this.#pool.hosts.map(async (h, i) => {
        const v = views[i]!;
        const base = { shard: h.shard, actors: v.actors, runQueue: 0, msgsPerSec: 0, queued: 0, heapUsed: 0, heapTotal: 0, lagMs: v.lagMs };
        const f = await this.#ask<ShardFigures>(h, 'figures', (a) => a.figures() as Promise<ShardFigures>, opts.timeoutMs, opts.onSilent);
        return { ...base, ...f, ringFill: v.ringFill, up: v.up, incarnation: v.incarnation, answered: f !== undefined };
      }),
    );
  }

  /**
   * Asks shard `h` a question of `kind`: its answer, or undefined (and
   * `onSilent`) when it failed, did not come within `ms`, or was not asked
   * because the last one of this kind is overdue and this one has a deadline
   * too (see ProcessQuery.onSilent).
   */
  #ask<T>(h: Host, kind: Kind, fn: Parameters<Host['call']>[0], ms: number | undefined, onSilent: ((shard: number) => void) | undefined): Promise<T | undefined> {
    const overdue = this.#overdue[kind];
    const silent = (): undefined => {
      onSilent?.(h.shard);
      return undefined;
    };
    // (A caller who waits for every shard is not answered short: only a deadline skips an overdue shard.)
    // (Called a tick later, as on every other path: an onSilent that throws rejects the question, after all shards were asked.)
    if (ms !== undefined && (overdue.get(h.shard) ?? 0) > 0) return Promise.resolve().then(silent);
    const asked = h.call(fn) as Promise<T>;
    return within(asked, ms).then(
      (r) => {
        if (r !== undefined) return r;
        overdue.set(h.shard, (overdue.get(h.shard) ?? 0) + 1);
        // Answered at last, or the shard died (its calls in flight then reject): asked again once none is overdue.
        const answered = (): void => {
          const n = overdue.get(h.shard)! - 1;
          if (n > 0) overdue.set(h.shard, n);
          else overdue.delete(h.shard);
        };
        asked.then(answered, answered);
        return silent();
      },
      () => silent(),
    );
  }

  #hostOf(pid: Pid<unknown>, op: string): ShardPool['hosts'][number] {
    checkPid(pid, op);
    const host = pid.node === this.#node ? this.#pool.hosts[pid.shard - 1] : undefined;
    // (A shard the system gave up restarting hosts no process: none of its pids is one any more.)
    if (host === undefined || this.#pool.gaveUp(host.shard)) throw new NoProcError(pid.toString());
    return host;
  }
}

