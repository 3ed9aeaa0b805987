// GenServer: typed calls (with timeouts and deferred replies), casts and info messages over a plain actor.

import { type Behaviour, type MaybePromise, makeBehaviour } from '../actor/behaviour.js';
import type { ActorContext, ServerProtocol } from '../actor/context.js';
import { type ExitReason, type ExitReasonInput } from '../actor/exit-reason.js';
import { type From, isCallMessage, isCastMessage, isExitMessage } from '../actor/messages.js';
import { chain, isThenable } from './maybe.js';
import { InvalidOptionError } from '../errors.js';
import { describe, preview } from '../validate.js';

/** Answer the call now and continue with `state`. */
export interface ReplyResult<R, S> {
  readonly $gen: 'reply';
  readonly reply: R;
  readonly state: S;
}

/** Answer later (keep `from`, call `ctx.reply(from, value)` from a later message) and continue with `state`. */
export interface NoReplyResult<S> {
  readonly $gen: 'noreply';
  readonly state: S;
}

/** Stop the server with `reason` (answering first, if `reply` is given). */
export interface StopResult<R, S> {
  readonly $gen: 'stop';
  readonly reason: ExitReasonInput;
  readonly state: S;
  readonly reply?: R;
  readonly hasReply: boolean;
}

/** What `handleCall` returns. */
export type CallResult<R, S> = ReplyResult<R, S> | NoReplyResult<S> | StopResult<R, S>;

/**
 * A context typed with a server's protocol, for code that wants `ctx.self` as
 * a typed server pid: `ctx as ServerContext<Req, Rep, Cast>`.
 */
export type ServerContext<Req = unknown, Rep = unknown, Cast = unknown> = ActorContext<ServerProtocol<Req, Rep, Cast>>;

/**
 * Callbacks of a GenServer.
 *
 * `from` and `ctx` deliberately do not mention `Req`, `Rep` or `Cast`: a
 * parameter left for TypeScript to type from context fixes every type
 * parameter its type mentions, before the handler's return value can be seen.
 * `(req: 'get', _from, n) => GenServer.reply(n, n)` would fix `Rep` at its
 * default before the reply says `number`. So the reply type is inferred from
 * what `handleCall` returns, the call type from `req`'s annotation and the cast
 * type from `msg`'s, in any order of the handlers; only `State` comes from
 * `init`, which should come first.
 */
export interface GenServerSpec<Args, State, Req, Rep, Cast> {
  /** The `type` label (default: the export's name; for a default export, the file's name without `.actor` and its extension: `stack.server.ts` is `stack.server`). */
  name?: string;
  trapExit?: boolean;
  mailboxCapacity?: number;
  /** How long `terminate` may run: 0 to 2^31-1 ms, or Infinity (default: the system's `terminateTimeoutMs`). */
  terminateTimeoutMs?: number;
  /** What introspection (`getState`, the observer) shows of the state (default: the state itself). */
  inspect?(state: State): unknown;
  init?(args: Args, ctx: ActorContext): MaybePromise<State>;
  /**
   * Answers a call: `GenServer.reply(value, state)`, `GenServer.noreply(state)`
   * (answer later: keep `from`, then `ctx.reply(from, value)`) or
   * `GenServer.stop(reason, state, reply?)`.
   */
  handleCall?(req: Req, from: From, state: State, ctx: ActorContext): MaybePromise<CallResult<Rep, State>>;
  /** Handles a cast: returns the next state (or `GenServer.noreply(state)`, the same; or `GenServer.stop(reason, state)`). */
  handleCast?(msg: Cast, state: State, ctx: ActorContext): MaybePromise<State | NoReplyResult<State> | StopResult<never, State>>;
  /** Handles anything else (EXIT, DOWN, timers, plain sends): next state (or `GenServer.noreply(state)`), or a stop. Default: ignore. */
  handleInfo?(msg: unknown, state: State, ctx: ActorContext): MaybePromise<State | NoReplyResult<State> | StopResult<never, State>>;
  terminate?(reason: ExitReason, state: State, ctx: ActorContext): MaybePromise<void>;
}

/** Result constructors for GenServer callbacks. */
export const GenServer = {
  /** Answer `value` now; continue with `state`. */
  reply<R, S>(value: R, state: S): ReplyResult<R, S> {
    return { $gen: 'reply', reply: value, state };
  },
  /** Do not answer yet (a deferred reply); continue with `state`. */
  noreply<S>(state: S): NoReplyResult<S> {
    return { $gen: 'noreply', state };
  },
  /** Stop with `reason`; answer the call first when `reply` is given. */
  stop<S, R = never>(reason: ExitReasonInput, state: S, ...reply: [] | [R]): StopResult<R, S> {
    return reply.length > 0
      ? { $gen: 'stop', reason, state, reply: reply[0] as R, hasReply: true }
      : { $gen: 'stop', reason, state, hasReply: false };
  },
} as const;

function isStop(v: unknown): v is StopResult<unknown, unknown> {
  return typeof v === 'object' && v !== null && (v as { $gen?: unknown }).$gen === 'stop';
}

/**
 * Defines a GenServer behaviour (spawn it by URL like any actor). The types
 * come from the handlers: arguments and state from `init`, calls from `req`'s
 * annotation, replies from what `handleCall` returns, casts from `msg`'s
 * annotation.
 *
 * ```ts
 * // counter.server.ts
 * export default defineGenServer({
 *   init: (start: number) => start,
 *   handleCall: (_req: 'get', _from, n) => GenServer.reply(n, n),
 *   handleCast: (msg: { add: number }, n) => n + msg.add,
 * });
 * // main.ts
 * const pid = await system.spawn<typeof Counter>(new URL('./counter.server.js', import.meta.url), 1);
 * const n = await system.call(pid, 'get');   // number
 * ```
 *
 * A server whose calls answer different types (or only answer later, with
 * `ctx.reply`) names its types instead:
 * `defineGenServer<Args, State, Req, Rep, Cast>({ ... })`. `Rep` defaults to
 * `unknown` when nothing says what the calls answer; `Req` and `Cast` default
 * to `never` (no `handleCall`: nothing can call it).
 */
