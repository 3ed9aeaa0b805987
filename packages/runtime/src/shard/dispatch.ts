// The ring-op dispatcher: one exhaustive switch over what other threads (and this thread's signal queue) ask of us.

import { carriedContext, carriedRoot } from '@joerl/telemetry/internal';
import type { ExitReason } from '../actor/exit-reason.js';
import { type Pid, pidKey } from '../actor/pid.js';
import type { WireError } from '../errors.js';
import type { Calls } from './calls.js';
import type { Delivery } from './delivery.js';
import type { Exits } from './exits.js';
import type { Names } from './names.js';
import type { Offload } from './offload.js';
import {
  ARITY,
  type DeadLetter,
  OP_CALL,
  OP_CALL_AT,
  type ExitSignalReason,
  OP_CLOCK,
  OP_DEAD_LETTER,
  OP_DEMONITOR,
  OP_DOWN,
  OP_EXIT,
  OP_LINK,
  OP_MONITOR,
  OP_NAME_ADDED,
  OP_NAME_REMOVED,
  OP_CALL_ABANDONED,
  OP_NODE_DOWN,
  OP_NODE_DOWN_SEEN,
  OP_NODE_SHARD_DOWN,
  OP_NODE_REPLY,
  OP_NODE_REQ,
  OP_OFFLOAD,
  OP_OFFLOAD_CANCEL,
  OP_OFFLOAD_REPLY,
  OP_REMOTE,
  OP_REPLY,
  OP_REPORT,
  OP_SEND,
  OP_SEND_AT,
  OP_SEND_TP,
  OP_SEND_TR,
  OP_SERIES,
  OP_SPAN_BATCH,
  OP_SPAN_START,
  OP_SPAWN,
  OP_SPAWN_REPLY,
  OP_TRACE_KEY,
  OP_UNLINK,
  type SpawnRequest,
  unknownMessage,
} from './protocol.js';
import type { Shipped } from './report-sink.js';
import type { Remote } from './remote.js';
import { NO_STAMP } from '../actor/stamped-ring.js';
import { movedBack, tickOf } from '../actor/ticks.js';
import type { ShardState } from './shard-state.js';
import type { Spawner } from './spawn.js';

/** The layers an op may reach. */
export interface DispatchTargets {
  delivery: Delivery;
  calls: Calls;
  exits: Exits;
  names: Names;
  spawner: Spawner;
  offload: Offload;
  remote: Remote;
}

export class Dispatcher {
  private readonly s: ShardState;
  private readonly t: DispatchTargets;
  /** The last OP_CLOCK value received from each thread (the send time of the OP_SEND_AT ops that follow). */
  private readonly srcClock: number[];
  /** Each thread's root key from its last OP_TRACE_KEY (4 words a thread), and whether one came since we started (see rootFrom). */
  private readonly srcKey: Int32Array;
  private readonly keyed: Uint8Array;

  constructor(state: ShardState, targets: DispatchTargets) {
    this.s = state;
    this.t = targets;
    this.srcClock = new Array<number>(state.threads).fill(NO_STAMP);
    this.srcKey = new Int32Array(4 * state.threads);
    this.keyed = new Uint8Array(state.threads);
  }

  /** The thread's tick clock moved on `by` ticks (actor/ticks.ts): the peers' last clocks, kept as stamps, move back with it. */
  ticksMoved(by: number): void {
    const c = this.srcClock;
    for (let i = 0; i < c.length; i++) c[i] = movedBack(c[i]!, by);
  }

  /**
   * The context of an OP_SEND_TR: trace `n` under `from`'s root key. A
   * sender puts its key ahead of such ops in every batch, so it is known
   * unless this thread restarted in the middle of a batch cut into frames:
   * then the message is delivered untraced.
   */
  private rootFrom(from: number, n: number): ReturnType<typeof carriedRoot> | undefined {
    if (this.keyed[from] === 0) return undefined;
    const k = this.srcKey;
    const o = 4 * from;
    return carriedRoot(k[o]!, k[o + 1]!, k[o + 2]!, k[o + 3]!, n);
  }

