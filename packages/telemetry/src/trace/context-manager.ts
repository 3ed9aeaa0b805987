// An AsyncLocalStorage context manager for @opentelemetry/api (what @opentelemetry/context-async-hooks does, without the SDK).

import { AsyncLocalStorage } from 'node:async_hooks';
import { type Context, type ContextManager, ROOT_CONTEXT } from '@opentelemetry/api';

/** A context made on demand (see AsyncLocalContextManager.runLazy). */
export interface LazyContext {
  context(): Context;
}

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
  /** The synchronous run in progress has its context still to make (see runLazy): made on the first `active()`. */
  private lazy: LazyContext | null = null;

  active(): Context {
    const s = this.syncCtx;
    if (s !== null) return s;
    const lazy = this.lazy;
    if (lazy !== null) return (this.syncCtx = lazy.context());
    return this.als.getStore() ?? ROOT_CONTEXT;
  }

  /** The lazy context of the synchronous run in progress while nobody has asked for it (see runLazy), else null. */
  pending(): LazyContext | null {
    return this.syncCtx === null ? this.lazy : null;
  }

  with<A extends unknown[], F extends (...args: A) => ReturnType<F>>(ctx: Context, fn: F, thisArg?: ThisParameterType<F>, ...args: A): ReturnType<F> {
    this.depth++;
    // Inside, the AsyncLocalStorage says what is active (and carries it to what fn starts).
    const outer = this.syncCtx;
    const outerLazy = this.lazy;
    this.syncCtx = null;
    this.lazy = null;
    try {
      // Reflect.apply, not fn.bind(thisArg): no bound function made per call.
      return this.als.run(ctx, Reflect.apply, fn, thisArg, args) as ReturnType<F>;
    } finally {
      this.depth--;
      this.syncCtx = outer;
      this.lazy = outerLazy;
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
    return this.runLazy(null, ctx, fn, thisArg, a, b, c);
  }

  /**
   * runSync with a context made only if `fn` asks for it (`active()`):
   * `lazy.context()` then, once. A traced handler that never looks at its
   * span has none made (see LazyHandleSpan). `ctx` is used instead when
   * `lazy` is null.
   */
  runLazy<R>(lazy: LazyContext | null, ctx: Context | null, fn: (a: unknown, b: unknown, c: unknown) => R, thisArg: unknown, a: unknown, b: unknown, c: unknown): R {
    this.depth++;
    const outer = this.syncCtx;
    const outerLazy = this.lazy;
    this.syncCtx = ctx;
    this.lazy = lazy;
    try {
      return fn.call(thisArg, a, b, c);
    } finally {
      this.depth--;
      this.syncCtx = outer;
      this.lazy = outerLazy;
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
