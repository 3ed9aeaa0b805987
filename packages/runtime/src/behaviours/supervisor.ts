// Supervisor: one_for_one / one_for_all / rest_for_one, restart types, intensity over a window, dynamic children.

import { performance } from 'node:perf_hooks';
import type { Behaviour } from '../actor/behaviour.js';
import { BEHAVIOUR } from '../actor/brand.js';
import { MAX_REPORTED_CHILDREN } from '../actor/introspection.js';
import type { ActorContext, Placement, ServerProtocol } from '../actor/context.js';
import type { ExitReason } from '../actor/exit-reason.js';
import { type DownMessage, type ExitMessage, isDownMessage, isExitMessage } from '../actor/messages.js';
import { Pid } from '../actor/pid.js';
import { ChildExistsError, ChildNotFoundError, ChildRestartingError, ChildRunningError, InvalidArgumentError, InvalidOptionError } from '../errors.js';
import { moduleHref } from '../actor/module-ref.js';
import { spawnLinkOnNodes } from './child-nodes.js';
import { type AutoShutdown, type ChildSpec, DEFAULT_INTENSITY, type Intensity, type Normalized, type RestartType, type Strategy, checkFlags, normalize } from './child-spec.js';
import { GenServer, defineGenServer } from './gen-server.js';
import { describe, preview } from '../validate.js';

/** A supervisor's declaration. */
export interface SupervisorSpec<Args> {
  /** The `type` label (default: the export's name; for a default export, the file's name without `.actor` and its extension: `stack.server.ts` is `stack.server`). */
  name?: string;
  /** Default `'one_for_one'`. */
  strategy?: Strategy;
  /** Default 3 restarts within 5000 ms (OTP's default is 1 in 5 s: this one gives a flaky child a little more room). */
  intensity?: Intensity;
  /** Stop by itself when significant children exit (see ChildSpec.significant)? Default `'never'`. */
  autoShutdown?: AutoShutdown;
  /** The children, started in order (stopped in reverse order when the supervisor stops; not at `system.shutdown()`, see defineSupervisor). */
  children?: ChildSpec[] | ((args: Args) => ChildSpec[]);
  /** Like OTP's init/1: strategy, intensity and children computed from the start arguments (overrides the fields above). */
  init?(args: Args): { strategy?: Strategy; intensity?: Intensity; autoShutdown?: AutoShutdown; children: ChildSpec[] };
}

/** A child as `whichChildren` reports it. */
export interface ChildInfo {
  id: string;
  pid: Pid | undefined;
  type: 'worker' | 'supervisor';
  module: string;
  restart: RestartType;
}

/** What `countChildren` reports. */
export interface ChildCounts {
  specs: number;
  active: number;
  supervisors: number;
  workers: number;
}

/**
 * The reason a supervisor exits with when its restart intensity is exceeded:
 * `shutdown`, as OTP's does (so a `transient` supervisor is not restarted by
 * its own); the `intensity_exceeded` supervisor report says why.
 */
export const MAX_INTENSITY_REASON: ExitReason = 'shutdown';

type SupReq =
  | { $sup: 'start_child'; spec: ChildSpec }
  | { $sup: 'terminate_child'; id: string | Pid }
  | { $sup: 'restart_child'; id: string }
  | { $sup: 'delete_child'; id: string }
  | { $sup: 'which_children' }
  | { $sup: 'count_children' };

interface Child {
  spec: Normalized;
  pid: Pid | null;
  /** Restarts so far (introspection). */
  restarts: number;
  /** Waiting for another start attempt (a restart's start failed), with the exit that began the restart; else null. */
  retry: { reason: ExitReason } | null;
}

interface SupState {
  strategy: Strategy;
  intensity: Intensity;
  autoShutdown: AutoShutdown;
  children: Child[];
  restarts: number[];
  nextId: number;
  /** A TRY_AGAIN message is on its way: one at a time. */
  retryQueued: boolean;
}

/** What a supervisor sends itself to try a failed restart again (OTP's try_again_restart). */
const TRY_AGAIN = Object.freeze({ $sup: 'try_again_restart' });
const isTryAgain = (m: unknown): boolean => typeof m === 'object' && m !== null && (m as { $sup?: unknown }).$sup === TRY_AGAIN.$sup;

type Ctx = ActorContext<ServerProtocol<SupReq, unknown, never>>;

