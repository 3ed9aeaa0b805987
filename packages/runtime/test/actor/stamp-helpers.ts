// Helpers of the mailbox stamp tests: a stamped push as the send path makes it, and takes that read each message's stamp.
import * as assert from 'uvu/assert';
import { STAMP_IN, type Mailbox } from '../../src/actor/mailbox.ts';
import { NO_STAMP } from '../../src/actor/stamped-ring.ts';

/** Shifts everything, returning [message, stamp] pairs (no stamp as null, to compare). */
export function takeAll(m: Mailbox): Array<[unknown, number | null]> {
  const out: Array<[unknown, number | null]> = [];
  while (m.length > 0) {
    const msg = m.shift();
    out.push([msg, m.lastStamp === NO_STAMP ? null : (m.lastStamp as number)]);
  }
  return out;
}

/** A stamped push as the send path makes it: the stamp in STAMP_IN, then the push. */
export function pushAt(m: Mailbox, msg: unknown, stamp: number): void {
  STAMP_IN.at = Number.isNaN(stamp) ? NO_STAMP : stamp;
  m.pushStamped(msg);
}


/** Empties `m` a run at a time, as the observed turn does: [message, its run's stamp (null: none)]. */
export function takeByRuns(m: Mailbox, most = Infinity): Array<[unknown, number | null]> {
  const out: Array<[unknown, number | null]> = [];
  while (m.length > 0) {
    const k = Math.min(startRun(m), most);
    assert.ok(k >= 1 && k <= m.length, `a run of ${k} in ${m.length}`);
    const stamp = m.lastStamp === NO_STAMP ? null : (m.lastStamp as number);
    for (let i = 0; i < k; i++) out.push([m.shiftInRun(), stamp]);
  }
  return out;
}

/**
 * A run starts, as the observed turn starts one: the head's stamp in
 * `lastStamp`. Returns how many queued messages share it from the oldest on
 * (the turn compares each as it takes it, with stampAt(0)).
 */
export function startRun(m: Mailbox): number {
  const s = m.stampAt(0);
  m.lastStamp = s as number;
  let k = 1;
  while (k < m.length && m.stampAt(k) === s) k++;
  return k;
}
