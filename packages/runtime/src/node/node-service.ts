// A node, on its main thread: the one connection to the cluster, membership, remote ops in and out, node events.

import type { NodeMetricsWriter } from '@joerl/telemetry/internal';
import type { NodeInfo } from '../actor/context.js';
import type { Pid } from '../actor/pid.js';
import { SystemStoppedError } from '../errors.js';
import { NOPROC } from '../shard/exits.js';
import { type DeadLetter, OP_NODE_DOWN, OP_NODE_SHARD_DOWN } from '../shard/protocol.js';
import { NOCONNECTION, R_DOWN, R_EXIT, R_LINK, R_MONITOR, R_REPLY, R_SEND, R_SEND_TP } from '../shard/remote-ops.js';
import type { ThreadRuntime } from '../shard/thread-runtime.js';
import { Connections, type DownReason } from './connections.js';
import { GlobalNames } from './global-names.js';
import { Inbound } from './inbound.js';
import { NodeRequests } from './node-requests.js';
import { NodeWatchers } from './node-watchers.js';
import type { Member, Membership } from './membership.js';
import type { ResolvedNodeOptions } from './node-options.js';
import type { NodeTransport, TransportEvent } from './node-transport.js';
import { nodeReports, queueArity } from './outbound.js';
import type { Peer } from './peer.js';
import { ProxyRefs } from './proxy-refs.js';
import { RemoteSpawns } from './remote-spawns.js';
import { UnreadDowns } from './unread-downs.js';
import { ClusterNames, W_ACK, W_BYE, W_SHARD_DOWN, isMessageOp } from './wire.js';

/** How long a node the cluster removed waits before asking the store again, when putting its entry back failed. */
const REJOIN_RETRY_MS = 1000;

/** A lost connection, as the `nodeDown` event reports it. */
export interface NodeDownInfo extends NodeInfo {
  reason: DownReason;
  /** Messages sent to it whose arrival it never confirmed (counted in `remote_messages_failed_total{reason="connection_failed"}`). */
  unconfirmed: number;
}

/** What the node tells the system. */
export interface NodeEvents {
  up(info: NodeInfo): void;
  down(info: NodeDownInfo): void;
  deadLetter(dl: DeadLetter): void;
}

export class NodeService {
  readonly me: Member;
  readonly names: ClusterNames;
  readonly #t: NodeTransport;
  readonly #members: Membership;
  readonly #rt: ThreadRuntime;
  readonly #events: NodeEvents;
  readonly #metrics: NodeMetricsWriter;
  readonly #refs: ProxyRefs;
  readonly #conns: Connections;
  readonly #inbound: Inbound;
  readonly #spawns: RemoteSpawns;
  /** Node-downs sent to the shards and not read yet: the remote ops they sent before are for the old connection. */
  readonly #unread: UnreadDowns;
  #global: GlobalNames | null = null;
  readonly #nodeWatchers: NodeWatchers;
  /** Peers we wait for at start (members listed when we joined). */
  readonly #settling = new Set<Peer>();
  #settled: (() => void) | null = null;
  #leaving = false;
  /** Another node took our name while we were cut off: we stay out of the cluster (see #outOfCluster). */
  #ousted = false;
  #ringFlushQueued = false;
  readonly #downAfterMs: number;
  /** How long leaving may take at stop (connectTimeoutMs): see stop. */
  readonly #leaveMs: number;