/** Should a child of this restart type be restarted after exiting with `reason`? */
function shouldRestart(restart: RestartType, reason: ExitReason): boolean {
  if (restart === 'permanent') return true;
  if (restart === 'temporary') return false;
  return reason !== 'normal' && reason !== 'shutdown';
}

async function startChild(child: Child, ctx: Ctx): Promise<Pid> {
  const s = child.spec;
  const opts: { export: string; shard: Placement; name?: string; mailboxCapacity?: number; terminateTimeoutMs?: number } = { export: s.export, shard: s.shard };
  if (s.name !== undefined) opts.name = s.name;
  if (s.mailboxCapacity !== undefined) opts.mailboxCapacity = s.mailboxCapacity;
  // OTP: the supervisor's shutdown is the only limit on a child's cleanup (a brutal kill runs none).
  if (s.shutdown !== 'brutal_kill') opts.terminateTimeoutMs = s.shutdown === 'infinity' ? Infinity : s.shutdown;
  const pid = await spawnLinkOnNodes(ctx, s.href, s.args, opts, s.nodes);
  child.pid = pid;
  child.retry = null;
  return pid;
}

/** Stops one child the OTP way: unlink, monitor, exit(shutdown), wait for its DOWN (kill after the timeout). */
async function stopChild(child: Child, ctx: Ctx): Promise<void> {
  const pid = child.pid;
  child.retry = null; // a child stopped on request is not tried again
  if (pid === null) return;
  child.pid = null;
  ctx.unlink(pid);
  const ref = ctx.monitor(pid);
  const isDown = (m: unknown): m is DownMessage => isDownMessage(m) && m.ref === ref;
  const shutdown = child.spec.shutdown;
  ctx.exit(pid, shutdown === 'brutal_kill' ? 'kill' : 'shutdown');
  const timeoutMs = typeof shutdown === 'number' ? shutdown : undefined;
  const down = await ctx.receive(isDown, timeoutMs === undefined ? undefined : { timeoutMs });
  if (down === undefined) {
    ctx.exit(pid, 'kill');
    await ctx.receive(isDown);
  }
  // An EXIT it sent before we unlinked may already be queued; it is old news.
  await ctx.receive((m) => isExitMessage(m) && m.from.equals(pid), { timeoutMs: 0 });
}

/** Records a restart; false when that exceeds the intensity (the supervisor must stop). */
function recordRestart(st: SupState): boolean {
  const now = performance.now();
  st.restarts.push(now);
  while (st.restarts.length > 0 && st.restarts[0]! <= now - st.intensity.withinMs) st.restarts.shift();
  return st.restarts.length <= st.intensity.maxRestarts;
}

async function stopAll(st: SupState, ctx: Ctx, from = 0): Promise<void> {
  for (let i = st.children.length - 1; i >= from; i--) await stopChild(st.children[i]!, ctx);
}

/**
 * Restarts `children` in order (each marked with the exit that began its
 * restart). A start that fails counts as another restart, and it and the
 * rest are tried again from the mailbox, as OTP's try_again_restart is: a
 * start can keep failing for long, and calls and the parent's exit must be
 * handled meanwhile. Returns false if intensity ran out.
 */
async function restartInOrder(st: SupState, children: Child[], ctx: Ctx): Promise<boolean> {
  for (const child of children) {
    if (ctx.systemStopping) return true;
    const reason = child.retry?.reason;
    try {
      const t0 = performance.now();
      const pid = await startChild(child, ctx);
      if (!ctx.alive) return true; // killed meanwhile: see below
      child.restarts++;
      ctx.probe.supervisorRestart(child.spec.id, st.strategy, performance.now() - t0, pid, reason);
    } catch (err) {
      // Killed while the child started (the start then fails: the child dies
      // of our link, or the spawn is refused, ERR_NO_PROC): a dead supervisor
      // restarts nothing and reports nothing, intensity_exceeded least of all.
      if (!ctx.alive) return true;
      ctx.probe.childStartFailed(child.spec.id, err);
      if (!recordRestart(st)) return false;
      if (!st.retryQueued) {
        st.retryQueued = true;
        // Queued even into a full mailbox, as an EXIT is: a lost retry would leave the children down for good.
        ctx.timeoutAfter(TRY_AGAIN, 0);
      }
      return true;
    }
  }
  return true;
}

