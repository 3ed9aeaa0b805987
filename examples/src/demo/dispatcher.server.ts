// Demo: the dispatcher hands out jobs (each with its own lifecycle machine) and keeps the tallies.
import { GenServer, type Pid, defineGenServer } from '@joerl/runtime';
import type Job from './job.statem.js';

export interface Assignment {
  id: number;
  rounds: number;
  job: Pid<any>;
}

export type DispatcherCall = { kind: 'next' } | { kind: 'stats' };
export type DispatcherCast = { kind: 'done'; id: number; shard: number; ms: number; digest: string };

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

export default defineGenServer<{ rounds: number }, State, DispatcherCall, Assignment | Stats, DispatcherCast>({
  name: 'Dispatcher',
  init: ({ rounds }) => ({ nextId: 1, rounds, stats: { issued: 0, done: 0, perShard: {}, busyMs: 0 } }),
  async handleCall(req, _from, st, ctx) {
    if (req.kind === 'stats') return GenServer.reply(st.stats, st);
    const id = st.nextId++;
    // Each job's lifecycle is its own GenStatem, kept beside the dispatcher: a job
    // outlives its worker's shard, and a stalled shard never holds up the queue.
    const job = await ctx.spawn<typeof Job>(new URL('./job.statem.js', import.meta.url), { id, timeoutMs: 5000 });
    ctx.cast(job, 'assign');
    st.stats.issued++;
    return GenServer.reply({ id, rounds: st.rounds, job } satisfies Assignment, st);
  },
  handleCast(msg, st) {
    st.stats.done++;
    st.stats.perShard[msg.shard] = (st.stats.perShard[msg.shard] ?? 0) + 1;
    st.stats.busyMs += msg.ms;
    return st;
  },
});
