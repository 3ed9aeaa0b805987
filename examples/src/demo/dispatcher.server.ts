// Demo: the dispatcher hands out jobs on request (each with its own lifecycle machine) and keeps the tallies.
import { GenServer, type Pid, defineGenServer } from '@joerl/runtime';
import type Job from './job.statem.js';

export interface Assignment {
  id: number;
  rounds: number;
  job: Pid<any>;
}

export type DispatcherCall = { kind: 'stats' };
export type DispatcherCast = { kind: 'want'; worker: Pid<any> } | { kind: 'done'; id: number; shard: number; ms: number; digest: string };

export interface Stats {
  issued: number;
  done: number;
  perShard: Record<number, number>;
  busyMs: number;
}

interface State {
  nextId: number;
  rounds: number;
  stats: Stats;
}

const JOB = new URL('./job.statem.js', import.meta.url);

export default defineGenServer<{ rounds: number }, State, DispatcherCall, Assignment | Stats, DispatcherCast>({
  name: 'Dispatcher',
  init: ({ rounds }) => ({ nextId: 1, rounds, stats: { issued: 0, done: 0, perShard: {}, busyMs: 0 } }),
  handleCall(_req, _from, st) {
    return GenServer.reply(st.stats, st);
  },
  handleCast(msg, st, ctx) {
    if (msg.kind === 'want') {
      const id = st.nextId++;
      // Each job's lifecycle is its own GenStatem, kept beside the dispatcher: a job
      // outlives its worker's shard, and a stalled shard never holds up the queue.
      // The job hands itself to the worker: the dispatcher does not wait for the
      // spawn, so it answers the next request at once. (A failed spawn: the
      // worker, hearing nothing, asks again.)
      ctx.spawn<typeof Job>(JOB, { id, rounds: st.rounds, worker: msg.worker, timeoutMs: 5000 }).catch(() => {});
      st.stats.issued++;
      return st;
    }
    st.stats.done++;
    st.stats.perShard[msg.shard] = (st.stats.perShard[msg.shard] ?? 0) + 1;
    st.stats.busyMs += msg.ms;
    return st;
  },
});
