// What goes in place of an op that cannot go out (over the servers' max payload, or unencodable) when its loss would leave someone waiting forever.

import { type ExitReason, formatReason, toWellFormed } from '../actor/exit-reason.js';
import { CallFailedError, type WireError, toWireError } from '../errors.js';
import { R_DOWN, R_EXIT, R_REPLY } from '../shard/remote-ops.js';
import { W_SPAWN_REPLY } from './wire.js';

/** How many characters of a reason or an error message a stand-in keeps: far below any max payload. */
const KEEP = 1000;

/**
 * The op to send instead of `op`, or null if its loss harms nobody (or
 * reports itself: a send's dead letter, a spawn failed on this side).
 * `tooLarge`: over the servers' max payload of `maxPayload` bytes (else: it
 * could not be encoded). Each stand-in is small, so it always fits:
 * - a reply: an error reply, so its caller fails at once, not at its timeout;
 * - a spawn's answer: its error cut short, so the spawn settles;
 * - an exit signal or a DOWN: its reason cut short (a link or monitor must always fire).
 */
export function standIn(op: unknown[], node: string, tooLarge: boolean, maxPayload: number): unknown[] | null {
  const over = `over the servers' max payload of ${maxPayload} bytes`;
  const why = tooLarge ? `whole, it was ${over}` : 'whole, it could not be encoded';
  switch (op[0]) {
    case R_REPLY: {
      const detail = tooLarge ? `its reply was ${over} (reply with less, or raise the servers' max_payload)` : 'its reply could not be encoded';
      return [R_REPLY, op[1], op[2], false, toWireError(new CallFailedError(`a process on node ${node}`, 'reply_dropped', detail)), op[5]];
    }
    case W_SPAWN_REPLY:
      return op[3] === null ? null : [W_SPAWN_REPLY, op[1], op[2], shortError(op[3] as WireError, why)];
    case R_EXIT:
      return [R_EXIT, op[1], op[2], shortReason(op[3], why), op[4]];
    case R_DOWN:
      return [R_DOWN, op[1], op[2], op[3], shortReason(op[4], why)];
    default:
      return null;
  }
}

/** `s` cut to KEEP characters (never inside a surrogate pair). */
function cut(s: string): string {
  return s.length <= KEEP ? s : `${toWellFormed(s.slice(0, KEEP))}…`;
}

/** The error's name, code and the start of its message: what a caller switches on, and what a person reads first. */
function shortError(w: WireError, why: string): WireError {
  const e: WireError = { name: cut(String(w.name)), message: `${cut(String(w.message))} (cut short: ${why})` };
  if (typeof w.code === 'string') e.code = cut(w.code);
  return e;
}

/** A panic stays a panic (its message cut, no stack); anything else becomes a custom reason holding the start of its printed form. */
function shortReason(reason: unknown, why: string): ExitReason {
  if (typeof reason === 'object' && reason !== null && (reason as { kind?: unknown }).kind === 'panic') {
    const p = reason as { message?: unknown; name?: unknown };
    const r: { kind: 'panic'; message: string; name?: string } = { kind: 'panic', message: `${cut(String(p.message))} (cut short: ${why})` };
    if (typeof p.name === 'string') r.name = cut(p.name);
    return r;
  }
  let text: string;
  try {
    text = formatReason(reason as ExitReason);
  } catch {
    text = String(reason);
  }
  return { kind: 'custom', value: `<reason cut short (${why}): ${cut(text)}>` };
}
