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

  active(): Context {
    return this.als.getStore() ?? ROOT_CONTEXT;
  }

  with<A extends unknown[], F extends (...args: A) => ReturnType<F>>(ctx: Context, fn: F, thisArg?: ThisParameterType<F>, ...args: A): ReturnType<F> {
    this.depth++;
    try {
      // Reflect.apply, not fn.bind(thisArg): no bound function made per call (a traced handler runs through here).
      return this.als.run(ctx, Reflect.apply, fn, thisArg, args) as ReturnType<F>;
    } finally {
      this.depth--;
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