  /** Runs the ops of a ring frame from thread `from`, keeping its place for actor code run in the middle of it (see frame-cursor.ts). */
  readonly dispatchFrame = (ops: unknown[], from: number): void => {
    const cursor = this.s.frame;
    // (Frames are not dispatched inside one another today; if one ever were, the outer one's place comes back after.)
    const outer = cursor.ops;
    const outerAt = cursor.at;
    cursor.ops = ops;
    try {
      this.dispatch(ops, 0, ops.length, from);
    } finally {
      cursor.ops = outer;
      cursor.at = outerAt;
      if (outer === null) cursor.forget();
    }
  };

  /** Runs ops[start..end) from thread `from`; the same code serves rings and this thread's own signal queue. */
  readonly dispatch = (ops: unknown[], start: number, end: number, from: number): void => {
    const { delivery, calls, exits, names, spawner, offload, remote } = this.t;
    const s = this.s;
    const procs = s.procs;
    const cursor = s.frame;
    // (A signal-queue run inside a frame's op leaves the frame's place as it is: that op is still the one running.)
    const framed = ops === cursor.ops;
    let i = start;
    while (i < end) {
      const op = ops[i] as number;
      if (framed) cursor.at = i;
      switch (op) {
        case OP_SEND:
          delivery.deliverSerial(ops[i + 1] as number, ops[i + 2], NO_STAMP, undefined);
          break;
        case OP_SEND_AT:
          delivery.deliverSerial(ops[i + 1] as number, ops[i + 2], this.srcClock[from]!, undefined);
          break;
        case OP_CALL:
        case OP_CALL_AT: {
          // The call's monitor first, then its envelope, as when they came as OP_MONITOR and a send.
          const serial = ops[i + 1] as number;
          const caller = ops[i + 2] as Pid;
          const ref = ops[i + 3] as number;
          exits.onMonitor(caller, serial, ref);
          const t = ops[i + 5] as number | null;
          const env =
            t === null
              ? { $joerl: 'call', from: { pid: caller, ref }, req: ops[i + 4] }
              : { $joerl: 'call', from: { pid: caller, ref }, req: ops[i + 4], t, d: ops[i + 6] as number };
          delivery.deliverSerial(serial, env, op === OP_CALL_AT ? this.srcClock[from]! : NO_STAMP, undefined);
          break;
        }
        case OP_CLOCK:
          // Once a batch: the sender's clock (abs ms) as a stamp of this thread's.
          this.srcClock[from] = tickOf(ops[i + 1] as number);
          break;
        case OP_SEND_TP:
          delivery.deliverSerial(
            ops[i + 1] as number,
            ops[i + 2],
            ops[i + 3] === true ? this.srcClock[from]! : NO_STAMP,
            carriedContext(ops[i + 4] as number, ops[i + 5] as number, ops[i + 6] as number, ops[i + 7] as number, ops[i + 8] as number, ops[i + 9] as number),
          );
          break;
        case OP_SEND_TR:
          delivery.deliverSerial(ops[i + 1] as number, ops[i + 2], this.srcClock[from]!, this.rootFrom(from, ops[i + 3] as number));
          break;
        case OP_TRACE_KEY: {
          const k = this.srcKey;
          const o = 4 * from;
          k[o] = ops[i + 1] as number;
          k[o + 1] = ops[i + 2] as number;
          k[o + 2] = ops[i + 3] as number;
          k[o + 3] = ops[i + 4] as number;
          this.keyed[from] = 1;
          break;
        }
        case OP_REPORT:
          s.hooks.report?.(ops[i + 1] as Shipped);
          break;
        case OP_SPAN_START:
          s.hooks.spanStarted?.(from, ops[i + 1]);
          break;
        case OP_SPAN_BATCH:
          s.hooks.spanBatch?.(from, ops[i + 1] as unknown[]);
          break;
        case OP_SERIES:
          s.hooks.series?.(from, ops[i + 1] as number, ops[i + 2] as number, ops[i + 3] as string[]);
          break;
        case OP_LINK:
          exits.onLink(ops[i + 1] as Pid, ops[i + 2] as number);
          break;
        case OP_UNLINK: {
          const p = procs.get(ops[i + 2] as number);
          if (p !== undefined && p.links !== null) p.links.delete(pidKey(ops[i + 1] as Pid));
          break;
        }
        case OP_EXIT: {
          const p = procs.get(ops[i + 2] as number);
          if (p !== undefined) exits.onExitSignal(p, ops[i + 1] as Pid, ops[i + 3] as ExitSignalReason, ops[i + 4] === true);
          break;
        }
        case OP_MONITOR:
          exits.onMonitor(ops[i + 1] as Pid, ops[i + 2] as number, ops[i + 3] as number);
          break;
        case OP_DEMONITOR: {
          const p = procs.get(ops[i + 2] as number);
          const ref = ops[i + 3] as number;
          if (p === undefined) break;
          if (p.callWatcher !== null && p.callWatcherRef === ref) p.callWatcher = null;
          else if (p.monitoredBy !== null) p.monitoredBy.delete(ref);
          // A call's monitor ended with the call unanswered (the caller timed out): counted as a timeout now.
          if (p.serving !== null) s.observer.abandoned(p, ref);
          break;
        }
        case OP_CALL_ABANDONED: {
          // A caller on another node timed out: its demonitor came as OP_DEMONITOR under our ref for the monitor; this is its call's.
          const p = procs.get(ops[i + 2] as number);
          if (p !== undefined && p.serving !== null) s.observer.abandoned(p, ops[i + 3] as number, true);
          break;
        }
        case OP_DOWN:
          exits.onDown(ops[i + 1] as number, ops[i + 2] as number, ops[i + 3] as Pid, ops[i + 4] as ExitReason);
          break;
        case OP_SPAWN:
          spawner.serve(from, ops[i + 1] as number, ops[i + 2] as SpawnRequest);
          break;
        case OP_SPAWN_REPLY:
          spawner.onReply(ops[i + 1] as number, ops[i + 2] as Pid | null, ops[i + 3] as WireError | null, ops[i + 4] as string | null);
          break;
        case OP_DEAD_LETTER:
          delivery.onReport(ops[i + 1] as DeadLetter);
          break;
        case OP_OFFLOAD:
          offload.serve(from, ops[i + 1] as number, ops[i + 2] as string, ops[i + 3] as string, ops[i + 4], ops[i + 5] === true);
          break;
        case OP_OFFLOAD_CANCEL:
          offload.cancel(from, ops[i + 1] as number);
          break;
        case OP_OFFLOAD_REPLY:
          offload.onReply(ops[i + 1] as number, ops[i + 2] === true, ops[i + 3]);
          break;
        case OP_REPLY:
          calls.onReply(ops[i + 1] as number, ops[i + 2] as number, ops[i + 3] === true, ops[i + 4], ops[i + 5] as string | null, ops[i + 6] === true);
          break;
        case OP_NAME_ADDED:
          names.onAdded(ops[i + 1] as number, ops[i + 2] as string);
          break;
        case OP_NAME_REMOVED:
          names.onRemoved(ops[i + 1] as number, ops[i + 2] as string);
          break;
        case OP_REMOTE:
          if (s.hooks.remoteOp !== undefined) s.hooks.remoteOp(from, ops[i + 1] as number, ops[i + 2] as Pid, ops[i + 3], ops[i + 4], ops[i + 5], ops[i + 6]);
          else s.remote(ops[i + 1] as number, ops[i + 2] as Pid, ops[i + 3], ops[i + 4], ops[i + 5], ops[i + 6]);
          break;
        case OP_NODE_DOWN:
          remote.onNodeDown(ops[i + 1] as number);
          // Behind every remote op this shard sent before: the main thread then knows which connection those were for.
          s.transport.emit1(0, OP_NODE_DOWN_SEEN, ops[i + 1]);
          break;
        case OP_NODE_DOWN_SEEN:
          s.hooks.nodeDownSeen?.(from, ops[i + 1] as number);
          break;
        case OP_NODE_SHARD_DOWN:
          remote.onShardDown(ops[i + 1] as number, ops[i + 2] as number, ops[i + 3] as number);
          break;
        case OP_NODE_REQ:
          remote.serve(from, ops[i + 1] as number, ops[i + 2] as string, ops[i + 3]);
          break;
        case OP_NODE_REPLY:
          remote.onReply(ops[i + 1] as number, ops[i + 2] === true, ops[i + 3]);
          break;
        default:
          unknownMessage('ring op', op);
      }
      i += 1 + ARITY[op]!;
    }
  };
}
