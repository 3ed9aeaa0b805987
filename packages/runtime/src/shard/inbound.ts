// One source of a thread's input: its ring reader and the side-channel ports that carry its frames' large parts.

import { type MessagePort, receiveMessageOnPort } from 'node:worker_threads';
import { LOST } from '../codec/side-items.js';
import { ATTACHED_INDEX, PORT_ACK_INDEX, SIDE_TAKEN_INDEX } from '../ring/layout.js';
import { RingReader, ringHeader } from '../ring/ring.js';
import { wakeThread } from '../ring/wait.js';
import type { SideIntake } from './side-intake.js';

export class Inbound {
  readonly from: number;
  readonly reader: RingReader;
  private readonly hdr: Int32Array;
  /**
   * Ports by generation. More than one only across a restart of the
   * producer: frames of its dead incarnation still name the old port, whose
   * queued items survive it; a frame of a newer generation closes the older.
   */
  private readonly ports = new Map<number, MessagePort>();
  /** The generation whose port we acknowledged (what the producer may use). */
  private ackGen = 0;
  /** The thread's count of side items taken (shared by its inbound sources: a poll's bound is across them). */
  private readonly intake: SideIntake;

  /**
   * Takes the ring from `from` and says so in its header, then wakes the
   * producer: it holds its output to other threads until this ring is read
   * (see Transport's barrier).
   */
  constructor(from: number, sab: SharedArrayBuffer, ctl: Int32Array, intake: SideIntake, onDropped: ((messages: number) => void) | null = null) {
    this.from = from;
    this.intake = intake;
    this.reader = new RingReader(sab, onDropped);
    this.hdr = ringHeader(sab);
    Atomics.store(this.hdr, ATTACHED_INDEX, 1);
    wakeThread(ctl, from);
  }

  /**
   * Our end of a side channel from `from`. TAKEN restarts at 0 for the new
   * generation before ACK names it (the producer reads TAKEN only once ACK
   * matches its port), then the producer is woken: it may be parked with
   * batches waiting for this port.
   */
  attach(port: MessagePort, gen: number, ctl: Int32Array): void {
    port.unref();
    this.ports.set(gen, port);
    if (gen <= this.ackGen) return;
    this.ackGen = gen;
    Atomics.store(this.hdr, SIDE_TAKEN_INDEX, 0);
    Atomics.store(this.hdr, PORT_ACK_INDEX, gen);
    wakeThread(ctl, this.from);
  }

  /**
   * The side items of the frame being read, posted on the port of
   * generation `gen` before the frame was published (so they are there:
   * the post happens-before the publish we acquired). LOST when that port
   * died with an earlier incarnation of this thread: the frame was meant
   * for processes that died with it.
   */
  take(gen: number): unknown[] | typeof LOST {
    const port = this.ports.get(gen);
    if (port === undefined) return LOST;
    for (const [g, p] of this.ports) {
      if (g < gen) {
        p.close();
        this.ports.delete(g);
      }
    }
    const got = receiveMessageOnPort(port);
    if (got === undefined) throw new Error(`joerl internal error: the side items of a frame from thread ${this.from} are not on its port`);
    const batch = got.message as { kib: number; items: unknown[] };
    // seq_cst add, then the caller loads NEED_SPACE (the other half of Outbound.openSide's Dekker pair).
    if (gen === this.ackGen) Atomics.add(this.hdr, SIDE_TAKEN_INDEX, batch.kib);
    this.intake.took(batch.kib);
    return batch.items;
  }

  close(): void {
    for (const p of this.ports.values()) p.close();
    this.ports.clear();
  }
}
