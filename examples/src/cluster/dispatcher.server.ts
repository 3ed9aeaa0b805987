// The dispatcher: hands out blocks, takes back the digests, and puts back the block of a worker that died (its node, say).
import { GenServer, type Pid, defineGenServer, isDownMessage } from '@joerl/runtime';

export type DispatcherCall = { kind: 'take' };
export type DispatcherCast = { kind: 'done'; block: number; digest: string; node: string };
export interface Progress {
  kind: 'progress' | 'finished' | 'requeued';
  done: number;
  total: number;
  block?: number;
  node?: string;
  byNode?: Record<string, number>;
}

interface State {
  todo: number[];
  total: number;
  /** block -> the worker hashing it */
  busy: Map<number, Pid>;
  /** workers we monitor, by monitor ref */
  watched: Map<number, Pid>;
  digests: Map<number, string>;
  byNode: Record<string, number>;
  report: Pid<Progress>;
}

export default defineGenServer<{ blocks: number; report: Pid<Progress> }, State, DispatcherCall, number | null, DispatcherCast>({
  name: 'Dispatcher',
  init: ({ blocks, report }) => ({ todo: Array.from({ length: blocks }, (_, i) => i), total: blocks, busy: new Map(), watched: new Map(), digests: new Map(), byNode: {}, report }),
  handleCall(_req, from, st, ctx) {
    const worker = from.pid;
    if (![...st.watched.values()].some((w) => w.equals(worker))) st.watched.set(ctx.monitor(worker), worker);
    const block = st.todo.shift();
    if (block === undefined) return GenServer.reply(null, st);
    st.busy.set(block, worker);
    return GenServer.reply(block, st);
  },
  handleCast(msg, st, ctx) {
    if (st.digests.has(msg.block)) return st; // done twice (it was requeued just before its worker answered)
    st.busy.delete(msg.block);
    st.digests.set(msg.block, msg.digest);
    st.byNode[msg.node] = (st.byNode[msg.node] ?? 0) + 1;
    const done = st.digests.size;
    ctx.send(st.report, { kind: done === st.total ? 'finished' : 'progress', done, total: st.total, block: msg.block, node: msg.node, byNode: st.byNode });
    return st;
  },
  handleInfo(msg, st, ctx) {
    if (!isDownMessage(msg)) return st;
    const worker = st.watched.get(msg.ref);
    st.watched.delete(msg.ref);
    if (worker === undefined) return st;
    // Its block goes back to the front of the queue: another worker (on another node) takes it.
    for (const [block, w] of st.busy) {
      if (!w.equals(worker)) continue;
      st.busy.delete(block);
      st.todo.unshift(block);
      ctx.send(st.report, { kind: 'requeued', done: st.digests.size, total: st.total, block });
    }
    return st;
  },
});
