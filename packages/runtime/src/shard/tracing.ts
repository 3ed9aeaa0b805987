// Built-in spans of one thread: spawn, lifecycle, send, receive and handle, calls; context carried in envelopes.

import {
  type Context,
  ROOT_CONTEXT,
  type Span,
  type SpanContext,
  SpanKind,
  SpanStatusCode,
  TraceFlags,
  context,
  isSpanContextValid,
  propagation,
  trace,
} from '@opentelemetry/api';
import {
  AsyncLocalContextManager,
  BUILTIN_HANDLE,
  BUILTIN_RECEIVE,
  BUILTIN_SEND,
  BuiltinSpan,
  LazyHandleSpan,
  RecordingTracer,
  RecordingTracerProvider,
  type SpanSink,
  type SpanWords,
  W3CTraceparentPropagator,
  asWords,
  builtinWire,
  childSpanHi,
  childSpanLo,
  formatTraceparent,
  newTraceWords,
  newWordContext,
  renewChild,
  renewRoot,
  nowMs,
  parseTraceparent,
  spanHex,
  traceHex,
} from '@joerl/telemetry/internal';
import type { Pid } from '../actor/pid.js';
import { type Handles, type Inits, TracedRunner } from './traced-run.js';

/** Tracing settings every thread runs with. */
export interface TracingConfig {
  /** Fraction of new traces kept, 0..1 (children follow their parent). */
  sampleRate: number;
  /** How a receive relates to the send it came from: as its child (one trace), or as a new trace linking to it. */
  propagation: 'parent' | 'link';
}

const SCOPE = 'joerl';

/** `decide`: trace, as a new root. */
const ROOT = 1;
/** The longest countdown kept in `skip` at once (a Smi); a longer gap goes on in `skipMore`. */
const SKIP_CHUNK = 0x3fff_ffff;
/** `decide`: do not trace. */
const NOT_TRACED = 0;

export class ThreadTracing {
  readonly tracer: RecordingTracer;
  private readonly config: TracingConfig;
  /** On a shard, the context manager we installed: asked directly, past the API's global lookup. */
  private readonly cm: AsyncLocalContextManager | null = null;
  /** Where built-in spans that need no Span object go (the tracer's sink). */
  private readonly sink: SpanSink;
  /** A turn is running (synchronously, from the shard's root context): see decide. Its clock stamps sends (see beginHandle). */
  private readonly turn: { readonly inTurn: boolean; readonly clock: number; setClock(ms: number): void } | null;
  /** The queue-wait stamp of the send being made (NaN: none): a traced send's time (see sendTime). */
  private readonly sends: { readonly stamp: number } | null;
  /** xorshift32 state for the sampling draws (Math.random costs more than the rest of an untraced send). */
  private rnd = (Math.random() * 0xffffffff) | 1;
  /**
   * New roots still to refuse before the next one is kept (see decide): a
   * countdown drawn once per kept root, not a draw per root. Always a small
   * integer (a gap past SKIP_CHUNK waits in `skipMore`), so the count down
   * on every untraced send is an integer decrement in place.
   */
  private skip = 0;
  /** What is left of a gap longer than SKIP_CHUNK once `skip` runs out (Infinity at rate 0). */
  private skipMore = 0;
  /** When endHandleChained ended the last handle span (abs ms). */
  private lastEnd = 0;
  /** The context onSend returns, reused send after send (see renewRoot). */
  private readonly sendCtx = newWordContext(null);
  /** The handle span of the traced handler running now, or of the last one (reused: see beginHandle). */
  private handle: LazyHandleSpan;
  /** The last handle descriptor made, and for which process (see handleDescriptor). */
  private lastDescriptor: unknown[] | null = null;
  private lastDescribed: Pid | null = null;
  /** Runs traced handlers and inits in their spans' contexts. */
  private readonly runner: TracedRunner;

