// An AsyncLocalStorage context manager for @opentelemetry/api (what @opentelemetry/context-async-hooks does, without the SDK).

import { AsyncLocalStorage } from 'node:async_hooks';
import { type Context, type ContextManager, ROOT_CONTEXT } from '@opentelemetry/api';

export class AsyncLocalContextManager implements ContextManager {
  private readonly als = new AsyncLocalStorage<Context>();
  /**
   * `with` calls on the stack right now. Code that runs synchronously from a
   * root context (a shard's turn) and sees 0 here is still in the root
   * context: no store lookup needed (see ThreadTracing.decide).
   */
  depth = 0;
  /** The context of the synchronous run in progress (see runSync), or null. */
  private syncCtx: Context | null = null;

  active(): Context {
    return this.syncCtx ?? this.als.getStore() ?? ROOT_CONTEXT;
  }

  with<A extends unknown[], F extends (...args: A) => ReturnType<F>>(ctx: Context, fn: F, thisArg?: ThisParameterType<F>, ...args: A): ReturnType<F> {
    this.depth++;
    // Inside, the AsyncLocalStorage says what is active (and carries it to what fn starts).
    const outer = this.syncCtx;
    this.syncCtx = null;
    try {
      // Reflect.apply, not fn.bind(thisArg): no bound function made per call.
      return this.als.run(ctx, Reflect.apply, fn, thisArg, args) as ReturnType<F>;
    } finally {
      this.depth--;
      this.syncCtx = outer;
    }
  }

  /**
   * Runs `fn` with `ctx` active for its synchronous part only: what it
   * leaves behind (a promise it does not return, a timer) does not carry
   * `ctx`. No AsyncLocalStorage is entered. The first `run` of an
   * AsyncLocalStorage turns on Node's async hooks for the whole thread, and
   * from then on every promise and callback of the thread pays for them
   * (cross-shard throughput fell by a third once a shard had handled a
   * single traced message); a runtime's traced handler that is not async
   * runs through here instead of `with`.
   */
  runSync<R>(ctx: Context, fn: (a: unknown, b: unknown, c: unknown) => R, thisArg: unknown, a: unknown, b: unknown, c: unknown): R {
    this.depth++;
    const outer = this.syncCtx;
    this.syncCtx = ctx;
    try {
      return fn.call(thisArg, a, b, c);
    } finally {
      this.depth--;
      this.syncCtx = outer;
    }
  }

  bind<T>(ctx: Context, target: T): T {
    if (typeof target !== 'function') return target;
    const manager = this;
    const fn = target as unknown as (...a: unknown[]) => unknown;
    return function (this: unknown, ...args: unknown[]) {
      return manager.with(ctx, () => fn.apply(this, args));
    } as unknown as T;
  }

  enable(): this {
    return this;
  }

  disable(): this {
    this.als.disable();
    return this;
  }
}
