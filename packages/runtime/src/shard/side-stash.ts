// Side items of batches waiting to be posted, kept in a MessagePort's queue instead of on this thread's heap.

import { MessageChannel, type MessagePort, receiveMessageOnPort } from 'node:worker_threads';
import type { SideBatch } from '../codec/side-items.js';

/**
 * A batch whose side items cannot be posted yet (over the in-flight budget,
 * or no channel yet) waits in its destination's overflow queue. Kept there as
 * they are, its buffers (moved, or copied at the send) stay ArrayBuffers of
 * this thread's isolate: V8 counts them as external memory and young
 * ArrayBuffer bytes, so a producer ahead of its consumer ran a scavenge
 * before each allocation and a mark-compact of its heap every 64 MiB of
 * waiting parts (a `postMessage` sender, whose buffers leave at once, has
 * neither). Here they are transferred onto a port of a channel whose two ends
 * this thread holds, out of every heap (a transfer copies nothing), and taken
 * back, in order, right before they are posted to the consumer. The bytes are
 * the same either way, and bounded the same way (see Output).
 */
export class SideStash {
  private readonly put: MessagePort;
  private readonly take: MessagePort;

  constructor() {
    const { port1, port2 } = new MessageChannel();
    // Never listened to (read with receiveMessageOnPort), and must not keep the thread alive.
    port1.unref();
    port2.unref();
    this.put = port1;
    this.take = port2;
  }

  /** Holds `batch`'s items (its buffers are detached here); {@link release} gives them back, first held first. */
  hold(batch: SideBatch): void {
    this.put.postMessage(batch, batch.transfer);
    batch.items = HELD;
    batch.transfer = [];
  }

  /** The oldest held batch's items and transfer list, back in `batch` (the one passed to hold, in the same order). */
  release(batch: SideBatch): SideBatch {
    const got = receiveMessageOnPort(this.take);
    if (got === undefined) throw new Error('joerl internal error: a held side batch is missing from its stash');
    const back = got.message as SideBatch;
    batch.items = back.items;
    batch.transfer = back.transfer;
    return batch;
  }

  close(): void {
    this.put.close();
    this.take.close();
  }
}

/** The items of a held batch until it is released (never posted: release replaces it). */
const HELD: unknown[] = [];
