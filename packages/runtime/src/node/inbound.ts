// Frames in: the ops another node sent, handed to this node's threads through the one routing rule, like any op.

import { performance } from 'node:perf_hooks';
import { asWords, parseTraceparent } from '@joerl/telemetry/internal';
import { relay } from '../codec/prepare.js';
import type { ExitReason } from '../actor/exit-reason.js';
import type { Pid } from '../actor/pid.js';
import { OP_CALL_ABANDONED, OP_DEMONITOR, OP_LINK, OP_MONITOR, OP_REPLY, OP_SEND, OP_SEND_TP, OP_UNLINK, type ExitSignalReason } from '../shard/protocol.js';
import { R_DEMONITOR, R_DOWN, R_EXIT, R_LINK, R_MONITOR, R_REPLY, R_SEND, R_SEND_TP, R_UNLINK } from '../shard/remote-ops.js';
import { NO_ROUTE } from '../shard/router.js';
import type { ThreadRuntime } from '../shard/thread-runtime.js';
import { forEachOp } from './outbound.js';
import type { Peer } from './peer.js';
import type { ProxyRefs } from './proxy-refs.js';
import { NO_STAMP } from '../actor/stamped-ring.js';
import { W_ACK, W_BYE, W_PING, W_PONG, W_SHARD_DOWN, W_SPAWN, W_SPAWN_REPLY, type WireSpawn, isMessageOp } from './wire.js';

/** Node-level ops the node itself answers. */
export interface NodeOps {
  spawn(peer: Peer, reqId: number, spec: WireSpawn): void;
  spawnReply(peer: Peer, reqId: number, pid: Pid | null, err: unknown): void;
  ping(peer: Peer, t: number): void;
  pong(peer: Peer, t: number): void;
  ack(peer: Peer, seq: number): void;
  bye(peer: Peer): void;
  /** A shard of `peer` died: links and monitors to its processes fire on every thread of ours. */
  shardDown(peer: Peer, shard: number, below: number): void;
  /** A signal for a process of ours that cannot exist (a shard number out of range): answered as for a dead one. */
  answerNoProc(peer: Peer, kind: number, to: Pid, from: Pid, ref: number): void;
}

export class Inbound {
  readonly #rt: ThreadRuntime;
  readonly #refs: ProxyRefs;
  readonly #node: NodeOps;

  constructor(rt: ThreadRuntime, refs: ProxyRefs, node: NodeOps) {
    this.#rt = rt;
    this.#refs = refs;
    this.#node = node;
  }

  /** Runs the ops of `frame` from index `start`, in order; true if any carried a message. */
  apply(peer: Peer, frame: unknown[], start: number, tp: string | undefined): boolean {
    const ops = start === 0 ? frame : frame.slice(start);
    let messages = false;
    forEachOp(ops, (i) => {
      if (isMessageOp(ops[i] as number)) messages = true;
      this.#op(peer, ops, i, tp);
    });
    return messages;
  }