/**
 * The retry of failed restarts: the children still waiting for it (not
 * stopped, deleted or restarted meanwhile), in start order. one_for_all
 * restarts them all together, as OTP's retry does: the siblings the last try
 * started are stopped (in reverse start order) and started again with them.
 */
async function tryAgain(st: SupState, ctx: Ctx): Promise<SupState> {
  st.retryQueued = false;
  let waiting = st.children.filter((c) => c.retry !== null);
  if (waiting.length === 0 || ctx.systemStopping) return st;
  const reason = waiting[0]!.retry!.reason;
  if (st.strategy === 'one_for_all') {
    await stopAll(st, ctx);
    // Temporary siblings that were stopped are not restarted: their specs go (see onChildExit).
    st.children = st.children.filter((c) => c.spec.restart !== 'temporary');
    waiting = st.children.slice();
    for (const c of waiting) c.retry = { reason };
  }
  if (!(await restartInOrder(st, waiting, ctx))) return giveUp(st, reason, ctx);
  return st;
}

async function onChildExit(st: SupState, index: number, reason: ExitReason, ctx: Ctx): Promise<SupState> {
  const child = st.children[index]!;
  child.pid = null;
  if (ctx.systemStopping) return st; // the whole system is going down: no restarts
  if (!shouldRestart(child.spec.restart, reason)) {
    if (child.spec.restart === 'temporary') st.children.splice(index, 1);
    // OTP's auto_shutdown: the supervisor stops its other children and exits with shutdown.
    // (A significant child whose restart is being tried again is still one: its pid is null meanwhile, OTP's `restarting`.)
    if (child.spec.significant && (st.autoShutdown === 'any_significant' || !st.children.some((c) => c.spec.significant && (c.pid !== null || c.retry !== null)))) {
      await stopAll(st, ctx);
      ctx.stop('shutdown');
    }
    return st;
  }
  if (!recordRestart(st)) return giveUp(st, reason, ctx);
  let toRestart: Child[];
  switch (st.strategy) {
    case 'one_for_one':
      toRestart = [child];
      break;
    case 'one_for_all':
      await stopAll(st, ctx); // every running sibling, in reverse start order
      toRestart = st.children.slice();
      break;
    case 'rest_for_one':
      await stopAll(st, ctx, index + 1); // the later siblings, in reverse start order
      toRestart = st.children.slice(index);
      break;
  }
  // Temporary siblings that were stopped are not restarted (OTP): their specs go.
  const kept = (c: Child) => c === child || c.spec.restart !== 'temporary' || c.pid !== null;
  toRestart = toRestart.filter(kept);
  st.children = st.children.filter(kept);
  for (const c of toRestart) c.retry = { reason };
  if (!(await restartInOrder(st, toRestart, ctx))) return giveUp(st, reason, ctx);
  return st;
}

async function giveUp(st: SupState, reason: ExitReason, ctx: Ctx): Promise<SupState> {
  ctx.probe.intensityExceeded(st.intensity.maxRestarts, st.intensity.withinMs, reason);
  await stopAll(st, ctx);
  ctx.stop(MAX_INTENSITY_REASON);
  return st;
}

/** restart_child and delete_child take a stopped child only: not a running one, nor one whose failed restart is tried again (OTP's `restarting`). */
function stoppedOrThrow(child: Child, id: string): void {
  if (child.pid !== null) throw new ChildRunningError(id);
  if (child.retry !== null) throw new ChildRestartingError(id);
}

function findChild(st: SupState, id: string | Pid): number {
  return st.children.findIndex((c) => (id instanceof Pid ? c.pid !== null && c.pid.equals(id) : c.spec.id === id));
}

/** What introspection sees of a supervisor (`supervisionTree()` builds the tree from it): its first children and how many more. */
function describeSupervisor(st: SupState): unknown {
  const shown = st.children.slice(0, MAX_REPORTED_CHILDREN);
  const children = shown.map((c) => ({ id: c.spec.id, pid: c.pid ?? undefined, restart: c.spec.restart, type: c.spec.type, restarts: c.restarts }));
  return { $supervisor: true, strategy: st.strategy, intensity: { ...st.intensity }, children, moreChildren: st.children.length - shown.length };
}

function info(c: Child): ChildInfo {
  return { id: c.spec.id, pid: c.pid ?? undefined, type: c.spec.type, module: c.spec.href, restart: c.spec.restart };
}

