// Helpers of the mailbox stamp tests: a stamped push as the send path makes it, and takes that read each message's stamp.
import * as assert from 'uvu/assert';
import { STAMP_IN, type Mailbox } from '../../src/actor/mailbox.ts';

/** Shifts everything, returning [message, stamp] pairs (NaN stamps as null, to compare). */
export function takeAll(m: Mailbox): Array<[unknown, number | null]> {
  const out: Array<[unknown, number | null]> = [];
  while (m.length > 0) {
    const msg = m.shift();
    out.push([msg, Number.isNaN(m.lastStamp) ? null : m.lastStamp]);
  }
  return out;
}

/** A stamped push as the send path makes it: the stamp in STAMP_IN, then the push. */
export function pushAt(m: Mailbox, msg: unknown, stamp: number): void {
  STAMP_IN.at = stamp;
  m.pushStamped(msg);
}


/** Empties `m` a run at a time, as the observed turn does: [message, its run's stamp (null: none)]. */
export function takeByRuns(m: Mailbox, most = Infinity): Array<[unknown, number | null]> {
  const out: Array<[unknown, number | null]> = [];
  while (m.length > 0) {
    const k = Math.min(m.headRun(), most);
    assert.ok(k >= 1 && k <= m.length, `a run of ${k} in ${m.length}`);
    const stamp = Number.isNaN(m.lastStamp) ? null : m.lastStamp;
    for (let i = 0; i < k; i++) out.push([m.shiftInRun(), stamp]);
  }
  return out;
}
