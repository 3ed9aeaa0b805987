// GenStatem: named states, typed events, entry hooks, state and event timeouts, postponing, and an optional transition table.

import { performance } from 'node:perf_hooks';
import { type Behaviour, type MaybePromise, makeBehaviour } from '../actor/behaviour.js';
import type { ActorContext, ServerProtocol, TimerRef } from '../actor/context.js';
import type { ExitReason, ExitReasonInput } from '../actor/exit-reason.js';
import { type From, isCallMessage, isCastMessage, isExitMessage } from '../actor/messages.js';
import { InvalidOptionError, InvalidTransitionError } from '../errors.js';
import { chain, isThenable } from './maybe.js';
import { type TransitionTable, defaultEventName, eventLabeller, tableOf } from './statem-table.js';
import { preview } from '../validate.js';

/** An event as the machine sees it: what it is, and how it came. */
export type StatemEvent<E> =
  | { readonly type: 'call'; readonly event: E; readonly from: From }
  | { readonly type: 'cast'; readonly event: E }
  | { readonly type: 'info'; readonly event: unknown }
  | { readonly type: 'state_timeout'; readonly event: unknown }
  | { readonly type: 'timeout'; readonly event: unknown };

/** Side effects of a transition, applied in order after the state changes. */
export type StatemAction =
  | { readonly $act: 'reply'; readonly from: From; readonly value: unknown }
  | { readonly $act: 'postpone' }
  | { readonly $act: 'state_timeout'; readonly ms: number; readonly event: unknown }
  | { readonly $act: 'timeout'; readonly ms: number; readonly event: unknown };

/**
 * An entry of an action list. A falsy one is skipped, so an action can be
 * given on a condition: `GenStatem.keep(data, ok && GenStatem.reply(from, 'ok'))`.
 */
export type StatemActionEntry = StatemAction | undefined | null | false;

/** What an event handler returns (build it with `GenStatem.keep/next/stop`). */
export interface Transition<S, D> {
  readonly $statem: 'keep' | 'next' | 'stop';
  readonly state?: S;
  readonly data: D;
  readonly reason?: ExitReasonInput;
  readonly actions: readonly StatemActionEntry[];
}

/** What a GenStatem reports about itself (`GenStatem.info`). */
export interface StatemInfo<S extends string = string> {
  state: S;
  invalidTransitions: number;
}

/** Context of a state machine's callbacks. */
export type StatemContext<E, R> = ActorContext<ServerProtocol<E, R, E>>;

/** Callbacks and declarations of a state machine. */
export interface GenStatemSpec<Args, S extends string, D, E, R> {
  /** The `type` label (default: the export's name; for a default export, the file's name without `.actor` and its extension: `stack.server.ts` is `stack.server`). */
  name?: string;
  trapExit?: boolean;
  mailboxCapacity?: number;
  /** How long `terminate` may run (default: the system's `terminateTimeoutMs`). */
  terminateTimeoutMs?: number;
  /** The initial state and data (and actions, e.g. a state timeout). */
  init(args: Args, ctx: StatemContext<E, R>): MaybePromise<{ state: S; data: D; actions?: StatemActionEntry[] }>;
  /** Handles one event in `state`. Optional with a `transitions` table: then the table drives the machine and calls are answered with the new state. */
  handleEvent?(ev: StatemEvent<E>, state: S, data: D, ctx: StatemContext<E, R>): MaybePromise<Transition<S, D>>;
  /**
   * Runs on entering a state (and the initial one, with `from` undefined). May return new data,
   * `GenStatem.keep(data, ...actions)`, or `GenStatem.stop(reason, data, ...actions)` (OTP's `{stop, Reason, Data}`);
   * not `GenStatem.next`: only an event changes the state.
   */
  enter?(from: S | undefined, state: S, data: D, ctx: StatemContext<E, R>): MaybePromise<D | Transition<S, D> | void>;
  /**
   * Allowed transitions: state -> event name -> next state. Calls and casts
   * whose event name is not listed for the current state are invalid: counted,
   * answered with `ERR_INVALID_TRANSITION` (calls), and the machine stays put.
   */
  transitions?: TransitionTable<S>;
  /** Names an event for the table and for metrics (default: a string event itself, else its `kind` or `type`). */
  eventName?(event: E): string;
  terminate?(reason: ExitReason, state: S, data: D, ctx: StatemContext<E, R>): MaybePromise<void>;
}

