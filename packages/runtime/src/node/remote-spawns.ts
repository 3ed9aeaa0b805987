// Spawning across nodes: requests this node's processes make of another node, and the ones it serves for the others.

import type { Pid } from '../actor/pid.js';
import { NodeDownError, toWireError } from '../errors.js';
import type { RemoteSpawnReply, RemoteSpawnRequest } from '../shard/remote.js';
import type { RemoteBirth } from '../shard/spawn.js';
import type { ThreadRuntime } from '../shard/thread-runtime.js';
import type { Connections } from './connections.js';
import { portableName, resolveName } from './module-names.js';
import type { Peer } from './peer.js';
import type { ProxyRefs } from './proxy-refs.js';
import { W_SPAWN, W_SPAWN_REPLY, type WireSpawn } from './wire.js';

type Done = (ok: boolean, value: unknown) => void;

export class RemoteSpawns {
  readonly #rt: ThreadRuntime;
  readonly #conns: Connections;
  readonly #refs: ProxyRefs;
  readonly #root: string;
  readonly #pending = new Map<number, { done: Done; peer: Peer }>();
  #seq = 0;

  constructor(rt: ThreadRuntime, conns: Connections, refs: ProxyRefs, root: string) {
    this.#rt = rt;
    this.#conns = conns;
    this.#refs = refs;
    this.#root = root;
  }

  /** Asks `peer` to start a process; `done` gets a RemoteSpawnReply (or the error that prevented asking). */
  request(req: RemoteSpawnRequest, peer: Peer, done: Done): void {
    let module: string;
    try {
      module = portableName(this.#root, req.url);
    } catch (err) {
      done(false, err);
      return;
    }
    const spec: WireSpawn = { module, export: req.export, args: req.args, parent: req.parent, mode: req.mode };
    if (req.ref !== undefined) spec.ref = req.ref;
    if (req.name !== undefined) spec.name = req.name;
    if (req.mailboxCapacity !== undefined) spec.mailboxCapacity = req.mailboxCapacity;
    if (req.terminateTimeoutMs !== undefined) spec.terminateTimeoutMs = req.terminateTimeoutMs;
    if (req.shard !== undefined) spec.shard = req.shard;
    if (req.timeoutMs !== undefined) spec.timeoutMs = req.timeoutMs;
    const id = ++this.#seq;
    this.#pending.set(id, { done, peer });
    peer.spawns.add(id);
    this.#conns.push(peer, W_SPAWN, id, spec, null, null, null);
  }

  /** `peer` answered request `id`: the pid when a process was created, and the error if the spawn failed. */
  onReply(peer: Peer, id: number, pid: Pid | null, error: unknown): void {
    const p = this.#pending.get(id);
    if (p === undefined) return;
    this.#pending.delete(id);
    peer.spawns.delete(id);
    const reply: RemoteSpawnReply = { pid, error: (error ?? null) as RemoteSpawnReply['error'] };
    p.done(true, reply);
  }

  /** This node is leaving: every unanswered spawn fails with `err` (no answer can come once the connection is closed). */
  failAll(err: Error): void {
    for (const [id, p] of this.#pending) {
      this.#pending.delete(id);
      p.peer.spawns.delete(id);
      p.done(false, err);
    }
  }

  /** Request `id` to `peer` could not be sent: that spawn fails with `err`. */
  failOne(peer: Peer, id: number, err: Error): void {
    const p = this.#pending.get(id);
    if (p === undefined) return;
    this.#pending.delete(id);
    peer.spawns.delete(id);
    p.done(false, err);
  }

  /** `peer` went down: its unanswered spawns fail. */
  failPeer(peer: Peer): void {
    for (const id of peer.spawns) {
      const p = this.#pending.get(id);
      this.#pending.delete(id);
      p?.done(false, new NodeDownError(peer.id, `node ${peer.name} went down before it answered a spawn`));
    }
    peer.spawns.clear();
  }

  /**
   * Starts a process `peer` asked for, its module resolved under our root.
   * The answer goes back the moment the spawn settles, in order before
   * anything the child sends (so the parent's link is in place for its exit).
   */
  serve(peer: Peer, id: number, spec: WireSpawn): void {
    let replied = false;
    const reply = (pid: Pid | null, err: unknown): void => {
      if (replied) return;
      replied = true;
      this.#conns.push(peer, W_SPAWN_REPLY, id, pid, err === null ? null : toWireError(err), null, null);
    };
    let href: string;
    try {
      href = resolveName(this.#root, spec.module);
    } catch (err) {
      reply(null, err);
      return;
    }
    const parent = spec.parent as Pid;
    const birth: RemoteBirth = {
      parent,
      replied: (pid, err) => {
        // Its monitor's ref now names the thread it lives on (ended with that thread, ProxyRefs.dropTarget).
        if (pid !== null && birth.ref !== undefined) this.#refs.placed(birth.ref, pid.shard);
        reply(pid, err ?? null);
      },
    };
    if (spec.mode === 'link') birth.link = parent;
    if (spec.mode === 'monitor') {
      birth.monitor = parent;
      birth.ref = this.#refs.inbound(peer.id, spec.ref!, -1);
    }
    const opts: Record<string, unknown> = { export: spec.export, shard: spec.shard ?? 'round-robin' };
    if (spec.name !== undefined) opts.name = spec.name;
    if (spec.mailboxCapacity !== undefined) opts.mailboxCapacity = spec.mailboxCapacity;
    if (spec.terminateTimeoutMs !== undefined) opts.terminateTimeoutMs = spec.terminateTimeoutMs;
    if (spec.timeoutMs !== undefined) opts.timeoutMs = spec.timeoutMs;
    this.#rt.spawner.spawn(href, spec.args, opts, null, 'plain', birth).catch((err: unknown) => {
      // Refused before any process existed (a started one answers through birth.replied first):
      // no DOWN will come to translate the monitor's proxy ref and end it, so it ends here.
      if (!replied && birth.ref !== undefined) this.#refs.take(peer.id, spec.ref!);
      reply(null, err);
    });
  }
}