/**
 * Defines a supervisor behaviour. It traps exits, starts its children with
 * `spawnLink` in order (spread over the shards by default), and restarts them
 * by its strategy; stopping it stops its children in reverse order. At
 * `system.shutdown()` it does not: each shard stops its own processes (newest
 * first, the shards at the same time). For an ordered stop, exit the
 * supervisor with `'shutdown'` and `join` it before the shutdown.
 */
export function defineSupervisor<Args = undefined>(spec: SupervisorSpec<Args>): Behaviour<Args, SupState, ServerProtocol<SupReq, unknown, never>> {
  if (typeof spec !== 'object' || spec === null) throw new InvalidOptionError(`defineSupervisor needs an object like { strategy: 'one_for_one', children: [...] }, got ${describe(spec)}`);
  checkFlags(spec.strategy ?? 'one_for_one', spec.intensity ?? DEFAULT_INTENSITY, spec.autoShutdown ?? 'never');
  const named: { name?: string } = {};
  if (spec.name !== undefined) named.name = spec.name;
  const server = defineGenServer<Args, SupState, SupReq, unknown, never>({
    ...named,
    trapExit: true,
    // Stopping children one by one can take a while: no time limit on terminate.
    terminateTimeoutMs: Infinity,
    inspect: describeSupervisor,
    async init(args, ctx) {
      const flags = spec.init?.(args);
      const strategy = flags?.strategy ?? spec.strategy ?? 'one_for_one';
      const intensity = flags?.intensity ?? spec.intensity ?? DEFAULT_INTENSITY;
      const autoShutdown = flags?.autoShutdown ?? spec.autoShutdown ?? 'never';
      checkFlags(strategy, intensity, autoShutdown);
      const specs = flags?.children ?? (typeof spec.children === 'function' ? spec.children(args) : (spec.children ?? []));
      if (!Array.isArray(specs)) throw new InvalidArgumentError(`supervisor children must be an array of child specs, got ${String(specs)}`);
      const st: SupState = { strategy, intensity, autoShutdown, children: [], restarts: [], nextId: 0, retryQueued: false };
      for (const [i, c] of specs.entries()) {
        const n = normalize(c, `child-${i}`, autoShutdown);
        if (st.children.some((x) => x.spec.id === n.id)) throw new ChildExistsError(n.id);
        st.children.push({ spec: n, pid: null, restarts: 0, retry: null });
      }
      for (const child of st.children) {
        try {
          await startChild(child, ctx as Ctx);
        } catch (err) {
          // A child failed to start: so does the supervisor. As OTP's
          // {failed_to_start_child, Id, Reason}, the report and the error name the child.
          if (ctx.alive) ctx.probe.childStartFailed(child.spec.id, err);
          await stopAll(st, ctx as Ctx);
          throw new Error(`child "${child.spec.id}": ${err instanceof Error ? err.message : String(err)}`, { cause: err });
        }
      }
      return st;
    },
    async handleCall(req, from, st, ctx) {
      // A bad request fails the caller, never the supervisor.
      try {
        return await supervisorCall(req, st, ctx as Ctx);
      } catch (err) {
        ctx.replyError(from, err instanceof Error ? err : new Error(String(err)));
        return GenServer.noreply(st);
      }
    },
    handleInfo(msg, st, ctx) {
      if (isTryAgain(msg)) return tryAgain(st, ctx as Ctx);
      if (!isExitMessage(msg)) return st;
      const exit = msg as ExitMessage;
      const i = st.children.findIndex((c) => c.pid !== null && c.pid.equals(exit.from));
      if (i >= 0) return onChildExit(st, i, exit.reason, ctx as Ctx);
      // Not a current child: an old incarnation we already replaced, or a stray link. Ignore.
      return st;
    },
    async terminate(_reason, st, ctx) {
      // During system shutdown every shard stops its own actors; a child on a
      // shard that has already finished would never answer, so do not wait.
      if (st !== undefined && !ctx.systemStopping) await stopAll(st, ctx as Ctx);
    },
  });
  // A GenServer underneath, branded as a supervisor (introspection finds the supervision tree by it).
  return Object.freeze({ ...server, [BEHAVIOUR]: 'supervisor' }) as Behaviour<Args, SupState, ServerProtocol<SupReq, unknown, never>>;
}

