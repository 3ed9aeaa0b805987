// The system's events: emitted from the runtime's own bookkeeping, so a listener that throws must not stop it.

import { EventEmitter } from 'node:events';

/**
 * An EventEmitter whose listeners run each on its own: one that throws is
 * reported (a process warning, code JOERL_LISTENER_FAILED, once per event
 * name) and the others and the emitter's caller go on. The system emits
 * from its bookkeeping (a shard's death and restart, the main thread's
 * loop): a throwing shardDown listener left a dead shard unrestarted, a
 * throwing crashReport one stopped the main thread's loop, as a provider
 * hook's or the logger's failure must not either.
 */
export class GuardedEmitter extends EventEmitter {
  /** Events whose listeners have thrown: one warning each, not one per event (a throwing deadLetter listener in a burst). */
  readonly #failed = new Set<string | symbol>();

  override emit(event: string | symbol, ...args: unknown[]): boolean {
    // The raw listeners: a `once` wrapper removes itself when called.
    const listeners = this.rawListeners(event);
    if (listeners.length === 0) return super.emit(event, ...args); // ('error' with no listener throws, as EventEmitter's)
    for (const listener of listeners) {
      try {
        const r: unknown = (listener as (...a: unknown[]) => unknown).apply(this, args);
        // An async listener's rejection too: unhandled, it would end the process.
        if (typeof (r as PromiseLike<unknown> | null)?.then === 'function') (r as Promise<unknown>).then(undefined, (err: unknown) => this.#listenerFailed(event, err));
      } catch (err) {
        this.#listenerFailed(event, err);
      }
    }
    return true;
  }

  #listenerFailed(event: string | symbol, err: unknown): void {
    if (this.#failed.has(event)) return;
    this.#failed.add(event);
    let why: string;
    try {
      why = err instanceof Error ? (err.stack ?? err.message) : String(err);
    } catch {
      why = 'a value that cannot be printed'; // (String() of an object without a prototype throws)
    }
    process.emitWarning(`a listener of the system's '${String(event)}' event threw (reported once per event): ${why}`, { code: 'JOERL_LISTENER_FAILED' });
  }
}
