// Offload: jobs for the piscina pool, which the main thread owns; a shard asks main over the ring and awaits the answer.

import type { ModuleRef } from '../actor/context.js';
import { moduleHref } from '../actor/module-ref.js';
import { forSignal } from '../codec/prepare.js';
import { InvalidArgumentError, SystemStoppedError, fromWireError, toWireError, type WireError } from '../errors.js';
import { describe } from '../validate.js';
import { OP_OFFLOAD, OP_OFFLOAD_REPLY } from './protocol.js';
import type { ShardState } from './shard-state.js';

export class Offload {
  private readonly s: ShardState;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: unknown) => void }>();
  private seq = 0;

  constructor(state: ShardState) {
    this.s = state;
  }

  /** Runs `module`'s export on the offload pool and resolves with its result. A throwing job rejects only this promise. */
  offload(module: ModuleRef, input: unknown, exportName = 'default'): Promise<unknown> {
    let href: string;
    try {
      href = moduleHref(module);
      if (typeof exportName !== 'string' || exportName.length === 0) throw new InvalidArgumentError(`offload export must be a non-empty string, got ${describe(exportName)}`);
      // The main thread's pool gets it by postMessage; a shard's goes through the ring first (a -0 keeps its marker).
      input = forSignal(input, 'input', this.s.thread === 0, this.s.config.checkLocalSends);
    } catch (err) {
      return Promise.reject(err);
    }
    if (this.s.thread === 0) return this.run(href, exportName, input);
    return new Promise((resolve, reject) => {
      const id = ++this.seq;
      this.pending.set(id, { resolve, reject });
      this.s.transport.emit4(0, OP_OFFLOAD, id, href, exportName, input);
    });
  }

  /** Main thread: a shard asked for a job; its answer goes back to thread `from`. */
  serve(from: number, reqId: unknown, href: string, exportName: string, input: unknown): void {
    const tr = this.s.transport;
    this.run(href, exportName, input).then(
      (value) => {
        try {
          tr.emit3(from, OP_OFFLOAD_REPLY, reqId, true, forSignal(value, 'result', false, false));
        } catch (err) {
          tr.emit3(from, OP_OFFLOAD_REPLY, reqId, false, toWireError(err));
        }
      },
      (err: unknown) => tr.emit3(from, OP_OFFLOAD_REPLY, reqId, false, toWireError(err)),
    );
  }

  /** The answer to one of our jobs. */
  onReply(id: number, ok: boolean, value: unknown): void {
    const p = this.pending.get(id);
    if (p === undefined) return;
    this.pending.delete(id);
    if (ok) p.resolve(value);
    else p.reject(fromWireError(value as WireError));
  }

  private run(href: string, exportName: string, input: unknown): Promise<unknown> {
    const run = this.s.hooks.offload;
    if (run === undefined) return Promise.reject(new SystemStoppedError('the offload pool'));
    return run(href, exportName, input);
  }
}
