// Demo: a worker pulls jobs from the dispatcher and hashes them (CPU-heavy); faults are injected on request.
//
// Two habits keep every core busy:
// - It keeps a job in hand while it works on another: the request for the
//   next one goes out before the hashing starts, so the trip to the
//   dispatcher costs no idle time.
// - It hashes a job in steps of under a millisecond (a message to itself per
//   step), so the actors sharing its shard (the dispatcher, the job machines)
//   get their turns in between instead of waiting out a whole job. A handler
//   cannot be preempted; this is how an actor yields.
import * as crypto from 'node:crypto';
import { type ActorContext, defineActor } from '@joerl/runtime';
import type { Assignment } from './dispatcher.server.js';

/** Jobs in hand (the current one, waiting ones, and ones asked for): one to work on, one in reserve. */
const AHEAD = 2;
/** With no job for this long, the worker asks again (a restarted dispatcher forgot what it was asked). */
const PATIENCE_MS = 1000;
/** SHA-256 rounds per step: about half a millisecond on a free core. */
const STEP = 2000;

/**
 * One SHA-256 round: the hex digest of the previous one. Hex strings, not
 * Buffers: a Buffer per round (2,000 per step) is an ArrayBuffer with a
 * native backing store each; the shards scavenged 10-25 times a second and
 * a step took 1.5-2 ms of CPU, against 0.5 ms with strings (plain heap).
 * `crypto.hash` (Node 20.12+) is a one-shot call, no Hash object per round.
 */
const sha256: (data: string) => string =
  typeof crypto.hash === 'function' ? (d) => crypto.hash('sha256', d, 'hex') : (d) => crypto.createHash('sha256').update(d).digest('hex');

type Msg = { kind: 'job'; a: Assignment } | { kind: 'step' } | { kind: 'check' } | { kind: 'panic' } | { kind: 'get-stuck' };
interface Current {
  a: Assignment;
  done: number;
  digest: string;
  ms: number;
}
interface State {
  id: number;
  /** Jobs asked for and not yet received. */
  asked: number;
  /** When the last job arrived (or the worker started). */
  lastJob: number;
  current: Current | null;
  waiting: Assignment[];
}

function ask(st: State, ctx: ActorContext<Msg>): void {
  while (st.asked + st.waiting.length + (st.current === null ? 0 : 1) < AHEAD) {
    try {
      ctx.cast('dispatcher', { kind: 'want', worker: ctx.self });
    } catch {
      return; // not registered: the dispatcher is being restarted; the next check asks again
    }
    st.asked++;
  }
}

export default defineActor<{ id: number }, State, Msg>({
  name: 'HashWorker',
  init(args, ctx) {
    const st: State = { id: args.id, asked: 0, lastJob: performance.now(), current: null, waiting: [] };
    ask(st, ctx);
    ctx.sendAfter(ctx.self, { kind: 'check' }, PATIENCE_MS);
    return st;
  },
  handle(msg, st, ctx) {
    if (!('kind' in msg)) return st;
    switch (msg.kind) {
      case 'panic':
        throw new Error(`injected fault in worker ${st.id}`);
      case 'get-stuck':
        for (;;); // the shard's watchdog ends this by restarting the shard
      case 'check':
        if (st.current === null && performance.now() - st.lastJob >= PATIENCE_MS) st.asked = 0; // those requests were lost
        ask(st, ctx);
        ctx.sendAfter(ctx.self, { kind: 'check' }, PATIENCE_MS);
        return st;
      case 'job':
        st.asked = Math.max(0, st.asked - 1);
        st.lastJob = performance.now();
        if (st.current !== null) st.waiting.push(msg.a);
        else {
          st.current = { a: msg.a, done: 0, digest: `job-${msg.a.id}`, ms: 0 };
          ctx.send(ctx.self, { kind: 'step' });
        }
        ask(st, ctx);
        return st;
      case 'step': {
        const c = st.current;
        if (c === null) return st;
        const started = performance.now();
        const end = Math.min(c.a.rounds, c.done + STEP);
        let digest = c.digest;
        for (; c.done < end; c.done++) digest = sha256(digest);
        c.digest = digest;
        c.ms += performance.now() - started;
        if (c.done < c.a.rounds) {
          ctx.send(ctx.self, { kind: 'step' });
          return st;
        }
        try {
          ctx.cast(c.a.job, 'finish');
        } catch {
          // The job timed out (and stopped) while it waited: it was counted as failed.
        }
        ctx.cast('dispatcher', { kind: 'done', id: c.a.id, shard: ctx.shard, ms: c.ms, digest: digest.slice(0, 12) });
        const next = st.waiting.shift();
        st.current = next === undefined ? null : { a: next, done: 0, digest: `job-${next.id}`, ms: 0 };
        if (next !== undefined) ctx.send(ctx.self, { kind: 'step' });
        ask(st, ctx);
        return st;
      }
    }
  },
});
