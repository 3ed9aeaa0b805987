// Remote ops: what a thread hands the main thread for a process of another node, and the reason links to a lost node carry.

import type { ExitReason } from '../actor/exit-reason.js';
import type { Pid } from '../actor/pid.js';

/** `Router.route()`: the pid lives on another node of the cluster; the main thread's node connection takes it. */
export const REMOTE = -2;

/**
 * The exit reason of links and monitors to a process on a node whose
 * connection was lost (it died, froze, or the network failed): Erlang's
 * `noconnection`. The process may still be alive on its node.
 */
export const NOCONNECTION: ExitReason = { kind: 'custom', value: 'noconnection' };

/** True for {@link NOCONNECTION} (also after it crossed threads). */
export function isNoConnection(reason: unknown): boolean {
  return typeof reason === 'object' && reason !== null && (reason as { kind?: unknown }).kind === 'custom' && (reason as { value?: unknown }).value === 'noconnection';
}

/*
 * Remote op kinds. Each travels as (kind, to, a, b, c, d): `to` is the
 * process the op is for (on another node); unused fields are null. The same
 * kinds and fields cross the network between nodes (node/wire.ts).
 */
export const R_SEND = 1; //      to, msg
export const R_SEND_TP = 2; //   to, msg, traceparent
export const R_LINK = 3; //      to, from
export const R_UNLINK = 4; //    to, from
export const R_EXIT = 5; //      to, from, reason | 'kill', viaLink
export const R_MONITOR = 6; //   to, from (the watcher), ref
export const R_DEMONITOR = 7; // to, from, ref
export const R_DOWN = 8; //      to (the watcher), ref, pid, reason
export const R_REPLY = 9; //     to (the caller), ref, ok, value | WireError, traceparent | null

/** Hands one remote op to the node's connection (shards: through the ring to the main thread). */
export type RemoteSink = (kind: number, to: Pid, a: unknown, b: unknown, c: unknown, d: unknown) => void;

/** The sink of a thread whose system has no node: `route()` never answers REMOTE there. */
export const NO_REMOTE: RemoteSink = () => {
  throw new Error('joerl internal error: a remote op on a system started without a node');
};
