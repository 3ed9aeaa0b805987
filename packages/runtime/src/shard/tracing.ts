// Built-in spans of one thread: spawn, lifecycle, send, receive and handle, calls; context carried in envelopes.

import {
  type Context,
  type Span,
  type SpanContext,
  SpanKind,
  type SpanOptions,
  SpanStatusCode,
  TraceFlags,
  context,
  isSpanContextValid,
  propagation,
  trace,
} from '@opentelemetry/api';
import {
  AsyncLocalContextManager,
  RecordingTracer,
  RecordingTracerProvider,
  type SpanSink,
  W3CTraceparentPropagator,
  formatTraceparent,
  nowMs,
  parseTraceparent,
} from '@joerl/telemetry/internal';
import type { Pid } from '../actor/pid.js';

/** Tracing settings every thread runs with. */
export interface TracingConfig {
  /** Fraction of new traces kept, 0..1 (children follow their parent). */
  sampleRate: number;
  /** How a receive relates to the send it came from: as its child (one trace), or as a new trace linking to it. */
  propagation: 'parent' | 'link';
}

const SCOPE = 'joerl';

export class ThreadTracing {
  readonly tracer: RecordingTracer;
  private readonly config: TracingConfig;
  /** On a shard, the context manager we installed: asked directly, past the API's global lookup. */
  private readonly cm: AsyncLocalContextManager | null = null;
  /** xorshift32 state for the per-send sampling draw (Math.random costs more than the rest of an untraced send). */
  private rnd = (Math.random() * 0xffffffff) | 1;

  /**
   * On a shard, `installGlobals` makes our provider, context manager and W3C
   * propagator the thread's @opentelemetry/api globals, so actor code uses
   * the plain API. The main thread keeps whatever the user registered there.
   */
  constructor(config: TracingConfig, sink: SpanSink, installGlobals: boolean) {
    this.config = config;
    this.tracer = new RecordingTracer(sink, config.sampleRate, SCOPE);
    if (installGlobals) {
      trace.setGlobalTracerProvider(new RecordingTracerProvider(sink, config.sampleRate));
      this.cm = new AsyncLocalContextManager().enable();
      context.setGlobalContextManager(this.cm);
      propagation.setGlobalPropagator(new W3CTraceparentPropagator());
    }
  }

  /** The span context active right now, if it is sampled. */
  activeSampled(): SpanContext | undefined {
    const sc = trace.getSpanContext(context.active());
    return sc !== undefined && isSpanContextValid(sc) && (sc.traceFlags & TraceFlags.SAMPLED) !== 0 ? sc : undefined;
  }

  /**
   * A span under the active context if that is sampled, none if it is not,
   * and otherwise a new trace kept at the sample rate: one decision per root,
   * taken before any id is made (the common case at low rates costs a
   * Math.random() and nothing else).
   */
  private startUnderActive(name: string, options: () => SpanOptions): Span | undefined {
    const parent = trace.getSpanContext(this.cm !== null ? this.cm.active() : context.active());
    if (parent !== undefined && isSpanContextValid(parent)) {
      return (parent.traceFlags & TraceFlags.SAMPLED) === 0 ? undefined : this.tracer.startWith(name, options(), parent, true);
    }
    if (this.config.sampleRate < 1 && this.draw() >= this.config.sampleRate) return undefined;
    // Attributes are built only now: an unsampled send must not pay for pid strings.
    return this.tracer.startWith(name, options(), undefined, true);
  }

  /** A uniform draw in [0, 1) (xorshift32: sampling, not security). */
  private draw(): number {
    let x = this.rnd;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.rnd = x;
    return (x >>> 0) / 0x1_0000_0000;
  }

  /**
   * A message is sent: a PRODUCER span, ended at once. Returns the context
   * the envelope carries, or undefined: then the envelope carries nothing.
   */
  onSend(from: Pid | undefined, to: Pid): SpanContext | undefined {
    const span = this.startUnderActive('message.send', () => ({ kind: SpanKind.PRODUCER, attributes: messagingAttributes('send', from, to) }));
    if (span === undefined) return undefined;
    span.end();
    return span.spanContext();
  }

  /**
   * A traced message is about to be handled: `message.receive` (CONSUMER,
   * from its send to now) and `actor.handle_message` under it. Returns the
   * context to run the handler in and the handle span to end afterwards.
   */
  beginHandle(carried: SpanContext, sentAt: number, type: string, to: Pid): { ctx: Context; span: Span } | undefined {
    const now = nowMs();
    const attrs = messagingAttributes('receive', undefined, to);
    attrs['actor.type'] = type;
    const link = this.config.propagation === 'link';
    const receive = this.tracer.startWith(
      'message.receive',
      { kind: SpanKind.CONSUMER, startTime: Number.isNaN(sentAt) ? now : Math.min(sentAt, now), attributes: attrs, links: link ? [{ context: carried }] : [] },
      link ? undefined : carried,
      true, // the carried context was sampled, or it would not have been carried
    );
    if (receive === undefined) return undefined;
    receive.end(now);
    const span = this.tracer.startWith(
      'actor.handle_message',
      {
        kind: SpanKind.INTERNAL,
        startTime: now,
        attributes: { 'actor.type': type, 'actor.pid': to.toString(), 'actor.event': 'handle_message', 'messaging.system': 'joerl', 'messaging.operation.type': 'process', 'otel.kind': 'internal' },
      },
      receive.spanContext(),
      true,
    )!;
    return { ctx: trace.setSpan(context.active(), span), span };
  }

  /** Ends a handle span; a throw marks it as an error. */
  endHandle(span: Span, err?: unknown): void {
    if (err !== undefined) fail(span, err);
    span.end();
  }

  /**
   * `actor.spawn` under the active context, if sampled: left open until the
   * spawn is answered (see {@link endSpawn}), since only the loaded module
   * knows the behaviour's name; `type` is a guess from the file until then.
   */
  onSpawn(type: string, pid: Pid): Span | undefined {
    return this.startUnderActive('actor.spawn', () => ({
      kind: SpanKind.INTERNAL,
      attributes: { 'actor.type': type, 'actor.pid': pid.toString(), 'actor.event': 'spawn', 'otel.kind': 'internal' },
    }));
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
    return this.startUnderActive('gen_server.call', () => ({
      kind: SpanKind.CLIENT,
      attributes: { 'messaging.system': 'joerl', 'messaging.operation.type': 'send', 'messaging.operation.name': 'call', 'actor.to_pid': to.toString(), 'messaging.destination.name': to.toString() },
    }));
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

function messagingAttributes(op: 'send' | 'receive', from: Pid | undefined, to: Pid): Record<string, string> {
  const a: Record<string, string> = {
    'messaging.system': 'joerl',
    'messaging.operation': op,
    'messaging.operation.type': op,
    'messaging.operation.name': op,
    'messaging.destination.name': to.toString(),
    'actor.to_pid': to.toString(),
    'otel.kind': op === 'send' ? 'producer' : 'consumer',
  };
  if (from !== undefined) a['actor.from_pid'] = from.toString();
  return a;
}

function fail(span: Span, err: unknown): void {
  if (err instanceof Error) span.recordException(err);
  else span.recordException(String(err));
  span.setStatus({ code: SpanStatusCode.ERROR, message: err instanceof Error ? err.message : String(err) });
}

