// Connections to the other nodes: the hello handshake, numbered frames (a gap is a lost connection), heartbeats, timeouts.

import { performance } from 'node:perf_hooks';
import type { NodeMetricsWriter } from '@joerl/telemetry/internal';
import { unpackr } from '../codec/codec.js';
import type { NodeTransport, TransportMessage } from './node-transport.js';
import { Outbound, type OutboundReports, queueArity } from './outbound.js';
import { Peer } from './peer.js';
import { type ClusterNames, F_DATA, F_HELLO, W_ACK, W_PING, W_PONG } from './wire.js';

/** Why a connection was declared lost. */
export type DownReason =
  /** Nothing heard for `downAfterMs` (the node died, froze, or the network failed). */
  | 'timeout'
  /** The servers reported its connection closed. */
  | 'disconnected'
  /** A frame went missing (a slow consumer's dropped messages): the connection cannot be trusted. */
  | 'gap'
  /** It opened a new connection (it had declared ours lost). */
  | 'reconnected'
  /** It left the cluster: it said goodbye (it shut down). */
  | 'left'
  /** Its entry in the members bucket was removed (by itself, or by a node that found it dead). */
  | 'removed'
  /** A new node took its name (it was found dead). */
  | 'replaced'
  /** Our own connection to the servers dropped, or the cluster declared us down. */
  | 'self'
  /** We are shutting down. */
  | 'shutdown';

/** What the node makes of connection events. */
export interface ConnectionEvents {
  up(peer: Peer): void;
  /** `lost`: messages sent on the connection and never confirmed; `queued`: ops that never went out; `wasUp`: false for a connection never made. */
  down(peer: Peer, reason: DownReason, lost: number, queued: unknown[], wasUp: boolean): void;
  /** The ops of a data frame, from index `start` (`tp`: a traced send's traceparent, from the headers). True if it carried messages. */
  ops(peer: Peer, frame: unknown[], start: number, tp: string | undefined): boolean;
}

/** Timing of failure detection (Erlang's net_ticktime, in two knobs). */
export interface Ticking {
  tickMs: number;
  downAfterMs: number;
}

const ORIGIN = performance.timeOrigin;

export class Connections {
  readonly peers = new Map<number, Peer>();
  readonly #t: NodeTransport;
  readonly #out: Outbound;
  readonly #events: ConnectionEvents;
  readonly #metrics: NodeMetricsWriter;
  readonly #ticking: Ticking;
  readonly #dirty = new Set<Peer>();
  #flushQueued = false;
  #timer: NodeJS.Timeout | null = null;
  #lastTick = performance.now();
  closed = false;

  constructor(t: NodeTransport, names: ClusterNames, self: { id: number; name: string; creation: number }, ticking: Ticking, metrics: NodeMetricsWriter, events: ConnectionEvents, reports: OutboundReports) {
    this.#t = t;
    this.#out = new Outbound(t, names, self, reports);
    this.#events = events;
    this.#metrics = metrics;
    this.#ticking = ticking;
  }

  startTicking(): void {
    this.#lastTick = performance.now();
    this.#timer = setInterval(() => this.tick(), this.#ticking.tickMs);
    this.#timer.unref();
  }