  /** On a shard, `installGlobals` makes our provider, context manager and W3C propagator the thread's
   * @opentelemetry/api globals (actor code uses the plain API); the main thread keeps what the user registered. */
  constructor(
    config: TracingConfig,
    sink: SpanSink,
    installGlobals: boolean,
    turn: { readonly inTurn: boolean; readonly clock: number; setClock(ms: number): void } | null = null,
    sends: { readonly stamp: number } | null = null,
  ) {
    this.config = config;
    this.sink = sink;
    this.turn = turn;
    this.sends = sends;
    this.tracer = new RecordingTracer(sink, config.sampleRate, SCOPE);
    this.handle = new LazyHandleSpan(sink);
    this.setGap();
    if (installGlobals) {
      trace.setGlobalTracerProvider(new RecordingTracerProvider(sink, config.sampleRate));
      this.cm = new AsyncLocalContextManager().enable();
      context.setGlobalContextManager(this.cm);
      propagation.setGlobalPropagator(new W3CTraceparentPropagator());
    }
    this.runner = new TracedRunner(this.cm);
  }

  /** The span context active right now, if it is sampled. */
  activeSampled(): SpanContext | undefined {
    const sc = trace.getSpanContext(context.active());
    return sc !== undefined && isSpanContextValid(sc) && (sc.traceFlags & TraceFlags.SAMPLED) !== 0 ? sc : undefined;
  }

  /**
   * Whether a new span is recorded, and under what: a call's request, its call span (onCall); else the active
   * span's context if that is sampled (ROOT when there is none and a new trace is kept at the sample rate),
   * NOT_TRACED otherwise. One decision per root, taken before any id or attribute is made: the common case at
   * low rates costs a context lookup and a draw, and allocates nothing. A parent comes back as words.
   */
  private decide(): SpanWords | typeof ROOT | typeof NOT_TRACED {
    const call = this.callParent;
    if (call !== null) {
      this.callParent = null;
      return call instanceof BuiltinSpan ? call : asWords(call.spanContext());
    }
    // In a traced handler whose span nobody has asked for: that span, without making it (see LazyHandleSpan).
    const cm = this.cm;
    if (cm !== null && cm.depth !== 0) {
      const lazy = cm.pending();
      if (lazy instanceof LazyHandleSpan) return lazy;
    }
    const active = this.activeNow();
    // Outside any traced handler the active context is the root one: no lookup in it.
    const span = active === ROOT_CONTEXT ? undefined : trace.getSpan(active);
    if (span instanceof BuiltinSpan) return span;
    const parent = span?.spanContext();
    if (parent !== undefined && isSpanContextValid(parent)) return (parent.traceFlags & TraceFlags.SAMPLED) === 0 ? NOT_TRACED : asWords(parent);
    if (this.skip > 0) {
      this.skip--;
      return NOT_TRACED;
    }
    if (this.skipMore > 0) {
      // The next chunk of a long gap: this root is its first refusal.
      const c = Math.min(this.skipMore, SKIP_CHUNK);
      this.skipMore -= c;
      this.skip = (c - 1) | 0;
      return NOT_TRACED;
    }
    this.setGap();
    return ROOT;
  }

  /** Draws the next gap into `skip` (at most SKIP_CHUNK of it) and `skipMore` (the rest). */
  private setGap(): void {
    const g = this.gap();
    if (g > SKIP_CHUNK) {
      this.skip = SKIP_CHUNK;
      this.skipMore = g - SKIP_CHUNK;
    } else {
      this.skip = g | 0;
      this.skipMore = 0;
    }
  }

  /**
   * How many new roots to refuse before keeping one: geometric, P(gap >= k) = (1 - rate)^k, the gaps between
   * successes of independent draws that each keep a root with probability `rate`. So each root is still kept
   * with probability `rate`, independently, as with a draw per root, but an untraced send only counts down
   * (the draw per send was 1.6% of the sending shard's time at 1%). 0 at rate 1, Infinity at rate 0.
   */
  private gap(): number {
    const rate = this.config.sampleRate;
    if (rate >= 1) return 0;
    if (rate <= 0) return Infinity;
    // 1 - draw() is in (0, 1): its log is finite and negative.
    return Math.floor(Math.log(1 - this.draw()) / Math.log1p(-rate));
  }