  constructor(o: ResolvedNodeOptions, t: NodeTransport, members: Membership, rt: ThreadRuntime, events: NodeEvents) {
    this.#t = t;
    this.#members = members;
    this.me = members.me;
    this.#downAfterMs = o.downAfterMs;
    this.#leaveMs = o.connectTimeoutMs;
    this.names = new ClusterNames(o.cluster);
    this.#rt = rt;
    this.#unread = new UnreadDowns(rt.state.threads);
    this.#events = events;
    this.#metrics = rt.metrics.nodeMetrics();
    this.#refs = new ProxyRefs(() => rt.state.newRef());
    this.#nodeWatchers = new NodeWatchers(rt);
    this.#conns = new Connections(t, this.names, this.me, o, this.#metrics, {
      up: (p) => this.#onUp(p),
      down: (p, reason, lost, queued, wasUp) => this.#onDown(p, reason, lost, queued, wasUp),
      ops: (p, frame, start, tp) => {
        this.#flushRingsSoon();
        return this.#inbound.apply(p, frame, start, tp);
      },
    }, nodeReports(this.#metrics, (dl) => this.#events.deadLetter(dl), (p, id, err) => this.#spawns.failOne(p, id, err)));
    this.#spawns = new RemoteSpawns(rt, this.#conns, this.#refs, o.root);
    this.#inbound = new Inbound(rt, this.#refs, {
      spawn: (p, id, spec) => this.#spawns.serve(p, id, spec),
      spawnReply: (p, id, pid, err) => this.#spawns.onReply(p, id, pid, err),
      ping: (p, t) => this.#conns.onPing(p, t),
      pong: (p, t) => this.#conns.onPong(p, t),
      ack: (p, seq) => p.confirm(seq),
      bye: (p) => {
        p.member = false;
        this.#conns.declareDown(p, 'left');
      },
      shardDown: (p, shard, below) => {
        // On every thread, in order after what the peer sent before (as a node's death, #onDown).
        const s = this.#rt.state;
        for (let t = 1; t < s.threads; t++) s.transport.emit3(t, OP_NODE_SHARD_DOWN, p.id, shard, below);
        this.#rt.remote.onShardDown(p.id, shard, below);
        this.#refs.dropThread(p.id, shard);
      },
      answerNoProc: (p, kind, to, from, ref) => {
        if (kind === R_MONITOR) this.#conns.push(p, R_DOWN, from, ref, to, NOPROC, null);
        else this.#conns.push(p, R_EXIT, from, to, NOPROC, true, null);
      },
    });
  }

  /** Joins: subscriptions first (nobody's hello is lost), then our live entry, then a connection to every member. */
  async start(): Promise<void> {
    const t = this.#t;
    const rt = this.#rt;
    this.#global = new GlobalNames(await t.kv(this.names.namesBucket), rt, (id) => this.#conns.peers.get(id)?.state === 'down');
    await this.#global.start();
    this.#nodeWatchers.start();
    t.subscribe(this.names.data(this.me.id), (m) => this.#conns.onMessage(m));
    t.subscribe(this.names.ping(this.me.id), (m) => m.respond(new Uint8Array(0)));
    t.onEvent((e) => this.#onTransport(e));
    rt.state.remote = (kind, to, a, b, c, d) => this.#outbound(kind, to, a, b, c, d);
    rt.state.hooks.remoteOp = (thread, kind, to, a, b, c, d) => {
      if (this.#unread.stale(thread, to.node)) this.#unreachable(kind, to, a, b, this.#conns.peers.get(to.node)?.name ?? String(to.node));
      else this.#outbound(kind, to, a, b, c, d);
    };
    rt.state.hooks.nodeDownSeen = (thread, node) => this.#unread.seen(thread, node);
    const requests = new NodeRequests(rt, this.me.name, this.#conns, this.#spawns, this.#global, this.#nodeWatchers, () => this.nodes());
    rt.state.hooks.nodeRequest = (kind, arg, _thread, done) => requests.handle(kind, arg, done);
    rt.state.hooks.shardDown = (shard, below) => {
      this.#unread.threadDied(shard);
      this.#refs.dropTarget(shard);
      for (const p of this.#conns.peers.values()) if (p.state !== 'down') this.#conns.push(p, W_SHARD_DOWN, shard, below, null, null, null);
    };
    // Read before enter, which forgets it once our entry has taken over the dead node's.
    const replaced = this.#members.replaced;
    await this.#members.enter();
    // Awaited, so that its names are free once start resolves; a store that fails now is asked again later.
    if (replaced !== null) await this.#global.purgeNode(replaced.id, true).catch(() => this.#global!.purgeSoon(replaced.id, true));
    for (const { member, revision } of await this.#members.list()) {
      const p = this.#onJoin(member, revision);
      // It may have connected to us already (it saw our entry first).
      if (p !== undefined && p.state === 'connecting') this.#settling.add(p);
    }
    await this.#members.watch((m, rev) => void this.#onJoin(m, rev), (name) => this.#onLeave(name));
    this.#conns.startTicking();
    // Members listed when we joined are connected (or found dead: a timeout) before start resolves.
    if (this.#settling.size > 0) await new Promise<void>((resolve) => (this.#settled = resolve));
  }

  /**
   * What frames from the network put in our rings goes out at the end of
   * this turn, not when the main thread's scheduler next wakes: a round trip
   * to another node crosses the main thread twice.
   */
  #flushRingsSoon(): void {
    if (this.#ringFlushQueued) return;
    this.#ringFlushQueued = true;
    queueMicrotask(() => {
      this.#ringFlushQueued = false;
      this.#rt.state.transport.flush();
    });
  }

  /** The other nodes connected now. */
  nodes(): NodeInfo[] {
    return [...this.#conns.peers.values()].filter((p) => p.state === 'up').map(info);
  }

  get global(): GlobalNames {
    return this.#global!;
  }

  /** Leaves the cluster: a goodbye to every peer, our live entry removed, the connection closed. */
  async stop(): Promise<void> {
    this.#leaving = true;
    // What arrived is acknowledged first: the others report only what we never got.
    for (const p of this.#conns.peers.values()) {
      if (p.state !== 'up') continue;
      this.#conns.push(p, W_ACK, p.inSeq, null, null, null, null);
      this.#conns.push(p, W_BYE, null, null, null, null, null);
    }
    this.#conns.flushAll();
    this.#conns.stop();
    // Answers to our spawns on other nodes can no longer arrive: they fail now, as spawns on our own shards do.
    this.#spawns.failAll(new SystemStoppedError());
    // Leaving is a courtesy: cut off from NATS (a flush retries until the client is back, and the client
    // reconnects forever), the store cannot hear it, and the others find us gone by their timeouts. So it
    // gets #leaveMs, fails quietly, and the rest of the system's shutdown goes on.
    const leave = async (): Promise<void> => {
      // Our names go with us: the peers free them too when they hear our goodbye, but a last node has no peers.
      await this.#global?.purgeNode(this.me.id).catch(() => {});
      await this.#members.leave();
      await this.#t.flush();
    };
    let timer: NodeJS.Timeout | undefined;
    const gaveUp = new Promise<void>((resolve) => (timer = setTimeout(resolve, this.#leaveMs)));
    try {
      await Promise.race([leave().catch(() => {}), gaveUp]);
    } finally {
      clearTimeout(timer);
      this.#global?.stop();
      this.#nodeWatchers.stop();
      await this.#t.close();
    }
  }

  /** A remote op from one of our threads (the router's sink on the main thread). */
  #outbound(kind: number, to: Pid, a: unknown, b: unknown, c: unknown, d: unknown): void {
    const peer = this.#conns.peers.get(to.node);
    if (peer !== undefined && peer.state !== 'down') {
      if (kind === R_DOWN) {
        const theirs = this.#refs.outbound(a as number);
        if (theirs === undefined) return;
        a = theirs;
      }
      this.#conns.push(peer, kind, to, a, b, c, d);
      return;
    }
    this.#unreachable(kind, to, a, b, peer?.name ?? String(to.node));
  }

  /** A remote op for a node not connected (down, or no such node): answered here, as Erlang does for an unreachable node. */
  #unreachable(kind: number, to: Pid, a: unknown, b: unknown, label: string): void {
    const router = this.#rt.router;
    if (kind === R_SEND || kind === R_SEND_TP || kind === R_REPLY) {
      this.#metrics.remoteFailed(label, 'connection_failed', 1);
      if (kind !== R_REPLY) this.#events.deadLetter({ to, message: a, reason: 'noconnection', shard: 0 });
    } else if (kind === R_LINK) router.sigExit(to, a as Pid, NOCONNECTION, true);
    else if (kind === R_MONITOR) router.sigDown(a as Pid, b as number, to, NOCONNECTION);
  }

  #onJoin(m: Member, revision: number): Peer | undefined {
    if (m.id === this.me.id || this.#leaving || this.#ousted) return undefined;
    if (m.name === this.me.name) {
      // A node took our name after the cluster declared us dead (an entry older than ours is an earlier life's).
      if (revision > this.#members.revision) this.#outOfCluster(m.id);
      return undefined;
    }
    for (const old of this.#conns.peers.values()) {
      // Not only a member: a replaced node whose hello got in while no member held its name goes too.
      if (old.name !== m.name || old.id === m.id || (!old.member && old.state === 'down')) continue;
      old.member = false;
      this.#conns.declareDown(old, 'replaced');
      this.#global?.purgeSoon(old.id, false, () => gone(old)); // (each survivor tries: another may free them)
    }
    const p = this.#conns.ensure(m.id, m.name, m.creation);
    p.member = true;
    p.liveRevision = revision;
    if (p.state === 'down') this.#conns.connect(p);
    return p;
  }

  #onLeave(name: string): void {
    if (this.#leaving || this.#ousted) return;
    if (name === this.me.name) {
      // The cluster declared us down (we froze, or were cut off): our links are gone on their side, so
      // ours go too, and we rejoin as a new connection (Erlang's behaviour after a net split).
      for (const p of this.#conns.peers.values()) this.#conns.declareDown(p, 'self');
      this.#rejoin();
      return;
    }
    for (const p of this.#conns.peers.values()) {
      if (p.name !== name || !p.member) continue;
      p.member = false;
      this.#conns.declareDown(p, 'removed');
    }
  }

  /**
   * Puts our entry back after the cluster removed it, then connects to every
   * member again. The store may fail to answer meanwhile (a NATS blip, a
   * JetStream leader election): tried again every REJOIN_RETRY_MS until it
   * does or we leave, and never an unhandled rejection (the process's end).
   */
  #rejoin(): void {
    this.#members.reenter().then(
      (ok) => {
        if (!ok) {
          this.#outOfCluster(null);
          return;
        }
        // The names our processes still hold, which the survivors freed (GlobalNames.reclaim).
        this.#global?.reclaim();
        for (const p of this.#conns.peers.values()) if (p.member && p.state === 'down') this.#conns.connect(p);
      },
      () => {
        if (!this.#leaving && !this.#ousted) setTimeout(() => this.#rejoin(), REJOIN_RETRY_MS).unref();
      },
    );
  }

  /**
   * Another node holds our name: the cluster found us dead while we were cut
   * off, and a new node took the name. Coming back under it would make two
   * live nodes of one name (spawns and monitorNode would reach either), so
   * every connection ends and none opens again; our processes run on, alone.
   * The peers' nodeDown events came when we were cut off; the user is told
   * once more, plainly, that this node is out for good.
   */
  #outOfCluster(by: number | null): void {
    if (this.#ousted || this.#leaving) return;
    this.#ousted = true;
    for (const p of this.#conns.peers.values()) this.#conns.declareDown(p, 'self');
    this.#conns.stop();
    this.#global?.refuseAsOusted(this.me.name, this.names.cluster);
    const who = by === null ? 'another node' : `node id ${by}`;
    process.emitWarning(
      `node '${this.me.name}' (id ${this.me.id}) is out of cluster '${this.names.cluster}': the cluster found it dead while it was cut off and ${who} took its name; it will not connect again. Shut this system down, and start it again (under this name once that node is gone, or another) to rejoin.`,
      { code: 'JOERL_NODE_REPLACED' },
    );
  }

  #onTransport(e: TransportEvent): void {
    if (this.#leaving || this.#ousted) return;
    if (e.type === 'disconnect') {
      // What was sent or received meanwhile may be lost: every connection is over.
      for (const p of this.#conns.peers.values()) this.#conns.declareDown(p, 'self');
    } else if (e.type === 'reconnect') {
      void this.#reconnected();
    } else if (e.type === 'peer-disconnect') {
      // A node's main connection only (`joerl:<cluster>:<name>`): its system-account one (`...:sys`) going says nothing of the node.
      const parts = e.name.split(':');
      const [tag, cluster, name] = parts;
      const p = parts.length === 3 && tag === 'joerl' && cluster === this.names.cluster ? this.#conns.byName(name!) : undefined;
      if (p !== undefined) void this.#disconnected(p);
    }
  }

  /**
   * Back on the network. If the cluster found us dead meanwhile and a new
   * node took our name, we are out: the members' watch says so too, but
   * perhaps only after our hellos went. Otherwise (or if the store does not
   * answer) every member is connected again.
   */
  async #reconnected(): Promise<void> {
    const holder = await this.#members.holder().catch(() => null);
    if (this.#leaving || this.#ousted) return;
    if (holder !== null && holder.id !== this.me.id) return this.#outOfCluster(holder.id);
    for (const p of this.#conns.peers.values()) if (p.member && p.state === 'down') this.#conns.connect(p);
  }

  /**
   * The servers say a connection named as `p`'s closed. Usually `p` died,
   * but it may be an earlier node of that name whose dead socket the servers
   * noticed late, after `p` (its next life) joined: so `p` is asked on its ping
   * subject first, and is down only if it does not answer. A dead node has no
   * subscription there: the servers answer "no responders" at once.
   */
  async #disconnected(p: Peer): Promise<void> {
    if (!(await this.#answers(p)) && !this.#leaving) this.#conns.declareDown(p, 'disconnected');
  }

  /** Whether `p` answers on its ping subject (no: dead, frozen or unreachable). */
  async #answers(p: Peer): Promise<boolean> {
    try {
      await this.#t.request(this.names.ping(p.id), new Uint8Array(0), Math.min(1000, this.#downAfterMs / 2));
      return true;
    } catch {
      return false;
    }
  }

  #onUp(p: Peer): void {
    this.#events.up(info(p));
    this.#settle(p);
  }

  #onDown(p: Peer, reason: DownReason, lost: number, queued: unknown[], wasUp: boolean): void {
    let failed = lost;
    for (let i = 0; i < queued.length; i += 1 + queueArity(queued[i] as number)) {
      const kind = queued[i] as number;
      if (!isMessageOp(kind)) continue;
      failed++;
      // Never sent (the connection went, or never came up, before it was flushed): a dead letter, as a send to a node already down is.
      if (kind === R_SEND || kind === R_SEND_TP) this.#events.deadLetter({ to: queued[i + 1] as Pid, message: queued[i + 2], reason: 'noconnection', shard: 0 });
    }
    if (failed > 0) this.#metrics.remoteFailed(p.name, 'connection_failed', failed);
    this.#spawns.failPeer(p);
    this.#refs.dropNode(p.id);
    // Links and monitors to its processes fire on every thread, in order after what it sent before.
    const s = this.#rt.state;
    this.#unread.sent(p.id);
    for (let t = 1; t < s.threads; t++) s.transport.emit1(t, OP_NODE_DOWN, p.id);
    this.#rt.remote.onNodeDown(p.id);
    this.#nodeWatchers.fire(p.name);
    if (reason === 'timeout' || reason === 'disconnected') void this.#confirmDead(p);
    else if (reason === 'left' || reason === 'removed' || reason === 'replaced') this.#global?.purgeSoon(p.id, false, () => gone(p));
    if (wasUp) this.#events.down({ ...info(p), reason, unconfirmed: lost });
    this.#settle(p);
  }

  /**
   * A silent (or disconnected) peer is asked once on its ping subject. No
   * answer (nobody subscribed: dead; or no reply: frozen or cut off): its
   * entry and names go, at the revision we know (if it rejoined meanwhile,
   * they stay). An answer: it is alive, and we connect again.
   */
  async #confirmDead(p: Peer): Promise<void> {
    const alive = await this.#answers(p);
    if (this.#leaving || p.state !== 'down') return;
    if (alive) {
      if (p.member) this.#conns.connect(p);
      return;
    }
    if (p.member) {
      p.member = false;
      await this.#members.purge(p.name, p.liveRevision).catch(() => {});
    }
    this.#global?.purgeSoon(p.id, false, () => gone(p));
  }

  #settle(p: Peer): void {
    if (!this.#settling.delete(p) || this.#settling.size > 0) return;
    this.#settled?.();
    this.#settled = null;
  }
}

function info(p: Peer): NodeInfo {
  return { name: p.name, id: p.id, creation: p.creation };
}

/** A peer still down and out of the cluster: its names may be freed (one that rejoined holds them again). */
function gone(p: Peer): boolean {
  return p.state === 'down' && !p.member;
}