/** Result and action constructors for GenStatem handlers. */
export const GenStatem = {
  /** Stay in the current state with `data`. */
  keep<S, D>(data: D, ...actions: StatemActionEntry[]): Transition<S, D> {
    return { $statem: 'keep', data, actions };
  },
  /** Go to `state` with `data` (the same state: no entry hook, no postponed retry). */
  next<S, D>(state: S, data: D, ...actions: StatemActionEntry[]): Transition<S, D> {
    return { $statem: 'next', state, data, actions };
  },
  /** Stop with `reason` (actions such as replies are applied first). */
  stop<S, D>(reason: ExitReasonInput, data: D, ...actions: StatemActionEntry[]): Transition<S, D> {
    return { $statem: 'stop', reason, data, actions };
  },
  /** Answer the call `from` with `value`. */
  reply(from: From, value: unknown): StatemAction {
    return { $act: 'reply', from, value };
  },
  /** Keep this event and retry it after the next state change. */
  postpone(): StatemAction {
    return { $act: 'postpone' };
  },
  /** Deliver a `state_timeout` event after `ms` unless the state changes first (`Infinity`: none, and the running one is cancelled). */
  stateTimeout(ms: number, event: unknown = 'timeout'): StatemAction {
    return { $act: 'state_timeout', ms, event };
  },
  /** Deliver a `timeout` event after `ms` unless any event arrives first (`Infinity`: none, and the running one is cancelled). */
  eventTimeout(ms: number, event: unknown = 'timeout'): StatemAction {
    return { $act: 'timeout', ms, event };
  },
  /** Asks a running machine for its state and invalid-transition count. */
  info<S extends string = string>(endpoint: { call(to: any, req: any): Promise<any> }, pid: unknown): Promise<StatemInfo<S>> {
    return endpoint.call(pid, INFO_REQUEST) as Promise<StatemInfo<S>>;
  },
} as const;

const INFO_REQUEST = { $statem: 'info' } as const;

interface TimeoutMsg {
  $joerl: 'statem_timeout';
  kind: 'state' | 'event';
  gen: number;
  event: unknown;
}

/** The actor state behind a machine. */
interface Internal<S, D> {
  s: S;
  d: D;
  postponed: StatemEvent<unknown>[];
  stateTimer: TimerRef;
  stateGen: number;
  eventTimer: TimerRef;
  eventGen: number;
  /** Timeouts of 0 in the order they were set: handled before the next message, as OTP does (stale ones, by gen, skipped). */
  zero: TimeoutMsg[];
  invalid: number;
  /** When the current state was entered (performance.now() ms). */
  enteredAt: number;
  /** A handler returned stop: nothing more is handled (postponed events still queued for a retry included), as in OTP. */
  stopped: boolean;
  /** The initial state's enter hook is still to run: at the first turn, ahead of any message (see init). */
  entering: boolean;
}

/** The timer ref of a timeout of 0: it has no timer, it waits in the machine's own queue (`Internal.zero`). */
const ZERO_REF = -1 as TimerRef;
/**
 * Timeouts of 0 handled one after another with no message in between, at most: past that, the next one goes
 * through the thread's timer (after the messages already queued), so a machine that re-arms one forever
 * cannot hold its thread (in OTP it would only spin its own process).
 */
const ZERO_RUN_LIMIT = 1000;
/**
 * What a machine sends itself when its start left work (the initial enter
 * hook, timeouts of 0): it runs at its first turn, ahead of any message,
 * once the start is over (as OTP's runs after init has returned: its spawn
 * resolved, a supervisor's start acknowledged); this only makes sure a turn comes.
 */
const ZERO_KICK: object = Object.freeze({ $joerl: 'statem_zero' });
/** runActions' event for init's actions (where postpone is ignored, as OTP does). */
const INIT = Symbol('init');

/**
 * Defines a state machine behaviour:
 *
 * ```ts
 * export default defineGenStatem({
 *   init: () => ({ state: 'locked', data: { coins: 0 } }),
 *   transitions: { locked: { coin: 'unlocked' }, unlocked: { push: 'locked', coin: 'unlocked' } },
 *   handleEvent(ev, state, data) {
 *     if (ev.type === 'call' && ev.event === 'coin') return GenStatem.next('unlocked', { coins: data.coins + 1 }, GenStatem.reply(ev.from, 'ok'));
 *     ...
 *   },
 * });
 * ```
 */
