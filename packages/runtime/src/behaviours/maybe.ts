// Sync-or-async plumbing for behaviours: stay synchronous unless a callback returned a promise.

import type { MaybePromise } from '../actor/behaviour.js';

export function isThenable<T>(v: MaybePromise<T> | unknown): v is Promise<T> {
  return v !== null && typeof v === 'object' && typeof (v as { then?: unknown }).then === 'function';
}

/** `fn(value)`, after `value` settles if it is a promise. */
export function chain<T, U>(value: MaybePromise<T>, fn: (v: T) => MaybePromise<U>): MaybePromise<U> {
  return isThenable<T>(value) ? value.then(fn) : fn(value as T);
}
