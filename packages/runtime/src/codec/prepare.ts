// The two ways a message leaves its sender: for a receiver on this thread, or for the wire to another thread.

import { movesPending } from './move.js';
import { snapshot } from './snapshot.js';
import { analyze } from './values.js';

/**
 * The message as it goes into a ring, checked (`ERR_UNENCODABLE` with the
 * path). `checked` (checkLocalSends): copied now, so what the sender changes
 * afterwards shows nowhere, as for an in-shard receiver. Otherwise the
 * sender's object is encoded when the batch is packed (at the end of the
 * turn), and copied now only when it holds a `-0` or a moved buffer.
 */
export function forWire(msg: unknown, checked: boolean): unknown {
  if (checked) return snapshot(msg, true, true);
  return analyze(msg, false) ? snapshot(msg, true, false) : msg;
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
  let rewrite: boolean;
  try {
    rewrite = analyze(msg, false);
  } catch {
    return msg; // unchecked in-shard: only the moves matter here
  }
  return rewrite ? snapshot(msg, false, false) : msg;
}