export function defineGenStatem<Args = undefined, S extends string = string, D = undefined, E = unknown, R = unknown>(
  spec: GenStatemSpec<Args, S, D, E, R>,
): Behaviour<Args, Internal<S, D>, ServerProtocol<E, R, E>> {
  if (typeof spec !== 'object' || spec === null || typeof spec.init !== 'function') {
    throw new InvalidOptionError('defineGenStatem needs an object with init(args, ctx) returning { state, data }');
  }
  if (spec.handleEvent === undefined && spec.transitions === undefined) {
    throw new InvalidOptionError('defineGenStatem needs handleEvent, a transitions table, or both');
  }
  for (const key of ['handleEvent', 'enter', 'eventName', 'terminate'] as const) {
    if (spec[key] !== undefined && typeof spec[key] !== 'function') throw new InvalidOptionError(`defineGenStatem's ${key} must be a function, got ${preview(spec[key])}`);
  }
  type Ctx = StatemContext<E, R>;
  type I = Internal<S, D>;
  const table = spec.transitions === undefined ? undefined : tableOf<S>(spec.transitions);
  const nameOf = spec.eventName ?? (defaultEventName as (e: E) => string);
  const labelOf = eventLabeller(table);

  const setTimer = (st: I, kind: 'state' | 'event', ms: number, event: unknown, ctx: Ctx): void => {
    // OTP's infinity: no timer, and the one running is cancelled.
    if (ms === Infinity) return cancelTimer(st, kind, ctx);
    const gen = kind === 'state' ? ++st.stateGen : ++st.eventGen;
    const old = kind === 'state' ? st.stateTimer : st.eventTimer;
    if (old > 0) ctx.cancelTimer(old);
    const msg: TimeoutMsg = { $joerl: 'statem_timeout', kind, gen, event };
    let ref = ZERO_REF;
    // OTP: a timeout of 0 is no timer but the next event, ahead of the mailbox (runZero); any other is internal
    // to the machine, as OTP's timeouts are: queued even into a full mailbox.
    if (ms === 0) st.zero.push(msg);
    else ref = ctx.timeoutAfter(msg, ms);
    if (kind === 'state') st.stateTimer = ref;
    else st.eventTimer = ref;
  };
  const cancelTimer = (st: I, kind: 'state' | 'event', ctx: Ctx): void => {
    if (kind === 'state') {
      st.stateGen++;
      if (st.stateTimer > 0) ctx.cancelTimer(st.stateTimer);
      st.stateTimer = 0;
    } else {
      st.eventGen++;
      if (st.eventTimer > 0) ctx.cancelTimer(st.eventTimer);
      st.eventTimer = 0;
    }
  };

  const invalid = (st: I, ev: StatemEvent<E>, event: string, ctx: Ctx, detail?: string): I => {
    st.invalid++;
    ctx.probe.statemInvalid(st.s, labelOf(event));
    if (ev.type === 'call') ctx.replyError(ev.from, new InvalidTransitionError(st.s, event, detail));
    return st;
  };

  /** `ev`: the event being handled; null in an enter hook, INIT among init's actions. */
  const runActions = (st: I, actions: readonly StatemActionEntry[], ev: StatemEvent<E> | null | typeof INIT, ctx: Ctx): void => {
    for (const a of actions) {
      if (!a) continue; // an action given on a condition that did not hold
      switch (a.$act) {
        case 'reply':
          ctx.reply(a.from, a.value);
          break;
        case 'postpone':
          // Ignored among init's actions, as OTP's; an enter hook has no event to postpone (OTP crashes the machine too).
          if (ev === INIT) break;
          if (ev === null) throw new TypeError('postpone() is only valid in an event handler');
          st.postponed.push(ev as StatemEvent<unknown>);
          break;
        case 'state_timeout':
          setTimer(st, 'state', a.ms, a.event, ctx);
          break;
        case 'timeout':
          setTimer(st, 'event', a.ms, a.event, ctx);
          break;
        default:
          throw new TypeError(`unknown GenStatem action ${preview(a)}`);
      }
    }
  };

  /** State `st.s` was entered from `from`: its clock, and its enter hook. */
  const enter = (st: I, from: S, ctx: Ctx): MaybePromise<I> => {
    st.enteredAt = performance.now();
    return runEnter(st, from, ctx);
  };

  /** The enter hook of state `st.s`, entered from `from` (undefined: the initial state). */
  const runEnter = (st: I, from: S | undefined, ctx: Ctx): MaybePromise<I> => {
    if (spec.enter === undefined) return st;
    return chain(spec.enter(from, st.s, st.d, ctx), (r) => {
      if (isTransition(r)) {
        if (r.$statem === 'next') {
          throw new InvalidTransitionError(st.s, 'enter', `its enter hook returned GenStatem.next("${String(r.state)}", ...): an enter hook may return new data, GenStatem.keep(data, ...actions) or GenStatem.stop(reason, data, ...actions); change state from handleEvent`, 'the machine crashes');
        }
        st.d = r.data as D;
        runActions(st, r.actions, null, ctx);
        if (r.$statem === 'stop') stop(st, r.reason, ctx);
      } else if (r !== undefined) {
        st.d = r as D;
      }
      return st;
    });
  };

  const apply = (st: I, t: Transition<S, D>, ev: StatemEvent<E>, target: S | undefined, event: string, ctx: Ctx): MaybePromise<I> => {
    if (!isTransition(t)) throw new TypeError(`handleEvent must return GenStatem.keep/next/stop(...), got ${preview(t)}`);
    if (target !== undefined && t.$statem !== 'stop') {
      const to = t.$statem === 'next' ? t.state! : st.s;
      // Postponed in its state, the event is not taken yet: the table judges it when it is retried.
      const postponed = to === st.s && t.actions.some((a) => a && a.$act === 'postpone');
      if (to !== target && !postponed) return invalid(st, ev, event, ctx, `the handler chose "${to}", the table says "${target}"`);
    }
    const from = st.s;
    const changed = t.$statem === 'next' && t.state !== st.s;
    st.d = t.data;
    if (changed) {
      cancelTimer(st, 'state', ctx); // a state change cancels the state timeout
      ctx.probe.statemTransition(from, t.state!, performance.now() - st.enteredAt);
      st.s = t.state!;
    }
    runActions(st, t.actions, ev, ctx);
    if (t.$statem === 'stop') return stop(st, t.reason, ctx);
    if (!changed) return st;
    return chain(enter(st, from, ctx), (s2) => retryPostponed(s2, ctx));
  };

  const stop = (st: I, reason: ExitReasonInput | undefined, ctx: Ctx): I => {
    st.stopped = true;
    ctx.stop(reason ?? 'normal');
    return st;
  };

  const retryPostponed = (st: I, ctx: Ctx): MaybePromise<I> => {
    if (st.postponed.length === 0) return st;
    const queue = st.postponed;
    st.postponed = [];
    let acc: MaybePromise<I> = st;
    for (const ev of queue) acc = chain(acc, (s) => process(s, ev as StatemEvent<E>, ctx));
    return acc;
  };

  const process = (st: I, ev: StatemEvent<E>, ctx: Ctx): MaybePromise<I> => {
    if (st.stopped) return st;
    // Any event cancels a pending event timeout (the timeout event itself included).
    if (st.eventTimer !== 0 || ev.type === 'timeout') cancelTimer(st, 'event', ctx);
    let target: S | undefined;
    let event = '';
    if (ev.type === 'call' || ev.type === 'cast') {
      event = nameOf(ev.event);
      if (table !== undefined) {
        target = table.get(st.s)?.get(event);
        if (target === undefined) return invalid(st, ev, event, ctx);
      }
    }
    if (spec.handleEvent === undefined) {
      if (target === undefined) return st; // info and timeouts without a handler: ignored
      const actions = ev.type === 'call' ? [GenStatem.reply(ev.from, target)] : [];
      return apply(st, GenStatem.next(target, st.d, ...actions), ev, target, event, ctx);
    }
    return chain(spec.handleEvent(ev, st.s, st.d, ctx), (t) => apply(st, t, ev, target, event, ctx));
  };

  /**
   * Handles the timeouts of 0 the last event set, in order, before the next message (OTP since 22): right after
   * the transition, its entry hook and the postponed events it retried. Each may set more. A stale one (its
   * kind set again or cancelled since: an event cancels an event timeout, a state change a state timeout) is skipped.
   */
  const runZero = (st: I, ctx: Ctx, run = 0): MaybePromise<I> => {
    while (st.zero.length > 0 && !st.stopped) {
      const t = st.zero.shift()!;
      if (t.gen !== (t.kind === 'state' ? st.stateGen : st.eventGen)) continue;
      if (run === ZERO_RUN_LIMIT) {
        // Through the thread's timer, behind the messages already queued (see ZERO_RUN_LIMIT).
        const ref = ctx.timeoutAfter(t, 0);
        if (t.kind === 'state') st.stateTimer = ref;
        else st.eventTimer = ref;
        continue;
      }
      run++;
      if (t.kind === 'state') st.stateTimer = 0;
      else st.eventTimer = 0;
      const r = process(st, { type: t.kind === 'state' ? 'state_timeout' : 'timeout', event: t.event }, ctx);
      if (isThenable(r)) return r.then((s) => runZero(s, ctx, run));
    }
    st.zero.length = 0;
    return st;
  };
  /** Handles one event from the mailbox (or the start), then the timeouts of 0 it set. */
  const settle = (r: MaybePromise<I>, ctx: Ctx): MaybePromise<I> => {
    if (isThenable(r)) return r.then((s) => (s.zero.length === 0 ? s : runZero(s, ctx)));
    return r.zero.length === 0 ? r : runZero(r, ctx);
  };

  // Introspection shows the machine's state name and its data, not the runtime's bookkeeping.
  const base: { name?: string; trapExit?: boolean; mailboxCapacity?: number; terminateTimeoutMs?: number; inspect: (st: I) => unknown } = { inspect: (st) => ({ state: st.s, data: st.d }) };
  if (spec.name !== undefined) base.name = spec.name;
  if (spec.trapExit !== undefined) base.trapExit = spec.trapExit;
  if (spec.mailboxCapacity !== undefined) base.mailboxCapacity = spec.mailboxCapacity;
  if (spec.terminateTimeoutMs !== undefined) base.terminateTimeoutMs = spec.terminateTimeoutMs;
  return makeBehaviour<Args, I, ServerProtocol<E, R, E>>('gen_statem', {
    ...base,
    init(args, ctx) {
      return chain(spec.init(args, ctx as Ctx), (r) => {
        if (typeof r !== 'object' || r === null || typeof r.state !== 'string') {
          throw new TypeError(`GenStatem init must return { state, data }, got ${preview(r)}`);
        }
        const st: I = { s: r.state, d: r.data, postponed: [], stateTimer: 0, stateGen: 0, eventTimer: 0, eventGen: 0, zero: [], invalid: 0, enteredAt: performance.now(), stopped: false, entering: spec.enter !== undefined };
        ctx.probe.statemEntered(st.s);
        if (r.actions !== undefined) runActions(st, r.actions, INIT, ctx as Ctx);
        // The initial enter hook and the timeouts of 0 run once the start is over, as OTP's run after init has
        // returned: at the first turn, ahead of any message (see ZERO_KICK). The hook may call its spawner then,
        // and a throw there is a crash of a running machine (its supervisor restarts it), not a failed start.
        if (st.entering || st.zero.length > 0) ctx.timeoutAfter(ZERO_KICK, 0);
        return st;
      });
    },
    handle(msg, st, ctx) {
      const c = ctx as Ctx;
      // What the start left (see ZERO_KICK), first; then the message, unless it was the kick.
      if (st.entering) {
        st.entering = false;
        return chain(settle(runEnter(st, undefined, c), c), (s) => (msg === ZERO_KICK || s.stopped ? s : handleMessage(msg, s, c)));
      }
      if (st.zero.length > 0) return chain(runZero(st, c), (s) => (msg === ZERO_KICK ? s : handleMessage(msg, s, c)));
      return msg === ZERO_KICK ? st : handleMessage(msg, st, c);
    },
    terminate(reason, st, ctx) {
      if (st === undefined || spec.terminate === undefined) return;
      const r = spec.terminate(reason, st.s, st.d, ctx as Ctx);
      return isThenable(r) ? r : undefined;
    },
  });

  function handleMessage(msg: unknown, st: I, c: Ctx): MaybePromise<I> {
    if (isCallMessage(msg)) {
      if ((msg.req as typeof INFO_REQUEST | null)?.$statem === 'info') {
        c.reply(msg.from, { state: st.s, invalidTransitions: st.invalid } satisfies StatemInfo);
        return st;
      }
      return settle(process(st, { type: 'call', event: msg.req as E, from: msg.from }, c), c);
    }
    if (isCastMessage(msg)) return settle(process(st, { type: 'cast', event: msg.msg as E }, c), c);
    if (isExitMessage(msg) && c.parent !== undefined && msg.from.equals(c.parent)) {
      c.stop(msg.reason); // OTP: a trapping machine whose parent exits stops with the same reason
      return st;
    }
    const t = msg as unknown as TimeoutMsg;
    if (typeof t === 'object' && t !== null && t.$joerl === 'statem_timeout') {
      if (t.kind === 'state' ? t.gen !== st.stateGen : t.gen !== st.eventGen) return st; // cancelled
      if (t.kind === 'state') st.stateTimer = 0;
      else st.eventTimer = 0;
      return settle(process(st, { type: t.kind === 'state' ? 'state_timeout' : 'timeout', event: t.event }, c), c);
    }
    return settle(process(st, { type: 'info', event: msg }, c), c);
  }
}

function isTransition(v: unknown): v is Transition<unknown, unknown> {
  return typeof v === 'object' && v !== null && typeof (v as { $statem?: unknown }).$statem === 'string';
}
