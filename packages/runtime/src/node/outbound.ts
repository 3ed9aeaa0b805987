// Frames out: a peer's queued ops packed into numbered data frames (a traced send alone, its traceparent in the headers).

import { packr } from '../codec/codec.js';
import { relay } from '../codec/prepare.js';
import type { NodeMetricsWriter } from '@joerl/telemetry/internal';
import type { Pid } from '../actor/pid.js';
import type { DeadLetter } from '../shard/protocol.js';
import { InvalidArgumentError, NodeDownError } from '../errors.js';
import { R_SEND, R_SEND_TP } from '../shard/remote-ops.js';
import { type NodeTransport, headerBytes } from './node-transport.js';
import type { Peer } from './peer.js';
import { standIn } from './stand-ins.js';
import { type ClusterNames, F_DATA, F_HELLO, W_ARITY, W_SPAWN, isMessageOp } from './wire.js';

/** Fields an op has in a peer's queue (R_SEND_TP keeps its traceparent there until it becomes a header). */
export function queueArity(kind: number): number {
  return kind === R_SEND_TP ? 3 : W_ARITY[kind]!;
}

/** What becomes of what was sent. */
export interface OutboundReports {
  /** A frame with `messages` messages went out to `peer`. */
  sent(peer: Peer, messages: number): void;
  /** An op could not go out: unencodable (`serialization_error`), or over the servers' payload limit / refused (`write_failed`). */
  dropped(peer: Peer, op: unknown[], reason: 'serialization_error' | 'write_failed' | 'connection_failed', err: unknown): void;
}

/**
 * The node's reports: messages counted per peer; a dropped message is a
 * failed send and a dead letter; a dropped spawn request fails that spawn
 * (`failSpawn`, with its request id): no answer can come.
 */
export function nodeReports(metrics: NodeMetricsWriter, deadLetter: (dl: DeadLetter) => void, failSpawn: (peer: Peer, id: number, err: Error) => void): OutboundReports {
  return {
    sent: (p, n) => {
      if (n > 0) metrics.remoteSent(p.name, n);
    },
    dropped: (p, op, reason, err) => {
      metrics.remoteFailed(p.name, reason, 1);
      if (reason === 'serialization_error') metrics.serializationError();
      if (op[0] === W_SPAWN) {
        if (reason === 'connection_failed') failSpawn(p, op[1] as number, new NodeDownError(p.id, `a spawn on node ${p.name} could not be sent: the connection failed (${(err as Error)?.message ?? String(err)})`));
        else {
          const what = reason === 'write_failed' ? `was ${(err as Error).message}; pass less in its args (send the rest as messages), or raise the servers' max_payload` : 'cannot be encoded';
          failSpawn(p, op[1] as number, new InvalidArgumentError(`a spawn on node ${p.name} could not be sent: its request ${what}`));
        }
        return;
      }
      if (op[0] !== R_SEND && op[0] !== R_SEND_TP) return;
      if (reason === 'connection_failed') {
        deadLetter({ to: op[1] as Pid, message: op[2], reason: 'noconnection', shard: 0 });
        return;
      }
      const tooLarge = reason === 'write_failed';
      deadLetter({ to: op[1] as Pid, message: tooLarge ? op[2] : '[unencodable message]', reason: tooLarge ? 'payload_too_large' : 'unencodable', shard: 0 });
    },
  };
}

export class Outbound {
  readonly #t: NodeTransport;
  readonly #names: ClusterNames;
  readonly #self: { id: number; name: string; creation: number };
  readonly #reports: OutboundReports;
  /** An op standing in for one that could not go is being framed (see stand-ins.ts). */
  #replacing = false;

  constructor(t: NodeTransport, names: ClusterNames, self: { id: number; name: string; creation: number }, reports: OutboundReports) {
    this.#t = t;
    this.#names = names;
    this.#self = self;
    this.#reports = reports;
  }

  /** Opens (or answers) a connection: our epoch, and the peer's that we accept (0: none yet). */
  hello(peer: Peer): void {
    peer.ackedPeerEpoch = peer.peerEpoch;
    const me = this.#self;
    const bytes = packr.pack([F_HELLO, me.id, peer.myEpoch, peer.peerEpoch, me.name, me.creation]).slice();
    this.#t.publish(this.#names.data(peer.id), bytes);
  }

