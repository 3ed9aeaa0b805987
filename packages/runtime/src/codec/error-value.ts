// Errors inside messages, carried as structuredClone carries them: a standard class, message, stack and cause.

import { isNativeError } from 'node:util/types';
import { STANDARD_ERRORS } from '../error-base.js';

/**
 * The classes structuredClone keeps (STANDARD_ERRORS). Any other `name` (a
 * subclass's own, AggregateError) arrives as a plain `Error`, and properties
 * other than message, stack and cause (`code`, `errors`...) do not travel.
 */
const STANDARD = STANDARD_ERRORS;

/** An error on the wire: [class name, message or null, stack or null, has a cause, cause]. */
export type ErrorWire = [name: string, message: string | null, stack: string | null, hasCause: boolean, cause: unknown];

/** True for a real error object (with V8's error slot), not an object that merely inherits from Error.prototype. */
export const isError = (v: unknown): v is Error => isNativeError(v);

/** The own `cause` of an error, if it has one as a data property. */
export function causeOf(e: Error): { value: unknown } | undefined {
  const d = Object.getOwnPropertyDescriptor(e, 'cause');
  return d !== undefined && 'value' in d ? { value: d.value } : undefined;
}

/** What of `e` crosses: its class (by `name`), own message, stack and own cause. */
export function errorToWire(e: Error, cause: (v: unknown) => unknown = (v) => v): ErrorWire {
  const name = (e as { name?: unknown }).name;
  const cls = typeof name === 'string' && STANDARD[name] !== undefined ? name : 'Error';
  const md = Object.getOwnPropertyDescriptor(e, 'message');
  // An accessor message arrives empty, as with structuredClone.
  const message = md === undefined ? null : 'value' in md ? String(md.value) : '';
  const st = (e as { stack?: unknown }).stack;
  const c = causeOf(e);
  return [cls, message, typeof st === 'string' ? st : null, c !== undefined, c === undefined ? undefined : cause(c.value)];
}

/** Rebuilds an error from {@link errorToWire}'s form. */
export function errorFromWire(w: ErrorWire): Error {
  const C = STANDARD[w[0]] ?? Error;
  const e = w[1] === null ? new C() : new C(w[1]);
  // The sender's stack, not the one the constructor just captured here.
  Object.defineProperty(e, 'stack', { value: w[2] ?? undefined, writable: true, enumerable: false, configurable: true });
  if (w[3]) Object.defineProperty(e, 'cause', { value: w[4], writable: true, enumerable: false, configurable: true });
  return e;
}