  /**
   * The active context. In a shard's turn, with no context entered since (a
   * traced handler, startActiveSpan), it is the root one: the turn runs
   * synchronously from the scheduler's loop, which has none. That costs two
   * field reads, where asking the AsyncLocalStorage was most of an untraced
   * send. (An async handler's continuations run outside turns: they ask.)
   */
  private activeNow(): Context {
    const cm = this.cm;
    if (cm === null) return context.active();
    return cm.depth === 0 && this.turn !== null && this.turn.inTurn ? ROOT_CONTEXT : cm.active();
  }

  /** A uniform draw in (0, 1) (xorshift32, never 0: sampling, not security). */
  private draw(): number {
    let x = this.rnd;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.rnd = x;
    return (x >>> 0) / 0x1_0000_0000;
  }

  /** A send span is with the sink (see sendTraced). */
  private sinking = false;
  /** onCall refused its call a trace: the request it sends next is refused too, not sampled on its own. */
  private callRefused = false;
  /** onCall's span: the request it sends next is its child, with or without a context manager that made it active. */
  private callParent: Span | null = null;
  /** The start of the last send span (abs ms): the message's stamp must not be earlier (its receive starts there). */
  sentAt = NaN;

  /**
   * A message is sent: a PRODUCER span, ended at once. Returns the context the envelope carries (undefined: nothing),
   * the thread's one send context, valid until the next send: copy its words, or keep `kept()`.
   */
  onSend(from: Pid | undefined, to: Pid): ReturnType<typeof newWordContext> | undefined {
    // A call refused a trace (onCall): its request is that call's send, not a new decision.
    if (this.callRefused) {
      this.callRefused = false;
      return undefined;
    }
    // The common case, small enough to inline into the send: in a turn, no context entered
    // (the active one is the root, see activeNow), new traces still to refuse. As decide, counted down.
    const cm = this.cm;
    if (this.skip > 0 && cm !== null && cm.depth === 0 && this.turn !== null && this.turn.inTurn) {
      this.skip--;
      return undefined;
    }
    return this.sendTraced(from, to);
  }

  /** onSend past its common case: decide, and a span when traced. */
  private sendTraced(from: Pid | undefined, to: Pid): ReturnType<typeof newWordContext> | undefined {
    const d = this.decide();
    if (d === NOT_TRACED) return undefined;
    // Never seen by user code and ended at once: no Span object, a row straight away; ids as words (no hex).
    const parent = d === ROOT ? null : d;
    // A new trace: its ids derived from its number under the thread's root key, which its envelope carries alone (see rootKey).
    // One context a thread, reused: the caller copies its words at once (a local mailbox keeps `kept()`); a send from
    // the sink (the main thread's runs processors, user code, at once) gets its own, as the caller's is not copied yet.
    const base = this.sinking ? newWordContext(null) : this.sendCtx;
    const sc = parent === null ? renewRoot(base) : renewChild(base, parent);
    const t = this.sendTime(d);
    const was = this.sinking;
    this.sinking = true;
    try {
      this.sink.endedBuiltin(BUILTIN_SEND, sc.s0, sc.s1, sc, parent === null ? 0 : parent.s0, parent === null ? 0 : parent.s1, parent !== null && parent.isRemote, t, t, to.node, to.shard, to.serial, null, from === undefined ? 0 : from.node, from === undefined ? -1 : from.shard, from === undefined ? 0 : from.serial);
    } finally {
      this.sinking = was;
      this.sentAt = t; // (a span processor's own send, from the sink, set it too)
    }
    return sc;
  }

  /**
   * When a traced send happens: the send's queue-wait stamp, which its
   * receive span starts at, when there is one and it is no earlier than the
   * parent's start; now otherwise. The stamp is the clock of the sender's
   * turn (its timing block's start, at most a block of fast handlers old) or,
   * outside turns, a recent reading (TurnTiming.tickOutside): a clock read
   * saved per traced send (75-80 ns here). Inside a traced handler the turn's
   * clock has moved to the handle span's start (beginHandle), so a send under
   * it never starts before it; under any other span (a user's), the clock.
   */
  private sendTime(d: SpanWords | typeof ROOT): number {
    const stamp = this.sends === null ? NaN : this.sends.stamp;
    // (NaN compares false: an unstamped send reads the clock.)
    if (d === ROOT ? stamp === stamp : (d instanceof LazyHandleSpan || d instanceof BuiltinSpan) && stamp >= d.start) return stamp;
    return nowMs();
  }

