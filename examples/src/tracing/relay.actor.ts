// Example actor: passes a request along a route of actors, doing a little traced work at each hop.
import { trace } from '@opentelemetry/api';
import { defineActor, type Pid } from '@joerl/runtime';

export interface Hop {
  route: Pid<Hop>[];
  replyTo: Pid<{ done: string }>;
  id: string;
}

export default defineActor<undefined, undefined, Hop>({
  name: 'Relay',
  handle(msg, state, ctx) {
    if (!('route' in msg)) return state;
    // Plain OpenTelemetry API: this span lands in the same trace as the request.
    trace.getTracer('example').startActiveSpan('relay.work', (span) => {
      span.setAttribute('relay.shard', ctx.shard);
      span.end();
    });
    const [next, ...rest] = msg.route;
    if (next === undefined) ctx.send(msg.replyTo, { done: msg.id });
    else ctx.send(next, { ...msg, route: rest });
    return state;
  },
});
