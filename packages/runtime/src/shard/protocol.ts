// The thread protocol: ring ops (data and signals, ordered per thread pair) and control-plane messages (postMessage).

import type { TelemetryConfig } from '@joerl/telemetry';
import type { TracingConfig } from './tracing.js';
import type { WireError } from '../errors.js';
import type { ExitReason } from '../actor/exit-reason.js';
import type { Pid } from '../actor/pid.js';
import type { MessagePort } from 'node:worker_threads';
import { R_SEND, R_SEND_TP } from './remote-ops.js';
import { preview } from '../validate.js';

/*
 * Ring ops. A frame is one msgpack array of back-to-back ops, each an op code
 * followed by a fixed number of fields. The target process is always on the
 * consuming thread, so it travels as a bare serial.
 *
 * Messages and signals share the ring so they keep their order: a reply sent
 * before a crash arrives before the DOWN, as in Erlang.
 */
export const OP_SEND = 1; //         toSerial, msg
export const OP_SEND_AT = 2; //      toSerial, msg (sent at the source's current clock, see OP_CLOCK)
export const OP_LINK = 3; //         from, toSerial
export const OP_UNLINK = 4; //       from, toSerial
export const OP_EXIT = 5; //         from, toSerial, reason | 'kill', viaLink
export const OP_MONITOR = 6; //      from, toSerial, ref
export const OP_DEMONITOR = 7; //    from, toSerial, ref
export const OP_DOWN = 8; //         toSerial, ref, pid, reason
export const OP_SPAWN = 9; //        reqId, SpawnRequest
export const OP_SPAWN_REPLY = 10; // reqId, pid | null, WireError | null, behaviour name | null (traced spawns)
export const OP_DEAD_LETTER = 11; // DeadLetter (to the main thread only)
export const OP_NAME_ADDED = 12; //  toSerial, name (another thread registered a name for one of ours)
export const OP_REPLY = 13; //       toSerial, ref, ok, value | WireError, traceparent | null, released (a call's answer; never enters a mailbox;
//                                   released: the answering server dropped the call's monitor, so the caller sends no DEMONITOR)
export const OP_OFFLOAD = 14; //     reqId, href, export, input, cancellable (to the main thread, which owns the pool)
export const OP_OFFLOAD_REPLY = 15; // reqId, ok, value | WireError
export const OP_SERIES = 16; //      slot, metric id, label values (a new metric series, to the main thread)
export const OP_CLOCK = 17; //       t: the source's clock (abs ms) for the OP_SEND_AT ops that follow; sent once per
//                                   distinct value, since every send of one handler call shares it (queue-wait stamps)
export const OP_SEND_TP = 18; //     toSerial, msg, stamped, trace id t0..t3, span id hi, lo (a traced message, its context sampled, ids as int32 words; stamped: sent at the source's clock)
export const OP_SPAN_START = 19; //  SpanStartWire (to the main thread)
export const OP_SPAN_BATCH = 20; //  DenseBatchWire: finished spans, shipped in batches (to the main thread)
// Nodes (see shard/remote-ops.ts and node/): the main thread owns the node's one connection.
export const OP_REMOTE = 21; //      kind, to, a, b, c, d (to the main thread: a message or signal for a process of another node)
export const OP_NODE_DOWN = 22; //   node id (from the main thread: the connection to that node is gone)
export const OP_NODE_REQ = 23; //    reqId, kind, arg (to the main thread: spawn on another node, global names...)
export const OP_NODE_REPLY = 24; //  reqId, ok, value | WireError
export const OP_REPORT = 25; //      Report: a crash or supervisor report (to the main thread; always on, telemetry or not)
export const OP_OFFLOAD_CANCEL = 26; // reqId (to the main thread: the caller aborted a cancellable job)
// A call to another thread: OP_MONITOR (from, toSerial, ref) and the call envelope's send in one op. The consumer
// monitors first, then delivers { $joerl: 'call', from: { pid: from, ref }, req } (with t and d when t is not null).
export const OP_CALL = 27; //        toSerial, from, ref, req, t | null, d
export const OP_CALL_AT = 28; //     the same, sent at the source's current clock (see OP_CLOCK)
export const OP_SEND_TR = 29; //     toSerial, msg, n (a traced message that starts trace n of the source thread, sent at the source's clock:
//                                   its trace id is derived from n and the key of the last OP_TRACE_KEY, its span id from the
//                                   trace id: see rootKey in telemetry's trace/ids.ts; any other traced send is OP_SEND_TP)
export const OP_TRACE_KEY = 30; //   k0..k3: the source thread's root key, ahead of the OP_SEND_TR ops of a batch (once per batch)