export function defineGenServer<Args = undefined, State = undefined, Req = never, Rep = unknown, Cast = never>(
  spec: GenServerSpec<Args, State, Req, Rep, Cast>,
): Behaviour<Args, State, ServerProtocol<Req, Rep, Cast>> {
  if (typeof spec !== 'object' || spec === null) throw new InvalidOptionError(`defineGenServer needs an object of callbacks (init, handleCall, handleCast...), got ${describe(spec)}`);
  type Ctx = ServerContext<Req, Rep, Cast>;

  /** What a handleCall that returned GenServer.stop(reason, state, reply) owes its caller, by the stopping server's context. */
  const stopReplies = new WeakMap<object, { from: From<Rep>; reply: unknown }>();
  /**
   * terminate, then the reply a stop owes (if any): the caller sees the
   * server's cleanup done, as OTP sends it after terminate/2 (in an `after`:
   * a terminate that throws does not keep it from the caller either).
   */
  const terminate = (reason: ExitReason, state: State, ctx: ActorContext): MaybePromise<void> => {
    const owed = stopReplies.get(ctx);
    if (owed === undefined) return spec.terminate?.(reason, state, ctx);
    stopReplies.delete(ctx);
    const answer = (): void => (ctx as unknown as Ctx).reply(owed.from, owed.reply as Rep);
    let r: MaybePromise<void>;
    try {
      r = spec.terminate?.(reason, state, ctx);
    } catch (err) {
      answer();
      throw err;
    }
    if (!isThenable(r)) return answer();
    return r.then(answer, (err: unknown) => {
      answer();
      throw err;
    });
  };
  const afterCall = (r: CallResult<Rep, State>, from: From<Rep>, ctx: Ctx): State => {
    switch (r?.$gen) {
      case 'reply':
        ctx.reply(from, r.reply);
        return r.state;
      case 'noreply':
        return r.state;
      case 'stop':
        // Answered once terminate has run (see terminate below), as OTP's {stop, Reason, Reply, State} is.
        if (r.hasReply) stopReplies.set(ctx, { from, reply: r.reply });
        ctx.stop(r.reason);
        return r.state;
      default:
        throw new TypeError(`handleCall must return GenServer.reply(value, state), GenServer.noreply(state) or GenServer.stop(reason, state), got ${preview(r)}`);
    }
  };
  const afterOther = (r: State | NoReplyResult<State> | StopResult<never, State>, ctx: Ctx, what: string): State => {
    if (isStop(r)) {
      ctx.stop(r.reason);
      return r.state as State;
    }
    // Erlang's {noreply, State} habit: GenServer.noreply(state) is taken as the state it wraps (kept as the
    // state itself, the wrapper came back as the state of every later callback). A reply has nobody to go to.
    const gen = (r as { $gen?: unknown } | null)?.$gen;
    if (gen === 'noreply') return (r as unknown as { state: State }).state;
    if (gen === 'reply') throw new TypeError(`${what} must return the next state, GenServer.noreply(state) or GenServer.stop(reason, state), got GenServer.reply(...): only handleCall has a caller to answer`);
    return r as State;
  };

  const base: { name?: string; trapExit?: boolean; mailboxCapacity?: number; terminateTimeoutMs?: number; inspect?: (state: State) => unknown } = {};
  if (spec.terminateTimeoutMs !== undefined) base.terminateTimeoutMs = spec.terminateTimeoutMs;
  if (spec.inspect !== undefined) base.inspect = (state) => spec.inspect!(state);
  if (spec.name !== undefined) base.name = spec.name;
  if (spec.trapExit !== undefined) base.trapExit = spec.trapExit;
  if (spec.mailboxCapacity !== undefined) base.mailboxCapacity = spec.mailboxCapacity;
  return makeBehaviour<Args, State, ServerProtocol<Req, Rep, Cast>>('gen_server', {
    ...base,
    init: (args, ctx) => (spec.init ? spec.init(args, ctx) : (undefined as State)),
    handle(msg, state, ctx) {
      if (isCallMessage(msg)) {
        if (spec.handleCall === undefined) throw new TypeError(`${spec.name ?? 'this GenServer'} has no handleCall, but was called with ${preview(msg.req)}`);
        const from = msg.from as From<Rep>;
        const r = spec.handleCall(msg.req as Req, from, state, ctx);
        // Not through chain(): a closure per call only for the async handler that needs one.
        return isThenable(r) ? r.then((x) => afterCall(x, from, ctx)) : afterCall(r, from, ctx);
      }
      if (isCastMessage(msg)) {
        if (spec.handleCast === undefined) return state;
        return chain(spec.handleCast(msg.msg as Cast, state, ctx), (r) => afterOther(r, ctx, 'handleCast'));
      }
      // OTP: a trapping server whose parent exits stops with the same reason.
      if (isExitMessage(msg) && ctx.parent !== undefined && msg.from.equals(ctx.parent)) {
        ctx.stop(msg.reason);
        return state;
      }
      if (spec.handleInfo === undefined) return state;
      return chain(spec.handleInfo(msg, state, ctx), (r) => afterOther(r, ctx, 'handleInfo'));
    },
    terminate,
  });
}
