// Remote: a thread's side of the cluster: requests to the main thread (spawn on a node, global names), and a lost node's links.

import type { ModuleRef, Monitored, SpawnOptions } from '../actor/context.js';
import { checkTerminateLimit } from '../actor/behaviour.js';
import { moduleHref } from '../actor/module-ref.js';
import type { ExitReason } from '../actor/exit-reason.js';
import type { Pid } from '../actor/pid.js';
import { type Proc, S_DEAD } from '../actor/proc.js';
import { forSignal, forWire } from '../codec/prepare.js';
import { NotANodeError, fromWireError, toWireError, type WireError } from '../errors.js';
import { NOPROC } from './exits.js';
import { checkSpawnTimeout } from './spawn.js';
import { OP_DOWN, OP_EXIT, OP_NODE_REPLY, OP_NODE_REQ, type SpawnMode } from './protocol.js';
import { NOCONNECTION } from './remote-ops.js';
import type { Router } from './router.js';
import type { ShardState } from './shard-state.js';

/** A spawn on another node, as the main thread receives it. */
export interface RemoteSpawnRequest {
  /** The module on this node (a `file:` URL; the main thread names it portably for the other node). */
  url: string;
  export: string;
  args: unknown;
  node: string;
  parent: Pid;
  mode: SpawnMode;
  /** The monitor's ref (spawnMonitor), minted here. */
  ref?: number;
  name?: string;
  mailboxCapacity?: number;
  terminateTimeoutMs?: number;
  shard?: SpawnOptions['shard'];
  /** How long the serving node's spawn may take (its own spawnTimeoutMs when absent). */
  timeoutMs?: number;
}

/** What the main thread answers a remote spawn with: the pid when a process was created, and the error if it failed. */
export interface RemoteSpawnReply {
  pid: Pid | null;
  error: WireError | null;
}

interface Pending {
  resolve(value: unknown): void;
  reject(err: unknown): void;
  /** Runs synchronously when the reply is dispatched, before the ops behind it (a spawnLink's link before the child's EXIT). */
  settled?: (ok: boolean, value: unknown) => void;
}

export class Remote {
  private readonly s: ShardState;
  private readonly router: Router;
  private readonly pending = new Map<number, Pending>();
  private seq = 0;

  constructor(state: ShardState, router: Router) {
    this.s = state;
    this.router = router;
  }

  /** A node-level request to the main thread, which owns the node's connection. */
  request(kind: string, arg: unknown, settled?: Pending['settled']): Promise<unknown> {
    const s = this.s;
    if (!s.distributed || (s.thread === 0 && s.hooks.nodeRequest === undefined)) return Promise.reject(new NotANodeError(kind.replace(/_/g, ' ')));
    let a = arg;
    if (s.thread !== 0) {
      // To the main thread's ring: checked, and a -0 keeps its marker (forWire); shared memory goes to no node.
      try {
        a = forWire(arg, false, true);
      } catch (err) {
        return Promise.reject(err);
      }
    }
    return new Promise((resolve, reject) => {
      const id = ++this.seq;
      const p: Pending = { resolve, reject };
      if (settled !== undefined) p.settled = settled;
      this.pending.set(id, p);
      if (s.thread === 0) s.hooks.nodeRequest!(kind, arg, 0, (ok, value) => this.onReply(id, ok, ok ? value : toWireError(value)));
      else s.transport.emit3(0, OP_NODE_REQ, id, kind, a);
    });
  }

  /** Main thread: a request from thread `from`; the answer goes back by its id, in order with what follows it. */
  serve(from: number, id: number, kind: string, arg: unknown): void {
    const s = this.s;
    const answer = (ok: boolean, value: unknown): void => {
      if (id !== 0) s.transport.emit3(from, OP_NODE_REPLY, id, ok, ok ? value : toWireError(value));
    };
    if (s.hooks.nodeRequest === undefined) answer(false, new NotANodeError(kind));
    else s.hooks.nodeRequest(kind, arg, from, answer);
  }

  onReply(id: number, ok: boolean, value: unknown): void {
    const p = this.pending.get(id);
    if (p === undefined) return;
    this.pending.delete(id);
    const v = ok ? value : fromWireError(value as WireError);
    p.settled?.(ok, v);
    if (ok) p.resolve(v);
    else p.reject(v);
  }