export const OP_NODE_SHARD_DOWN = 31; // node id, shard, below (from the main thread: a shard of that node died; its serials were below `below`)
export const OP_NODE_DOWN_SEEN = 32; // node id (to the main thread: this shard has read that node's OP_NODE_DOWN; its OP_REMOTE ops
//                                   for that node from here on are for the connection after it, see NodeService)
export const OP_NAME_REMOVED = 33; // toSerial, name (another thread unregistered a name of one of ours)
export const OP_CALL_ABANDONED = 34; // from, toSerial, ref (from the main thread: a caller of another node gave up on its call `ref`, see Inbound)

/** How many fields follow each op code. */
export const ARITY: readonly number[] = [0, 2, 2, 2, 2, 4, 3, 3, 4, 2, 4, 1, 2, 6, 5, 3, 3, 1, 9, 1, 1, 6, 1, 3, 3, 1, 1, 6, 6, 3, 4, 3, 1, 2, 3];

/**
 * True for the ops that deliver a send (toSerial, msg, ...): every form one
 * takes (stamped, traced, a trace's first). The one list: whoever must find
 * every send in a batch (a report of what was lost, a dead letter) asks here.
 */
export function isSendOp(op: unknown): boolean {
  return op === OP_SEND || op === OP_SEND_AT || op === OP_SEND_TP || op === OP_SEND_TR;
}

/** True for the ops that deliver a call (toSerial, from, ref, req, ...). */
export function isCallOp(op: unknown): boolean {
  return op === OP_CALL || op === OP_CALL_AT;
}

/**
 * True for the ops that carry a message someone sent (counted until published:
 * see Transport.counted): sends, calls, dead-letter reports, and sends to another
 * node on their way to the main thread (`kind`: the OP_REMOTE's first field).
 */
export function carriesMessage(op: number, kind?: unknown): boolean {
  return isSendOp(op) || isCallOp(op) || op === OP_DEAD_LETTER || (op === OP_REMOTE && (kind === R_SEND || kind === R_SEND_TP));
}

/** How a spawn relates the child to its parent: not at all, linked, or monitored (atomically, at birth). */
export type SpawnMode = 'plain' | 'link' | 'monitor';

/** A spawn crossing threads. The requester reserved the child's serial. */
export interface SpawnRequest {
  url: string;
  export: string;
  args: unknown;
  serial: number;
  /** The spawner (an actor, or a main-thread process). */
  parent?: Pid;
  name?: string;
  mailboxCapacity?: number;
  /** The process's own terminate limit (SpawnOptions.terminateTimeoutMs). */
  terminateTimeoutMs?: number;
  /** The spawn's own timeout (else the serving thread's `spawnTimeoutMs`). */
  timeoutMs?: number;
  /** The traceparent of the `actor.spawn` span (tracing on, sampled). */
  tp?: string;
  /** Link the child to this pid at birth (spawnLink). */
  link?: Pid;
  /** Monitor the child from this pid at birth (spawnMonitor). */
  monitor?: Pid;
  ref?: number;
}

/**
 * Why a message was not delivered. Matches `joerl_messages_sent_failed_total{reason}`.
 * - `mailbox_full`: the receiver's bounded mailbox was full when it arrived;
 * - `actor_not_found`: no such process when it arrived (exited, or never existed);
 * - `unencodable`: it could not cross threads (a runtime send, or one msgpackr refused late);
 * - `process_exited`: it waited in the mailbox of a process that exited before handling it;
 * - `shard_down`: it was sent to a shard the system gave up restarting (or, counted
 *   without content, it was queued in or unsent from a shard that died);
 * - `shutdown` (counted without content): `shutdown()` found it still queued or unsent;
 * - `noconnection`: it was sent to a node that is not connected;
 * - `payload_too_large`: it was larger than the NATS servers' max payload.
 */