  /**
   * A traced message is about to be handled: `message.receive` (CONSUMER,
   * from its send to now) and `actor.handle_message` under it. Returns the
   * handle span, not made yet (see LazyHandleSpan): run the handler with
   * runHandler, then end it with endHandleChained, failHandle or
   * pendingHandle. The thread's one LazyHandleSpan is reused once its
   * handler has returned.
   */
  beginHandle(carriedAny: SpanContext, sentAt: number, type: string, to: Pid, chained: boolean): LazyHandleSpan {
    // `chained`: the message right before this one in the same turn was traced, its handle span ended by
    // endHandleChained a loop's bookkeeping ago: that clock serves as now (a clock read costs 40-90 ns here).
    const now = chained ? this.lastEnd : nowMs();
    // Sends the handler makes are stamped no earlier than its span's start (see sendTime).
    const turn = this.turn;
    if (turn !== null && turn.inTurn && turn.clock < now) turn.setClock(now);
    const link = this.config.propagation === 'link';
    // The receive span is ended at once and never seen by user code: a row, no Span object.
    // (The carried context was sampled, or it would not have been carried.) Words from a shard; parsed once from another node.
    const carried = asWords(carriedAny);
    // The receive span's id from the send span's, the handle span's from the receive's: no random draws (see childSpanLo).
    const r1 = childSpanLo(carried.s1);
    const r0 = childSpanHi(carried.s0, r1);
    const h1 = childSpanLo(r1);
    // The handle span's trace: the carried one (or a new one, in link mode).
    const tw = link ? newTraceWords() : carried;
    const start = Number.isNaN(sentAt) ? now : Math.min(sentAt, now);
    if (link) this.sink.endedWire(builtinWire(spanHex(r0, r1), traceHex(tw), null, false, 'message.receive', SpanKind.CONSUMER, start, now, SCOPE, [BUILTIN_RECEIVE, to.node, to.shard, to.serial, type], carried));
    // The handle span is the active one while the handler runs: a real Span (user code may add to it), made when asked.
    // (A handler that ran another one synchronously, which a turn never does with tracing on, would keep its own.)
    let h = this.handle;
    if (h.live) h = new LazyHandleSpan(this.sink);
    // In parent mode the receive span waits in the handle span, written with it (one row) or when it is made.
    h.reset(tw, childSpanHi(r0, h1), h1, r0, r1, now, this.handleDescriptor(to, type), this.activeNow(), !link);
    h.c0 = carried.s0;
    h.c1 = carried.s1;
    h.cRemote = carried.isRemote;
    h.received = start;
    return h;
  }

  /**
   * A handle span's descriptor: the same for every message a process
   * handles, so the last one is kept (a busy process handles its messages
   * in a row). Spans only read it; a copy crosses threads.
   */
  private handleDescriptor(to: Pid, type: string): unknown[] {
    const d = this.lastDescriptor;
    if (d !== null && this.lastDescribed === to && d[4] === type) return d;
    this.lastDescribed = to;
    return (this.lastDescriptor = [BUILTIN_HANDLE, to.node, to.shard, to.serial, type]);
  }

  /** Runs a traced message's handler under `h` (see TracedRunner.runHandler). */
  runHandler(h: LazyHandleSpan, b: Handles, msg: unknown, state: unknown, actx: unknown): unknown {
    return this.runner.runHandler(h, b, msg, state, actx);
  }

  /** Runs a traced spawn's init under its lifecycle span (see TracedRunner.runInit). */
  runInit(span: Span, b: Inits, args: unknown, actx: unknown): unknown {
    return this.runner.runInit(span, b, args, actx);
  }

  /** Ends a handle span; a throw marks it as an error. */
  endHandle(span: Span, err?: unknown): void {
    if (err !== undefined) fail(span, err);
    span.end();
  }

