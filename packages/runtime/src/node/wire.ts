// The wire between nodes: frames (hello, data), the ops inside a data frame, and the subjects and keys of a cluster.

import { R_DEMONITOR, R_DOWN, R_EXIT, R_LINK, R_MONITOR, R_REPLY, R_SEND, R_SEND_TP, R_UNLINK } from '../shard/remote-ops.js';

/*
 * A frame is one msgpack array, published on the receiving node's subject:
 *
 *   [F_HELLO, src, epoch, ackEpoch, name, creation]   open a connection (epoch: ours; ackEpoch: the peer's we accept, 0: none yet)
 *   [F_DATA,  src, epoch, seq, op, fields..., op, ...] ops, numbered per connection from 1: a gap is a lost connection
 *
 * One publisher per node keeps the frames of a pair of nodes in order (NATS
 * orders per publisher), so ops between two processes keep their order.
 * A traced send travels alone in its frame, its traceparent in the NATS
 * headers.
 */
export const F_HELLO = 1;
export const F_DATA = 2;

/** Node-level ops inside a data frame (process ops use the R_* kinds of shard/remote-ops.ts). */
export const W_SPAWN = 20; //       reqId, WireSpawn
export const W_SPAWN_REPLY = 21; // reqId, pid | null, WireError | null
export const W_PING = 22; //        t (the sender's clock, ms)
export const W_PONG = 23; //        t (echoed)
export const W_ACK = 24; //         seq: every frame up to it has arrived
export const W_BYE = 25; //         (the sender leaves the cluster)
export const W_SHARD_DOWN = 26; //  shard, below: a shard of the sender died (its processes' serials were below `below`)

/** Fields after each op kind in a data frame. R_SEND_TP's traceparent rides in the headers. */
export const W_ARITY: readonly number[] = (() => {
  const a = new Array<number>(27).fill(-1);
  a[R_SEND] = 2;
  a[R_SEND_TP] = 2;
  a[R_LINK] = 2;
  a[R_UNLINK] = 2;
  a[R_EXIT] = 4;
  a[R_MONITOR] = 3;
  a[R_DEMONITOR] = 3;
  a[R_DOWN] = 4;
  a[R_REPLY] = 5;
  a[W_SPAWN] = 2;
  a[W_SPAWN_REPLY] = 3;
  a[W_PING] = 1;
  a[W_PONG] = 1;
  a[W_ACK] = 1;
  a[W_BYE] = 0;
  a[W_SHARD_DOWN] = 2;
  return a;
})();

/** Ops that carry a user message (what `remote_messages_sent_total` counts). */
export function isMessageOp(kind: number): boolean {
  return kind === R_SEND || kind === R_SEND_TP || kind === R_REPLY;
}

/** A spawn request between nodes: the module by its name under the receiving node's root. */
export interface WireSpawn {
  module: string;
  export: string;
  args: unknown;
  parent: unknown;
  mode: 'plain' | 'link' | 'monitor';
  ref?: number;
  name?: string;
  mailboxCapacity?: number;
  terminateTimeoutMs?: number;
  shard?: unknown;
  timeoutMs?: number;
}

/** The subjects and key-value buckets of one cluster. */
export class ClusterNames {
  readonly cluster: string;
  constructor(cluster: string) {
    this.cluster = cluster;
  }
  /** Where a node receives frames. */
  data(id: number): string {
    return `joerl.${this.cluster}.n.${id}`;
  }
  /** Where a node answers "are you alive?" (a same-name node checks before taking over its entry). */
  ping(id: number): string {
    return `joerl.${this.cluster}.p.${id}`;
  }
  /** Members (live entries), node ids and creations. */
  get nodesBucket(): string {
    return `joerl_${this.cluster}_nodes`;
  }
  /** Global names. */
  get namesBucket(): string {
    return `joerl_${this.cluster}_names`;
  }
  /** The connection name the servers report in their disconnect events. */
  connectionName(name: string): string {
    return `joerl:${this.cluster}:${name}`;
  }
}