export type DeadLetterReason = 'mailbox_full' | 'actor_not_found' | 'unencodable' | 'process_exited' | 'shard_down' | 'shutdown' | 'noconnection' | 'payload_too_large';

/** A message that could not be delivered, reported on the main thread. */
export interface DeadLetter {
  to: Pid | string;
  message: unknown;
  reason: DeadLetterReason;
  /** The thread that found out. */
  shard: number;
}

/**
 * Shard -> main over the worker's own port: it is ready (its admin object is
 * exposed), or it made a ring / needs a side channel. Everything main asks of
 * a shard goes over the admin channel (shard/admin.ts).
 */
export type FromShard = { type: 'ready' } | LinkFromShard;

/** A shard's requests for rings and side channels (system/link-broker.ts answers them). */
export type LinkFromShard =
  /** The shard made the ring to `to` (its first send there): record it and hand it to `to`. */
  | { type: 'ring-opened'; to: number; ring: SharedArrayBuffer }
  /** The shard needs a (new) side channel to `to`. */
  | { type: 'channel-wanted'; to: number };

/** The BroadcastChannel on which thread `t` of system `systemId` hears of rings made to it. */
export function ringChannelName(systemId: string, t: number): string {
  return `joerl:${systemId}:rings-to:${t}`;
}

/** A ring handed to its consumer on that channel. */
export interface RingNotice {
  from: number;
  ring: SharedArrayBuffer;
}

/** A ring this thread produces into or consumes from, as handed over at start. */
export interface RingGrant {
  from: number;
  to: number;
  ring: SharedArrayBuffer;
}

/** What a shard reports about itself. */
export interface ShardStats {
  shard: number;
  actors: number;
  runQueue: number;
  spawned: number;
  exited: number;
  delivered: number;
}

/** Start-up data each shard receives as `workerData`. */
export interface ShardInit {
  thread: number;
  threads: number;
  incarnation: number;
  control: SharedArrayBuffer;
  /** The rings that exist so far from or to this thread; the others are made on first use. */
  rings: RingGrant[];
  /** Unique per system: names the BroadcastChannels that hand new rings straight to their consumer. */
  systemId: string;
  names: SharedArrayBuffer;
  maxNames: number;
  /** Every thread's store of shared msgpackr records, the main thread's first (see ring-codec.ts). */
  records: SharedArrayBuffer[];
  config: ThreadConfig;
  /** This thread's metric region (null: telemetry off). */
  metrics: SharedArrayBuffer | null;
  telemetry: TelemetryConfig;
  /** A telemetry provider module every thread loads (href). */
  provider: string | null;
  /** Tracing settings (null: tracing off). */
  tracing: TracingConfig | null;
  /** Tracing on: where this shard writes the span a traced handler runs under (see open-span-slot.ts). */
  traceSlot: SharedArrayBuffer | null;
  /** This node (null: the system was started without `node`, and every pid has node 0). */
  node: { id: number; name: string } | null;
  /** The shard's end of its admin channel (comlink; transferred). Absent on the main thread. */
  admin?: MessagePort;
}

/** Settings every thread runs with (validated on the main thread). */
export interface ThreadConfig {
  mailboxCapacity: number;
  actorBudget: number;
  sliceBudget: number;
  spinMicros: number;
  terminateTimeoutMs: number;
  /** Default limit on a spawn's module load and async init (SpawnOptions.timeoutMs). */
  spawnTimeoutMs: number;
  /** Capacity of each ring, a power of two. */
  ringBytes: number;
  /** In-shard sends are checked and copied like cross-shard ones (see SystemOptions.checkLocalSends). */
  checkLocalSends: boolean;
  /** Binary parts of at least this many bytes travel beside the ring frame. */
  bigPayloadThreshold: number;
  /** Side items in flight from one thread to another, in bytes. */
  maxPayloadBytesInFlight: number;
}

/** Exit reason or the kill signal, as carried by OP_EXIT. */
export type ExitSignalReason = ExitReason | 'kill';

/** Throws on a control message with an unknown tag (a protocol bug, never user input). */
export function unknownMessage(where: string, msg: unknown): never {
  throw new Error(`joerl internal error: unknown ${where} message ${preview(msg)}`);
}

export type { WireError };
