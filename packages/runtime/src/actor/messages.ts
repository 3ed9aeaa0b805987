// The messages the runtime itself puts in mailboxes: trapped exits and monitor DOWNs.

import type { ExitReason } from './exit-reason.js';
import { type Pid, isPid } from './pid.js';

/** A monitor reference: unique on this node, compared with `===`. */
export type MonitorRef = number & { readonly __brand?: 'MonitorRef' };

/** What a process that traps exits receives when a linked process exits (or `exit(pid, reason)` reaches it). */
export interface ExitMessage {
  readonly type: 'EXIT';
  readonly from: Pid;
  readonly reason: ExitReason;
}

/** What a monitor delivers, exactly once, when the watched process exits. */
export interface DownMessage {
  readonly type: 'DOWN';
  readonly ref: MonitorRef;
  readonly pid: Pid;
  readonly reason: ExitReason;
}

/**
 * What `monitorNode(name)` delivers, once, when the connection to that node
 * is lost (or at once if it is not connected): Erlang's `{nodedown, Node}`.
 * A node is never down to itself: watching its own name delivers nothing.
 */
export interface NodeDownMessage {
  readonly type: 'nodedown';
  readonly node: string;
}

/** True for a `monitorNode` notice. */
export function isNodeDownMessage(msg: unknown): msg is NodeDownMessage {
  return typeof msg === 'object' && msg !== null && (msg as { type?: unknown }).type === 'nodedown' && typeof (msg as { node?: unknown }).node === 'string';
}

/** Messages the runtime delivers on its own. */
export type SystemMessage = ExitMessage | DownMessage;

/**
 * Who is waiting for a call's answer: pass it to `ctx.reply(from, value)`,
 * now or later (a deferred reply), once. Plain data: it can be stored in
 * state or sent to another process that will answer instead.
 */
export interface From<R = unknown> {
  readonly pid: Pid;
  readonly ref: number;
  /** Phantom: the reply type. */
  readonly __reply?: R;
}

/** How a call arrives in the server's mailbox. */
export interface CallMessage<Req = unknown, R = unknown> {
  readonly $joerl: 'call';
  readonly from: From<R>;
  readonly req: Req;
}

/** How a cast arrives in the server's mailbox. */
export interface CastMessage<C = unknown> {
  readonly $joerl: 'cast';
  readonly msg: C;
}

/** True for a call envelope (what `call()` sends). */
export function isCallMessage(msg: unknown): msg is CallMessage {
  return typeof msg === 'object' && msg !== null && (msg as { $joerl?: unknown }).$joerl === 'call';
}

/** True for a cast envelope (what `cast()` sends). */
export function isCastMessage(msg: unknown): msg is CastMessage {
  return typeof msg === 'object' && msg !== null && (msg as { $joerl?: unknown }).$joerl === 'cast';
}

/** True for a well-formed `From`. */
export function isFrom(value: unknown): value is From {
  return typeof value === 'object' && value !== null && typeof (value as From).ref === 'number' && typeof (value as From).pid === 'object';
}

/** True for a trapped-exit message (its `from` a Pid: a plain message of that shape from user code is no exit). */
export function isExitMessage(msg: unknown): msg is ExitMessage {
  return typeof msg === 'object' && msg !== null && (msg as { type?: unknown }).type === 'EXIT' && 'reason' in msg && isPid((msg as { from?: unknown }).from);
}

/** True for a monitor DOWN message. */
export function isDownMessage(msg: unknown): msg is DownMessage {
  return typeof msg === 'object' && msg !== null && (msg as { type?: unknown }).type === 'DOWN' && 'ref' in msg && 'pid' in msg;
}
