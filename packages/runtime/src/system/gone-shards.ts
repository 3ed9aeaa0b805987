// Shards the system gave up restarting: the main thread reads their inbound rings, so what is sent there is reported, not lost.

import { Pid } from '../actor/pid.js';
import { ShardDownError, toWireError } from '../errors.js';
import { OP_CALL, OP_CALL_AT, OP_LINK, OP_MONITOR, OP_NAME_ADDED, OP_SPAWN, OP_SPAWN_REPLY } from '../shard/protocol.js';
import { NOPROC, type ThreadRuntime } from '../shard/thread-runtime.js';
import { type MessagesLost, RingDrains, drainRingsInto } from './losses.js';
import type { SharedMemory } from './shared-memory.js';

/** How often the rings into a gone shard are read (senders may hold stale pids for a while). */
const DRAIN_MS = 50;

/**
 * Nobody reads the rings into a shard that will not come back, and a pid of
 * it can still be in someone's hands. The main thread takes the consumer's
 * place: a message found there becomes a `shard_down` dead letter with its
 * content, a link or monitor gets its `noproc` EXIT or DOWN.
 */
export class GoneShards {
  private readonly gone: number[] = [];
  private timer: NodeJS.Timeout | null = null;
  /** One reader per ring into a gone shard, kept from drain to drain (a big message may span several). */
  private readonly drains = new RingDrains();

  constructor(
    private readonly rt: ThreadRuntime,
    private readonly mem: SharedMemory,
    /** Reports messages that went with a dead consumer (the rest of a message it had begun to read). */
    private readonly lost: (l: MessagesLost) => void,
  ) {}

  /** Shard `shard` will not be restarted. */
  add(shard: number): void {
    if (this.gone.includes(shard)) return;
    this.gone.push(shard);
    this.drain();
    this.timer ??= setInterval(() => this.drain(), DRAIN_MS);
    this.timer.unref();
  }

  /** Reads every ring into a gone shard now (also the last thing shutdown does for them). */
  drain(): void {
    const rt = this.rt;
    const drains = this.drains;
    for (const s of this.gone) {
      drainRingsInto(
        this.mem.rings,
        this.mem.records,
        this.mem.ctl.i32,
        s,
        (to, message) => rt.delivery.deadLetter(to, message, 'shard_down'),
        drains,
        (ops, i, from) => this.answer(ops, i, s, from),
        rt.state.node, // (the dead letters' pids are the ones sent to: on a node, they carry its id)
      );
      if (drains.skipped !== 0) {
        this.lost({ shard: s, reason: 'shard_down', queued: drains.skipped, unsent: 0 });
        drains.skipped = 0;
      }
    }
    rt.flush();
  }

  close(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }

  /**
   * An op for a gone shard from thread `producer`: links and monitors (a call's
   * too) learn at once that their process does not exist; a name another
   * thread registered for one of its processes is freed (it would point at a
   * dead pid for good); a spawn request (sent by a thread that found the
   * shard alive a moment before it was given up) is answered ERR_SHARD_DOWN.
   */
  private answer(ops: unknown[], i: number, shard: number, producer: number): void {
    const op = ops[i] as number;
    if (op === OP_NAME_ADDED) {
      this.rt.state.names.unregister(ops[i + 2] as string, new Pid(this.rt.state.node, shard, ops[i + 1] as number));
      return;
    }
    if (op === OP_SPAWN) {
      const err = toWireError(new ShardDownError(shard, true));
      if (producer === this.rt.state.thread) this.rt.spawner.onReply(ops[i + 1] as number, null, err, null);
      else this.rt.state.transport.emit4(producer, OP_SPAWN_REPLY, ops[i + 1] as number, null, err, null);
      return;
    }
    if (op !== OP_LINK && op !== OP_MONITOR && op !== OP_CALL && op !== OP_CALL_AT) return;
    if (op === OP_CALL || op === OP_CALL_AT) {
      // toSerial, from, ref: a monitor's fields in another order.
      this.rt.router.sigDown(ops[i + 2] as Pid, ops[i + 3] as number, new Pid(this.rt.state.node, shard, ops[i + 1] as number), NOPROC);
      return;
    }
    const from = ops[i + 1] as Pid;
    const dead = new Pid(this.rt.state.node, shard, ops[i + 2] as number);
    if (op === OP_LINK) this.rt.router.sigExit(dead, from, NOPROC, true);
    else this.rt.router.sigDown(from, ops[i + 3] as number, dead, NOPROC);
  }
}