  #op(peer: Peer, o: unknown[], i: number, tp: string | undefined): void {
    const rt = this.#rt;
    const router = rt.router;
    switch (o[i] as number) {
      case R_SEND:
      case R_SEND_TP:
        this.#deliver(o[i + 1] as Pid, o[i + 2], o[i] === R_SEND_TP ? tp : undefined);
        return;
      case R_LINK:
      case R_UNLINK:
      case R_MONITOR: {
        const to = o[i + 1] as Pid;
        const from = o[i + 2] as Pid;
        if (router.route(to) === NO_ROUTE) {
          if (o[i] !== R_UNLINK) this.#node.answerNoProc(peer, o[i] as number, to, from, o[i + 3] as number);
          return;
        }
        if (o[i] === R_MONITOR) router.sig(OP_MONITOR, from, to, this.#refs.inbound(peer.id, o[i + 3] as number, to.shard));
        else router.sig(o[i] === R_LINK ? OP_LINK : OP_UNLINK, from, to);
        return;
      }
      case R_DEMONITOR: {
        const local = this.#refs.take(peer.id, o[i + 3] as number);
        if (local === undefined) return;
        router.sig(OP_DEMONITOR, o[i + 2] as Pid, o[i + 1] as Pid, local);
        // A call's monitor carries its call's ref: a server still holding that call counts its timeout (see ProcessAccounting.abandoned).
        if (router.route(o[i + 1] as Pid) >= 0) router.sig(OP_CALL_ABANDONED, o[i + 2] as Pid, o[i + 1] as Pid, o[i + 3] as number);
        return;
      }
      case R_EXIT:
        router.sigExit(o[i + 2] as Pid, o[i + 1] as Pid, o[i + 3] as ExitSignalReason, o[i + 4] === true);
        return;
      case R_DOWN:
        router.sigDown(o[i + 1] as Pid, o[i + 2] as number, o[i + 3] as Pid, o[i + 4] as ExitReason);
        return;
      case R_REPLY: {
        const to = o[i + 1] as Pid;
        const t = router.route(to);
        if (t === 0) router.local(OP_REPLY, to.serial, o[i + 2], o[i + 3], o[i + 4], o[i + 5], false);
        else if (t > 0) rt.state.transport.emit6(t, OP_REPLY, to.serial, o[i + 2], o[i + 3], relay(o[i + 4]), o[i + 5], false);
        return;
      }
      case W_SPAWN:
        this.#node.spawn(peer, o[i + 1] as number, o[i + 2] as WireSpawn);
        return;
      case W_SPAWN_REPLY:
        this.#node.spawnReply(peer, o[i + 1] as number, o[i + 2] as Pid | null, o[i + 3]);
        return;
      case W_PING:
        this.#node.ping(peer, o[i + 1] as number);
        return;
      case W_PONG:
        this.#node.pong(peer, o[i + 1] as number);
        return;
      case W_ACK:
        this.#node.ack(peer, o[i + 1] as number);
        return;
      case W_BYE:
        this.#node.bye(peer);
        return;
      case W_SHARD_DOWN:
        this.#node.shardDown(peer, o[i + 1] as number, o[i + 2] as number);
        return;
      default:
        throw new Error(`joerl internal error: unknown op ${String(o[i])} from node ${peer.name}`);
    }
  }

  /** A message for a process of ours: its thread's ring (or, for the main thread's, its mailbox). */
  #deliver(to: Pid, msg: unknown, tp: string | undefined): void {
    const rt = this.#rt;
    rebaseCall(msg);
    const t = rt.router.route(to);
    if (t === NO_ROUTE || t < 0) {
      rt.delivery.deadLetter(to, msg, 'actor_not_found');
      return;
    }
    if (t === 0) {
      rt.delivery.deliverSerial(to.serial, msg, NO_STAMP, tp === undefined ? undefined : parseTraceparent(tp));
      return;
    }
    // Decoded here, encoded again for the shard's ring: a -0 keeps its marker (codec/prepare.ts).
    if (tp === undefined) rt.state.transport.emit2(t, OP_SEND, to.serial, relay(msg));
    else {
      // A shard's ring carries the context as its ids' words (see Delivery.send).
      const sc = parseTraceparent(tp);
      if (sc === undefined) rt.state.transport.emit2(t, OP_SEND, to.serial, relay(msg));
      else {
        const w = asWords(sc);
        rt.state.transport.emit9(t, OP_SEND_TP, to.serial, relay(msg), false, w.t0, w.t1, w.t2, w.t3, w.s0, w.s1);
      }
    }
  }
}

/**
 * A call from another node carries its sent time and deadline on the caller
 * machine's clock, which this one does not share: the server would measure
 * a skew as call time (negative durations, every call late). Its clock
 * starts here, at the call's arrival, with the time the caller had left.
 */
function rebaseCall(msg: unknown): void {
  if (typeof msg !== 'object' || msg === null) return;
  const env = msg as { $joerl?: unknown; t?: unknown; d?: unknown };
  if (env.$joerl !== 'call' || typeof env.t !== 'number' || typeof env.d !== 'number') return;
  const now = performance.timeOrigin + performance.now();
  env.d = now + (env.d - env.t);
  env.t = now;
}
