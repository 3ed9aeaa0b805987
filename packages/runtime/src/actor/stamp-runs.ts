// The queue-wait stamp runs of a mailbox that holds more than one run: where each run starts and its stamp (see mailbox.ts).

/**
 * "No run pending" for `Runs.nextRunAt`: a small integer (a Smi), not
 * Infinity, so the field holds no heap number. Positions past it (a mailbox
 * that has not been empty for 2^30 messages) stay correct: each shift then
 * looks for a run and finds none.
 */
export const NONE = 0x3fff_ffff;

/** Stamp runs of one mailbox (see Mailbox in mailbox.ts). */
export class Runs {
  /**
   * Start positions of the runs the head has not reached, oldest first:
   * runAt[runHead..runEnd). Made with the first run that starts behind
   * another (a mailbox whose messages arrive one at a time never needs
   * them), then never shrunk (no allocation once grown).
   */
  runAt: number[] | null = null;
  runStamp: number[] | null = null;
  runHead = 0;
  runEnd = 0;
  /** Where the next run starts (NONE: none pending). */
  nextRunAt = NONE;
  /** Absolute positions of the head and the tail: messages shifted and pushed so far (0 again whenever the mailbox empties). */
  shifted = 0;
  pushed: number;
  /** The stamp of the head's run and of the newest message (NaN: not stamped). */
  curStamp = NaN;
  tailStamp = NaN;

  /** Starts with `queued` unstamped messages already in the mailbox (a NaN run at the head). */
  constructor(queued: number) {
    this.pushed = queued;
  }
}

/**
 * The message being pushed (`length` already queued) starts a run: its
 * stamp (a number or NaN), already in `tailStamp`, differs from the one
 * before it. Read from the field, not passed: a double passed to a call that
 * is not inlined is a heap allocation, and this runs for a good part of all
 * messages.
 */
export function newRun(r: Runs, length: number): void {
  const at = r.tailStamp;
  if (length === 0) {
    // It will be the head: its run is the current one (no run can be pending in an empty mailbox).
    r.curStamp = at;
    r.shifted = r.pushed = 0;
    r.runHead = r.runEnd = 0;
    r.nextRunAt = NONE;
  } else {
    if (r.runAt === null) {
      r.runAt = [];
      r.runStamp = [];
    }
    const k = r.runEnd++;
    r.runAt[k] = r.pushed;
    r.runStamp![k] = at;
    if (r.nextRunAt === NONE) r.nextRunAt = r.pushed;
  }
}

/** The head reached `pos`: the last run starting at or before it is the current one. */
export function enterRun(r: Runs, pos: number): void {
  const end = r.runEnd;
  let h = r.runHead;
  if (h === end) {
    // Nothing pending (positions past NONE): nothing to enter.
    r.runHead = r.runEnd = 0;
    r.nextRunAt = NONE;
    return;
  }
  const at = r.runAt!;
  const st = r.runStamp!;
  while (h < end && at[h]! <= pos) r.curStamp = st[h++]!;
  if (h < end) {
    r.runHead = h;
    r.nextRunAt = at[h]!;
  } else {
    r.runHead = r.runEnd = 0;
    r.nextRunAt = NONE;
  }
}

/** The stamp of every queued message, oldest first. */
export function stampsInOrder(r: Runs, length: number): number[] {
  const out = new Array<number>(length);
  let cur = r.curStamp;
  let h = r.runHead;
  for (let k = 0; k < length; k++) {
    const pos = r.shifted + k;
    while (h < r.runEnd && r.runAt![h]! <= pos) cur = r.runStamp![h++]!;
    out[k] = cur;
  }
  return out;
}
