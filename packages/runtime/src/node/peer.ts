// One other node as this node sees it: its identity, the connection's epochs and sequence numbers, queued ops, unconfirmed frames.

/**
 * `connecting`: hellos exchanged, not both accepted yet (ops queue);
 * `up`: frames flow; `down`: the connection was lost (or never made).
 */
export type PeerState = 'connecting' | 'up' | 'down';

let epochs = 0;
/** A connection epoch: unique for this process (a restarted node has a new id anyway). */
export function newEpoch(): number {
  return ++epochs;
}

export class Peer {
  readonly id: number;
  name: string;
  creation: number;
  state: PeerState = 'down';
  /** Our epoch of the current connection; frames we send carry it. */
  myEpoch = 0;
  /** The peer's epoch we accepted; frames from another epoch belong to a dead connection. */
  peerEpoch = 0;
  /** The peer epoch our last hello accepted (a hello is sent once per peer epoch). */
  ackedPeerEpoch = 0;
  /** The last data frame numbers sent and received in this connection. */
  outSeq = 0;
  inSeq = 0;
  /** performance.now() of the last frame from the peer (or of the connection attempt). */
  lastHeard = 0;
  /** Ops waiting to go out: kind, fields... (R_SEND_TP keeps its traceparent as a third field here). */
  items: unknown[] = [];
  /** Frames sent but not acknowledged: their numbers and how many messages each carried. */
  readonly unconfirmedSeq: number[] = [];
  readonly unconfirmedMsgs: number[] = [];
  /** An acknowledgement is queued for the end of this turn. */
  ackDue = false;
  /** Remote spawns waiting for this peer's answer, by request id. */
  readonly spawns = new Set<number>();
  /** The live entry's revision in the members bucket (a survivor deletes it at exactly that revision). */
  liveRevision = 0;
  /** Still listed in the members bucket. */
  member = false;

  constructor(id: number, name: string, creation: number) {
    this.id = id;
    this.name = name;
    this.creation = creation;
  }

  /** Starts a new connection on our side: a fresh epoch, numbering from 1, nothing inherited. */
  open(now: number): void {
    this.state = 'connecting';
    this.myEpoch = newEpoch();
    this.peerEpoch = 0;
    this.ackedPeerEpoch = 0;
    this.outSeq = 0;
    this.inSeq = 0;
    this.lastHeard = now;
  }

  /** Frames up to `seq` arrived at the peer. */
  confirm(seq: number): void {
    let n = 0;
    while (n < this.unconfirmedSeq.length && this.unconfirmedSeq[n]! <= seq) n++;
    if (n === 0) return;
    this.unconfirmedSeq.splice(0, n);
    this.unconfirmedMsgs.splice(0, n);
  }

  /** Messages sent on this connection whose arrival was never confirmed, and the ops still queued: taken (the connection is over). */
  takeUnconfirmed(): { messages: number; queued: unknown[] } {
    let messages = 0;
    for (const m of this.unconfirmedMsgs) messages += m;
    this.unconfirmedSeq.length = 0;
    this.unconfirmedMsgs.length = 0;
    const queued = this.items;
    this.items = [];
    return { messages, queued };
  }
}
