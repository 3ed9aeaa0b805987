// The shard-admin object: the control plane's requests a live shard answers, exposed to main with comlink.

import type { MessagePort } from 'node:worker_threads';
import type { ProcessQuery } from '../actor/introspection.js';
import { markPids } from '../actor/pid-json.js';
import { Introspector } from './introspect.js';
import type { ShardStats } from './protocol.js';
import type { ThreadRuntime } from './thread-runtime.js';

/**
 * What the main thread may ask one shard, over the shard's own MessageChannel
 * (comlink), never over the rings: the rings carry messages and signals in
 * order; these are requests main awaits. Results are plain data; pids inside
 * are marked (`markPids`) because structured clone drops the Pid class.
 */
export class ShardAdmin {
  readonly #rt: ThreadRuntime;
  readonly #look: Introspector;
  readonly #onShutdown: () => void;

  constructor(rt: ThreadRuntime, onShutdown: () => void) {
    this.#rt = rt;
    this.#look = new Introspector(rt.state);
    this.#onShutdown = onShutdown;
  }

  stats(): ShardStats {
    const s = this.#rt.state;
    return { shard: s.thread, actors: s.procs.size, runQueue: s.scheduler.queued, spawned: s.counters.spawned, exited: s.counters.exited, delivered: s.counters.delivered };
  }

  processes(query: ProcessQuery | undefined): unknown {
    return markPids(this.#look.processes(query));
  }

  processInfo(serial: number, messages: number): unknown {
    return markPids(this.#look.processInfo(serial, messages) ?? null);
  }

  getState(serial: number, timeoutMs: number): Promise<{ found: boolean; state?: string }> {
    return this.#look.getState(serial, timeoutMs);
  }

  supervisors(): unknown {
    return markPids(this.#look.supervisors());
  }

  figures(): unknown {
    return this.#look.figures();
  }

  /** A ring into this shard from thread `from` (made on its first send here; see system/link-broker.ts). */
  attachRing(from: number, ring: SharedArrayBuffer): void {
    this.#rt.state.transport.input.attachRing(from, ring);
    this.#rt.state.scheduler.kick();
  }

  /** One end of the side channel of the pair `from` -> `to` (big payloads; see shard/inbound.ts, outbound.ts). */
  attachChannel(from: number, to: number, port: MessagePort, gen: number): void {
    this.#rt.state.transport.attachChannel(from, to, port, gen);
    this.#rt.state.scheduler.kick();
  }

  /**
   * Shard `shard` died: links and monitors to its processes (serials below
   * `below`) fire here. What it sent before dying is read first, as the main
   * thread does: this word comes over the admin port, unordered with the ring,
   * and an EXIT, DOWN, reply or link request still in the ring must not be
   * overtaken by the `killed` it stands for.
   */
  shardDown(shard: number, incarnation: number, below: number): void {
    try {
      this.#rt.state.transport.input.drainFrom(shard);
    } finally {
      // (A frame that fails to decode must not keep the links and monitors from firing.)
      this.#rt.onShardDown(shard, incarnation, below);
      this.#rt.state.scheduler.kick();
    }
  }

  /**
   * killShard: an uncaught error on this thread's event loop, in a task of
   * its own (between two of the scheduler's), as a stray exception thrown by
   * actor code would be, so every count in shared memory is whole.
   */
  crash(message: string): void {
    setImmediate(() => {
      throw new Error(message);
    });
  }

  /** Stops every process (terminate hooks run) within `timeoutMs`; resolves with how many had to be killed. The thread then ends. */
  async shutdown(timeoutMs: number): Promise<number> {
    const left = await this.#rt.shutdown(timeoutMs);
    // Answer first, then close the channel: nothing ref'd is left, so the thread ends on its own.
    setImmediate(this.#onShutdown);
    return left;
  }
}