  /**
   * spawn / spawnLink / spawnMonitor on another node. The link or monitor is
   * recorded here when the answer arrives, before anything the child sent
   * after it (its answer and its exit come in order), so an init crash still
   * reaches a linked parent.
   */
  spawn(module: ModuleRef, args: unknown, opts: SpawnOptions & { node: string }, parent: Proc | null, mode: SpawnMode): Promise<Pid | Monitored> {
    const s = this.s;
    let req: RemoteSpawnRequest;
    try {
      // Checked at the call, named `args` (request() makes the wire copy).
      const a = forSignal(args, 'args', true, s.config.checkLocalSends, true);
      req = { url: moduleHref(module), export: opts.export ?? 'default', args: a, node: opts.node, parent: parent?.pid ?? s.mainPid, mode: parent === null ? 'plain' : mode };
      if (opts.name !== undefined) req.name = opts.name;
      if (opts.mailboxCapacity !== undefined) req.mailboxCapacity = opts.mailboxCapacity;
      if (opts.terminateTimeoutMs !== undefined) req.terminateTimeoutMs = checkTerminateLimit(opts.terminateTimeoutMs, 'options.terminateTimeoutMs');
      if (opts.shard !== undefined && opts.shard !== 'local') req.shard = opts.shard;
      if (opts.timeoutMs !== undefined) req.timeoutMs = checkSpawnTimeout(opts.timeoutMs);
      if (req.mode === 'monitor') req.ref = s.newRef();
      if (req.mode !== 'plain') s.observer[req.mode === 'link' ? 'linkCreated' : 'monitorCreated']();
    } catch (err) {
      return Promise.reject(err);
    }
    const settled = (ok: boolean, value: unknown): void => {
      const pid = ok ? (value as RemoteSpawnReply).pid : null;
      if (parent === null || pid === null || req.mode === 'plain') return;
      if (parent.status === S_DEAD) {
        // The parent is gone: the child is told as a link or monitor to a dead process would be.
        if (req.mode === 'link') this.router.sigExit(parent.pid, pid, NOPROC, true);
        return;
      }
      if (req.mode === 'link') parent.addLink(pid);
      else parent.addMonitor(req.ref!, pid);
    };
    return this.request('spawn', req, settled).then((v) => {
      const r = v as RemoteSpawnReply;
      if (r.error !== null) throw fromWireError(r.error);
      return req.mode === 'monitor' ? { pid: r.pid!, ref: req.ref! } : r.pid!;
    });
  }

  /**
   * The connection to node `node` is gone: every link to its processes
   * delivers an exit `noconnection`, every monitor a DOWN `noconnection`
   * (calls in flight to it fail with them), and its monitors on ours are
   * forgotten, as for a dead shard.
   */
  onNodeDown(node: number): void {
    this.#gone((pid) => pid.node === node, NOCONNECTION);
  }

  /**
   * Node `node` says one of its shards died: links and monitors to the
   * processes it had (serials below `below`; the next incarnation's start
   * there) fire with `killed`, as for a shard of ours (ThreadRuntime.onShardDown),
   * and calls in flight to them fail with it.
   */
  onShardDown(node: number, shard: number, below: number): void {
    this.#gone((pid) => pid.node === node && pid.shard === shard && pid.serial < below, 'killed');
  }

  /** Links and monitors to the processes `gone` matches fire with `reason`; their monitors on ours are forgotten. */
  #gone(gone: (pid: Pid) => boolean, reason: ExitReason): void {
    const local = this.router;
    for (const p of this.s.procs.ordered()) {
      if (p.status === S_DEAD) continue;
      if (p.links !== null) {
        for (const pid of [...p.links.values()]) if (gone(pid)) local.local(OP_EXIT, pid, p.pid.serial, reason, true);
      }
      if (p.monitors !== null) {
        for (const [ref, t] of [...p.monitors]) if (gone(t)) local.local(OP_DOWN, p.pid.serial, ref, t, reason);
      }
      if (p.monitoredBy !== null) {
        for (const [ref, w] of [...p.monitoredBy]) if (gone(w)) p.monitoredBy.delete(ref);
      }
    }
  }
}
