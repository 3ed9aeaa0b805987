// Traced code run with its span active: a plain actor's synchronous handler or init through the context manager, anything else in an AsyncLocalStorage context.

import type { AsyncLocalContextManager, LazyHandleSpan } from '@joerl/telemetry/internal';
import { type Span, context, trace } from '@opentelemetry/api';
import { BEHAVIOUR } from '../actor/brand.js';
import { isThenable } from '../validate.js';

const AsyncFunction = (async () => {}).constructor;

/** What runHandler needs of a behaviour. */
export interface Handles {
  handle(msg: unknown, state: unknown, ctx: unknown): unknown;
}
/** What runInit needs of a behaviour. */
export interface Inits {
  init(args: unknown, ctx: unknown): unknown;
}

/**
 * One per thread with tracing (ThreadTracing's). The first `run` of an
 * AsyncLocalStorage turns on Node 20's async hooks for the whole thread, for
 * good; so code that can run synchronously under its span does, through the
 * context manager (no AsyncLocalStorage), and what has shown it cannot (it
 * returned a promise) runs in one from then on.
 */
export class TracedRunner {
  /** Behaviours whose handler returned a promise: their traced handlers run in an AsyncLocalStorage context. */
  private readonly asyncHandlers = new WeakSet<object>();
  /** The last behaviour runHandler ran through the synchronous path (not in asyncHandlers). */
  private lastSync: object | null = null;
  /** Behaviours whose init returned a promise: it runs in an AsyncLocalStorage context from then on. */
  private readonly asyncInits = new WeakSet<object>();
  /** The thread's context manager (a shard's), or null (the main thread: the API's, whatever the user registered). */
  private readonly cm: AsyncLocalContextManager | null;

  constructor(cm: AsyncLocalContextManager | null) {
    this.cm = cm;
  }

  /**
   * Runs a traced message's handler with its handle span `h` active. A
   * plain actor's handler that is not async runs with it active for its synchronous part
   * only (AsyncLocalContextManager.runLazy: the span and its context are made
   * only if the handler asks for the active context); any other
   * handler (async, an OTP behaviour's, or one that has returned a promise:
   * that first time its continuations ran without it) in an AsyncLocalStorage context
   * that its continuations keep. (Work a synchronous handler starts and does
   * not return, a timer say, does not run under its handle span.)
   */
  runHandler(h: LazyHandleSpan, b: Handles, msg: unknown, state: unknown, actx: unknown): unknown {
    const cm = this.cm;
    // The behaviour that took this path last skips the checks (a WeakSet lookup a traced message).
    if (b !== this.lastSync && !this.mayRunSync(b, b.handle, this.asyncHandlers)) return context.with(h.context(), b.handle, b, msg, state, actx);
    this.lastSync = b;
    const next = cm!.runLazy(h, null, b.handle, b, msg, state, actx);
    if (isThenable(next)) {
      this.asyncHandlers.add(b);
      this.lastSync = null;
    }
    return next;
  }

  /**
   * Whether `fn` of behaviour `b` may run through the context manager, its
   * span active for its synchronous part only: on a shard (a context manager
   * of ours), a plain actor's (an OTP behaviour chains its callbacks, which
   * may be async, in a promise), not an async function, and it has not
   * returned a promise before (`returned`).
   */
  private mayRunSync(b: object, fn: object, returned: WeakSet<object>): boolean {
    return this.cm !== null && (b as Record<symbol, unknown>)[BEHAVIOUR] === 'actor' && fn.constructor !== AsyncFunction && !returned.has(b);
  }

  /**
   * Runs a traced spawn's init under its `started` lifecycle span, as
   * runHandler runs a handler: a plain actor's init that is not async with
   * the span active for its synchronous part only (an AsyncLocalStorage here
   * would turn on async hooks for every promise of the thread, for good,
   * because one actor was spawned in a trace); any other in an
   * AsyncLocalStorage context its continuations keep.
   */
  runInit(span: Span, b: Inits, args: unknown, actx: unknown): unknown {
    const cm = this.cm;
    const ctx = trace.setSpan(context.active(), span);
    if (!this.mayRunSync(b, b.init, this.asyncInits)) return context.with(ctx, b.init, b, args, actx);
    const r = cm!.runSync(ctx, b.init as (a: unknown, b: unknown, c: unknown) => unknown, b, args, actx, undefined);
    if (isThenable(r)) this.asyncInits.add(b);
    return r;
  }
}