  /** Sends everything queued for `peer` (which must be up). */
  flush(peer: Peer): void {
    const items = peer.items;
    if (items.length === 0) return;
    peer.items = [];
    let ops: unknown[] = [];
    for (let i = 0; i < items.length; ) {
      const kind = items[i] as number;
      const n = queueArity(kind);
      if (kind === R_SEND_TP) {
        this.#frame(peer, ops);
        ops = [];
        this.#frame(peer, [kind, items[i + 1], items[i + 2]], new Map([['traceparent', items[i + 3] as string]]));
      } else {
        for (let j = 0; j <= n; j++) ops.push(items[i + j]);
      }
      i += 1 + n;
    }
    this.#frame(peer, ops);
  }

  /** One data frame: numbered only once it is certain to go out, so a dropped op never looks like a gap. */
  #frame(peer: Peer, ops: unknown[], headers?: ReadonlyMap<string, string>): void {
    if (ops.length === 0) return;
    const seq = peer.outSeq + 1;
    const frame: unknown[] = [F_DATA, this.#self.id, peer.myEpoch, seq];
    for (let i = 0; i < ops.length; i++) frame.push(ops[i]);
    let bytes: Uint8Array;
    try {
      // A shard's message came through its ring, decoded: a -0 in it needs its marker again (codec/prepare.ts).
      bytes = packr.pack(relay(frame));
    } catch {
      this.#split(peer, ops, headers, 'serialization_error');
      return;
    }
    // (Its headers count too: a traced send just under the max with them over it was refused by the client.)
    if (bytes.length + headerBytes(headers) > this.#t.maxPayload) {
      this.#split(peer, ops, headers, 'write_failed');
      return;
    }
    // pack() returns a view of msgpackr's pooled buffer; the client keeps what it is given until it writes.
    const copy = bytes.slice();
    try {
      this.#t.publish(this.#names.data(peer.id), copy, headers);
    } catch (err) {
      // Not a payload the servers refused (that is caught above): the connection failed the publish (closed at a stop...).
      forEachOp(ops, (at, end) => this.#reports.dropped(peer, ops.slice(at, end), 'connection_failed', err));
      return;
    }
    peer.outSeq = seq;
    let messages = 0;
    forEachOp(ops, (at) => {
      if (isMessageOp(ops[at] as number)) messages++;
    });
    if (messages > 0) {
      peer.unconfirmedSeq.push(seq);
      peer.unconfirmedMsgs.push(messages);
    }
    this.#reports.sent(peer, messages);
  }

  /** A frame that could not go out whole: halves, down to the one op that cannot, which is reported and dropped. */
  #split(peer: Peer, ops: unknown[], headers: ReadonlyMap<string, string> | undefined, reason: 'serialization_error' | 'write_failed'): void {
    const starts: number[] = [];
    forEachOp(ops, (at) => void starts.push(at));
    if (starts.length <= 1) {
      const err = reason === 'write_failed' ? new Error(`over the servers' max payload of ${this.#t.maxPayload} bytes`) : new Error('cannot be encoded');
      this.#reports.dropped(peer, ops, reason, err);
      // (Not for a stand-in itself: it always fits, but never loop.)
      const instead = this.#replacing ? null : standIn(ops, this.#self.name, reason === 'write_failed', this.#t.maxPayload);
      if (instead === null) return;
      this.#replacing = true;
      try {
        this.#frame(peer, instead);
      } finally {
        this.#replacing = false;
      }
      return;
    }
    const mid = starts[starts.length >> 1]!;
    this.#frame(peer, ops.slice(0, mid), headers);
    this.#frame(peer, ops.slice(mid), headers);
  }
}

/** Calls `fn(start, end)` for each op of a frame's op list. */
export function forEachOp(ops: unknown[], fn: (at: number, end: number) => void): void {
  for (let i = 0; i < ops.length; ) {
    const arity = W_ARITY[ops[i] as number];
    if (arity === undefined || arity < 0) throw new Error(`joerl: unknown op ${String(ops[i])} in a frame between nodes`);
    const end = i + 1 + arity;
    fn(i, end);
    i = end;
  }
}
