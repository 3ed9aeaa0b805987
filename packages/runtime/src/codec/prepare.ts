// The two ways a message leaves its sender: for a receiver on this thread, or for the wire to another thread.

import { isMarked, movesPending } from './move.js';
import { copy, snapshot } from './snapshot.js';
import { BIG, REWRITE, SHARED, analyze, analyzeAs, flat, refuseShared } from './values.js';

/**
 * The message as it goes into a ring, checked (`ERR_UNENCODABLE` with the
 * path). `checked` (checkLocalSends): copied now, so what the sender changes
 * afterwards shows nowhere, as for an in-shard receiver. Otherwise the
 * sender's object is encoded when the batch is packed (at the end of the
 * turn), and copied now only when it holds a `-0`, a moved buffer, or a
 * binary part of `COPY_AT_SEND_MIN` (64 KiB) or more: that copy would be
 * made at the pack anyway, and made there with the rest of a flush's it
 * costs more (see side-items.ts).
 * `remote`: bound for another node, where shared memory cannot go (refused,
 * by path); a moved buffer is detached here and travels as a copy.
 */
export function forWire(msg: unknown, checked: boolean, remote = false): unknown {
  // The common message first (one plain object of primitives and pids), without the general walk.
  if (!checked && typeof msg === 'object' && msg !== null && Object.getPrototypeOf(msg) === Object.prototype && flat(msg) === 0) return msg;
  const flags = analyze(msg, checked);
  if (remote && (flags & SHARED) !== 0) refuseShared(msg);
  return checked || (flags & (REWRITE | BIG)) !== 0 ? copy(msg, true) : msg;
}

/**
 * The message a receiver on this thread gets. `checked`: checked and copied
 * exactly as a receiver on another thread would decode it. Otherwise (the
 * production default) the sender's own object, unchecked, unless it carries
 * a buffer marked by `move()`: that one is still detached from the sender.
 */
export function forLocal(msg: unknown, checked: boolean): unknown {
  if (checked) return snapshot(msg, false, true);
  if (!movesPending()) return msg;
  let flags: number;
  try {
    flags = analyze(msg, false);
  } catch (err) {
    // Unchecked in-shard, only the moves matter here: a message that could not cross threads (a function
    // in it, a class instance) goes as it is, unless it moves a buffer. That one cannot be taken from the
    // sender without a copy of the whole message, which this message has none of: refused, as it is with
    // checkLocalSends (the mark stays, as after any refused send). Handed over as it was, the buffer kept
    // its mark, and the next send that carried it detached it under this receiver.
    if (carriesMark(msg, new Set(), 0)) throw err;
    return msg;
  }
  return (flags & REWRITE) !== 0 ? copy(msg, false) : msg;
}

/** True if `v` holds a buffer marked by move(), at any depth (a walk that skips what analyze refuses, getters unread). */
function carriesMark(v: unknown, seen: Set<object>, depth: number): boolean {
  if (typeof v !== 'object' || v === null || depth > 1000 || seen.has(v)) return false;
  seen.add(v);
  if (v instanceof ArrayBuffer) return isMarked(v);
  if (ArrayBuffer.isView(v)) return v.buffer instanceof ArrayBuffer && isMarked(v.buffer);
  if (v instanceof Map) {
    for (const [k, x] of v) if (carriesMark(k, seen, depth + 1) || carriesMark(x, seen, depth + 1)) return true;
    return false;
  }
  if (v instanceof Set) {
    for (const x of v) if (carriesMark(x, seen, depth + 1)) return true;
    return false;
  }
  for (const d of Object.values(Object.getOwnPropertyDescriptors(v))) if ('value' in d && carriesMark(d.value, seen, depth + 1)) return true;
  return false;
}

/**
 * A value decoded here and passed on to another encoder (the main thread
 * relaying between another node and a shard): decoding turned the `-0`
 * marker back into `-0`, which msgpack would now write as 0, so such a value
 * is copied with the marker again. Anything else goes as it is.
 */
export function relay(value: unknown): unknown {
  return (analyze(value, false) & REWRITE) !== 0 ? copy(value, true) : value;
}

/**
 * A value that crosses like a message but is not one (spawn arguments, an
 * exit reason), named `root` in errors. Always checked, whatever
 * checkLocalSends says: these are rare, and where the runtime placed a
 * process must not decide whether they are refused. `local`: for a receiver
 * on this thread, copied (as a receiver elsewhere would decode it) only with
 * `checked` or a pending move; otherwise for the wire, as {@link forWire}
 * (`remote`: bound for another node).
 */
export function forSignal(value: unknown, root: string, local: boolean, checked: boolean, remote = false): unknown {
  const flags = analyzeAs(value, checked, root);
  if (remote && (flags & SHARED) !== 0) refuseShared(value, root);
  if (local) return checked || ((flags & REWRITE) !== 0 && movesPending()) ? copy(value, false) : value;
  return checked || (flags & REWRITE) !== 0 ? copy(value, true) : value;
}
