// Behaviours: what an actor module exports. `defineActor` is the typed front door; other define* helpers build on it.

import { BEHAVIOUR } from './brand.js';
import type { ActorContext, Behaviour, MaybePromise } from './context.js';
import type { ExitReason } from './exit-reason.js';
import type { SystemMessage } from './messages.js';
import { InvalidOptionError } from '../errors.js';
import { MAX_DELAY } from '../timer/timer-heap.js';
import { checkCapacity, describe } from '../validate.js';

export { BEHAVIOUR };
export type { ArgsOf, Behaviour, MaybePromise, MsgOf } from './context.js';

/** Callbacks of a plain actor. */
export interface ActorSpec<Args, State, Msg> {
  /** The `type` label in metrics and traces (default: the export name). */
  name?: string;
  /** Trap exits from the start: linked exits arrive as `{ type: 'EXIT' }` messages. */
  trapExit?: boolean;
  /** Mailbox capacity for this behaviour (default: the system's). */
  mailboxCapacity?: number;
  /** How long `terminate` may run before the process is killed: 0 to 2^31-1 ms, or Infinity (default: the system's). */
  terminateTimeoutMs?: number;
  /** What introspection (`getState`, the observer) shows of the state (default: the state itself). Keep it cheap and side-effect free. */
  inspect?(state: State): unknown;
  /** Builds the initial state from the spawn arguments. A throw ends the actor with `panic`. */
  init?(args: Args, ctx: ActorContext<Msg>): MaybePromise<State>;
  /** Handles one message and returns the next state. A throw ends the actor with `panic`. */
  handle(msg: Msg | SystemMessage, state: State, ctx: ActorContext<Msg>): MaybePromise<State>;
  /** Runs once when the actor exits for any reason but `killed`. A throw turns the reason into `panic`. */
  terminate?(reason: ExitReason, state: State, ctx: ActorContext<Msg>): MaybePromise<void>;
}

/**
 * Defines an actor behaviour. Export it from a module and spawn it by URL:
 *
 * ```ts
 * // counter.actor.ts
 * export default defineActor({
 *   init: (start: number) => start,
 *   handle(msg: { kind: 'add'; n: number }, count) { return count + msg.n; },
 * });
 * // main.ts
 * const pid = await system.spawn(new URL('./counter.actor.js', import.meta.url), 5);
 * ```
 */
export function defineActor<Args = undefined, State = undefined, Msg = unknown>(
  spec: ActorSpec<Args, State, Msg>,
): Behaviour<Args, State, Msg> {
  if (typeof spec !== 'object' || spec === null) throw new InvalidOptionError(`defineActor needs an object with a handle(msg, state, ctx) function, got ${describe(spec)}`);
  if (typeof spec.handle !== 'function') throw new InvalidOptionError(`defineActor needs a handle(msg, state, ctx) function, got handle: ${describe(spec.handle)}`);
  return makeBehaviour('actor', spec);
}

/**
 * A terminate limit (a behaviour's, a spawn's): 0 to MAX_DELAY ms, or
 * Infinity. setTimeout takes NaN, a negative or a string as 1 ms, and more
 * than MAX_DELAY as 1 ms too: terminate would be cut off at once.
 */
export function checkTerminateLimit(limit: unknown, what: string): number {
  if (limit !== Infinity && (typeof limit !== 'number' || !(limit >= 0 && limit <= MAX_DELAY))) {
    throw new InvalidOptionError(`${what} must be a number of ms from 0 to ${MAX_DELAY}, or Infinity, got ${describe(limit)}`);
  }
  return limit;
}

/** Low-level constructor shared by every define* helper. */
export function makeBehaviour<Args, State, Msg>(
  kind: string,
  spec: ActorSpec<Args, State, Msg>,
): Behaviour<Args, State, Msg> {
  // Checked here, as the spawn option is: a capacity of 0 or null would refuse every message it is sent.
  if (spec.mailboxCapacity !== undefined) checkCapacity(spec.mailboxCapacity, `the ${kind} behaviour's mailboxCapacity`);
  // Not taken as false: `trapExit: 'true'` would turn trapping off without a word.
  if (spec.trapExit !== undefined && typeof spec.trapExit !== 'boolean') {
    throw new InvalidOptionError(`the ${kind} behaviour's trapExit must be true or false, got ${describe(spec.trapExit)}`);
  }
  if (spec.terminateTimeoutMs !== undefined) checkTerminateLimit(spec.terminateTimeoutMs, `the ${kind} behaviour's terminateTimeoutMs`);
  const init = spec.init ?? (() => undefined as State);
  const terminate = spec.terminate ?? noop;
  return Object.freeze({
    [BEHAVIOUR]: kind,
    name: spec.name,
    trapExit: spec.trapExit === true,
    mailboxCapacity: spec.mailboxCapacity,
    terminateTimeoutMs: spec.terminateTimeoutMs,
    inspect: spec.inspect?.bind(spec),
    init: init.bind(spec) as Behaviour<Args, State, Msg>['init'],
    handle: spec.handle.bind(spec),
    terminate: terminate.bind(spec) as Behaviour<Args, State, Msg>['terminate'],
  });
}

function noop(): void {}

/** True for anything a define* helper returned. */
export function isBehaviour(value: unknown): value is Behaviour {
  return typeof value === 'object' && value !== null && typeof (value as Record<symbol, unknown>)[BEHAVIOUR] === 'string';
}
