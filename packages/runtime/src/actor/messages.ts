// The messages the runtime itself puts in mailboxes: trapped exits and monitor DOWNs.

import type { ExitReason } from './exit-reason.js';
import type { Pid } from './pid.js';

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

/** Messages the runtime delivers on its own. */
export type SystemMessage = ExitMessage | DownMessage;

/** True for a trapped-exit message. */
export function isExitMessage(msg: unknown): msg is ExitMessage {
  return typeof msg === 'object' && msg !== null && (msg as { type?: unknown }).type === 'EXIT' && 'from' in msg && 'reason' in msg;
}

/** True for a monitor DOWN message. */
export function isDownMessage(msg: unknown): msg is DownMessage {
  return typeof msg === 'object' && msg !== null && (msg as { type?: unknown }).type === 'DOWN' && 'ref' in msg && 'pid' in msg;
}
