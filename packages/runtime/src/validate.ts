// Argument checks shared by the runtime's entry points: typed errors that say what was passed.

import { Pid, isPid } from './actor/pid.js';
import { InvalidArgumentError, InvalidOptionError } from './errors.js';

/** A short description of a bad argument for an error message: its type and value, or its class. */
export function describe(v: unknown): string {
  if (v === null) return 'null';
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'object') return (v as object).constructor?.name ?? 'object';
  return `${typeof v} ${String(v)}`;
}

/**
 * A value as JSON for an error message, at most `max` characters: never
 * throws (a bigint, a cycle or a throwing toJSON gives describe's form
 * instead), so the error being built is the one reported.
 */
export function preview(v: unknown, max = 200): string {
  let text: string | undefined;
  try {
    text = JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? `${x}n` : x));
  } catch {
    text = undefined;
  }
  if (text === undefined) text = describe(v);
  return text.length > max ? `${text.slice(0, max)}...` : text;
}

/**
 * True for an options argument that is neither absent nor an object: read
 * as `opts?.timeoutMs`, a bare `1000` (or `'fib'` for `{ export: 'fib' }`)
 * gives undefined and the default applies in silence. Cheap: hot calls
 * (`ctx.call`, `receive`) ask it on every call.
 */
export function notOptions(opts: unknown): boolean {
  return opts !== undefined && (typeof opts !== 'object' || opts === null);
}

/** The error for an options argument of `op` that {@link notOptions} refuses: what it takes, what it got. */
export function optionsError(op: string, opts: unknown, example = '{ timeoutMs: 1000 }'): InvalidOptionError {
  return new InvalidOptionError(`${op} takes an options object like ${example} (or none), got ${describe(opts)}`);
}

export function checkPid(pid: unknown, op: string): asserts pid is Pid<unknown> {
  if (!isPid(pid)) throw new InvalidArgumentError(`${op} needs a Pid, got ${describe(pid)}`);
}

export function checkCapacity(value: unknown, what: string): void {
  if (value !== Infinity && (typeof value !== 'number' || !Number.isInteger(value) || value < 1)) {
    throw new InvalidOptionError(`${what} must be a positive integer or Infinity, got ${describe(value)}`);
  }
}

/**
 * `opts.signal` of call, spawn and offload: undefined, or an AbortSignal.
 * Returns it; an aborted one throws its reason (the operation rejects with it
 * and nothing starts).
 */
export function checkSignal(signal: unknown, what: string): AbortSignal | undefined {
  if (signal === undefined) return undefined;
  if (!(signal instanceof AbortSignal)) throw new InvalidOptionError(`${what} options.signal must be an AbortSignal, got ${describe(signal)}`);
  signal.throwIfAborted();
  return signal;
}

export function isThenable(v: unknown): v is PromiseLike<unknown> {
  return v !== null && typeof v === 'object' && typeof (v as { then?: unknown }).then === 'function';
}