/** The dynamic-children API, answered by a running supervisor. A caller can send anything, null too: what is no request gets ERR_INVALID_ARGUMENT. */
async function supervisorCall(req: SupReq | null | undefined, st: SupState, c: Ctx): Promise<ReturnType<typeof GenServer.reply<unknown, SupState>>> {
  switch (req?.$sup) {
    case 'start_child': {
      const n = normalize(req.spec, `child-${st.children.length}-${st.nextId++}`, st.autoShutdown);
      const same = st.children.find((x) => x.spec.id === n.id);
      if (same !== undefined) throw new ChildExistsError(n.id, same.pid);
      const child: Child = { spec: n, pid: null, restarts: 0, retry: null };
      const pid = await startChild(child, c);
      st.children.push(child);
      return GenServer.reply(pid, st);
    }
    case 'terminate_child': {
      const i = findChild(st, req.id);
      if (i < 0) throw new ChildNotFoundError(String(req.id));
      const child = st.children[i]!;
      await stopChild(child, c);
      if (child.spec.restart === 'temporary' || req.id instanceof Pid) st.children.splice(i, 1);
      return GenServer.reply(undefined, st);
    }
    case 'restart_child': {
      const i = findChild(st, req.id);
      if (i < 0) throw new ChildNotFoundError(req.id);
      stoppedOrThrow(st.children[i]!, req.id);
      return GenServer.reply(await startChild(st.children[i]!, c), st);
    }
    case 'delete_child': {
      const i = findChild(st, req.id);
      if (i < 0) throw new ChildNotFoundError(req.id);
      stoppedOrThrow(st.children[i]!, req.id);
      st.children.splice(i, 1);
      return GenServer.reply(undefined, st);
    }
    case 'which_children':
      return GenServer.reply(st.children.map(info), st);
    case 'count_children': {
      const counts: ChildCounts = { specs: st.children.length, active: 0, supervisors: 0, workers: 0 };
      for (const ch of st.children) {
        if (ch.pid !== null) counts.active++;
        if (ch.spec.type === 'supervisor') counts.supervisors++;
        else counts.workers++;
      }
      return GenServer.reply(counts, st);
    }
    default:
      throw new InvalidArgumentError(`unknown supervisor request ${preview(req)}`);
  }
}

type Endpoint = { call(to: any, req: any, opts?: { timeoutMs?: number }): Promise<any> };
const forever = { timeoutMs: Infinity };

/** Managing a running supervisor, from an actor (`ctx`) or the main thread (`system`). */
export const Supervisor = {
  /** Adds a child and starts it; resolves with its pid (ERR_CHILD_EXISTS, ERR_INIT_FAILED...). */
  startChild(endpoint: Endpoint, sup: Pid<any> | string, spec: ChildSpec): Promise<Pid> {
    let wire: ChildSpec;
    try {
      if (typeof spec !== 'object' || spec === null) throw new InvalidArgumentError(`startChild needs a child spec like { id: 'w1', module: url }, got ${describe(spec)}`);
      wire = { ...spec, module: moduleHref(spec.module) };
    } catch (err) {
      // A promise-returning call rejects: a caller awaiting it (or chaining .catch) gets the error where it looks.
      return Promise.reject(err);
    }
    return endpoint.call(sup, { $sup: 'start_child', spec: wire }, forever);
  },
  /** Stops a child (by id: its spec stays; by pid: it is removed). */
  terminateChild(endpoint: Endpoint, sup: Pid<any> | string, id: string | Pid): Promise<void> {
    return endpoint.call(sup, { $sup: 'terminate_child', id }, forever);
  },
  /** Starts a stopped child again from its spec. */
  restartChild(endpoint: Endpoint, sup: Pid<any> | string, id: string): Promise<Pid> {
    return endpoint.call(sup, { $sup: 'restart_child', id }, forever);
  },
  /** Removes a stopped child's spec. */
  deleteChild(endpoint: Endpoint, sup: Pid<any> | string, id: string): Promise<void> {
    return endpoint.call(sup, { $sup: 'delete_child', id }, forever);
  },
  /** Every child, in start order. */
  whichChildren(endpoint: Endpoint, sup: Pid<any> | string): Promise<ChildInfo[]> {
    // (No timeout, as OTP's: a supervisor waiting out a child's shutdown answers once it is done.)
    return endpoint.call(sup, { $sup: 'which_children' }, forever);
  },
  countChildren(endpoint: Endpoint, sup: Pid<any> | string): Promise<ChildCounts> {
    return endpoint.call(sup, { $sup: 'count_children' }, forever);
  },
} as const;