  stop(): void {
    this.closed = true;
    if (this.#timer !== null) clearInterval(this.#timer);
  }

  /** The peer with this id, created from what we know of it. */
  ensure(id: number, name: string, creation: number): Peer {
    let p = this.peers.get(id);
    if (p === undefined) this.peers.set(id, (p = new Peer(id, name, creation)));
    return p;
  }

  /** The connected (or connecting) peer named `name`. */
  byName(name: string): Peer | undefined {
    for (const p of this.peers.values()) if (p.name === name && p.state !== 'down') return p;
    return undefined;
  }

  /** Opens a new connection to `peer` (it is down, or its connection was just declared lost). */
  connect(peer: Peer): void {
    if (this.closed) return;
    peer.open(performance.now());
    this.#out.hello(peer);
  }

  /** Queues an op for `peer` (kind, then its fields); it goes out at the end of this turn of the event loop. */
  push(peer: Peer, kind: number, a: unknown, b: unknown, c: unknown, d: unknown, e: unknown): void {
    const q = peer.items;
    switch (queueArity(kind)) {
      case 0:
        q.push(kind);
        break;
      case 1:
        q.push(kind, a);
        break;
      case 2:
        q.push(kind, a, b);
        break;
      case 3:
        q.push(kind, a, b, c);
        break;
      case 4:
        q.push(kind, a, b, c, d);
        break;
      default:
        q.push(kind, a, b, c, d, e);
    }
    if (peer.state === 'up') this.#markDirty(peer);
  }

  /** Publishes every up peer's queue now. */
  flushAll(): void {
    this.#flushQueued = false;
    for (const p of this.#dirty) if (p.state === 'up') this.#out.flush(p);
    this.#dirty.clear();
  }

  /** A frame on our subject. */
  onMessage(m: TransportMessage): void {
    if (this.closed) return;
    let frame: unknown[];
    try {
      frame = unpackr.unpack(m.data) as unknown[];
    } catch {
      return; // not ours (or corrupt): no sender to blame
    }
    const kind = frame[0];
    const peer = this.peers.get(frame[1] as number);
    if (kind === F_HELLO) this.#onHello(frame[1] as number, frame[2] as number, frame[3] as number, frame[4] as string, frame[5] as number);
    else if (kind === F_DATA && peer !== undefined) this.#onData(peer, frame, m.headers?.get('traceparent'));
  }

  /** Declares the connection to `peer` lost; what was sent and never confirmed is reported. */
  declareDown(peer: Peer, reason: DownReason): void {
    if (peer.state === 'down') return;
    const wasUp = peer.state === 'up';
    peer.state = 'down';
    this.#dirty.delete(peer);
    const { messages, queued } = peer.takeUnconfirmed();
    if (wasUp) this.#metrics.lost(peer.name);
    this.#events.down(peer, reason, messages, queued, wasUp);
  }

  /** Heartbeats (with acknowledgements) to every up peer; peers silent for `downAfterMs` are down. */
  tick(): void {
    const now = performance.now();
    const late = now - this.#lastTick - this.#ticking.tickMs;
    this.#lastTick = now;
    // Our own loop stalled (a long GC, a frozen process): the silence is ours, not theirs. Give them
    // a fresh window; if the cluster declared us down meanwhile, the members' watch tells us.
    const stalled = late > this.#ticking.downAfterMs / 2;
    for (const p of [...this.peers.values()]) {
      if (p.state === 'down') continue;
      if (stalled) p.lastHeard = now;
      else if (now - p.lastHeard > this.#ticking.downAfterMs) {
        this.declareDown(p, 'timeout');
        continue;
      }
      if (p.state !== 'up') continue;
      this.push(p, W_PING, ORIGIN + now, null, null, null, null);
    }
    this.flushAll();
  }

  #onHello(src: number, epoch: number, ack: number, name: string, creation: number): void {
    // A node the cluster removed whose name a member holds now (found dead and replaced, then its network
    // came back): if let in, it would be a second node of that name. Unanswered; the members bucket tells it.
    if (this.peers.get(src)?.member !== true && this.#nameHeld(name, src)) return;
    const peer = this.ensure(src, name, creation);
    peer.lastHeard = performance.now();
    if (peer.state === 'up') {
      if (epoch === peer.peerEpoch) return; // our hello crossed theirs: nothing new
      this.declareDown(peer, 'reconnected');
    }
    if (peer.state === 'down') {
      peer.name = name;
      peer.creation = creation;
      peer.open(performance.now());
    }
    if (epoch !== peer.peerEpoch) {
      peer.peerEpoch = epoch;
      peer.inSeq = 0;
    }
    if (peer.ackedPeerEpoch !== epoch) this.#out.hello(peer);
    if (ack === peer.myEpoch) this.#up(peer);
  }

  /** Whether a member other than node `id` holds `name`. */
  #nameHeld(name: string, id: number): boolean {
    for (const p of this.peers.values()) if (p.member && p.name === name && p.id !== id) return true;
    return false;
  }

  #up(peer: Peer): void {
    if (peer.state === 'up') return;
    peer.state = 'up';
    this.#metrics.connected(peer.name);
    this.#events.up(peer);
    if (peer.items.length > 0) this.#markDirty(peer);
  }

  #onData(peer: Peer, frame: unknown[], tp: string | undefined): void {
    // Frames of a connection that is over (or not accepted yet) are dropped: the sender reports them.
    if (peer.state !== 'up' || frame[2] !== peer.peerEpoch) return;
    peer.lastHeard = performance.now();
    if (frame[3] !== peer.inSeq + 1) {
      // Messages were lost between us (core NATS is at-most-once): never a silent hole.
      this.declareDown(peer, 'gap');
      if (peer.member) this.connect(peer);
      return;
    }
    peer.inSeq = frame[3] as number;
    // Frames with messages are acknowledged at the end of this turn of the event loop (one ack for
    // all of them): the sender then reports as lost only what never arrived.
    if (this.#events.ops(peer, frame, 4, tp) && !peer.ackDue) {
      peer.ackDue = true;
      queueMicrotask(() => {
        peer.ackDue = false;
        if (peer.state === 'up') this.push(peer, W_ACK, peer.inSeq, null, null, null, null);
      });
    }
  }

  /** Called by the node for the heartbeat ops. */
  onPing(peer: Peer, t: number): void {
    this.push(peer, W_PONG, t, null, null, null, null);
  }

  onPong(peer: Peer, t: number): void {
    this.#metrics.latency(peer.name, ORIGIN + performance.now() - t);
  }

  #markDirty(peer: Peer): void {
    this.#dirty.add(peer);
    if (this.#flushQueued) return;
    this.#flushQueued = true;
    // Everything a turn of the event loop queues (a whole slice of ring ops) goes out as one frame per peer.
    queueMicrotask(() => this.flushAll());
  }

  get transport(): NodeTransport {
    return this.#t;
  }
}