  /** Ends the handle span of a handler that returned; its end is kept for a next message that follows at once (see beginHandle). */
  endHandleChained(h: LazyHandleSpan): void {
    const t = nowMs();
    this.lastEnd = t;
    h.end(t);
  }

  /** The handler threw: its handle span ends with the error. */
  failHandle(h: LazyHandleSpan, err: unknown): void {
    h.live = false;
    this.endHandle(h.span(), err);
  }

  /** The handler returned a promise: its handle span, made now, stays open until it settles (the caller ends it). */
  pendingHandle(h: LazyHandleSpan): Span {
    h.live = false;
    return h.span();
  }

  /**
   * `actor.spawn` under the active context, if sampled: left open until the
   * spawn is answered (see {@link endSpawn}), since only the loaded module
   * knows the behaviour's name; `type` is a guess from the file until then.
   */
  onSpawn(type: string, pid: Pid): Span | undefined {
    const d = this.decide();
    if (d === NOT_TRACED) return undefined;
    return this.tracer.startWith(
      'actor.spawn',
      { kind: SpanKind.INTERNAL, attributes: { 'actor.type': type, 'actor.pid': pid.toString(), 'actor.event': 'spawn', 'otel.kind': 'internal' } },
      d === ROOT ? undefined : asContext(d),
      true,
    );
  }

  /** The spawn was answered: the span takes the behaviour's name (as the lifecycle spans do) and ends, failed if it failed. */
  endSpawn(span: Span, type: string | null, err: unknown): void {
    if (type !== null) span.setAttribute('actor.type', type);
    if (err !== null && err !== undefined) fail(span, err);
    span.end();
  }

  /** A lifecycle span (`started` around init, `stopped` around terminate) under the actor's spawn. */
  lifecycle(event: 'started' | 'stopped', parent: SpanContext, type: string, pid: Pid, reason?: string): Span {
    const span = this.tracer.startWith(
      'actor.lifecycle',
      { kind: SpanKind.INTERNAL, attributes: { 'actor.type': type, 'actor.pid': pid.toString(), 'actor.event': event, 'otel.kind': 'internal' } },
      parent,
      true,
    )!;
    if (reason !== undefined) span.setAttribute('actor.exit_reason', reason);
    return span;
  }

  /** A call from here: a CLIENT span, active while the call message is sent. */
  onCall(to: Pid): Span | undefined {
    const d = this.decide();
    if (d === NOT_TRACED) {
      // The request goes out next (Calls.call), and every send path asks onSend first.
      this.callRefused = true;
      return undefined;
    }
    const dest = to.toString();
    const attributes = { 'messaging.system': 'joerl', 'messaging.operation.type': 'send', 'messaging.operation.name': 'call', 'actor.to_pid': dest, 'messaging.destination.name': dest };
    const span = this.tracer.startWith('gen_server.call', { kind: SpanKind.CLIENT, attributes }, d === ROOT ? undefined : asContext(d), true);
    this.callParent = span ?? null;
    return span;
  }

  /** The call is answered (with the server's span context, if it carried one) or failed. */
  endCall(span: Span, serverTp: string | undefined, err?: unknown): void {
    const server = serverTp === undefined ? undefined : parseTraceparent(serverTp);
    if (server !== undefined) span.addLink({ context: server, attributes: { 'joerl.link': 'reply' } });
    if (err !== undefined) fail(span, err);
    span.end();
  }

  /** The traceparent a reply carries back: the replying handler's span. */
  replyContext(): string | undefined {
    const sc = this.activeSampled();
    return sc === undefined ? undefined : formatTraceparent(sc);
  }
}

/** A parent from `decide` as the API's context (a handle span's own, or the WordSpanContext it is). */
function asContext(d: SpanWords): SpanContext {
  if (d instanceof LazyHandleSpan) return d.span().spanContext();
  return d instanceof BuiltinSpan ? d.spanContext() : (d as SpanWords & SpanContext);
}

function fail(span: Span, err: unknown): void {
  if (err instanceof Error) span.recordException(err);
  else span.recordException(String(err));
  span.setStatus({ code: SpanStatusCode.ERROR, message: err instanceof Error ? err.message : String(err) });
}

